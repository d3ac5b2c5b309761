package cgroupsv2

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/moby/sys/mountinfo"
	"golang.org/x/sys/unix"

	"github.com/hutchctr/hutch/pkg/errdefs"
)

// Why a cgroup has LayoutNone.
const (
	noneV1Rootless  = iota + 1 // rootless on a v1 or hybrid host
	noneUndelegated            // rootless on v2, own cgroup not the user's
	noneNoFS                   // nothing usable mounted at Root
)

// noneReason says why a cgroup has no directory, for Check's errors.
type noneReason struct {
	kind   int
	detail string // the undelegated cgroup, or the root
}

// v1Controllers are the v1 hierarchies a container gets a directory in.
var v1Controllers = []string{"blkio", "cpu", "cpuacct", "cpuset", "freezer", "hugetlb", "memory", "pids"}

func newCgroup(o Options, e env) (*Cgroup, error) {
	if o.ID == "" {
		return nil, errdefs.Errorf(errdefs.ErrInvalidArgument, "cgroup: the container ID is required")
	}
	if o.Root == "" {
		o.Root = DefaultRoot
	}
	switch o.Manager {
	case "", ManagerCgroupfs, ManagerSystemd:
	default:
		return nil, errdefs.Errorf(errdefs.ErrInvalidArgument, "cgroup-manager %q is neither %s nor %s", o.Manager, ManagerCgroupfs, ManagerSystemd)
	}
	c := &Cgroup{opts: o, env: e, timeout: defaultTimeout}
	unified, err := isUnified(o.Root)
	if err != nil {
		c.setNone(noneNoFS, o.Root)
		return c, nil
	}
	if !unified {
		return c, c.placeV1()
	}
	if o.Manager == ManagerSystemd || (o.Manager == "" && e.systemdBooted()) {
		c.opts.Manager = ManagerSystemd
		return c, c.placeSystemd()
	}
	c.opts.Manager = ManagerCgroupfs
	return c, c.placeV2()
}

func (c *Cgroup) setNone(kind int, detail string) {
	c.ref = Ref{Layout: LayoutNone}
	c.none = noneReason{kind: kind, detail: detail}
}

func (c *Cgroup) systemd() bool { return c.opts.Manager == ManagerSystemd }

// isUnified reports whether root is a cgroup2 mount. A directory with a
// cgroup.controllers file counts too: that is how tests fake one.
func isUnified(root string) (bool, error) {
	var fs unix.Statfs_t
	if err := unix.Statfs(root, &fs); err != nil {
		return false, err
	}
	if fs.Type == unix.CGROUP2_SUPER_MAGIC {
		return true, nil
	}
	_, err := os.Stat(filepath.Join(root, "cgroup.controllers"))
	return err == nil, nil
}

// parentPath validates --cgroup-parent for cgroupfs: a relative path
// below the hierarchy's root ("/a/b" is taken as "a/b").
func parentPath(p, def string) (string, error) {
	if p == "" {
		return def, nil
	}
	clean := strings.TrimPrefix(path.Clean("/"+p), "/")
	if clean == "" || slices.Contains(strings.Split(p, "/"), "..") {
		return "", errdefs.Errorf(errdefs.ErrInvalidArgument, "--cgroup-parent %q: want a cgroup path such as hutch or machine/web", p)
	}
	return clean, nil
}

// placeV1 puts the cgroup in <mount>/<parent>/<id> of each v1 hierarchy.
// Rootless containers get none: v1 has no safe delegation.
func (c *Cgroup) placeV1() error {
	if c.opts.Manager == ManagerSystemd {
		return errdefs.Errorf(errdefs.ErrNotImplemented, "cgroup-manager systemd needs cgroup v2, and this host uses cgroup v1 (set cgroup-manager: cgroupfs in hutch.yaml)")
	}
	c.opts.Manager = ManagerCgroupfs
	if c.opts.Rootless {
		c.setNone(noneV1Rootless, c.opts.Root)
		return nil
	}
	parent, err := parentPath(c.opts.Parent, "hutch")
	if err != nil {
		return err
	}
	mounts, err := c.v1Mounts()
	if err != nil {
		return err
	}
	if len(mounts) == 0 {
		c.setNone(noneNoFS, c.opts.Root)
		return nil
	}
	c.mounts = mounts
	c.ref = Ref{Layout: LayoutV1, Paths: map[string]string{}}
	for ctrl, mnt := range mounts {
		c.ref.Paths[ctrl] = filepath.Join(mnt, parent, c.opts.ID)
	}
	return nil
}

