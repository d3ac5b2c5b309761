//go:build e2e

package e2e

import (
	"os"
	"path/filepath"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/hutchctr/hutch/internal/testutil"
)

// The busybox fixture comes from internal/testutil: /bin/busybox and applet
// links; root, tester (1000:1000, home /home/tester holding "owned") and
// nobody in /etc/passwd; testers (1000) in /etc/group; /tmp mode 1777; Env
// PATH=/usr/sbin:/usr/bin:/sbin:/bin and Cmd ["sh"].
const (
	// imageRef is the name the docker-archive carries; hutch stores it as
	// fullImageName and resolves the short name imageName.
	imageRef      = "busybox:latest"
	imageName     = "busybox"
	fullImageName = "docker.io/library/busybox:latest"
	imagePath     = "/usr/sbin:/usr/bin:/sbin:/bin"
)

// busyboxImage returns the fixture image.
func busyboxImage(t testing.TB, opts ...testutil.ImageOption) v1.Image {
	t.Helper()
	img, err := testutil.BusyboxImage(opts...)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// fixtureImageID is the fixture's image ID as Podman computes it: the hex
// sha256 of the image's config blob.
func fixtureImageID(t testing.TB) string {
	t.Helper()
	raw, err := busyboxImage(t).RawConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	return testutil.Hex(raw)
}

// sharedFixture returns the path of a fixture file in the directory
// TestMain made, building it on first use. Tests running in parallel may
// build it twice; each writes a temporary file and renames it into place,
// so readers only ever see a whole file.
func sharedFixture(t testing.TB, name string, build func(t testing.TB, path string)) string {
	t.Helper()
	dir := os.Getenv(fixturesEnv)
	path := filepath.Join(dir, name)
	if _, err := os.Stat(path); err == nil {
		return path
	}
	tmp, err := os.CreateTemp(dir, "."+name+"-*")
	if err != nil {
		t.Fatal(err)
	}
	tmp.Close()
	build(t, tmp.Name())
	// CreateTemp makes the file 0600; the fixtures are read by other users.
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		t.Fatal(err)
	}
	return path
}

// dockerArchive is the busybox image as `docker save` writes it.
func dockerArchive(t testing.TB) string {
	return sharedFixture(t, "busybox-docker.tar", func(t testing.TB, p string) {
		testutil.WriteDockerArchive(t, busyboxImage(t), imageRef, p)
	})
}

// ociArchive is the busybox image as `podman save --format oci-archive`
// writes it.
func ociArchive(t testing.TB) string {
	return sharedFixture(t, "busybox-oci.tar", func(t testing.TB, p string) {
		testutil.WriteOCIArchive(t, busyboxImage(t), fullImageName, p)
	})
}

// rootfsTar is the busybox root filesystem, for `hutch import`.
func rootfsTar(t testing.TB) string {
	return sharedFixture(t, "busybox-rootfs.tar", testutil.WriteRootfsTar)
}
