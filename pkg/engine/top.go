package engine

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"

	"github.com/hutchctr/hutch/pkg/errdefs"
	"github.com/hutchctr/hutch/pkg/state"
)

// TopResult is `hutch top`'s table: the columns ps printed and the rows of
// the container's processes.
type TopResult struct {
	Titles    []string   `json:"Titles"`
	Processes [][]string `json:"Processes"`
}

// Top lists a running container's processes the way Docker does: it runs
// the host's ps with psArgs (default -ef) and keeps the rows of the
// container's processes, those in its pid namespace or its cgroup.
func (e *Engine) Top(ctx context.Context, ref string, psArgs []string) (*TopResult, error) {
	if e.paths.Rootless {
		// Processes that run as the container's other users belong to
		// subordinate ids: only the namespace holder's root may read
		// their /proc entries. (Joining re-executes: before anything.)
		if _, err := e.images(ctx); err != nil {
			return nil, err
		}
	}
	c, err := e.state.Get(ref)
	if err != nil {
		return nil, err
	}
	if c = e.reconcile(ctx, c); !c.State.Status.Active() {
		return nil, errdefs.Errorf(errdefs.ErrConflict, "container %s is not running", c.Config.Name)
	}
	pids, err := e.containerPids(c)
	if err != nil {
		return nil, err
	}
	if len(psArgs) == 0 {
		psArgs = []string{"-ef"}
	}
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "ps", psArgs...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		msg := strings.TrimSpace(strings.SplitN(stderr.String(), "\n", 2)[0])
		return nil, errdefs.Errorf(errdefs.ErrInvalidArgument, "ps %s: %v: %s", strings.Join(psArgs, " "), err, msg)
	}
	return filterPS(out, pids)
}

// containerPids returns the pids of a running container: the members of
// its init's pid namespace (exec'd processes included) and of its cgroup.
func (e *Engine) containerPids(c *state.Container) (map[int]bool, error) {
	pids := map[int]bool{}
	if st, err := procStartTime(c.State.Pid); err != nil || st != c.State.PidStart {
		return nil, errdefs.Errorf(errdefs.ErrConflict, "container %s is not running: its process %d is gone", c.Config.Name, c.State.Pid)
	}
	pids[c.State.Pid] = true
	if err := addPidNSMembers(pids, c.State.Pid); err != nil {
		return nil, fmt.Errorf("processes of container %s: %w", c.Config.Name, err)
	}
	if hasCgroup(c.State) {
		procs, err := e.cgroups().Open(*c.State.Cgroup).Procs()
		if err != nil {
			return nil, fmt.Errorf("processes of container %s: %w", c.Config.Name, err)
		}
		for _, p := range procs {
			pids[p] = true
		}
	}
	return pids, nil
}

// addPidNSMembers adds the processes whose pid namespace is init's, when
// init has one of its own (not ours).
func addPidNSMembers(pids map[int]bool, init int) error {
	ns, err := os.Readlink("/proc/" + strconv.Itoa(init) + "/ns/pid")
	if err != nil {
		return err
	}
	if self, err := os.Readlink("/proc/self/ns/pid"); err != nil || self == ns {
		return err // the host's pid namespace: its members are not the container's
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return err
	}
	for _, d := range entries {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		// Processes that exit meanwhile, or that we may not inspect, are
		// skipped.
		if link, err := os.Readlink("/proc/" + d.Name() + "/ns/pid"); err == nil && link == ns {
			pids[pid] = true
		}
	}
	return nil
}

// filterPS keeps the header of ps's output and the rows whose PID is in
// pids. The last column (the command) may contain spaces: a row's extra
// fields are joined into it.
func filterPS(out []byte, pids map[int]bool) (*TopResult, error) {
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	titles := strings.Fields(lines[0])
	col := -1
	for i, t := range titles {
		if t == "PID" {
			col = i
			break
		}
	}
	if col < 0 {
		return nil, errdefs.Errorf(errdefs.ErrInvalidArgument, "ps printed no PID column: give options that print it, such as -ef or aux")
	}
	res := &TopResult{Titles: titles, Processes: [][]string{}}
	for _, line := range lines[1:] {
		fields := strings.Fields(line)
		if len(fields) <= col {
			continue
		}
		pid, err := strconv.Atoi(fields[col])
		if err != nil {
			return nil, errdefs.Errorf(errdefs.ErrInvalidArgument, "ps printed %q in its PID column", fields[col])
		}
		if !pids[pid] {
			continue
		}
		if n := len(titles); len(fields) > n {
			fields = append(fields[:n-1], strings.Join(fields[n-1:], " "))
		}
		res.Processes = append(res.Processes, fields)
	}
	return res, nil
}
