package cgroupsv2

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/hutchctr/hutch/pkg/errdefs"
)

// v2Optional are enabled where available even when no limit needs them,
// so that stats can read them and update can set them later.
var v2Optional = []string{"cpu", "cpuset", "io", "memory", "pids"}

// createV2 makes the cgroup's directory and its parents, enables the
// controllers along the way, and writes r.
func (c *Cgroup) createV2(r *specs.LinuxResources) error {
	dir := c.ref.Paths[""]
	parent := filepath.Dir(dir)
	if err := mkdirs(c.enableFrom, parent); err != nil {
		return err
	}
	if err := c.enableControllers(parent, controllers(wanted(r))); err != nil {
		return err
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		if !errors.Is(err, os.ErrExist) {
			return classify(err, "create cgroup %s: %w", dir, err)
		}
		// Left by a monitor that died: reusable unless something runs in it.
		if pids, _ := readProcsTree(dir); len(pids) > 0 {
			return errdefs.Errorf(errdefs.ErrConflict, "cgroup %s exists and holds processes %v", dir, pids)
		}
	}
	if err := c.applyV2(r); err != nil {
		_ = removeTree(dir, c.timeout)
		return err
	}
	return nil
}

// mkdirs creates the directories below from down to to.
func mkdirs(from, to string) error {
	rel, err := filepath.Rel(from, to)
	if err != nil || strings.HasPrefix(rel, "..") {
		return fmt.Errorf("cgroup %s is not below %s", to, from)
	}
	dir := from
	for _, part := range strings.Split(rel, "/") {
		if part == "." {
			continue
		}
		dir = filepath.Join(dir, part)
		if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
			return classify(err, "create cgroup %s: %w", dir, err)
		}
	}
	return nil
}

// enableControllers writes "+ctrl" to cgroup.subtree_control of every
// directory from c.enableFrom down to parent, so that the container's
// cgroup has the controllers: those in need must succeed, the optional
// ones are enabled where possible.
func (c *Cgroup) enableControllers(parent string, need []string) error {
	rel, err := filepath.Rel(c.enableFrom, parent)
	if err != nil {
		return err
	}
	levels := []string{c.enableFrom}
	for dir, part := c.enableFrom, ""; rel != "."; {
		part, rel, _ = strings.Cut(rel, "/")
		dir = filepath.Join(dir, part)
		levels = append(levels, dir)
		if rel == "" {
			break
		}
	}
	for _, dir := range levels {
		if err := enableIn(dir, dir == c.opts.Root, need); err != nil {
			return err
		}
	}
	return nil
}

// enableIn enables controllers for dir's children: the needed ones in
// one write (the kernel takes all or none), then each optional one that
// dir offers, ignoring refusals.
func enableIn(dir string, isRoot bool, need []string) error {
	avail := words(filepath.Join(dir, "cgroup.controllers"))
	enabled := words(filepath.Join(dir, "cgroup.subtree_control"))
	file := filepath.Join(dir, "cgroup.subtree_control")
	var todo []string
	for _, ctrl := range need {
		if ctrl == "cgroup" || slices.Contains(enabled, ctrl) {
			continue
		}
		if !slices.Contains(avail, ctrl) {
			return errdefs.Errorf(errdefs.ErrPermission, "the %s controller is not available in %s (cgroup.controllers has %q)", ctrl, dir, strings.Join(avail, " "))
		}
		todo = append(todo, "+"+ctrl)
	}
	busy := !isRoot && hasProcs(dir)
	if len(todo) > 0 {
		if busy {
			return errdefs.Errorf(errdefs.ErrConflict, "cannot enable %s in %s: the cgroup has processes of its own (cgroup v2 allows controllers only below cgroups without processes)", strings.Join(todo, " "), file)
		}
		v := strings.Join(todo, " ")
		if err := appendFile(file, v+"\n"); err != nil {
			return classify(err, "enable controllers: write %q to %s: %w", v, file, err)
		}
	}
	if busy {
		return nil
	}
	for _, ctrl := range v2Optional {
		if !slices.Contains(need, ctrl) && !slices.Contains(enabled, ctrl) && slices.Contains(avail, ctrl) {
			_ = appendFile(file, "+"+ctrl+"\n") // only for stats and later updates
		}
	}
	return nil
}

