package kfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRead(t *testing.T) {
	dir := t.TempDir()
	big := strings.Repeat("0123456789abcdef", 300) // past the first buffer
	for _, want := range []string{"", "42\n", big} {
		p := filepath.Join(dir, "f")
		if err := os.WriteFile(p, []byte(want), 0o600); err != nil {
			t.Fatal(err)
		}
		got, err := Read(p)
		if err != nil || string(got) != want {
			t.Errorf("Read of %d bytes: got %d bytes, %v", len(want), len(got), err)
		}
	}
	if _, err := Read(filepath.Join(dir, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Read of a missing file: %v, want fs.ErrNotExist", err)
	}
	if data, err := Read("/proc/self/stat"); err != nil || len(data) == 0 {
		t.Errorf("Read of /proc/self/stat: %q, %v", data, err)
	}
}
