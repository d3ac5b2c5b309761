//go:build vm

package vm

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// The acceptance tests of issue 5 on cgroup v2. Each runs twice, as root
// and as the test user in its delegated subtree (tests/vm/init.sh).

// TestMemoryLimitOOMKill: a process allocating past --memory is killed by
// the OOM killer; the container exits 137 and says so in inspect and ps.
func TestMemoryLimitOOMKill(t *testing.T) {
	t.Parallel()
	h := newLoadedEnv(t)
	// dd's 64 MiB buffer is anonymous memory, every page of it touched
	// by one read from /dev/zero: twice the limit.
	r := h.run(t, "run", "--name", "hog", "--memory", "32m", imageName,
		"dd", "if=/dev/zero", "of=/dev/null", "bs=64M", "count=1")
	wantCode(t, r, 137)
	if got, want := h.inspect(t, "hog", "{{.State.OOMKilled}} {{.State.ExitCode}}"), "true 137"; got != want {
		t.Errorf("inspect hog: OOMKilled and ExitCode %q, want %q", got, want)
	}
	if got := h.ok(t, "ps", "-a", "--filter", "name=hog", "--format", "{{.Status}}"); !strings.HasPrefix(got, "Exited (137)") {
		t.Errorf("ps -a: status %q, want Exited (137)", got)
	}
	// Under the limit, the same program is left alone.
	r = h.run(t, "run", "--name", "small", "--memory", "32m", imageName,
		"dd", "if=/dev/zero", "of=/dev/null", "bs=8M", "count=1")
	wantCode(t, r, 0)
	if got, want := h.inspect(t, "small", "{{.State.OOMKilled}}"), "false"; got != want {
		t.Errorf("inspect small: OOMKilled %q, want %q", got, want)
	}
}

// TestPidsLimit: with --pids-limit 10, forking past ten processes fails.
func TestPidsLimit(t *testing.T) {
	t.Parallel()
	h := newLoadedEnv(t)
	// The subshell forks sleeps until ash cannot fork any more (it then
	// exits); the container lives on so that its cgroup can be read.
	script := `(i=0; while [ $i -lt 20 ]; do sleep 1000 & i=$((i+1)); echo started $i; done); echo loop over; exec sleep 1000`
	h.ok(t, "run", "-d", "--name", "forker", "--pids-limit", "10", imageName, "sh", "-c", script)
	var logs string
	eventually(t, time.Minute, func() bool {
		// logs prints the container's stderr, where ash complains, on
		// its own stderr.
		r := h.run(t, "logs", "forker")
		logs = r.Stdout + r.Stderr
		return strings.Contains(logs, "loop over")
	}, func() string { return "the fork loop to end; logs: " + logs })
	started := strings.Count(logs, "started ")
	if started >= 10 || !strings.Contains(logs, "can't fork") {
		t.Errorf("%d sleeps started under --pids-limit 10, want fewer and a fork failure; logs:\n%s", started, logs)
	}
	dir := h.containerCgroup(t, "forker")
	if got := cgroupFile(t, dir, "pids.max"); got != "10" {
		t.Errorf("%s/pids.max = %q, want 10", dir, got)
	}
	// Without the flag the default (2048) leaves room for all twenty.
	r := h.run(t, "run", "--rm", imageName, "sh", "-c", strings.Replace(script, "exec sleep 1000", "true", 1))
	wantCode(t, r, 0)
	if got := strings.Count(r.Stdout, "started "); got != 20 {
		t.Errorf("%d sleeps started without --pids-limit, want 20: %v", got, r)
	}
}

// TestCPUQuota: under --cpus 0.5 a busy loop gets about half a CPU,
// measured from the cgroup's cpu.stat; without it, about a whole one
// (which shows that the measure works under TCG). Not parallel: other
// tests would take CPU time from the loop.
func TestCPUQuota(t *testing.T) {
	h := newLoadedEnv(t)
	busy := []string{imageName, "sh", "-c", "while :; do :; done"}
	h.ok(t, append([]string{"run", "-d", "--name", "half", "--cpus", "0.5"}, busy...)...)
	dir := h.containerCgroup(t, "half")
	if got, want := cgroupFile(t, dir, "cpu.max"), "50000 100000"; got != want {
		t.Errorf("%s/cpu.max = %q, want %q", dir, got, want)
	}
	share := cpuShare(t, dir)
	t.Logf("under --cpus 0.5: %.2f CPUs", share)
	if share < 0.3 || share > 0.7 {
		t.Errorf("a busy loop under --cpus 0.5 got %.2f CPUs, want 0.3 to 0.7", share)
	}
	h.ok(t, "stop", "-t", "0", "half")
	h.ok(t, append([]string{"run", "-d", "--name", "whole"}, busy...)...)
	share = cpuShare(t, h.containerCgroup(t, "whole"))
	t.Logf("without a limit: %.2f CPUs", share)
	if share < 0.8 {
		t.Errorf("a busy loop without a CPU limit got %.2f CPUs, want at least 0.8", share)
	}
}

