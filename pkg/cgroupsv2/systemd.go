package cgroupsv2

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	sd "github.com/coreos/go-systemd/v22/dbus"
	"github.com/godbus/dbus/v5"

	"github.com/hutchctr/hutch/pkg/errdefs"
)

// placeSystemd predicts where systemd will put the container's scope,
// hutch-<id>.scope in the slice (--cgroup-parent, default machine.slice,
// or user.slice of the user's own systemd instance rootless). The real
// place is read back from systemd once the scope exists.
func (c *Cgroup) placeSystemd() error {
	slice := c.opts.Parent
	if slice == "" {
		slice = map[bool]string{false: "machine.slice", true: "user.slice"}[c.opts.Rootless]
	}
	if !strings.HasSuffix(slice, ".slice") || strings.Contains(slice, "/") {
		return errdefs.Errorf(errdefs.ErrInvalidArgument, "--cgroup-parent %q: with the systemd cgroup manager it must be a slice name such as machine.slice", c.opts.Parent)
	}
	c.slice, c.unit = slice, "hutch-"+c.opts.ID+".scope"
	base := c.opts.Root
	if c.opts.Rootless {
		base = filepath.Join(c.opts.Root, c.userManagerCgroup())
	}
	c.enableFrom = base
	c.ref = Ref{Layout: LayoutV2, Paths: map[string]string{"": filepath.Join(base, expandSlice(slice), c.unit)}}
	return nil
}

// userManagerCgroup is the cgroup of the user's systemd instance
// (user@UID.service): an ancestor of the caller's cgroup, or where
// systemd puts it for a caller in a login session's scope.
func (c *Cgroup) userManagerCgroup() string {
	own := c.env.ownCgroup()
	parts := strings.Split(own, "/")
	for i, p := range parts {
		if strings.HasPrefix(p, "user@") && strings.HasSuffix(p, ".service") {
			return strings.Join(parts[:i+1], "/")
		}
	}
	uid := strconv.Itoa(c.env.hostUID())
	return "/user.slice/user-" + uid + ".slice/user@" + uid + ".service"
}

// expandSlice turns a slice name into its cgroup path: systemd nests
// a-b.slice in a.slice.
func expandSlice(slice string) string {
	name := strings.TrimSuffix(slice, ".slice")
	if name == "" || name == "-" {
		return ""
	}
	var parts []string
	prefix := ""
	for _, comp := range strings.Split(name, "-") {
		prefix += comp
		parts = append(parts, prefix+".slice")
		prefix += "-"
	}
	return filepath.Join(parts...)
}

// connect opens a connection to the system instance of systemd, or
// rootless to the user's own instance on the session bus. Inside the
// namespace holder the caller is uid 0; the bus sees the host uid, which
// is what the EXTERNAL mechanism must claim.
func (c *Cgroup) connect(ctx context.Context) (*sd.Conn, error) {
	if !c.opts.Rootless {
		return sd.NewSystemConnectionContext(ctx)
	}
	uid := strconv.Itoa(c.env.hostUID())
	return sd.NewConnection(func() (*dbus.Conn, error) {
		conn, err := dbus.SessionBusPrivate(dbus.WithContext(ctx))
		if err != nil {
			return nil, err
		}
		if err := conn.Auth([]dbus.Auth{dbus.AuthExternal(uid)}); err != nil {
			conn.Close()
			return nil, err
		}
		if err := conn.Hello(); err != nil {
			conn.Close()
			return nil, err
		}
		return conn, nil
	})
}

// startScope asks systemd for the transient scope with pid in it, with
// Delegate=yes so that the scope's cgroup is hutch's to write, then
// writes the pending limits there as cgroupfs does.
func (c *Cgroup) startScope(pid int) error {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	conn, err := c.connect(ctx)
	if err != nil {
		return busError(err, "cgroup-manager systemd: connect to systemd: %w", err)
	}
	defer conn.Close()
	props := []sd.Property{
		sd.PropSlice(c.slice),
		sd.PropDescription("hutch container " + c.opts.ID),
		sd.PropPids(uint32(pid)),
		{Name: "Delegate", Value: dbus.MakeVariant(true)},
		{Name: "DefaultDependencies", Value: dbus.MakeVariant(false)},
	}
	done := make(chan string, 1)
	if _, err := conn.StartTransientUnitContext(ctx, c.unit, "replace", props, done); err != nil {
		return busError(err, "systemd: start scope %s in %s: %w", c.unit, c.slice, err)
	}
	select {
	case res := <-done:
		if res != "done" {
			return fmt.Errorf("systemd: start scope %s in %s: job %s", c.unit, c.slice, res)
		}
	case <-ctx.Done():
		return fmt.Errorf("systemd: start scope %s: no answer in %s", c.unit, c.timeout)
	}
	c.ref.Unit = c.unit
	if p, err := conn.GetUnitTypePropertyContext(ctx, c.unit, "Scope", "ControlGroup"); err == nil {
		if cg, ok := p.Value.Value().(string); ok && cg != "" {
			c.ref.Paths[""] = filepath.Join(c.opts.Root, cg)
		}
	}
	err = statDir(c.ref.Paths[""])
	if err == nil && c.pending != nil {
		err = c.applyV2(c.pending)
	}
	if err != nil {
		_ = c.Destroy()
		return err
	}
	return nil
}

// stopScope stops the scope; one systemd has already collected (it
// stops an empty scope by itself) is no error.
func (c *Cgroup) stopScope() error {
	if c.ref.Unit == "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	conn, err := c.connect(ctx)
	if err != nil {
		return busError(err, "cgroup-manager systemd: connect to systemd: %w", err)
	}
	defer conn.Close()
	done := make(chan string, 1)
	if _, err := conn.StopUnitContext(ctx, c.ref.Unit, "replace", done); err != nil {
		if busName(err) == "org.freedesktop.systemd1.NoSuchUnit" {
			return nil
		}
		return busError(err, "systemd: stop scope %s: %w", c.ref.Unit, err)
	}
	select {
	case <-done:
	case <-ctx.Done():
		return fmt.Errorf("systemd: stop scope %s: no answer in %s", c.ref.Unit, c.timeout)
	}
	return nil
}

// busError classes D-Bus's access denials as permission errors.
func busError(err error, format string, args ...any) error {
	if n := busName(err); n == "org.freedesktop.DBus.Error.AccessDenied" || strings.HasSuffix(n, ".InteractiveAuthorizationRequired") {
		return errdefs.Errorf(errdefs.ErrPermission, format, args...)
	}
	return fmt.Errorf(format, args...)
}

// busName is the name of a D-Bus error (godbus returns them by value or
// by pointer), "" for other errors.
func busName(err error) string {
	var de dbus.Error
	if errors.As(err, &de) {
		return de.Name
	}
	var dp *dbus.Error
	if errors.As(err, &dp) {
		return dp.Name
	}
	return ""
}
