package slirp

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestHolderRootPathFitsASocket(t *testing.T) {
	for _, runDir := range []string{
		"/run/user/1000/hutch",
		"/tmp/" + strings.Repeat("x", 120) + "/hutch",
	} {
		root := holderRootPath(runDir, 1000)
		if len(filepath.Join(root, "h0123456789", "api.sock")) >= 108 {
			t.Errorf("holder socket under %q is too long for sun_path", root)
		}
		if len(runDir) < 40 && root != filepath.Join(runDir, holderDirName) {
			t.Errorf("short run dir %q moved to %q", runDir, root)
		}
	}
}
