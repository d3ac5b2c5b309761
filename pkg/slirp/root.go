package slirp

import (
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// holderRootPath computes holderRoot's path for uid, creating nothing.
func holderRootPath(runDir string, uid int) string {
	root := filepath.Join(runDir, holderDirName)
	if len(root) <= maxRootLen {
		return root
	}
	sum := sha256.Sum256([]byte(runDir))
	name := fmt.Sprintf("hutch-holder-%d-%x", uid, sum[:6])
	if root := filepath.Join(os.TempDir(), name); len(root) <= maxRootLen {
		return root
	}
	return filepath.Join("/tmp", name)
}

// maxRootLen bounds the holder root so that rootlesskit's socket
// <root>/h<random>/api.sock fits in sun_path (108 bytes with the NUL).
const maxRootLen = 108 - 1 - len("/h0123456789/api.sock") - 2

// holderRoot is the directory holding the holder instances: <run>/holder,
// or, when that path is too long for a unix socket under it (deep temp
// directories in tests), a per-user directory in the system temp dir
// named after a hash of the run directory.
func holderRoot(runDir string) (string, error) {
	root := holderRootPath(runDir, os.Getuid())
	if root == filepath.Join(runDir, holderDirName) {
		return root, os.MkdirAll(root, 0o700)
	}
	if len(root) > maxRootLen {
		return "", fmt.Errorf("namespace holder directory %s: path too long for a unix socket", root)
	}
	if err := os.Mkdir(root, 0o700); err != nil && !os.IsExist(err) {
		return "", fmt.Errorf("create holder directory: %w", err)
	}
	// The temp dir is shared: accept only a real directory of ours that
	// nobody else can write, never a symlink planted by another user.
	fi, err := os.Lstat(root)
	if err != nil {
		return "", fmt.Errorf("holder directory: %w", err)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !fi.IsDir() || !ok || int(st.Uid) != os.Getuid() || fi.Mode().Perm()&0o077 != 0 {
		return "", fmt.Errorf("holder directory %s is not a private directory owned by uid %d; remove it", root, os.Getuid())
	}
	return root, nil
}
