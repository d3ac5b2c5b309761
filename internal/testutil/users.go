package testutil

import (
	"io"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"testing"
)

// TestUser is the unprivileged user the rootless tests run as. `make deps`
// creates it with a /etc/subuid and /etc/subgid range.
const TestUser = "hutchtest"

// TestUserIDs returns TestUser's uid and gid. It fails the test, saying how
// to fix it, unless the test runs as root (needed to start processes as
// that user) and the user exists.
func TestUserIDs(t testing.TB) (uid, gid uint32) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatalf("this test must run as root: it starts processes as %s", TestUser)
	}
	u, err := user.Lookup(TestUser)
	if err != nil {
		t.Fatalf("user %s is missing: create it with a /etc/subuid range (make deps): %v", TestUser, err)
	}
	a, _ := strconv.Atoi(u.Uid)
	b, _ := strconv.Atoi(u.Gid)
	return uint32(a), uint32(b)
}

// PublicCopy copies the running test binary, as name, into a new 0755
// directory under /tmp that TestUser can read (the build cache and a CI
// checkout may not be), removed at the end of the test. It returns the
// copy's path.
func PublicCopy(t testing.TB, name string) string {
	t.Helper()
	dir, err := os.MkdirTemp("/tmp", "hutch-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.Open(self)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	bin := filepath.Join(dir, name)
	dst, err := os.OpenFile(bin, os.O_CREATE|os.O_WRONLY, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
	return bin
}
