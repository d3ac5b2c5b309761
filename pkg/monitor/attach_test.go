package monitor

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hutchctr/hutch/pkg/errdefs"
	"github.com/hutchctr/hutch/pkg/state"
)

func TestProtoRoundTrip(t *testing.T) {
	for _, h := range []hello{{}, {Stdin: true, Rows: 24, Cols: 80}, {Rows: 65535, Cols: 1}} {
		got, err := decodeHello(h.encode())
		if err != nil || got != h {
			t.Errorf("hello %+v: got %+v, %v", h, got, err)
		}
	}
	for _, code := range []int{0, 1, 127, 137, 255, -1} {
		got, err := decodeExit(exitMessage(code))
		if err != nil || got != code {
			t.Errorf("exit %d: got %d, %v", code, got, err)
		}
	}
	rows, cols, err := decodeResize(resizeMessage(50, 132))
	if err != nil || rows != 50 || cols != 132 {
		t.Errorf("resize: got %d %d %v", rows, cols, err)
	}
	for _, bad := range [][]byte{{msgHello}, {msgExit, 1}, {msgResize, 1, 2}} {
		_, err1 := decodeHello(bad)
		_, err2 := decodeExit(bad)
		_, _, err3 := decodeResize(bad)
		if err1 == nil || err2 == nil || err3 == nil {
			t.Errorf("%v: want errors, got %v %v %v", bad, err1, err2, err3)
		}
	}
}

func TestListenAndDialLongPath(t *testing.T) {
	dir := filepath.Join(t.TempDir(), strings.Repeat("d", 100))
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	path := SocketPath(dir)
	if len(path) < maxSunPath {
		t.Fatalf("path %q is short; the test needs a long one", path)
	}
	l, err := listen(path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode(); got != os.ModeSocket|0o600 {
		t.Errorf("socket mode %v, want %v", got, os.ModeSocket|0o600)
	}
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := l.Accept()
		accepted <- c
	}()
	c, err := Dial(path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s := <-accepted
	defer s.Close()
	c.Write([]byte("ping"))
	buf := make([]byte, 10)
	n, _ := s.Read(buf)
	if string(buf[:n]) != "ping" {
		t.Errorf("got %q", buf[:n])
	}
}

func TestDialNotRunning(t *testing.T) {
	_, err := Dial(SocketPath(t.TempDir()))
	if !errors.Is(err, errdefs.ErrConflict) {
		t.Errorf("got %v, want ErrConflict", err)
	}
}

// rawClient is an attach client that speaks the protocol by hand.
type rawClient struct {
	t    *testing.T
	conn net.Conn
}

func dialRaw(t *testing.T, f *fixture, h hello) *rawClient {
	t.Helper()
	c, err := Dial(f.socket())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if _, err := c.Write(h.encode()); err != nil {
		t.Fatal(err)
	}
	return &rawClient{t: t, conn: c}
}

// readUntilExit returns the output and the exit code; code -1 if the
// connection ended without one.
func (r *rawClient) readUntilExit() (string, int) {
	var out bytes.Buffer
	buf := make([]byte, maxPacket)
	r.conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	for {
		n, err := r.conn.Read(buf)
		if err != nil || n == 0 {
			return out.String(), -1
		}
		switch buf[0] {
		case msgStdout, msgStderr:
			out.Write(buf[1:n])
		case msgExit:
			code, _ := decodeExit(buf[:n])
			return out.String(), code
		}
	}
}

func TestMultipleClients(t *testing.T) {
	f := newFixture(t, sh("read line; echo got $line; exit 4"))
	f.cfg.Stdin = true
	f.launch(nil)
	watcher := dialRaw(t, f, hello{})
	typer := dialRaw(t, f, hello{Stdin: true})
	late := dialRaw(t, f, hello{})
	time.Sleep(200 * time.Millisecond) // let the monitor accept all three before output appears
	typer.conn.Write(dataMessage(msgStdin, []byte("hi\n")))
	for name, c := range map[string]*rawClient{"watcher": watcher, "typer": typer, "late": late} {
		out, code := c.readUntilExit()
		if out != "got hi\n" || code != 4 {
			t.Errorf("%s: got (%q, %d), want (%q, 4)", name, out, code, "got hi\n")
		}
	}
	f.waitExited()
}

func TestClientAfterExitGetsCode(t *testing.T) {
	f := newFixture(t, sh("exit 9"))
	// A slow cleanup keeps the monitor (and its socket) alive after the
	// exit was recorded.
	f.cfg.CleanupArgs = []string{"/bin/sh", "-c", "sleep 1"}
	f.launch(nil)
	waitFor(t, 10*time.Second, func() bool { return f.state().Status == state.Exited })
	c := dialRaw(t, f, hello{})
	if _, code := c.readUntilExit(); code != 9 {
		t.Errorf("got code %d, want 9", code)
	}
}

func TestSlowClientDoesNotBlockContainer(t *testing.T) {
	const size = 3 * clientBudget
	f := newFixture(t, sh("head -c 25165824 /dev/zero | tr '\\0' x; echo; echo burst-done; sleep 1; echo end"))
	forMonitor, stuck, err := SocketPair()
	if err != nil {
		t.Fatal(err)
	}
	defer stuck.Close()
	stuck.Write(hello{}.encode()) // and never reads
	f.launch(forMonitor)
	forMonitor.Close()
	// The burst is over when the log has its marker.
	waitFor(t, 20*time.Second, func() bool { return strings.Contains(logTail(f.store.LogPath(f.id)), "burst-done") })
	c := dialRaw(t, f, hello{})
	out, code := c.readUntilExit()
	if out != "end\n" || code != 0 {
		t.Errorf("late client: got (%q, %d), want (%q, 0)", out, code, "end\n")
	}
	f.waitExited()
	// The stuck client was disconnected without the exit code, after at
	// most its budget and the socket buffer.
	n, code := drain(stuck)
	if code != -1 || n > clientBudget+1<<20 || n == 0 {
		t.Errorf("stuck client: got %d bytes and code %d, want some output, at most the budget, and no code", n, code)
	}
	logOut, _ := f.logs()
	if want := strings.Repeat("x", size) + "\nburst-done\nend\n"; logOut != want {
		t.Errorf("log has %d bytes, want %d", len(logOut), len(want))
	}
}

// logTail returns the last few hundred bytes of the log at path.
func logTail(path string) string {
	fh, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer fh.Close()
	buf := make([]byte, 512)
	fi, err := fh.Stat()
	if err != nil {
		return ""
	}
	n, _ := fh.ReadAt(buf, max(fi.Size()-512, 0))
	return string(buf[:n])
}

// drain reads c to its end: the bytes of output and the exit code (-1 none).
func drain(c net.Conn) (int, int) {
	buf := make([]byte, maxPacket)
	total := 0
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		n, err := c.Read(buf)
		if err != nil || n == 0 {
			return total, -1
		}
		if buf[0] == msgExit {
			code, _ := decodeExit(buf[:n])
			return total, code
		}
		total += n - 1
	}
}

