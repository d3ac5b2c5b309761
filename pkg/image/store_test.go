package image

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/hutchctr/hutch/internal/testutil"
	"github.com/hutchctr/hutch/pkg/errdefs"
)

func TestOpenErrors(t *testing.T) {
	testutil.Requires(t, testutil.Root())
	dir := t.TempDir()
	tests := []struct {
		name string
		opts Options
		want error
	}{
		{"no graph root", Options{RunRoot: dir}, errdefs.ErrInvalidArgument},
		{"no run root", Options{GraphRoot: dir}, errdefs.ErrInvalidArgument},
		// The tests run in the host's user namespace: a rootless store
		// must refuse to open here rather than half-configure storage.
		{"rootless outside a user namespace", Options{GraphRoot: filepath.Join(dir, "g"), RunRoot: filepath.Join(dir, "r"), Rootless: true}, errdefs.ErrPermission},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Open(tt.opts)
			if !errors.Is(err, tt.want) {
				if s != nil {
					s.Close()
				}
				t.Fatalf("Open: %v, want %v", err, tt.want)
			}
		})
	}
}
