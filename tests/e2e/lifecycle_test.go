//go:build e2e

package e2e

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestCreateStart(t *testing.T) {
	t.Parallel()
	h := newLoadedEnv(t)
	id := h.ok(t, "create", "--name", "c1", imageName, "echo", "hello")
	if !fullIDRE.MatchString(id) {
		t.Fatalf("create printed %q, want the full ID", id)
	}
	if got := h.ok(t, "ps", "-a", "--format", "{{.Names}} {{.Status}}"); got != "c1 Created" {
		t.Errorf("ps -a after create: %q", got)
	}
	if got := h.inspect(t, "c1", "{{.State.Status}}"); got != "created" {
		t.Errorf("state after create: %q", got)
	}
	if got := h.ok(t, "start", "c1"); got != "c1" {
		t.Errorf("start printed %q, want the name given", got)
	}
	h.waitStatus(t, "c1", "exited", 30*time.Second)
	if got := h.ok(t, "logs", "c1"); got != "hello" {
		t.Errorf("logs: %q", got)
	}
	// start -a of an exited container runs it again, attached.
	r := h.run(t, "start", "-a", "c1")
	wantCode(t, r, 0)
	if r.Stdout != "hello\n" {
		t.Errorf("start -a: %q", r.Stdout)
	}
	h.ok(t, "create", "-i", "--name", "c2", imageName, "sh", "-c", "read x; echo got-$x; exit 3")
	r = h.runWith(t, runOpts{Stdin: "abc\n"}, "start", "-a", "-i", "c2")
	wantCode(t, r, 3)
	if r.Stdout != "got-abc\n" {
		t.Errorf("start -a -i: %q", r.Stdout)
	}
}

func TestStop(t *testing.T) {
	t.Parallel()
	h := newLoadedEnv(t)
	t.Run("ignores SIGTERM", func(t *testing.T) {
		t.Parallel()
		h.runDetached(t, "--name", "stubborn", imageName, "sh", "-c", `trap "" TERM; sleep 100`)
		r := h.run(t, "stop", "-t", "2", "stubborn")
		wantCode(t, r, 0)
		if r.Out() != "stubborn" {
			t.Errorf("stop printed %q", r.Out())
		}
		if r.Took < 1800*time.Millisecond || r.Took > 15*time.Second {
			t.Errorf("stop -t 2 took %v, want about 2 s (SIGTERM, wait, SIGKILL)", r.Took)
		}
		if got := h.inspect(t, "stubborn", "{{.State.Status}} {{.State.ExitCode}}"); got != "exited 137" {
			t.Errorf("after stop: %q, want exited 137", got)
		}
		times := strings.Fields(h.inspect(t, "stubborn", `{{.State.StartedAt.Format "2006-01-02T15:04:05.999999999Z07:00"}} {{.State.FinishedAt.Format "2006-01-02T15:04:05.999999999Z07:00"}}`))
		if len(times) != 2 {
			t.Fatalf("StartedAt and FinishedAt: %q", times)
		}
		started, err1 := time.Parse(time.RFC3339Nano, times[0])
		finished, err2 := time.Parse(time.RFC3339Nano, times[1])
		if err1 != nil || err2 != nil || finished.Sub(started) < 1800*time.Millisecond || time.Since(finished) > time.Minute {
			t.Errorf("the monitor recorded start %s and finish %s (%v %v)", times[0], times[1], err1, err2)
		}
		if got := h.ok(t, "ps", "-a", "--filter", "name=stubborn", "--format", "{{.Status}}"); !strings.HasPrefix(got, "Exited (137)") {
			t.Errorf("ps status %q", got)
		}
	})
	t.Run("handles SIGTERM", func(t *testing.T) {
		t.Parallel()
		h.runDetached(t, "--name", "polite", imageName, "sh", "-c", `trap "exit 0" TERM; echo ready; while true; do sleep 0.1; done`)
		// pid 1 ignores signals it has no handler for: wait for the trap.
		waitForLog(t, h, "polite", "ready")
		r := h.run(t, "stop", "-t", "10", "polite")
		wantCode(t, r, 0)
		if r.Took > 8*time.Second {
			t.Errorf("stop of a container that exits on SIGTERM took %v", r.Took)
		}
		if got := h.inspect(t, "polite", "{{.State.ExitCode}}"); got != "0" {
			t.Errorf("exit code after SIGTERM: %s", got)
		}
	})
}

func TestKill(t *testing.T) {
	t.Parallel()
	h := newLoadedEnv(t)
	k1 := h.runDetached(t, "--name", "k1", imageName, "sh", "-c",
		`trap "echo got-usr1" USR1; trap "exit 3" TERM; echo ready; while true; do sleep 0.1; done`)
	waitForLog(t, h, "k1", "ready")
	h.ok(t, "kill", "-s", "USR1", "k1")
	eventually(t, 10*time.Second, func() bool { return strings.Contains(h.run(t, "logs", "k1").Stdout, "got-usr1") },
		func() string { return "the USR1 trap to print to the log" })
	if got := h.inspect(t, "k1", "{{.State.Status}}"); got != "running" {
		t.Errorf("after USR1: %s", got)
	}
	h.ok(t, "kill", "--signal", "15", "k1")
	h.waitStatus(t, "k1", "exited", 10*time.Second)
	if got := h.inspect(t, "k1", "{{.State.ExitCode}}"); got != "3" {
		t.Errorf("exit code after the TERM trap: %s", got)
	}
	wantUserErrorAny(t, h.run(t, "kill", "k1"), 125, "k1", k1[:12])
	// The default signal is SIGKILL.
	h.runDetached(t, "--name", "k2", imageName, "sleep", "100")
	h.ok(t, "kill", "k2")
	h.waitStatus(t, "k2", "exited", 10*time.Second)
	if got := h.inspect(t, "k2", "{{.State.ExitCode}}"); got != "137" {
		t.Errorf("exit code after kill: %s", got)
	}
}

