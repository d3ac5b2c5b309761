package overlay

import (
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/hutchctr/hutch/pkg/errdefs"
)

// defaultDevices are the nodes every container gets, as in runc and Podman,
// whether or not the spec lists them.
func defaultDevices() []Device {
	return []Device{
		{Path: "/dev/null", Source: "/dev/null", Type: "c", Major: 1, Minor: 3},
		{Path: "/dev/zero", Source: "/dev/zero", Type: "c", Major: 1, Minor: 5},
		{Path: "/dev/full", Source: "/dev/full", Type: "c", Major: 1, Minor: 7},
		{Path: "/dev/random", Source: "/dev/random", Type: "c", Major: 1, Minor: 8},
		{Path: "/dev/urandom", Source: "/dev/urandom", Type: "c", Major: 1, Minor: 9},
		{Path: "/dev/tty", Source: "/dev/tty", Type: "c", Major: 5, Minor: 0},
	}
}

// planDevices returns the spec's devices followed by the missing defaults.
// /dev/console and /dev/ptmx are skipped: the console is the container's
// pty slave (bound by the runtime when Process.Terminal is set) and ptmx is
// a symlink into the container's own devpts instance; binding the host's
// nodes there would hand the container the host's terminals.
func planDevices(specDevs []specs.LinuxDevice) ([]Device, error) {
	var out []Device
	seen := map[string]bool{}
	for _, d := range specDevs {
		p, err := cleanDest("device", d.Path)
		if err != nil {
			return nil, err
		}
		if p == "/dev/console" || p == "/dev/ptmx" || seen[p] {
			continue
		}
		switch d.Type {
		case "c", "u", "b":
		default:
			return nil, fmt.Errorf("device %s: type %q cannot be bind-mounted: %w", p, d.Type, errdefs.ErrInvalidArgument)
		}
		typ := d.Type
		if typ == "u" {
			typ = "c"
		}
		seen[p] = true
		out = append(out, Device{Path: p, Source: p, Type: typ, Major: d.Major, Minor: d.Minor})
	}
	for _, d := range defaultDevices() {
		if !seen[d.Path] {
			out = append(out, d)
		}
	}
	return out, nil
}

// devSymlinks are the conventional /dev links (see the kernel's
// Documentation/admin-guide/devices.rst, "Compulsory links").
func devSymlinks() []Symlink {
	return []Symlink{
		{Path: "/dev/fd", Target: "/proc/self/fd"},
		{Path: "/dev/stdin", Target: "/proc/self/fd/0"},
		{Path: "/dev/stdout", Target: "/proc/self/fd/1"},
		{Path: "/dev/stderr", Target: "/proc/self/fd/2"},
		{Path: "/dev/core", Target: "/proc/kcore"},
		{Path: "/dev/ptmx", Target: "pts/ptmx"},
	}
}
