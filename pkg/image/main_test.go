package image

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/hutchctr/hutch/internal/testutil"
	"go.podman.io/storage/pkg/reexec"
	"go.uber.org/goleak"
)

// roleEnv selects what a re-executed copy of the test binary does.
const roleEnv = "_HUTCH_IMAGE_TEST_ROLE"

// TestMain dispatches roles (rootlesskit/runc style). As root, the tests run
// in a re-executed copy inside a private mount namespace, so the overlay
// mounts storage makes can never reach the host and vanish with the process.
func TestMain(m *testing.M) {
	// storage re-executes this binary for its helpers (storage-untar,
	// storage-applyLayer, storage-mountfrom).
	if reexec.Init() {
		return
	}
	switch os.Getenv(roleEnv) {
	case "":
		if os.Geteuid() == 0 {
			os.Exit(rerunInMountNS())
		}
		os.Exit(m.Run())
	case "mountns":
		goleak.VerifyTestMain(m) // every goroutine the package starts must end
		return
	case "userns-parent":
		os.Exit(usernsParent())
	case "userns-child":
		os.Exit(usernsChild())
	case "rootless-work":
		os.Exit(rootlessWork())
	case "open-timing":
		os.Exit(openTiming())
	default:
		os.Stderr.WriteString("unknown test role\n")
		os.Exit(2)
	}
}

// rerunInMountNS runs this test binary again in a new mount namespace. Go
// makes "/" recursively private in the child when Unshareflags has
// CLONE_NEWNS, so nothing mounted there propagates to the host.
func rerunInMountNS() int {
	cmd := exec.Command("/proc/self/exe", os.Args[1:]...)
	cmd.Args[0] = os.Args[0]
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = withRole("mountns")
	cmd.SysProcAttr = &syscall.SysProcAttr{Unshareflags: syscall.CLONE_NEWNS, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Run(); err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode()
		}
		os.Stderr.WriteString("re-run in a private mount namespace: " + err.Error() + "\n")
		return 1
	}
	return 0
}

// withRole returns the environment with the test role set to role (the
// inherited value removed: with duplicates, getenv sees the first).
func withRole(role string, extra ...string) []string {
	var env []string
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, roleEnv+"=") {
			env = append(env, e)
		}
	}
	return append(append(env, roleEnv+"="+role), extra...)
}

// newStore opens a store in fresh temporary directories and closes it at
// the end of the test.
func newStore(t *testing.T) *Store {
	t.Helper()
	testutil.Requires(t, testutil.Root(), inPrivateMountNS())
	dir := t.TempDir()
	s, err := Open(Options{GraphRoot: filepath.Join(dir, "graph"), RunRoot: filepath.Join(dir, "run")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return s
}

// inPrivateMountNS requires that TestMain moved the tests into their own
// mount namespace (it does so whenever it runs as root).
func inPrivateMountNS() testutil.Requirement {
	return testutil.Requirement{Name: "private mount namespace (run the tests as root)", Check: func() error {
		if os.Getenv(roleEnv) != "mountns" {
			return errors.New("TestMain did not re-execute the tests in a private mount namespace")
		}
		return nil
	}}
}

// busyboxArchive writes the busybox fixture image in format ("docker" or
// "oci") with ref and returns the path.
func busyboxArchive(t *testing.T, format, ref string, opts ...testutil.ImageOption) string {
	t.Helper()
	testutil.Requires(t, testutil.Busybox())
	img, err := testutil.BusyboxImage(opts...)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), format+".tar")
	if format == "oci" {
		testutil.WriteOCIArchive(t, img, ref, p)
	} else {
		testutil.WriteDockerArchive(t, img, ref, p)
	}
	return p
}

// mustLoad loads path and fails the test on error.
func mustLoad(t *testing.T, s *Store, path string) []string {
	t.Helper()
	names, err := s.Load(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// assertEmpty checks that storage holds no image, layer or container, and
// that the overlay directory has no layer directories.
func assertEmpty(t *testing.T, s *Store) {
	t.Helper()
	imgs, err := s.st.Images()
	if err != nil {
		t.Fatal(err)
	}
	layers, err := s.st.Layers()
	if err != nil {
		t.Fatal(err)
	}
	if len(imgs) != 0 || len(layers) != 0 {
		t.Errorf("storage not empty: %d images, %d layers", len(imgs), len(layers))
	}
	// The overlay directory keeps only storage's bookkeeping: "l" (short
	// link names, one per layer), a probe result and the scratch directories,
	// all empty.
	ents, _ := os.ReadDir(filepath.Join(s.GraphRoot(), "overlay"))
	for _, e := range ents {
		switch e.Name() {
		case ".has-mount-program": // a probe result
		case "l", "tempdirs", "staging":
			if sub, _ := os.ReadDir(filepath.Join(s.GraphRoot(), "overlay", e.Name())); len(sub) != 0 {
				t.Errorf("leftover in overlay/%s: %s", e.Name(), sub[0].Name())
			}
		default:
			t.Errorf("leftover in overlay dir: %s", e.Name())
		}
	}
}