func TestTerminal(t *testing.T) {
	f := newFixture(t, sh("stty size; read x; stty size; test -t 0 && test -t 1 && echo tty; exit 2"))
	f.cfg.Stdin = true
	f.cfg.Rows, f.cfg.Cols = 33, 77
	spec, err := loadSpec(f.cfg.SpecPath)
	if err != nil {
		t.Fatal(err)
	}
	spec.Process.Terminal = true
	writeJSONFile(t, f.cfg.SpecPath, spec)
	forMonitor, conn, err := SocketPair()
	if err != nil {
		t.Fatal(err)
	}
	f.launch(forMonitor)
	forMonitor.Close()
	c := &rawClient{t: t, conn: conn}
	conn.Write(hello{Stdin: true}.encode())
	waitFor(t, 10*time.Second, func() bool {
		o, _ := f.logs()
		return strings.Contains(o, "33 77")
	})
	conn.Write(resizeMessage(40, 100))
	conn.Write(dataMessage(msgStdin, []byte("go\n")))
	out, code := c.readUntilExit()
	out = strings.ReplaceAll(out, "\r", "")
	if diff := cmp.Diff(out, "33 77\ngo\n40 100\ntty\n"); diff != "" || code != 2 {
		t.Errorf("code %d, output (-got +want):\n%s", code, diff)
	}
	logOut, logErr := f.logs()
	if !strings.Contains(logOut, "40 100") || logErr != "" {
		t.Errorf("log: stdout %q, stderr %q; want everything on stdout", logOut, logErr)
	}
}

func TestAttachContextCancel(t *testing.T) {
	f := newFixture(t, sh("sleep 2"))
	f.launch(nil)
	conn, err := Dial(f.socket())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	code, err := Attach(ctx, conn, Streams{Out: io.Discard}, false)
	if code != -1 || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("got (%d, %v), want (-1, DeadlineExceeded)", code, err)
	}
	f.waitExited()
}
