package overlay

import (
	"fmt"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/hutchctr/hutch/pkg/errdefs"
)

// maxMountData is the kernel's limit for mount(2)'s data: one page.
const maxMountData = 4096 - 1

// RootfsOptions describe a container's overlay rootfs.
type RootfsOptions struct {
	// Lower are the image's layer directories, top layer first. Required.
	Lower []string
	// Upper and Work are the container's own writable layer and overlay's
	// work directory, on the same filesystem. Required.
	Upper, Work string
	// UserNS asks for "userxattr": in a user namespace overlay must keep
	// its whiteouts and opaque markers in user.* xattrs (trusted.* are
	// not allowed there), as containers/storage does for rootless layers.
	UserNS bool
	// Volatile skips every sync of the upper layer ("volatile"): for --rm
	// containers, whose writes die with them anyway.
	Volatile bool
}

// RootfsMount is the spec mount of a container's rootfs: an overlay on
// Destination "/", which the runtime mounts on Root.Path before the other
// mounts, inside the container's mount namespace.
func RootfsMount(o RootfsOptions) (specs.Mount, error) {
	if len(o.Lower) == 0 || o.Upper == "" || o.Work == "" {
		return specs.Mount{}, fmt.Errorf("rootfs overlay: lower, upper and work directories are required: %w", errdefs.ErrInvalidArgument)
	}
	for _, d := range append(append([]string(nil), o.Lower...), o.Upper, o.Work) {
		if strings.ContainsAny(d, ",:") {
			return specs.Mount{}, fmt.Errorf("rootfs overlay: directory %q contains ',' or ':', which overlay cannot take: %w", d, errdefs.ErrInvalidArgument)
		}
	}
	opts := []string{
		"lowerdir=" + strings.Join(o.Lower, ":"),
		"upperdir=" + o.Upper,
		"workdir=" + o.Work,
	}
	if o.UserNS {
		opts = append(opts, "userxattr")
	}
	if o.Volatile {
		opts = append(opts, "volatile")
	}
	if n := len(strings.Join(opts, ",")); n > maxMountData {
		return specs.Mount{}, fmt.Errorf("rootfs overlay: %d layers need %d bytes of mount options, more than the kernel's %d: %w", len(o.Lower), n, maxMountData, errdefs.ErrNotImplemented)
	}
	return specs.Mount{Destination: "/", Type: "overlay", Source: "overlay", Options: opts}, nil
}
