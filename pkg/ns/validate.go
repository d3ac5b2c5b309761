package ns

import (
	"fmt"
	"path"
	"strings"

	"github.com/moby/sys/capability"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/hutchctr/hutch/pkg/errdefs"
)

// validateProcess checks what both init and exec need from a process.
func validateProcess(p *specs.Process) error {
	if p == nil {
		return fmt.Errorf("spec has no process: %w", errdefs.ErrInvalidArgument)
	}
	if len(p.Args) == 0 || p.Args[0] == "" {
		return fmt.Errorf("process has no command: %w", errdefs.ErrInvalidArgument)
	}
	if p.Cwd != "" && !path.IsAbs(p.Cwd) {
		return fmt.Errorf("process cwd %q is not an absolute path: %w", p.Cwd, errdefs.ErrInvalidArgument)
	}
	if p.Capabilities != nil {
		c := p.Capabilities
		for _, set := range [][]string{c.Bounding, c.Effective, c.Permitted, c.Inheritable, c.Ambient} {
			if _, err := parseCaps(set); err != nil {
				return err
			}
		}
	}
	for _, r := range p.Rlimits {
		if _, err := rlimitResource(r.Type); err != nil {
			return err
		}
		if r.Soft > r.Hard {
			return fmt.Errorf("rlimit %s: soft limit %d above hard limit %d: %w", r.Type, r.Soft, r.Hard, errdefs.ErrInvalidArgument)
		}
	}
	return nil
}

// validateSpec checks a spec for Start.
func validateSpec(s *specs.Spec) error {
	if s == nil || s.Root == nil || !path.IsAbs(s.Root.Path) {
		return fmt.Errorf("spec root must be an absolute host path: %w", errdefs.ErrInvalidArgument)
	}
	if s.Linux == nil {
		return fmt.Errorf("spec has no linux section: %w", errdefs.ErrInvalidArgument)
	}
	if err := validateProcess(s.Process); err != nil {
		return err
	}
	created := map[specs.LinuxNamespaceType]bool{}
	for _, n := range s.Linux.Namespaces {
		if n.Path == "" {
			created[n.Type] = true
		}
	}
	if !created[specs.MountNamespace] {
		return fmt.Errorf("a container needs a new mount namespace: %w", errdefs.ErrInvalidArgument)
	}
	if (s.Hostname != "" || s.Domainname != "") && !created[specs.UTSNamespace] {
		return fmt.Errorf("hostname needs a new uts namespace: %w", errdefs.ErrInvalidArgument)
	}
	return nil
}

// capByName maps "CAP_CHOWN" to capability.CAP_CHOWN.
func capByName(name string) (capability.Cap, bool) {
	for _, c := range capability.ListKnown() {
		if "CAP_"+strings.ToUpper(c.String()) == name {
			return c, true
		}
	}
	return 0, false
}

// parseCaps maps capability names; an unknown name is an error.
func parseCaps(names []string) ([]capability.Cap, error) {
	var out []capability.Cap
	for _, n := range names {
		c, ok := capByName(strings.ToUpper(n))
		if !ok {
			return nil, fmt.Errorf("unknown capability %q: %w", n, errdefs.ErrInvalidArgument)
		}
		out = append(out, c)
	}
	return out, nil
}

// rlimitResource maps "RLIMIT_NOFILE" to its resource number.
func rlimitResource(name string) (int, error) {
	switch name {
	case "RLIMIT_AS":
		return unix.RLIMIT_AS, nil
	case "RLIMIT_CORE":
		return unix.RLIMIT_CORE, nil
	case "RLIMIT_CPU":
		return unix.RLIMIT_CPU, nil
	case "RLIMIT_DATA":
		return unix.RLIMIT_DATA, nil
	case "RLIMIT_FSIZE":
		return unix.RLIMIT_FSIZE, nil
	case "RLIMIT_LOCKS":
		return unix.RLIMIT_LOCKS, nil
	case "RLIMIT_MEMLOCK":
		return unix.RLIMIT_MEMLOCK, nil
	case "RLIMIT_MSGQUEUE":
		return unix.RLIMIT_MSGQUEUE, nil
	case "RLIMIT_NICE":
		return unix.RLIMIT_NICE, nil
	case "RLIMIT_NOFILE":
		return unix.RLIMIT_NOFILE, nil
	case "RLIMIT_NPROC":
		return unix.RLIMIT_NPROC, nil
	case "RLIMIT_RSS":
		return unix.RLIMIT_RSS, nil
	case "RLIMIT_RTPRIO":
		return unix.RLIMIT_RTPRIO, nil
	case "RLIMIT_RTTIME":
		return unix.RLIMIT_RTTIME, nil
	case "RLIMIT_SIGPENDING":
		return unix.RLIMIT_SIGPENDING, nil
	case "RLIMIT_STACK":
		return unix.RLIMIT_STACK, nil
	}
	return 0, fmt.Errorf("unknown rlimit %q: %w", name, errdefs.ErrInvalidArgument)
}
