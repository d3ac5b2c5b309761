//go:build e2e

package e2e

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"

	"github.com/hutchctr/hutch/internal/testutil"
)

// ptySession is hutch running on a pseudo-terminal, as in a user's shell:
// the terminal is its controlling tty and stdio.
type ptySession struct {
	t   *testing.T
	cmd *exec.Cmd
	ptm *os.File // our end: what the user types and sees
	tty *os.File // hutch's end
	// mu guards out, everything read from ptm so far, and seen, how much of
	// it earlier expectations consumed.
	mu   sync.Mutex
	out  bytes.Buffer
	seen int
}

func startPTY(t *testing.T, h *hutchEnv, rows, cols uint16, args ...string) *ptySession {
	t.Helper()
	ptm, tty, err := pty.Open()
	if err != nil {
		t.Fatal(err)
	}
	if err := pty.Setsize(ptm, &pty.Winsize{Rows: rows, Cols: cols}); err != nil {
		t.Fatal(err)
	}
	s := &ptySession{t: t, ptm: ptm, tty: tty, cmd: h.command(t.Context(), args...)}
	s.cmd.Stdin, s.cmd.Stdout, s.cmd.Stderr = tty, tty, tty
	// A new session with the terminal as controlling tty, so that the kernel
	// sends SIGWINCH to hutch on a resize.
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	// The reader ends when no process holds the terminal any more.
	go func() {
		defer close(done)
		buf := make([]byte, 4096)
		for {
			n, err := ptm.Read(buf)
			s.mu.Lock()
			s.out.Write(buf[:n])
			s.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() {
		if s.cmd.ProcessState == nil {
			s.cmd.Process.Kill()
			s.cmd.Wait()
		}
		tty.Close()
		// The master reads EIO once no process holds the terminal; ptm is
		// in blocking mode, so closing it does not interrupt the read.
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Errorf("a process still holds the terminal after hutch exited (a monitor must not keep it)")
		}
		ptm.Close()
	})
	return s
}

// send types text.
func (s *ptySession) send(text string) {
	s.t.Helper()
	if _, err := io.WriteString(s.ptm, text); err != nil {
		s.t.Fatalf("type %q: %v", text, err)
	}
}

// expect waits until want appears in output not consumed by an earlier
// expect, and consumes the output up to it.
func (s *ptySession) expect(want string, timeout time.Duration) {
	s.t.Helper()
	if !s.tryExpect(want, timeout) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.t.Fatalf("waited %v for %q on the terminal; after the last match it shows %q", timeout, want, s.out.String()[s.seen:])
	}
}

func (s *ptySession) tryExpect(want string, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for {
		s.mu.Lock()
		i := strings.Index(s.out.String()[s.seen:], want)
		if i >= 0 {
			s.seen += i + len(want)
		}
		s.mu.Unlock()
		if i >= 0 {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// wait waits for hutch to exit and returns its exit code.
func (s *ptySession) wait(timeout time.Duration) int {
	s.t.Helper()
	errc := make(chan error, 1)
	go func() { errc <- s.cmd.Wait() }()
	select {
	case <-errc:
		return testutil.ExitCode(s.cmd.ProcessState)
	case <-time.After(timeout):
		s.cmd.Process.Kill()
		<-errc
		s.t.Fatalf("hutch did not exit within %v", timeout)
		return -1
	}
}

// termFlags returns whether the user's terminal echoes and is canonical.
func (s *ptySession) termFlags() (echo, icanon bool) {
	s.t.Helper()
	tio, err := unix.IoctlGetTermios(int(s.tty.Fd()), unix.TCGETS)
	if err != nil {
		s.t.Fatal(err)
	}
	return tio.Lflag&unix.ECHO != 0, tio.Lflag&unix.ICANON != 0
}

// expectSize asks the container's shell for its terminal size until it
// reports rows x cols: a resize reaches the container asynchronously.
func (s *ptySession) expectSize(rows, cols int) {
	s.t.Helper()
	want := fmt.Sprintf("%d %d\r\n", rows, cols)
	for i := 0; i < 10; i++ {
		s.send("stty size\r")
		if s.tryExpect(want, time.Second) {
			return
		}
	}
	s.expect(want, time.Second)
}

func TestRunTerminal(t *testing.T) {
	t.Parallel()
	h := newLoadedEnv(t)
	s := startPTY(t, h, 24, 80, "run", "-it", "--rm", imageName, "sh")
	s.expect("# ", 30*time.Second)
	if echo, icanon := s.termFlags(); echo || icanon {
		t.Errorf("the user's terminal is not in raw mode while attached (echo %v, icanon %v)", echo, icanon)
	}
	s.send("tty\r")
	s.expect("/dev/", 5*time.Second)
	s.expectSize(24, 80)
	if err := pty.Setsize(s.ptm, &pty.Winsize{Rows: 40, Cols: 132}); err != nil {
		t.Fatal(err)
	}
	s.expectSize(40, 132)
	// ^C goes to the container's foreground process, not to hutch: sleep
	// is interrupted and the shell answers again.
	s.send("sleep 100\r")
	time.Sleep(500 * time.Millisecond)
	s.send("\x03")
	s.send("echo after-$((6*7))\r")
	s.expect("after-42", 5*time.Second)
	s.send("exit 7\r")
	if code := s.wait(20 * time.Second); code != 7 {
		t.Errorf("run -it exited %d, want the shell's 7", code)
	}
	if echo, icanon := s.termFlags(); !echo || !icanon {
		t.Errorf("the user's terminal was not restored (echo %v, icanon %v)", echo, icanon)
	}
}

func TestExecTerminal(t *testing.T) {
	t.Parallel()
	h := newLoadedEnv(t)
	h.runDetached(t, "--name", "t1", imageName, "sleep", "1000")
	s := startPTY(t, h, 30, 100, "exec", "-it", "t1", "sh")
	s.expect("# ", 30*time.Second)
	s.expectSize(30, 100)
	if err := pty.Setsize(s.ptm, &pty.Winsize{Rows: 33, Cols: 111}); err != nil {
		t.Fatal(err)
	}
	s.expectSize(33, 111)
	s.send("exit 3\r")
	if code := s.wait(20 * time.Second); code != 3 {
		t.Errorf("exec -it exited %d, want 3", code)
	}
	if got := h.inspect(t, "t1", "{{.State.Status}}"); got != "running" {
		t.Errorf("the container after the exec session: %s", got)
	}
}
