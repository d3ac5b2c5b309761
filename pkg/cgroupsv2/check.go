package cgroupsv2

import (
	"path/filepath"
	"slices"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/hutchctr/hutch/pkg/errdefs"
)

// delegateHint says how an administrator delegates controllers to users'
// systemd sessions.
const delegateHint = "delegate it with `systemctl edit user@.service` (or the file /etc/systemd/system/user@.service.d/delegate.conf) " +
	"containing \"[Service]\" and \"Delegate=cpu cpuset io memory pids\", then log in again"

// check says whether r can be enforced where c goes.
func (c *Cgroup) check(r *specs.LinuxResources) error {
	w := wanted(r)
	if len(w) == 0 {
		return nil
	}
	switch c.ref.Layout {
	case LayoutNone:
		return c.noneError(w[0].flag, w[0].ctrl)
	case LayoutV1:
		return c.checkV1(r, w)
	}
	return c.checkV2(r, w)
}

// noneError explains why flag cannot be had without a cgroup.
func (c *Cgroup) noneError(flag, ctrl string) error {
	switch c.none.kind {
	case noneV1Rootless:
		return errdefs.Errorf(errdefs.ErrPermission, "%s needs cgroup v2 with the %s controller delegated; this host uses cgroup v1, where rootless containers cannot have limits", flag, ctrl)
	case noneUndelegated:
		return errdefs.Errorf(errdefs.ErrPermission, "%s needs the %s controller, but your cgroup %s is not delegated to you (it belongs to uid %d); "+
			"run hutch from a delegated cgroup (for example in `systemd-run --user --scope`), or give --cgroup-parent a cgroup you own",
			flag, ctrl, c.none.detail, ownerOf(c.none.detail))
	}
	return errdefs.Errorf(errdefs.ErrNotImplemented, "%s needs cgroups, but no cgroup filesystem is mounted at %s", flag, c.none.detail)
}

func (c *Cgroup) checkV1(r *specs.LinuxResources, w []want) error {
	if _, err := v1Settings(r, c.hasV1File); err != nil {
		return err
	}
	for _, x := range w {
		ctrl := v1Ctrl(x.ctrl)
		if _, ok := c.ref.Paths[ctrl]; !ok {
			return errdefs.Errorf(errdefs.ErrNotImplemented, "%s needs the %s controller, and this host has no cgroup v1 %s hierarchy under %s", x.flag, ctrl, ctrl, c.opts.Root)
		}
	}
	return nil
}

// hasV1File reports whether ctrl's hierarchy offers file.
func (c *Cgroup) hasV1File(ctrl, file string) bool {
	dir := c.mounts[ctrl]
	if dir == "" {
		dir = c.ref.Paths[ctrl]
	}
	return dir != "" && fileExists(filepath.Join(dir, file))
}

func (c *Cgroup) checkV2(r *specs.LinuxResources, w []want) error {
	if _, err := v2Settings(r, func(string) string { return "" }); err != nil {
		return err
	}
	from := c.enableFrom
	if from == "" { // a cgroup from a Ref: its own controllers
		from = c.ref.Paths[""]
	}
	avail := words(filepath.Join(from, "cgroup.controllers"))
	for _, x := range w {
		if x.ctrl == "cgroup" || slices.Contains(avail, x.ctrl) {
			continue
		}
		if c.opts.Rootless {
			return errdefs.Errorf(errdefs.ErrPermission, "%s needs the %s controller, which is not delegated to you (%s/cgroup.controllers has %q); %s",
				x.flag, x.ctrl, from, strings.Join(avail, " "), delegateHint)
		}
		return errdefs.Errorf(errdefs.ErrNotImplemented, "%s needs the %s controller, which the cgroup v2 hierarchy does not offer (%s/cgroup.controllers has %q): the kernel lacks it, or a cgroup v1 hierarchy holds it",
			x.flag, x.ctrl, from, strings.Join(avail, " "))
	}
	// cgroup v2 enables a controller for a cgroup's children only while
	// the cgroup has no processes of its own (the root is exempt).
	if c.opts.Rootless && !c.systemd() && c.enableFrom != "" && c.enableFrom != c.opts.Root && hasProcs(c.enableFrom) {
		return errdefs.Errorf(errdefs.ErrPermission, "%s needs the %s controller, but your delegated cgroup %s has processes of its own, so cgroup v2 lets no controller be enabled below it; "+
			"start hutch from a child cgroup of it", w[0].flag, w[0].ctrl, c.enableFrom)
	}
	return nil
}
