package cgroupsv2

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/hutchctr/hutch/pkg/errdefs"
)

// createV1 makes one directory per v1 hierarchy and writes r.
func (c *Cgroup) createV1(r *specs.LinuxResources) error {
	for _, ctrl := range sortedKeys(c.ref.Paths) {
		dir := c.ref.Paths[ctrl]
		mnt := c.mounts[ctrl]
		if mnt == "" {
			mnt = filepath.Dir(dir)
		}
		if err := mkdirs(mnt, dir); err != nil {
			c.removeV1()
			return err
		}
		if ctrl == "cpuset" {
			if err := inheritCpuset(mnt, dir); err != nil {
				c.removeV1()
				return err
			}
		}
	}
	if err := c.applyV1(r); err != nil {
		c.removeV1()
		return err
	}
	return nil
}

// inheritCpuset copies cpuset.cpus and cpuset.mems from each parent into
// the new cpuset cgroups below mnt that have none: v1 starts them empty,
// and a process cannot join a cpuset without CPUs or memory nodes.
func inheritCpuset(mnt, dir string) error {
	rel, err := filepath.Rel(mnt, dir)
	if err != nil {
		return err
	}
	parent := mnt
	for _, part := range strings.Split(rel, "/") {
		cur := filepath.Join(parent, part)
		for _, file := range []string{"cpuset.cpus", "cpuset.mems"} {
			if v, _ := readTrim(filepath.Join(cur, file)); v != "" {
				continue
			}
			v, err := readTrim(filepath.Join(parent, file))
			if err != nil {
				return fmt.Errorf("read %s: %w", filepath.Join(parent, file), err)
			}
			if err := writeFile(filepath.Join(cur, file), v); err != nil {
				return classify(err, "write %q to %s: %w", v, filepath.Join(cur, file), err)
			}
		}
		parent = cur
	}
	return nil
}

// applyV1 writes r's limits into the controllers' directories.
func (c *Cgroup) applyV1(r *specs.LinuxResources) error {
	settings, err := v1Settings(r, c.hasV1File)
	if err != nil {
		return err
	}
	for i, s := range settings {
		dir, ok := c.ref.Paths[s.ctrl]
		if !ok {
			return errdefs.Errorf(errdefs.ErrNotImplemented, "%s needs the %s controller, and this host has no cgroup v1 %s hierarchy", s.flag, s.ctrl, s.ctrl)
		}
		err := writeSetting(dir, s)
		if err != nil && s.file == "memory.limit_in_bytes" {
			// The memory limit may not exceed memory+swap: when both
			// grow, memory+swap goes first.
			if sw := findSetting(settings[i+1:], "memory.memsw.limit_in_bytes"); sw != nil && writeSetting(dir, *sw) == nil {
				err = writeSetting(dir, s)
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func findSetting(ss []setting, file string) *setting {
	for i := range ss {
		if ss[i].file == file {
			return &ss[i]
		}
	}
	return nil
}

// setFrozenV1 writes freezer.state and polls until it reads back: a
// cgroup may stay FREEZING while a process is in an uninterruptible
// sleep, so FROZEN is written again now and then.
func (c *Cgroup) setFrozenV1(frozen bool, verb string) error {
	dir := c.ref.Paths["freezer"]
	if dir == "" {
		return errdefs.Errorf(errdefs.ErrNotImplemented, "%s needs the freezer controller, and this host has no cgroup v1 freezer hierarchy", verb)
	}
	if err := statDir(dir); err != nil {
		return err
	}
	file := filepath.Join(dir, "freezer.state")
	want := map[bool]string{true: "FROZEN", false: "THAWED"}[frozen]
	last := time.Time{}
	err := poll(c.timeout, func() (bool, error) {
		if time.Since(last) > 100*time.Millisecond {
			if err := writeFile(file, want); err != nil {
				return false, classify(err, "%s: write %s to %s: %w", verb, want, file, err)
			}
			last = time.Now()
		}
		s, err := readTrim(file)
		return s == want, err
	})
	if err != nil {
		return fmt.Errorf("%s: waiting for %s in %s: %w", verb, want, file, err)
	}
	return nil
}

// destroyV1 kills what is left (frozen meanwhile, so nothing forks past
// the kill) and removes every controller's directory.
func (c *Cgroup) destroyV1() error {
	dir := c.procsDir()
	if dir != "" && fileExists(dir) {
		frozen := c.ref.Paths["freezer"] != "" && c.setFrozenV1(true, "destroy") == nil
		for _, d := range c.ref.Paths {
			killTree(d)
		}
		if frozen {
			_ = c.setFrozenV1(false, "destroy")
		}
		err := poll(c.timeout, func() (bool, error) {
			pids, err := readProcsTree(dir)
			return err == nil && len(pids) == 0, err
		})
		if err != nil {
			return fmt.Errorf("cgroup %s: waiting for its processes to die: %w", dir, err)
		}
	}
	var errs []error
	for _, ctrl := range sortedKeys(c.ref.Paths) {
		if err := removeTree(c.ref.Paths[ctrl], c.timeout); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// removeV1 undoes a failed createV1 (the directories are empty).
func (c *Cgroup) removeV1() {
	for _, d := range c.ref.Paths {
		_ = os.Remove(d)
	}
}
