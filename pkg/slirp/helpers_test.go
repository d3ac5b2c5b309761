package slirp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/hutchctr/hutch/internal/testutil"
)

// testEnv is a private home and run directory for the unprivileged test
// user, and a copy of the test binary that user can execute.
type testEnv struct {
	bin, work, home, runDir string
	uid, gid                uint32
}

func newTestEnv(t testing.TB) *testEnv {
	t.Helper()
	uid, gid := testutil.TestUserIDs(t)
	bin := testutil.PublicCopy(t, "slirp.test")
	base, err := os.MkdirTemp("/tmp", "slirp-test-")
	if err != nil {
		t.Fatal(err)
	}
	e := &testEnv{uid: uid, gid: gid, bin: bin,
		work: filepath.Join(base, "work"), home: filepath.Join(base, "home")}
	e.runDir = filepath.Join(e.home, "run", "hutch")
	t.Cleanup(func() {
		e.killHolders(t)
		os.RemoveAll(base)
	})
	must(t, os.Chmod(base, 0o755))
	for _, d := range []string{e.work, e.home, filepath.Join(e.home, "run")} {
		must(t, os.Mkdir(d, 0o700))
		must(t, os.Chown(d, int(uid), int(gid)))
	}
	return e
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// command is a helper invocation as hutchtest, like a user's hutch command.
func (e *testEnv) command(version string, extraEnv ...string) *exec.Cmd {
	cmd := exec.Command(e.bin)
	cmd.Dir = e.work
	cmd.Env = append([]string{
		"HOME=" + e.home, "XDG_RUNTIME_DIR=" + filepath.Join(e.home, "run"),
		"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "USER=hutchtest",
		helperEnv + "=1", helperRunDir + "=" + e.runDir, helperVer + "=" + version,
	}, extraEnv...)
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Credential: &syscall.Credential{Uid: e.uid, Gid: e.gid, Groups: []uint32{}},
		Pdeathsig:  syscall.SIGKILL,
	}
	return cmd
}

func (e *testEnv) run(t testing.TB, version string, extraEnv ...string) helperReport {
	t.Helper()
	r, err := e.tryRun(version, extraEnv...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (e *testEnv) tryRun(version string, extraEnv ...string) (helperReport, error) {
	cmd := e.command(version, extraEnv...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return helperReport{}, fmt.Errorf("helper: %v: %s", err, stderr.String())
	}
	var r helperReport
	if err := json.Unmarshal(out, &r); err != nil {
		return r, fmt.Errorf("parse %q: %v", out, err)
	}
	return r, nil
}

func (e *testEnv) holderRoot() string { return holderRootPath(e.runDir, int(e.uid)) }

// instanceDirs lists the holder instance directories that exist.
func (e *testEnv) instanceDirs(t testing.TB) []string {
	t.Helper()
	dirs, err := filepath.Glob(filepath.Join(e.holderRoot(), instancePrefix+"*"))
	must(t, err)
	return dirs
}

// killHolders SIGKILLs the process group of every live holder the test
// started, in any run directory under its home, and waits for their locks
// to go.
func (e *testEnv) killHolders(t testing.TB) {
	dirs, _ := filepath.Glob(filepath.Join(e.home, "run", "*", holderDirName, instancePrefix+"*"))
	for _, dir := range dirs {
		inst, err := loadInstance(dir)
		if err != nil {
			continue
		}
		if held, _ := lockHeld(dir); held {
			_ = syscall.Kill(-inst.rec.PID, syscall.SIGKILL)
			if !waitFor(func() bool { held, _ := lockHeld(dir); return !held }) {
				t.Errorf("holder %d still holds its lock after SIGKILL", inst.rec.PID)
			}
		}
	}
}

// waitFor polls cond for up to 5 seconds.
func waitFor(cond func() bool) bool {
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return true
		}
	}
	return false
}

// alive reports whether pid runs (a zombie counts as dead).
func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	// The state follows the parenthesised command name.
	i := bytes.LastIndexByte(b, ')')
	return i > 0 && i+2 < len(b) && b[i+2] != 'Z'
}
