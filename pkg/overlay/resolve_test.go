package overlay

import (
	"os"
	"path/filepath"
	"testing"
)

func TestResolve(t *testing.T) {
	root := t.TempDir()
	for _, d := range []string{"etc", "usr/lib"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	links := map[string]string{
		"etc/hosts": "/etc/passwd",     // absolute: must stay in root
		"escape":    "../../../../tmp", // relative climb above root
		"lib":       "usr/lib",
	}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(root, name)); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		target string
		want   string
	}{
		{target: "/etc/hosts", want: "/etc/passwd"},
		{target: "/escape/x", want: "/tmp/x"},
		{target: "/lib/modules", want: "/usr/lib/modules"},
		{target: "/../../proc", want: "/proc"},
		{target: "/new/dir", want: "/new/dir"},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			got, err := Resolve(root, tt.target)
			if err != nil {
				t.Fatalf("Resolve: %v", err)
			}
			if want := filepath.Join(root, tt.want); got != want {
				t.Errorf("Resolve(%q) = %q, want %q", tt.target, got, want)
			}
		})
	}
}