func TestRestart(t *testing.T) {
	t.Parallel()
	h := newLoadedEnv(t)
	h.runDetached(t, "--name", "r1", imageName, "sleep", "100")
	before := h.inspect(t, "r1", "{{.State.Pid}}")
	h.ok(t, "restart", "-t", "1", "r1")
	after := h.inspect(t, "r1", "{{.State.Status}} {{.State.Pid}}")
	if status, pid, _ := strings.Cut(after, " "); status != "running" || pid == before {
		t.Errorf("after restart: %q (pid before %s)", after, before)
	}
	pid, _ := strconv.Atoi(strings.Fields(after)[1])
	if !procAlive(pid) {
		t.Errorf("restarted container's pid %d is not alive", pid)
	}
	// An exited container is started again.
	h.ok(t, "run", "--name", "r2", imageName, "echo", "hi")
	h.ok(t, "restart", "r2")
	eventually(t, 20*time.Second, func() bool { return h.run(t, "logs", "r2").Stdout == "hi\nhi\n" },
		func() string { return "the restarted container's second run in its log" })
}

func TestRm(t *testing.T) {
	t.Parallel()
	h := newLoadedEnv(t)
	h.ok(t, "create", "--name", "a", imageName, "true")
	if got := h.ok(t, "rm", "a"); got != "a" {
		t.Errorf("rm printed %q", got)
	}
	wantUserError(t, h.run(t, "inspect", "a"), 125, "a")
	id := h.runDetached(t, "--name", "busy", imageName, "sleep", "100")
	pid, _ := strconv.Atoi(h.inspect(t, "busy", "{{.State.Pid}}"))
	// rm's exit codes are Podman's (podman-rm(1)): 2 for a running
	// container, 1 for one that does not exist.
	wantUserErrorAny(t, h.run(t, "rm", "busy"), 2, "busy", id[:12])
	if got := h.inspect(t, "busy", "{{.State.Status}}"); got != "running" {
		t.Errorf("a refused rm changed the container: %s", got)
	}
	if got := h.ok(t, "rm", "-f", id[:12]); got != id[:12] {
		t.Errorf("rm -f printed %q", got)
	}
	eventually(t, 10*time.Second, func() bool { return !procAlive(pid) },
		func() string { return "the removed container's process to die" })
	h.ok(t, "create", "--name", "x", imageName, "true")
	h.ok(t, "run", "--name", "y", imageName, "true")
	h.ok(t, "rm", "--all")
	if got := h.ok(t, "ps", "-a", "-q"); got != "" {
		t.Errorf("rm --all left %q", got)
	}
	wantUserError(t, h.run(t, "rm", "no-such-container"), 1, "no-such-container")
	h.checkNoLeaks(t)
}

func TestWait(t *testing.T) {
	t.Parallel()
	h := newLoadedEnv(t)
	h.runDetached(t, "--name", "w1", imageName, "sh", "-c", "sleep 1; exit 9")
	h.runDetached(t, "--name", "w2", imageName, "sh", "-c", "sleep 1; exit 4")
	r := h.run(t, "wait", "w1", "w2")
	wantCode(t, r, 0)
	if r.Stdout != "9\n4\n" {
		t.Errorf("wait printed %q, want each exit code", r.Stdout)
	}
}

func TestRename(t *testing.T) {
	t.Parallel()
	h := newLoadedEnv(t)
	h.ok(t, "create", "--name", "old", imageName, "true")
	h.ok(t, "create", "--name", "taken", imageName, "true")
	h.ok(t, "rename", "old", "new")
	if got := h.inspect(t, "new", "{{.Name}}"); got != "new" {
		t.Errorf("inspect .Name after rename: %q", got)
	}
	wantUserError(t, h.run(t, "inspect", "old"), 125, "old")
	wantUserError(t, h.run(t, "rename", "new", "taken"), 125, "taken")
	wantUserError(t, h.run(t, "rename", "new", "bad name"), 125, "bad name")
	// The old name is free again.
	h.ok(t, "create", "--name", "old", imageName, "true")
	got := h.ok(t, "ps", "-a", "--format", "{{.Names}}")
	if strings.Join(sortedFields(got), " ") != "new old taken" {
		t.Errorf("names after rename: %q", got)
	}
}

func TestAttach(t *testing.T) {
	t.Parallel()
	h := newLoadedEnv(t)
	h.runDetached(t, "-i", "--name", "a1", imageName, "sh", "-c", "read x; echo got-$x; exit 5")
	r := h.runWith(t, runOpts{Stdin: "hi\n"}, "attach", "a1")
	wantCode(t, r, 5)
	if r.Stdout != "got-hi\n" {
		t.Errorf("attach: %q", r.Stdout)
	}
	h.runDetached(t, "--name", "a2", imageName, "sh", "-c", "sleep 3; echo late; echo late-err >&2")
	r = h.run(t, "attach", "--no-stdin", "a2")
	wantCode(t, r, 0)
	if r.Stdout != "late\n" || !strings.Contains(r.Stderr, "late-err") {
		t.Errorf("attach: output the container produced while attached: %v", r)
	}
}

// waitForLog waits until the container's log contains want.
func waitForLog(t *testing.T, h *hutchEnv, name, want string) {
	t.Helper()
	eventually(t, 10*time.Second, func() bool { return strings.Contains(h.run(t, "logs", name).Stdout, want) },
		func() string { return fmt.Sprintf("%q in the log of %s", want, name) })
}
