package logfile

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// FuzzRoundTrip checks that whatever a container prints, in whatever
// chunks, reads back byte for byte.
func FuzzRoundTrip(f *testing.F) {
	f.Add([]byte("hello\nworld\n"), uint8(3))
	f.Add([]byte("no newline"), uint8(0))
	f.Add([]byte("\n\n\x00 F P stdout\n"), uint8(200))
	f.Fuzz(func(t *testing.T, data []byte, cut uint8) {
		path := filepath.Join(t.TempDir(), "ctr.log")
		w, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		i := min(int(cut), len(data))
		w.Write(Stdout, data[:i])
		w.Write(Stdout, data[i:])
		w.Close()
		var out bytes.Buffer
		if err := Read(context.Background(), path, Options{Tail: -1}, &out, io.Discard, nil); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out.Bytes(), data) {
			t.Errorf("got %q, want %q", out.Bytes(), data)
		}
	})
}

// FuzzRead checks that no file content makes Read fail or panic.
func FuzzRead(f *testing.F) {
	f.Add([]byte("2026-11-28T18:40:58.1Z stdout F good\n2026-11-28T18:40:58.1Z stderr P x\n"))
	f.Add([]byte("garbage\n\n \n   \n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "ctr.log")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		for _, tail := range []int{-1, 0, 2} {
			if err := Read(context.Background(), path, Options{Tail: tail, Timestamps: true}, io.Discard, io.Discard, nil); err != nil {
				t.Fatal(err)
			}
		}
	})
}