// applyV2 writes r's limits to the cgroup.
func (c *Cgroup) applyV2(r *specs.LinuxResources) error {
	dir := c.ref.Paths[""]
	cur := func(file string) string {
		s, _ := readTrim(filepath.Join(dir, file))
		return s
	}
	settings, err := v2Settings(r, cur)
	if err != nil {
		return err
	}
	for _, s := range settings {
		if err := writeSetting(dir, s); err != nil {
			return err
		}
	}
	return nil
}

// apply writes r's limits to the existing cgroup.
func (c *Cgroup) apply(r *specs.LinuxResources) error {
	if c.ref.Layout == LayoutV1 {
		return c.applyV1(r)
	}
	return c.applyV2(r)
}

// join writes pid to cgroup.procs of each of the cgroup's directories.
func (c *Cgroup) join(pid int) error {
	for _, ctrl := range sortedKeys(c.ref.Paths) {
		file := filepath.Join(c.ref.Paths[ctrl], "cgroup.procs")
		if err := writeFile(file, strconv.Itoa(pid)); err != nil {
			return classify(err, "join cgroup: write pid %d to %s: %w", pid, file, err)
		}
	}
	return nil
}

// procsDir is the directory whose cgroup.procs lists the container's
// processes ("" without one).
func (c *Cgroup) procsDir() string {
	if c.ref.Layout == LayoutV2 {
		return c.ref.Paths[""]
	}
	for _, ctrl := range []string{"pids", "freezer", "memory", "cpu", "cpuacct", "cpuset", "blkio", "hugetlb"} {
		if d := c.ref.Paths[ctrl]; d != "" {
			return d
		}
	}
	return ""
}

// setFrozen freezes or thaws the cgroup and waits until the kernel says
// it is done (cgroup.events "frozen" on v2, freezer.state on v1).
func (c *Cgroup) setFrozen(frozen bool) error {
	verb := map[bool]string{true: "pause", false: "unpause"}[frozen]
	switch c.ref.Layout {
	case LayoutNone:
		return errdefs.Errorf(errdefs.ErrNotImplemented, "%s needs a cgroup, and the container has none (rootless containers get one only on cgroup v2 with a delegated subtree)", verb)
	case LayoutV1:
		return c.setFrozenV1(frozen, verb)
	}
	dir := c.ref.Paths[""]
	if err := statDir(dir); err != nil {
		return err
	}
	file := filepath.Join(dir, "cgroup.freeze")
	want := map[bool]string{true: "1", false: "0"}[frozen]
	if err := writeFile(file, want); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return errdefs.Errorf(errdefs.ErrNotImplemented, "%s needs %s (Linux 5.2 or later)", verb, file)
		}
		return classify(err, "%s: write %s to %s: %w", verb, want, file, err)
	}
	err := poll(c.timeout, func() (bool, error) {
		v, err := readKeyed(dir, "cgroup.events", "frozen")
		return err == nil && strconv.FormatUint(v, 10) == want, err
	})
	if err != nil {
		return fmt.Errorf("%s: waiting for \"frozen %s\" in %s: %w", verb, want, filepath.Join(dir, "cgroup.events"), err)
	}
	return nil
}

// destroyV2 kills what is left in the cgroup (cgroup.kill kills it all at
// once, without a race against forks; older kernels get a freeze, SIGKILL
// for each process and a thaw), then removes the directories.
func (c *Cgroup) destroyV2() error {
	dir := c.ref.Paths[""]
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		return c.stopScope()
	}
	if err := writeFile(filepath.Join(dir, "cgroup.kill"), "1"); err != nil {
		frozen := c.setFrozen(true) == nil
		killTree(dir)
		if frozen {
			_ = c.setFrozen(false)
		}
	}
	err := poll(c.timeout, func() (bool, error) {
		pids, err := readProcsTree(dir)
		return err == nil && len(pids) == 0, err
	})
	if err != nil {
		return fmt.Errorf("cgroup %s: waiting for its processes to die: %w", dir, err)
	}
	if err := c.stopScope(); err != nil {
		return err
	}
	return removeTree(dir, c.timeout)
}
