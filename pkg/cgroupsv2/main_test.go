package cgroupsv2

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/hutchctr/hutch/internal/testutil"
)

// The test binary plays helper roles (helperEnv): a process the tests put
// in a cgroup before it does its work.
const helperEnv = "_HUTCH_CGROUP_TEST_HELPER"

func TestMain(m *testing.M) {
	switch os.Getenv(helperEnv) {
	case "hog":
		os.Exit(hog())
	case "rootless-v2":
		os.Exit(rootlessV2Helper())
	}
	os.Exit(m.Run())
}

// hog waits for a line on stdin, then allocates (and touches) memory
// until the OOM killer stops it.
func hog() int {
	if _, err := io.ReadAll(io.LimitReader(os.Stdin, 1)); err != nil {
		return 2
	}
	var keep [][]byte
	for range 1024 {
		b := make([]byte, 1<<20)
		for i := 0; i < len(b); i += 4096 {
			b[i] = 1
		}
		keep = append(keep, b)
	}
	fmt.Println("survived", len(keep))
	return 0
}

// gated is a started process that waits for a line on stdin before it
// runs; go lets it.
type gated struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bytes.Buffer
}

func startGated(t *testing.T, cmd *exec.Cmd) *gated {
	t.Helper()
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out := &bytes.Buffer{}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	g := &gated{cmd: cmd, in: in, out: out}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		g.wait()
	})
	return g
}

func (g *gated) pid() int { return g.cmd.Process.Pid }

func (g *gated) go_() {
	_, _ = g.in.Write([]byte("go\n"))
	g.in.Close()
}

// wait waits (once) for the process and returns its status.
func (g *gated) wait() syscall.WaitStatus {
	if g.cmd.ProcessState == nil {
		_ = g.cmd.Wait()
	}
	return g.cmd.ProcessState.Sys().(syscall.WaitStatus)
}

// busybox runs a busybox shell script that waits for its go first.
func busybox(t *testing.T, script string) *gated {
	t.Helper()
	testutil.Requires(t, testutil.Busybox())
	return startGated(t, exec.Command(testutil.BusyboxPath, "sh", "-c", "read x; "+script))
}

// uniqueName is a cgroup name no other test run uses.
func uniqueName(prefix string) string {
	var raw [6]byte
	_, _ = rand.Read(raw[:])
	return prefix + hex.EncodeToString(raw[:])
}

// waitUntil polls cond for up to d.
func waitUntil(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, d)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
