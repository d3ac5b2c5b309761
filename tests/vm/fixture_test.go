//go:build vm

package vm

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/hutchctr/hutch/internal/testutil"
)

// The busybox fixture of internal/testutil (as in tests/e2e), made in the
// guest from the initramfs's /usr/bin/busybox.
const (
	imageRef  = "busybox:latest"
	imageName = "busybox"
)

// dockerArchive is the busybox image as `docker save` writes it, built on
// first use. Parallel tests may build it twice; each writes a temporary
// file and renames it into place, so readers only see a whole file.
func dockerArchive(t testing.TB) string {
	t.Helper()
	dir := os.Getenv(fixturesEnv)
	path := filepath.Join(dir, "busybox-docker.tar")
	if _, err := os.Stat(path); err == nil {
		return path
	}
	img, err := testutil.BusyboxImage()
	if err != nil {
		t.Fatal(err)
	}
	tmp, err := os.CreateTemp(dir, ".busybox-*")
	if err != nil {
		t.Fatal(err)
	}
	tmp.Close()
	testutil.WriteDockerArchive(t, img, imageRef, tmp.Name())
	if err := os.Rename(tmp.Name(), path); err != nil {
		t.Fatal(err)
	}
	return path
}
