package main

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/moby/sys/mountinfo"
	"golang.org/x/sys/unix"
)

// ourProcesses lists the processes this run started that are still alive:
// those whose command line, environment, root, working directory or an open
// file names dir, the run's unique temporary directory. That covers monitors and
// conmon (their arguments and environment point into dir), Podman's
// rootless pause process and hutch's namespace holder (their environment),
// and container processes (their root is an overlay under dir). The caller
// and its ancestors are left out: they name dir in their arguments.
func ourProcesses(dir string) []int {
	skip := ancestors()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || skip[pid] {
			continue
		}
		if mentions(pid, dir) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// mentions reports whether a process refers to a path below dir. The
// trailing slash keeps /tmp/x.12 from matching /tmp/x.123.
func mentions(pid int, dir string) bool {
	dir = strings.TrimSuffix(dir, "/") + "/"
	base := fmt.Sprintf("/proc/%d/", pid)
	needle := []byte(dir)
	for _, f := range []string{"cmdline", "environ"} {
		// Unreadable files (another user's process, a process that just
		// exited) simply do not match.
		if b, err := os.ReadFile(base + f); err == nil && bytes.Contains(b, needle) {
			return true
		}
	}
	links := []string{base + "root", base + "cwd"}
	// Open files too: a namespace holder or monitor that scrubbed its
	// environment still holds its lock file in the run directory.
	if fds, err := os.ReadDir(base + "fd"); err == nil {
		for _, fd := range fds {
			links = append(links, base+"fd/"+fd.Name())
		}
	}
	for _, l := range links {
		if target, err := os.Readlink(l); err == nil && strings.HasPrefix(target, dir) {
			return true
		}
	}
	return false
}

// ancestors returns this process and every process above it.
func ancestors() map[int]bool {
	set := map[int]bool{}
	for pid := os.Getpid(); pid > 1 && !set[pid]; {
		set[pid] = true
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			break
		}
		// The command name in parentheses may contain spaces: the fields
		// after the last ')' are state, then ppid.
		fields := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
		if len(fields) < 2 {
			break
		}
		if pid, err = strconv.Atoi(fields[1]); err != nil {
			break
		}
	}
	return set
}

// killLeftovers ends this run's remaining processes, by pid. It first
// lets them settle: right after `rm -fa`, conmon may still be running
// Podman's exit command (`podman container cleanup`), which holds locks in
// Podman's host-wide shared-memory lock segment; killing it there could
// leave a lock that other users of Podman on this host then wait for. Once
// the set of processes has stopped changing (what remains is a pause
// process or a namespace holder, which would never exit by itself), they
// get SIGTERM, and SIGKILL if they are still alive a moment later.
func killLeftovers(dir string) {
	pids := settle(dir, 2*time.Second, 20*time.Second)
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL} {
		if len(pids) == 0 {
			return
		}
		slog.Info("ending leftover processes", "signal", sig, "procs", describe(pids))
		for _, pid := range pids {
			_ = syscall.Kill(pid, sig)
		}
		pids = waitGone(dir, 2*time.Second)
	}
	if len(pids) > 0 {
		slog.Warn("processes survived cleanup", "procs", describe(pids))
	}
}

// settle polls this run's processes until the set has been unchanged for
// quiet, or until limit, and returns it.
func settle(dir string, quiet, limit time.Duration) []int {
	pids := ourProcesses(dir)
	start, since := time.Now(), time.Now()
	for len(pids) > 0 && time.Since(since) < quiet && time.Since(start) < limit {
		time.Sleep(100 * time.Millisecond)
		cur := ourProcesses(dir)
		if !slices.Equal(cur, pids) {
			pids, since = cur, time.Now()
		}
	}
	return pids
}

// waitGone polls until none of this run's processes is left or limit has
// passed, and returns those still alive.
func waitGone(dir string, limit time.Duration) []int {
	start := time.Now()
	pids := ourProcesses(dir)
	for len(pids) > 0 && time.Since(start) < limit {
		time.Sleep(100 * time.Millisecond)
		pids = ourProcesses(dir)
	}
	return pids
}

// describe names processes as pid/comm for the log.
func describe(pids []int) string {
	parts := make([]string, len(pids))
	for i, pid := range pids {
		comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
		parts[i] = fmt.Sprintf("%d/%s", pid, strings.TrimSpace(string(comm)))
	}
	return strings.Join(parts, " ")
}

// unmountUnder detaches every mount at or below dir, deepest first, in this
// process's (private) mount namespace.
func unmountUnder(dir string) error {
	mounts, err := mountinfo.GetMounts(mountinfo.PrefixFilter(dir))
	if err != nil {
		return fmt.Errorf("mount table: %w", err)
	}
	sort.Slice(mounts, func(i, j int) bool { return len(mounts[i].Mountpoint) > len(mounts[j].Mountpoint) })
	var errs []error
	for _, m := range mounts {
		// MNT_DETACH: a mount still busy for a moment (a process being
		// killed) goes away once its last user does.
		if err := unix.Unmount(m.Mountpoint, unix.MNT_DETACH); err != nil && !errors.Is(err, unix.EINVAL) {
			errs = append(errs, fmt.Errorf("unmount %s: %w", m.Mountpoint, err))
		}
	}
	return errors.Join(errs...)
}

// privateBinds hides host paths that root Podman writes to regardless of
// --root/--runroot/--tmpdir behind empty directories of this run, in this
// (private) mount namespace: /var/lib/containers holds c/image's blob-info
// cache, written by `podman import`, and /run/runc is runc's state
// directory. A missing path is left alone: this harness never creates
// directories on the host. It returns the paths it covered.
func privateBinds(dir string) ([]string, error) {
	var bound []string
	for _, p := range []string{"/var/lib/containers", "/run/runc"} {
		if fi, err := os.Stat(p); err != nil || !fi.IsDir() {
			continue
		}
		src := filepath.Join(dir, "binds", strings.ReplaceAll(strings.Trim(p, "/"), "/", "_"))
		if err := os.MkdirAll(src, 0o700); err != nil {
			return bound, fmt.Errorf("private bind for %s: %w", p, err)
		}
		if err := unix.Mount(src, p, "", unix.MS_BIND, ""); err != nil {
			return bound, fmt.Errorf("private bind for %s: %w", p, err)
		}
		bound = append(bound, p)
	}
	return bound, nil
}

// unbind undoes privateBinds, so that dir can be removed; the namespace
// dies with the run anyway.
func unbind(paths []string) {
	for _, p := range paths {
		_ = unix.Unmount(p, unix.MNT_DETACH)
	}
}