// v1Mounts maps each v1 controller hutch uses to its hierarchy's mount
// point: from the mount table for the real /sys/fs/cgroup, from directory
// names ("memory", "cpu,cpuacct") for any other root (tests).
func (c *Cgroup) v1Mounts() (map[string]string, error) {
	out := map[string]string{}
	add := func(opts, dir string) {
		for _, o := range strings.Split(opts, ",") {
			if slices.Contains(v1Controllers, o) {
				out[o] = dir
			}
		}
	}
	if c.opts.Root != DefaultRoot {
		entries, err := os.ReadDir(c.opts.Root)
		if err != nil {
			return nil, fmt.Errorf("cgroup v1 hierarchies under %s: %w", c.opts.Root, err)
		}
		for _, e := range entries {
			if e.IsDir() {
				add(e.Name(), filepath.Join(c.opts.Root, e.Name()))
			}
		}
		return out, nil
	}
	ms, err := mountinfo.GetMounts(mountinfo.FSTypeFilter("cgroup"))
	if err != nil {
		return nil, fmt.Errorf("cgroup v1 hierarchies: %w", err)
	}
	for _, m := range ms {
		if strings.HasPrefix(m.Mountpoint, c.opts.Root+"/") {
			add(m.VFSOptions, m.Mountpoint)
		}
	}
	return out, nil
}

// placeV2 puts the cgroup in <root>/<parent>/hutch-<id>.scope. As root
// the parent defaults to "hutch" and controllers are enabled from the
// root down; rootless, the cgroup goes below the subtree delegated to the
// user, and controllers are enabled from that subtree's top.
func (c *Cgroup) placeV2() error {
	name := "hutch-" + c.opts.ID + ".scope"
	if !c.opts.Rootless {
		parent, err := parentPath(c.opts.Parent, "hutch")
		if err != nil {
			return err
		}
		c.enableFrom = c.opts.Root
		c.ref = Ref{Layout: LayoutV2, Paths: map[string]string{"": filepath.Join(c.opts.Root, parent, name)}}
		return nil
	}
	if c.opts.Parent != "" {
		parent, err := parentPath(c.opts.Parent, "")
		if err != nil {
			return err
		}
		dir := filepath.Join(c.opts.Root, parent)
		top := c.delegatedTop(dir)
		if top == "" {
			return errdefs.Errorf(errdefs.ErrPermission, "--cgroup-parent %s: %s is not delegated to you (it belongs to uid %d)", c.opts.Parent, existingAncestor(dir), ownerOf(existingAncestor(dir)))
		}
		c.enableFrom = top
		c.ref = Ref{Layout: LayoutV2, Paths: map[string]string{"": filepath.Join(dir, name)}}
		return nil
	}
	own := filepath.Join(c.opts.Root, c.env.ownCgroup())
	top := c.delegatedTop(own)
	if top == "" {
		c.setNone(noneUndelegated, own)
		return nil
	}
	c.enableFrom = top
	c.ref = Ref{Layout: LayoutV2, Paths: map[string]string{"": filepath.Join(top, "hutch", name)}}
	return nil
}

// delegatedTop is the highest directory of the chain of cgroups owned by
// the caller that contains dir (dir itself may not exist yet), or "".
// That is what systemd delegates (user@UID.service) or an administrator
// chowned: everything below it is the user's to arrange.
func (c *Cgroup) delegatedTop(dir string) string {
	dir = existingAncestor(dir)
	top := ""
	for dir != c.opts.Root && strings.HasPrefix(dir, c.opts.Root+"/") && c.env.owned(dir) {
		top = dir
		dir = filepath.Dir(dir)
	}
	return top
}

// existingAncestor is dir or its nearest existing ancestor.
func existingAncestor(dir string) string {
	for {
		if _, err := os.Stat(dir); err == nil || !errors.Is(err, os.ErrNotExist) {
			return dir
		}
		up := filepath.Dir(dir)
		if up == dir {
			return dir
		}
		dir = up
	}
}
