//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hutchctr/hutch/internal/testutil"
)

// noSubUser is a user that make deps creates without a subordinate id range.
const noSubUser = "hutchnosub"

// TestRootlessNoSubordinateRange: a user without a /etc/subuid range gets
// one line that names the file and the command that fixes it. Switching to
// that user needs root, so the root lane runs this rootless scenario.
func TestRootlessNoSubordinateRange(t *testing.T) {
	if rootless() {
		t.Skip("switching to " + noSubUser + " needs root; the root lane runs this test")
	}
	t.Parallel()
	u, err := user.Lookup(noSubUser)
	if err != nil {
		t.Fatalf("user %s is missing (make deps creates it): %v", noSubUser, err)
	}
	for _, f := range []string{"/etc/subuid", "/etc/subgid"} {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range strings.Split(string(data), "\n") {
			if strings.HasPrefix(l, u.Username+":") || strings.HasPrefix(l, u.Uid+":") {
				t.Fatalf("%s has a range in %s (%q); the test needs a user without one", u.Username, f, l)
			}
		}
	}
	dir := userDir(t, u)
	bin := filepath.Join(dir, "hutch")
	if err := copyFile(os.Getenv(binaryEnv), bin, 0o755); err != nil {
		t.Fatal(err)
	}
	home := filepath.Join(dir, "home")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "runuser", "-u", u.Username, "--", "env", "-i",
		"PATH="+hostPath, "HOME="+home, "XDG_RUNTIME_DIR="+filepath.Join(home, "run"),
		bin, "--root", filepath.Join(home, "root"), "--runroot", filepath.Join(home, "run", "hutch"), "images")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.Run()
	r := result{Args: cmd.Args, Stdout: stdout.String(), Stderr: stderr.String(), Code: testutil.ExitCode(cmd.ProcessState)}
	wantUserError(t, r, 125, "/etc/subuid", "usermod --add-subuids", noSubUser)
}

// userDir makes a temporary directory that u owns, under one every user
// can enter (t.TempDir's parent is private to the test's user).
func userDir(t *testing.T, u *user.User) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "hutch-e2e-user-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	home := filepath.Join(dir, "home")
	for _, err := range []error{os.Chmod(dir, 0o755), os.Mkdir(home, 0o700), os.Chown(home, uid, gid)} {
		if err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func copyFile(src, dst string, mode os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
