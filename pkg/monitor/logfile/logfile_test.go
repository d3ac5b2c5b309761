package logfile

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

type chunk struct {
	s Stream
	p string
}

// fakeClock returns t0, t0+1s, t0+2s, ...
func fakeClock(t0 time.Time) func() time.Time {
	n := 0
	return func() time.Time {
		t := t0.Add(time.Duration(n) * time.Second)
		n++
		return t
	}
}

var t0 = time.Date(2026, 11, 28, 19, 40, 58, 123456789, time.FixedZone("X", 3600))

func writeLog(t *testing.T, chunks []chunk) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ctr.log")
	w, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	w.now = fakeClock(t0)
	for _, c := range chunks {
		if err := w.Write(c.s, []byte(c.p)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestWriterFormat(t *testing.T) {
	tests := []struct {
		name   string
		chunks []chunk
		want   string
	}{
		{"one line", []chunk{{Stdout, "hello\n"}},
			"2026-11-28T18:40:58.123456789Z stdout F hello\n"},
		{"two lines one chunk", []chunk{{Stderr, "a\nb\n"}},
			"2026-11-28T18:40:58.123456789Z stderr F a\n2026-11-28T18:40:58.123456789Z stderr F b\n"},
		{"partial then rest", []chunk{{Stdout, "ab"}, {Stdout, "c\nd"}},
			"2026-11-28T18:40:58.123456789Z stdout P ab\n" +
				"2026-11-28T18:40:59.123456789Z stdout F c\n" +
				"2026-11-28T18:40:59.123456789Z stdout P d\n"},
		{"empty line", []chunk{{Stdout, "\n"}},
			"2026-11-28T18:40:58.123456789Z stdout F \n"},
		{"empty chunk", []chunk{{Stdout, ""}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := os.ReadFile(writeLog(t, tt.chunks))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(data), tt.want); diff != "" {
				t.Errorf("log (-got +want):\n%s", diff)
			}
		})
	}
}

func TestReadRoundTrip(t *testing.T) {
	chunks := []chunk{
		{Stdout, "one\ntw"},      // t0
		{Stderr, "err1\n"},       // t0+1
		{Stdout, "o\nthree\n"},   // t0+2
		{Stderr, "err2 partial"}, // t0+3
		{Stdout, "four\n"},       // t0+4
		{Stderr, " done\n"},      // t0+5
		{Stdout, "no newline"},   // t0+6
	}
	tests := []struct {
		name             string
		o                Options
		wantOut, wantErr string
	}{
		{"all", Options{Tail: -1}, "one\ntwo\nthree\nfour\nno newline", "err1\nerr2 partial done\n"},
		{"tail 2 counts lines in order of completion", Options{Tail: 2}, "no newline", "err2 partial done\n"},
		{"tail 3", Options{Tail: 3}, "four\nno newline", "err2 partial done\n"},
		{"tail 0", Options{Tail: 0}, "", ""},
		{"tail more than lines", Options{Tail: 100}, "one\ntwo\nthree\nfour\nno newline", "err1\nerr2 partial done\n"},
		{"since", Options{Tail: -1, Since: t0.Add(2 * time.Second)}, "three\nfour\nno newline", "err2 partial done\n"},
		{"until", Options{Tail: -1, Until: t0.Add(1 * time.Second)}, "one\ntwo\n", "err1\n"},
		{"since and tail", Options{Tail: 1, Since: t0.Add(time.Second)}, "no newline", ""},
		{"timestamps", Options{Tail: 2, Timestamps: true},
			"2026-11-28T18:41:04.123456789Z no newline", "2026-11-28T18:41:01.123456789Z err2 partial done\n"},
	}
	path := writeLog(t, chunks)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			if err := Read(context.Background(), path, tt.o, &out, &errb, nil); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(out.String(), tt.wantOut); diff != "" {
				t.Errorf("stdout (-got +want):\n%s", diff)
			}
			if diff := cmp.Diff(errb.String(), tt.wantErr); diff != "" {
				t.Errorf("stderr (-got +want):\n%s", diff)
			}
		})
	}
}

func TestReadSkipsMalformed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ctr.log")
	content := strings.Join([]string{
		"2026-11-28T18:40:58.1Z stdout F good",
		"garbage",
		"2026-11-28T18:40:58.1Z stdweird F bad stream",
		"notatime stdout F bad time",
		"2026-11-28T18:40:58.1Z stdout X bad tag",
		"2026-11-28T18:40:58.1Z stdout F",
		"2026-11-28T18:40:59.1Z stderr F also good",
		"2026-11-28T18:40:59.1Z stdout F truncated", // no final newline: a torn write
	}, "\n")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if err := Read(context.Background(), path, Options{Tail: -1}, &out, &errb, nil); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(out.String()+"|"+errb.String(), "good\n\n|also good\n"); diff != "" {
		t.Errorf("output (-got +want):\n%s", diff)
	}
}

func TestReadMissingFile(t *testing.T) {
	var out bytes.Buffer
	err := Read(context.Background(), filepath.Join(t.TempDir(), "nope"), Options{Tail: -1}, &out, &out, nil)
	if err != nil || out.Len() != 0 {
		t.Errorf("got %q, %v; want empty output and no error", out.String(), err)
	}
}

func TestReadLongLine(t *testing.T) {
	long := strings.Repeat("x", 100<<10)
	path := writeLog(t, []chunk{{Stdout, long + "\n"}})
	var out bytes.Buffer
	if err := Read(context.Background(), path, Options{Tail: -1}, &out, &out, nil); err != nil {
		t.Fatal(err)
	}
	if got, want := out.Len(), len(long)+1; got != want {
		t.Errorf("got %d bytes, want %d", got, want)
	}
}

// syncBuffer is a bytes.Buffer safe for a reader and a writer goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestReadFollow(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ctr.log")
	w, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(Stdout, []byte("before\n"))
	var alive atomic.Bool
	alive.Store(true)
	var out, errb syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- Read(context.Background(), path, Options{Follow: true, Tail: -1}, &out, &errb, alive.Load)
	}()
	waitFor(t, func() bool { return out.String() == "before\n" })

	start := time.Now()
	w.Write(Stdout, []byte("par"))
	waitFor(t, func() bool { return out.String() == "before\npar" })
	if d := time.Since(start); d > 500*time.Millisecond {
		t.Errorf("follow latency %v, want about 100ms", d)
	}
	w.Write(Stdout, []byte("tial\n"))
	w.Write(Stderr, []byte("oops\n"))
	w.Write(Stdout, []byte("last\n"))
	w.Close()
	alive.Store(false)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(out.String()+"|"+errb.String(), "before\npartial\nlast\n|oops\n"); diff != "" {
		t.Errorf("output (-got +want):\n%s", diff)
	}
}

func TestReadFollowCancel(t *testing.T) {
	path := writeLog(t, []chunk{{Stdout, "x\n"}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var out syncBuffer
	go func() {
		done <- Read(ctx, path, Options{Follow: true, Tail: -1}, &out, &out, func() bool { return true })
	}()
	waitFor(t, func() bool { return out.String() == "x\n" })
	cancel()
	if err := <-done; err != context.Canceled {
		t.Errorf("got %v, want context.Canceled", err)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
