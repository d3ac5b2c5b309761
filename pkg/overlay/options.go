package overlay

import (
	"fmt"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/hutchctr/hutch/pkg/errdefs"
)

// flagOption is the effect of one fstab-style option on mount(2) flags.
type flagOption struct {
	clear bool
	flag  uintptr
}

// optionFlag returns the effect of an option that is a mount(2) flag (the
// table every OCI runtime shares; see mount(8)).
func optionFlag(o string) (flagOption, bool) {
	switch o {
	case "defaults":
		return flagOption{false, 0}, true
	case "ro":
		return flagOption{false, unix.MS_RDONLY}, true
	case "rw":
		return flagOption{true, unix.MS_RDONLY}, true
	case "suid":
		return flagOption{true, unix.MS_NOSUID}, true
	case "nosuid":
		return flagOption{false, unix.MS_NOSUID}, true
	case "dev":
		return flagOption{true, unix.MS_NODEV}, true
	case "nodev":
		return flagOption{false, unix.MS_NODEV}, true
	case "exec":
		return flagOption{true, unix.MS_NOEXEC}, true
	case "noexec":
		return flagOption{false, unix.MS_NOEXEC}, true
	case "sync":
		return flagOption{false, unix.MS_SYNCHRONOUS}, true
	case "async":
		return flagOption{true, unix.MS_SYNCHRONOUS}, true
	case "dirsync":
		return flagOption{false, unix.MS_DIRSYNC}, true
	case "mand":
		return flagOption{false, unix.MS_MANDLOCK}, true
	case "nomand":
		return flagOption{true, unix.MS_MANDLOCK}, true
	case "atime":
		return flagOption{true, unix.MS_NOATIME}, true
	case "noatime":
		return flagOption{false, unix.MS_NOATIME}, true
	case "diratime":
		return flagOption{true, unix.MS_NODIRATIME}, true
	case "nodiratime":
		return flagOption{false, unix.MS_NODIRATIME}, true
	case "relatime":
		return flagOption{false, unix.MS_RELATIME}, true
	case "norelatime":
		return flagOption{true, unix.MS_RELATIME}, true
	case "strictatime":
		return flagOption{false, unix.MS_STRICTATIME}, true
	case "nostrictatime":
		return flagOption{true, unix.MS_STRICTATIME}, true
	case "silent":
		return flagOption{false, unix.MS_SILENT}, true
	case "loud":
		return flagOption{true, unix.MS_SILENT}, true
	case "bind":
		return flagOption{false, unix.MS_BIND}, true
	case "rbind":
		return flagOption{false, unix.MS_BIND | unix.MS_REC}, true
	}
	return flagOption{}, false
}

// propagationFlag returns the flags of an option that changes a mount's
// propagation type; each needs its own mount(2) call after the mount exists.
func propagationFlag(o string) (uintptr, bool) {
	switch o {
	case "private":
		return unix.MS_PRIVATE, true
	case "rprivate":
		return unix.MS_PRIVATE | unix.MS_REC, true
	case "shared":
		return unix.MS_SHARED, true
	case "rshared":
		return unix.MS_SHARED | unix.MS_REC, true
	case "slave":
		return unix.MS_SLAVE, true
	case "rslave":
		return unix.MS_SLAVE | unix.MS_REC, true
	case "unbindable":
		return unix.MS_UNBINDABLE, true
	case "runbindable":
		return unix.MS_UNBINDABLE | unix.MS_REC, true
	}
	return 0, false
}

// parsedOptions is a mount's option list sorted by effect.
type parsedOptions struct {
	flags       uintptr
	propagation []uintptr
	data        []string
	recursiveRO bool
}

// parseOptions sorts options into flags, propagation changes and
// filesystem data. Unknown options are filesystem data ("mode=755",
// "size=64m") unless strict is set: a bind mount has no filesystem to
// interpret them, so an unknown option there is a mistake in the spec.
func parseOptions(opts []string, strict bool) (parsedOptions, error) {
	var p parsedOptions
	for _, o := range opts {
		if f, ok := optionFlag(o); ok {
			if f.clear {
				p.flags &^= f.flag
			} else {
				p.flags |= f.flag
			}
			continue
		}
		if f, ok := propagationFlag(o); ok {
			p.propagation = append(p.propagation, f)
			continue
		}
		switch o {
		case "rro":
			// Recursive read-only needs mount_setattr(2); the plain flag
			// covers the top mount and kernels without it.
			p.flags |= unix.MS_RDONLY
			p.recursiveRO = true
			continue
		case "rrw":
			p.flags &^= unix.MS_RDONLY
			p.recursiveRO = false
			continue
		}
		if strict {
			return parsedOptions{}, fmt.Errorf("unknown bind mount option %q: %w", o, errdefs.ErrInvalidArgument)
		}
		p.data = append(p.data, o)
	}
	return p, nil
}

// rootPropagation maps Linux.RootfsPropagation to mount(2) flags.
func rootPropagation(s string) (uintptr, error) {
	if s == "" {
		return 0, nil
	}
	f, ok := propagationFlag(s)
	if !ok {
		return 0, fmt.Errorf("rootfs propagation %q: %w", s, errdefs.ErrInvalidArgument)
	}
	return f, nil
}

// joinData joins filesystem options the way mount(2) expects them.
func joinData(data []string) string { return strings.Join(data, ",") }
