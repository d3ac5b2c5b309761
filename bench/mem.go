package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"
)

// settleTime lets freshly started monitors finish their start-up work
// (allocations, a Go runtime's first GC) before their memory is read.
const settleTime = 2 * time.Second

// memUsage is a process's resident memory in KiB.
type memUsage struct {
	rss, pss float64
}

// benchMem starts p.memCount `sleep 300` containers per tool, alternating,
// and reads the RSS and PSS of each container's monitor (hutch's monitor,
// Podman's conmon), found through `inspect --format {{.State.ConmonPid}}`.
// PSS divides shared pages among the processes that map them, so the sum of
// PSS over a tool's monitors is what they cost together; the row reports
// that sum divided by the number of containers.
func benchMem(ctx context.Context, tools []*tool, p params, mode string) []Result {
	slog.Info("monitor memory", "mode", mode, "containers", p.memCount)
	ids := make([][]string, len(tools))
	errs := make([]error, len(tools))
	for i, t := range tools {
		errs[i] = t.broken
	}
	for n := 0; n < p.memCount && ctx.Err() == nil; n++ {
		for i, t := range tools {
			if errs[i] != nil {
				continue
			}
			_, out, err := t.run(ctx, "run", "-d", "--network", "none", imageRef, "sleep", "300")
			if err != nil {
				errs[i] = err
				continue
			}
			ids[i] = append(ids[i], containerID(out))
		}
	}
	time.Sleep(settleTime)

	rss := Result{Name: fmt.Sprintf("monitor RSS per container (%s)", mode),
		Unit: unitKiB, Stat: statMean, Goal: Goal{Max: 2, Of: "ratio"}}
	pss := rss
	pss.Name = fmt.Sprintf("monitor PSS per container (%s)", mode)
	for i, t := range tools {
		r, s := monitorSeries(ctx, t, ids[i], errs[i])
		if i == 0 {
			rss.Hutch, pss.Hutch = r, s
		} else {
			rss.Podman, pss.Podman = r, s
		}
	}
	return []Result{rss, pss}
}

// monitorSeries reads the memory of the monitor of each container in ids.
func monitorSeries(ctx context.Context, t *tool, ids []string, err error) (rss, pss Series) {
	if err != nil {
		return Series{Err: err.Error()}, Series{Err: err.Error()}
	}
	fail := func(err error) (Series, Series) { return Series{Err: err.Error()}, Series{Err: err.Error()} }
	seen := map[int]bool{}
	for _, id := range ids {
		_, out, err := t.run(ctx, "inspect", "--format", "{{.State.ConmonPid}}", id)
		if err != nil {
			return fail(err)
		}
		pid, err := strconv.Atoi(strings.TrimSpace(out))
		if err != nil || pid <= 0 {
			return fail(fmt.Errorf("container %.12s: monitor pid %q from inspect", id, strings.TrimSpace(out)))
		}
		if seen[pid] {
			return fail(fmt.Errorf("container %.12s: monitor pid %d shared with another container", id, pid))
		}
		seen[pid] = true
		u, err := readMem(pid)
		if err != nil {
			return fail(fmt.Errorf("container %.12s: %w", id, err))
		}
		rss.Samples = append(rss.Samples, u.rss)
		pss.Samples = append(pss.Samples, u.pss)
	}
	return rss, pss
}

// readMem reads a process's Rss and Pss from /proc/PID/smaps_rollup, the
// kernel's pre-summed view of all its mappings.
func readMem(pid int) (memUsage, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/smaps_rollup", pid))
	if err != nil {
		return memUsage{}, fmt.Errorf("monitor memory: %w", err)
	}
	defer f.Close()
	u, err := parseRollup(f)
	if err != nil {
		return memUsage{}, fmt.Errorf("monitor %d: %w", pid, err)
	}
	return u, nil
}

// parseRollup extracts the "Rss:" and "Pss:" lines (in kB) of a
// smaps_rollup document.
func parseRollup(r io.Reader) (memUsage, error) {
	var u memUsage
	found := 0
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) != 3 || fields[2] != "kB" {
			continue
		}
		var dst *float64
		switch fields[0] {
		case "Rss:":
			dst = &u.rss
		case "Pss:":
			dst = &u.pss
		default:
			continue
		}
		v, err := strconv.ParseFloat(fields[1], 64)
		if err != nil {
			return memUsage{}, fmt.Errorf("smaps_rollup %s %q: %w", fields[0], fields[1], err)
		}
		*dst = v
		found++
	}
	if err := sc.Err(); err != nil {
		return memUsage{}, fmt.Errorf("smaps_rollup: %w", err)
	}
	if found != 2 {
		return memUsage{}, fmt.Errorf("smaps_rollup: no Rss and Pss lines")
	}
	return u, nil
}