// cpuShare is the CPU time the cgroup used over about two seconds, in
// CPUs, after half a second for the loop to get going.
func cpuShare(t testing.TB, dir string) float64 {
	t.Helper()
	time.Sleep(500 * time.Millisecond)
	u0, t0 := keyedValue(t, dir, "cpu.stat", "usage_usec"), time.Now()
	time.Sleep(2 * time.Second)
	u1, t1 := keyedValue(t, dir, "cpu.stat", "usage_usec"), time.Now()
	return float64(u1-u0) / float64(t1.Sub(t0).Microseconds())
}

// TestPauseUnpause: a paused container makes no progress (its cgroup is
// frozen) and resumes after unpause.
func TestPauseUnpause(t *testing.T) {
	t.Parallel()
	h := newLoadedEnv(t)
	h.ok(t, "run", "-d", "--name", "ticker", imageName, "sh", "-c", "i=0; while :; do i=$((i+1)); echo $i; sleep 0.2; done")
	count := func() int {
		lines := strings.Fields(h.ok(t, "logs", "ticker"))
		if len(lines) == 0 {
			return 0
		}
		n, _ := strconv.Atoi(lines[len(lines)-1])
		return n
	}
	eventually(t, time.Minute, func() bool { return count() >= 3 }, func() string { return "the counter to reach 3" })
	dir := h.containerCgroup(t, "ticker")
	h.ok(t, "pause", "ticker")
	if got := h.inspect(t, "ticker", "{{.State.Status}}"); got != "paused" {
		t.Errorf("status after pause %q, want paused", got)
	}
	if got := keyedValue(t, dir, "cgroup.events", "frozen"); got != 1 {
		t.Errorf("%s/cgroup.events: frozen %d after pause, want 1", dir, got)
	}
	// Output written just before the freeze may still be on its way.
	time.Sleep(time.Second)
	before := count()
	time.Sleep(2 * time.Second)
	if after := count(); after != before {
		t.Errorf("the counter went from %d to %d while the container was paused", before, after)
	}
	h.ok(t, "unpause", "ticker")
	if got := h.inspect(t, "ticker", "{{.State.Status}}"); got != "running" {
		t.Errorf("status after unpause %q, want running", got)
	}
	eventually(t, 30*time.Second, func() bool { return count() > before+2 },
		func() string { return fmt.Sprintf("the counter to pass %d after unpause", before+2) })
	if got := keyedValue(t, dir, "cgroup.events", "frozen"); got != 0 {
		t.Errorf("%s/cgroup.events: frozen %d after unpause, want 0", dir, got)
	}
}

// TestUpdateMemory: hutch update raises a running container's memory
// limit in its cgroup, without restarting it.
func TestUpdateMemory(t *testing.T) {
	t.Parallel()
	h := newLoadedEnv(t)
	h.ok(t, "run", "-d", "--name", "grow", "--memory", "64m", imageName, "sleep", "1000")
	pid := h.pid(t, "grow")
	dir := h.containerCgroup(t, "grow")
	if got := cgroupFile(t, dir, "memory.max"); got != "67108864" {
		t.Errorf("%s/memory.max = %q before update, want 67108864", dir, got)
	}
	h.ok(t, "update", "--memory", "128m", "grow")
	if got := cgroupFile(t, dir, "memory.max"); got != "134217728" {
		t.Errorf("%s/memory.max = %q after update, want 134217728", dir, got)
	}
	got := h.inspect(t, "grow", "{{.State.Status}} {{.State.Pid}} {{.HostConfig.Memory}}")
	if want := fmt.Sprintf("running %d 134217728", pid); got != want {
		t.Errorf("inspect after update: %q, want %q (status, same pid, the new limit)", got, want)
	}
}

// TestCgroupRemoved: a container's cgroup (hutch-<id>.scope, under
// "hutch" as root and in the delegated subtree rootless) is gone after
// rm, and after the container exits on its own.
func TestCgroupRemoved(t *testing.T) {
	t.Parallel()
	h := newLoadedEnv(t)
	id := h.ok(t, "run", "-d", "--name", "gone", imageName, "sleep", "1000")
	dir := h.containerCgroup(t, "gone")
	if got, want := filepath.Base(dir), "hutch-"+id+".scope"; got != want {
		t.Errorf("the container's cgroup is %s, want one named %s", dir, want)
	}
	parent := cgroupRoot + "/hutch/"
	if rootless() {
		parent = userService + "/"
	}
	if !strings.HasPrefix(dir, parent) {
		t.Errorf("the container's cgroup %s is not under %s", dir, parent)
	}
	h.ok(t, "rm", "-f", "gone")
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("%s is still there after rm -f (stat: %v)", dir, err)
	}
	id = h.ok(t, "run", "-d", "--name", "brief", imageName, "true")
	h.waitStatus(t, "brief", "exited", time.Minute)
	var left []string
	eventually(t, 30*time.Second, func() bool {
		left = cgroupsNamed(id)
		return len(left) == 0
	}, func() string { return fmt.Sprintf("the cgroups of exited container %s to go: %v", id, left) })
}

