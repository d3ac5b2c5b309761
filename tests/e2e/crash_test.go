//go:build e2e

package e2e

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// checkTruthful fails the test if `ps -a` calls a container running whose
// process or monitor is dead.
func checkTruthful(t *testing.T, h *hutchEnv) {
	t.Helper()
	var rows []struct {
		ID    string `json:"Id"`
		Names []string
		State string
		Pid   int
	}
	if err := json.Unmarshal([]byte(h.ok(t, "ps", "-a", "--format", "json")), &rows); err != nil {
		t.Fatalf("ps -a --format json: %v", err)
	}
	for _, r := range rows {
		if r.State != "running" {
			continue
		}
		mon, _ := strconv.Atoi(h.inspect(t, r.ID, "{{.State.ConmonPid}}"))
		if !procAlive(r.Pid) || !procAlive(mon) {
			t.Errorf("ps -a says %v is running, but its process %d (alive %v) or monitor %d (alive %v) is dead",
				r.Names, r.Pid, procAlive(r.Pid), mon, procAlive(mon))
		}
	}
}

func TestCrashMonitor(t *testing.T) {
	t.Parallel()
	h := newLoadedEnv(t)
	h.runDetached(t, "--stop-timeout", "1", "--name", "orphan", imageName, "sleep", "1000")
	pid, _ := strconv.Atoi(h.inspect(t, "orphan", "{{.State.Pid}}"))
	mon, _ := strconv.Atoi(h.inspect(t, "orphan", "{{.State.ConmonPid}}"))
	if !procAlive(mon) || !procAlive(pid) {
		t.Fatalf("monitor %d or container %d not running", mon, pid)
	}
	if err := syscall.Kill(mon, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, func() bool { return !procAlive(pid) },
		func() string { return "the container's process to die with its monitor" })
	if got := h.inspect(t, "orphan", "{{.State.Status}} {{.State.Running}}"); got != "exited false" {
		t.Errorf("after the monitor was killed, inspect says %q, want exited false", got)
	}
	if got := h.ok(t, "ps", "-a", "--format", "{{.Names}} {{.State}}"); got != "orphan exited" {
		t.Errorf("ps -a: %q", got)
	}
	checkTruthful(t, h)
	h.ok(t, "rm", "-f", "orphan")
	h.checkNoLeaks(t)
	h.ok(t, "run", "--rm", "--name", "orphan", imageName, "true")
}

// TestCrashRunMidStart kills `hutch run` at several moments of its work.
// Whatever state it leaves, the next commands tell the truth about it and
// clean it up, and the names become free.
func TestCrashRunMidStart(t *testing.T) {
	t.Parallel()
	h := newLoadedEnv(t)
	delays := []time.Duration{0, 10, 25, 50, 75, 100, 150, 200, 300, 500, 800, 1200}
	var names []string
	for i, d := range delays {
		name := fmt.Sprintf("crash-%d", i)
		names = append(names, name)
		// Half of the runs are detached, half in the foreground. A short
		// stop timeout keeps rm -f of the survivors quick (sleep as pid 1
		// ignores SIGTERM).
		args := []string{"run", "--stop-timeout", "1", "--name", name, imageName, "sleep", "1000"}
		if i%2 == 0 {
			args = append([]string{"run", "-d"}, args[1:]...)
		}
		c := h.command(t.Context(), args...)
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(d * time.Millisecond)
		c.Process.Signal(syscall.SIGKILL)
		c.Wait()
	}
	checkTruthful(t, h)
	r := h.runWith(t, runOpts{Timeout: 2 * time.Minute}, "rm", "-fa")
	wantCode(t, r, 0)
	if got := h.ok(t, "ps", "-a", "-q"); got != "" {
		t.Errorf("rm -fa left %q", got)
	}
	h.checkNoLeaks(t)
	for _, name := range names {
		h.ok(t, "run", "--rm", "--name", name, imageName, "true")
	}
}

// holderPids returns the namespace holder's processes: by role, and the
// child pid rootlesskit records in its state directory under the run root.
func holderPids(h *hutchEnv) map[int]bool {
	out := map[int]bool{}
	for pid, role := range testProcesses(h.dir) {
		if isHolderRole(role) {
			out[pid] = true
		}
	}
	for _, root := range holderRoots(h) {
		filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
			if err == nil && fi.Name() == "child_pid" {
				data, _ := os.ReadFile(p)
				if pid, err := strconv.Atoi(strings.TrimSpace(string(data))); err == nil && procAlive(pid) {
					out[pid] = true
				}
			}
			return nil
		})
	}
	return out
}

// holderRoots are where the holder of h may keep its instances: under the
// run directory, or, when that path is too long for a unix socket, in a
// directory named for it under $TMPDIR or /tmp (pkg/slirp's
// holderRootPath).
func holderRoots(h *hutchEnv) []string {
	sum := sha256.Sum256([]byte(h.runroot))
	name := fmt.Sprintf("hutch-holder-%d-%x", os.Getuid(), sum[:6])
	return []string{h.runroot, filepath.Join(h.dir, "tmp", name), filepath.Join("/tmp", name)}
}

func TestCrashHolder(t *testing.T) {
	if !rootless() {
		t.Skip("the namespace holder exists only in rootless mode; this is the root lane")
	}
	t.Parallel()
	h := newLoadedEnv(t)
	h.runDetached(t, "--stop-timeout", "1", "--name", "before", imageName, "sleep", "1000")
	old := holderPids(h)
	if len(old) == 0 {
		t.Fatalf("no namespace holder process found for %s", h.runroot)
	}
	for pid := range old {
		syscall.Kill(pid, syscall.SIGKILL)
	}
	eventually(t, 10*time.Second, func() bool {
		for pid := range old {
			if procAlive(pid) {
				return false
			}
		}
		return true
	}, func() string { return "the holder to die" })
	// The next command starts a new holder.
	h.ok(t, "run", "--rm", imageName, "true")
	for pid := range holderPids(h) {
		if old[pid] {
			t.Errorf("holder process %d survived SIGKILL", pid)
		}
	}
	if len(holderPids(h)) == 0 {
		t.Errorf("no new holder after a command")
	}
	checkTruthful(t, h)
	h.runDetached(t, "--stop-timeout", "1", "--name", "after", imageName, "sleep", "1000")
	h.ok(t, "rm", "-f", "before", "after")
	h.checkNoLeaks(t)
}
