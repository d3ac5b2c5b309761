package atomicfile

import (
	"os"
	"path/filepath"
	"testing"
)

func TestWrite(t *testing.T) {
	for _, tt := range []struct {
		name string
		perm os.FileMode
		d    Durability
	}{
		{"durable secret", 0o600, Durable},
		{"volatile readable", 0o644, Volatile},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "f.json")
			for _, content := range []string{"old", "new"} {
				if err := Write(path, []byte(content), tt.perm, tt.d); err != nil {
					t.Fatal(err)
				}
				got, err := os.ReadFile(path)
				if err != nil || string(got) != content {
					t.Fatalf("read %q, %v; want %q", got, err, content)
				}
			}
			fi, err := os.Stat(path)
			if err != nil || fi.Mode().Perm() != tt.perm {
				t.Errorf("mode %v, %v; want %v", fi.Mode().Perm(), err, tt.perm)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 1 {
				t.Errorf("%d files in the directory, want only the file", len(entries))
			}
		})
	}
}

// TestWriteFailureLeavesOld: a write that cannot finish (the name is a
// directory) keeps what was there and leaves no temporary file.
func TestWriteFailureLeavesOld(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "d")
	if err := os.Mkdir(path, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(path, "x"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Write(path, []byte("new"), 0o600, Durable); err == nil {
		t.Fatal("replacing a non-empty directory succeeded")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("%d entries left, want only the directory", len(entries))
	}
	if err := Write(filepath.Join(dir, "missing", "f"), nil, 0o600, Volatile); err == nil {
		t.Error("a write into a missing directory succeeded")
	}
}
