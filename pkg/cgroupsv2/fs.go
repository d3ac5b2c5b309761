package cgroupsv2

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/hutchctr/hutch/internal/kfile"
	"github.com/hutchctr/hutch/pkg/errdefs"
)

// writeSetting writes s to its file in dir, or s.alt when the file does
// not exist and the alternative does.
func writeSetting(dir string, s setting) error {
	path := filepath.Join(dir, s.file)
	err := writeFile(path, s.value)
	if err == nil {
		return nil
	}
	if errors.Is(err, os.ErrNotExist) {
		if s.alt != nil && fileExists(filepath.Join(dir, s.alt.file)) {
			return writeSetting(dir, *s.alt)
		}
		if err := statDir(dir); err != nil {
			return err
		}
		return errdefs.Errorf(errdefs.ErrNotImplemented, "%s: %s does not exist: the kernel does not offer this limit", s.flag, path)
	}
	return classify(err, "%s: write %q to %s: %w", s.flag, s.value, path, err)
}

// writeFile writes value to an existing file in one write(2), as the
// cgroup filesystem wants; it never creates the file.
func writeFile(path, value string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		return err
	}
	_, err = f.WriteString(value)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// appendFile writes value to an existing file in one write(2) at its end:
// the cgroup filesystem ignores the position, and a fake tree keeps a
// record of every write (cgroup.subtree_control).
func appendFile(path, value string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return err
	}
	_, err = f.WriteString(value)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// classify wraps err's message in the error class its errno belongs to.
func classify(err error, format string, args ...any) error {
	var class error
	switch {
	case errors.Is(err, unix.EACCES), errors.Is(err, unix.EPERM), errors.Is(err, unix.EROFS):
		class = errdefs.ErrPermission
	case errors.Is(err, unix.EINVAL), errors.Is(err, unix.ERANGE), errors.Is(err, unix.EOVERFLOW):
		class = errdefs.ErrInvalidArgument
	case errors.Is(err, unix.EBUSY):
		class = errdefs.ErrConflict
	case errors.Is(err, unix.ENOENT), errors.Is(err, unix.ESRCH):
		class = errdefs.ErrNotFound
	default:
		return fmt.Errorf(format, args...)
	}
	return errdefs.Errorf(class, format, args...)
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// statDir fails with ErrNotFound when the cgroup directory dir is gone.
func statDir(dir string) error {
	if _, err := os.Stat(dir); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return errdefs.Errorf(errdefs.ErrNotFound, "cgroup %s does not exist", dir)
		}
		return classify(err, "cgroup %s: %w", dir, err)
	}
	return nil
}

// readTrim reads a small file without its trailing newline.
func readTrim(path string) (string, error) {
	b, err := kfile.Read(path)
	return strings.TrimSpace(string(b)), err
}

// readValue reads a one-number file; "max" (and a missing file: the
// controller is not enabled) read as 0.
func readValue(dir, file string) (uint64, error) {
	s, err := readTrim(filepath.Join(dir, file))
	if errors.Is(err, os.ErrNotExist) || s == "max" {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", filepath.Join(dir, file), err)
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s: %q is not a number", filepath.Join(dir, file), s)
	}
	return v, nil
}

// readKeyed reads the value of key in a "key value" per line file such as
// memory.events or cpu.stat; a missing file or key reads as 0.
func readKeyed(dir, file, key string) (uint64, error) {
	if dir == "" {
		return 0, nil
	}
	data, err := kfile.Read(filepath.Join(dir, file))
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", filepath.Join(dir, file), err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		k, v, ok := strings.Cut(line, " ")
		if ok && k == key {
			n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("%s: %s: %q is not a number", filepath.Join(dir, file), key, v)
			}
			return n, nil
		}
	}
	return 0, nil
}

// words reads a space-separated list file (cgroup.controllers).
func words(path string) []string {
	s, err := readTrim(path)
	if err != nil {
		return nil
	}
	return strings.Fields(s)
}

// readProcs lists the pids in dir's cgroup.procs.
func readProcs(dir string) ([]int, error) {
	s, err := readTrim(filepath.Join(dir, "cgroup.procs"))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		return nil, fmt.Errorf("read %s: %w", filepath.Join(dir, "cgroup.procs"), err)
	}
	var pids []int
	for _, f := range strings.Fields(s) {
		if pid, err := strconv.Atoi(f); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids, nil
}

// readProcsTree lists the pids in dir and the cgroups below it.
func readProcsTree(dir string) ([]int, error) {
	var pids []int
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil // removed meanwhile
			}
			return err
		}
		if !d.IsDir() {
			return nil
		}
		ps, err := readProcs(p)
		pids = append(pids, ps...)
		return err
	})
	return pids, err
}

// hasProcs reports whether dir's cgroup itself holds processes.
func hasProcs(dir string) bool {
	pids, _ := readProcs(dir)
	return len(pids) > 0
}

// killTree sends SIGKILL to every process in dir and below.
func killTree(dir string) {
	pids, _ := readProcsTree(dir)
	for _, pid := range pids {
		_ = unix.Kill(pid, unix.SIGKILL) // gone already: fine
	}
}

// removeTree removes dir and the cgroups below it, deepest first,
// retrying while the kernel still reports them busy (their last process
// is being torn down). A dir already gone is no error.
func removeTree(dir string, timeout time.Duration) error {
	var dirs []string
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			dirs = append(dirs, p)
		}
		return nil
	})
	for i := len(dirs) - 1; i >= 0; i-- {
		d := dirs[i]
		err := poll(timeout, func() (bool, error) {
			err := unix.Rmdir(d)
			switch {
			case err == nil, errors.Is(err, unix.ENOENT):
				return true, nil
			case errors.Is(err, unix.EBUSY):
				return false, fmt.Errorf("remove cgroup %s: %w", d, err)
			}
			return false, classify(err, "remove cgroup %s: %w", d, err)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// poll calls cond until it reports done, fails, or timeout passes; on
// timeout the last error (or a timeout error) is returned. cond's
// "not yet" error is only kept for the timeout message.
func poll(timeout time.Duration, cond func() (bool, error)) error {
	deadline := time.Now().Add(timeout)
	delay := time.Millisecond
	for {
		done, err := cond()
		if done {
			return nil
		}
		var busy bool
		if err != nil {
			busy = errors.Is(err, unix.EBUSY)
			if !busy {
				return err
			}
		}
		if time.Now().After(deadline) {
			if err != nil {
				return classify(err, "%w (for %s)", err, timeout)
			}
			return errdefs.Errorf(errdefs.ErrConflict, "timed out after %s", timeout)
		}
		time.Sleep(delay)
		delay = min(delay*2, 50*time.Millisecond)
	}
}