// TestStatsTop: stats and top read a running container's cgroup.
func TestStatsTop(t *testing.T) {
	t.Parallel()
	h := newLoadedEnv(t)
	h.ok(t, "run", "-d", "--name", "idle", "--memory", "64m", imageName, "sleep", "1000")
	if out := h.ok(t, "stats", "--no-stream", "idle"); !strings.Contains(out, "idle") {
		t.Errorf("stats --no-stream idle does not show the container:\n%s", out)
	}
	if out := h.ok(t, "top", "idle"); !strings.Contains(out, "sleep 1000") {
		t.Errorf("top idle does not show its process:\n%s", out)
	}
}

// TestControllerDelegation: root has every controller, so --cpuset-cpus
// is enforced; the test user's subtree lacks io and cpuset (systemd
// delegates memory, pids and cpu), so a limit on them is refused with an
// error naming the controller, and a plain run still works.
func TestControllerDelegation(t *testing.T) {
	t.Parallel()
	h := newLoadedEnv(t)
	if !rootless() {
		h.ok(t, "run", "-d", "--name", "pinned", "--cpuset-cpus", "0", imageName, "sleep", "1000")
		dir := h.containerCgroup(t, "pinned")
		if got := cgroupFile(t, dir, "cpuset.cpus"); got != "0" {
			t.Errorf("%s/cpuset.cpus = %q, want 0", dir, got)
		}
		return
	}
	for _, tc := range []struct{ flag, value, controller string }{
		{"--blkio-weight", "300", "io"},
		{"--cpuset-cpus", "0", "cpuset"},
	} {
		r := h.run(t, "run", "--rm", tc.flag, tc.value, imageName, "true")
		wantCode(t, r, 125)
		// One line, as every hutch error (DESIGN.md §5).
		msg, rest, _ := strings.Cut(strings.TrimRight(r.Stderr, "\n"), "\n")
		named := regexp.MustCompile(`\b` + tc.controller + `\b`)
		if !named.MatchString(msg) || !strings.Contains(strings.ToLower(msg), "delegat") || rest != "" {
			t.Errorf("%s %s: want one line naming the %s controller and delegation, got %q (and %d more bytes)",
				tc.flag, tc.value, tc.controller, msg, len(rest))
		}
	}
	wantCode(t, h.run(t, "run", "--rm", imageName, "true"), 0)
}

// TestOwnCgroupView: in its own cgroup namespace (cgroup v2's default) a
// container sees its cgroup as the root, both in /proc/self/cgroup and in
// a read-only /sys/fs/cgroup that holds its limits, where runtimes such as
// the JVM look for them.
func TestOwnCgroupView(t *testing.T) {
	t.Parallel()
	h := newLoadedEnv(t)
	out := h.ok(t, "run", "--rm", "--memory", "32m", imageName, "sh", "-c",
		"cat /proc/self/cgroup /sys/fs/cgroup/memory.max; mkdir /sys/fs/cgroup/x 2>/dev/null || echo read-only")
	want := []string{"0::/", "33554432", "read-only"}
	if diff := cmp.Diff(strings.Split(out, "\n"), want); diff != "" {
		t.Errorf("the container's view of its cgroup (-got +want):\n%s", diff)
	}
	// With --cgroupns host it sees the host's tree instead.
	if got := h.ok(t, "run", "--rm", "--cgroupns", "host", imageName, "cat", "/proc/self/cgroup"); got == "0::/" {
		t.Errorf("--cgroupns host: /proc/self/cgroup is %q, want the container's path in the host's tree", got)
	}
}

// TestOOMWhileRunning: an OOM kill inside a container that goes on shows
// in inspect while it runs.
func TestOOMWhileRunning(t *testing.T) {
	t.Parallel()
	h := newLoadedEnv(t)
	h.ok(t, "run", "-d", "--name", "goes-on", "--memory", "32m", imageName, "sh", "-c",
		"dd if=/dev/zero of=/dev/null bs=64M count=1; sleep 1000")
	var got string
	eventually(t, 60*time.Second, func() bool {
		got = h.inspect(t, "goes-on", "{{.State.Status}} {{.State.OOMKilled}}")
		return got == "running true"
	}, func() string { return "inspect to say running and OOMKilled; last: " + got })
	h.ok(t, "rm", "-f", "goes-on")
}
