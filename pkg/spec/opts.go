package spec

import (
	"fmt"
	"path"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/hutchctr/hutch/pkg/errdefs"
)

// Opt changes a spec document.
type Opt func(*specs.Spec) error

// New returns Default() with opts applied in order.
func New(opts ...Opt) (*specs.Spec, error) {
	s := Default()
	for _, o := range opts {
		if err := o(s); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// WithArgs sets the process's argv. It must not be empty.
func WithArgs(args ...string) Opt {
	return func(s *specs.Spec) error {
		if len(args) == 0 {
			return errdefs.Errorf(errdefs.ErrInvalidArgument, "no command: the image has no Cmd or Entrypoint and none was given")
		}
		s.Process.Args = append([]string(nil), args...)
		return nil
	}
}

// WithEnv merges env (KEY=VALUE entries) into the process environment;
// later entries replace earlier ones with the same key.
func WithEnv(env []string) Opt {
	return func(s *specs.Spec) error {
		s.Process.Env = MergeEnv(s.Process.Env, env)
		return nil
	}
}

// WithCwd sets the working directory, which must be absolute.
func WithCwd(dir string) Opt {
	return func(s *specs.Spec) error {
		if dir == "" {
			return nil
		}
		if !path.IsAbs(dir) {
			return errdefs.Errorf(errdefs.ErrInvalidArgument, "working directory %q must be an absolute path", dir)
		}
		s.Process.Cwd = path.Clean(dir)
		return nil
	}
}

// WithHostname sets the UTS hostname.
func WithHostname(name string) Opt {
	return func(s *specs.Spec) error {
		if len(name) > 64 || strings.ContainsAny(name, " \t\n/") {
			return fmt.Errorf("hostname %q: %w", name, errdefs.ErrInvalidArgument)
		}
		s.Hostname = name
		return nil
	}
}

// WithTerminal gives the process a pty; TERM defaults to xterm.
func WithTerminal(tty bool) Opt {
	return func(s *specs.Spec) error {
		s.Process.Terminal = tty
		if tty && LookupEnv(s.Process.Env, "TERM") == "" {
			s.Process.Env = append(s.Process.Env, "TERM=xterm")
		}
		return nil
	}
}

// WithReadonlyRootfs mounts the rootfs read-only.
func WithReadonlyRootfs(ro bool) Opt {
	return func(s *specs.Spec) error {
		s.Root.Readonly = ro
		return nil
	}
}

// WithHostNetwork keeps the host's network namespace and mounts /sys from
// the host (read-only): a sysfs of a network namespace the container does
// not own cannot be mounted.
func WithHostNetwork() Opt {
	return func(s *specs.Spec) error {
		ns := s.Linux.Namespaces[:0]
		for _, n := range s.Linux.Namespaces {
			if n.Type != specs.NetworkNamespace {
				ns = append(ns, n)
			}
		}
		s.Linux.Namespaces = ns
		return nil
	}
}

// WithMounts appends mounts after the default ones.
func WithMounts(ms ...specs.Mount) Opt {
	return func(s *specs.Spec) error {
		for _, m := range ms {
			if !path.IsAbs(m.Destination) {
				return errdefs.Errorf(errdefs.ErrInvalidArgument, "mount destination %q must be an absolute path", m.Destination)
			}
		}
		s.Mounts = append(s.Mounts, ms...)
		return nil
	}
}

// WithRootfs sets the host path of the mounted rootfs.
func WithRootfs(dir string) Opt {
	return func(s *specs.Spec) error {
		s.Root.Path = dir
		return nil
	}
}

// WithUser sets the process's numeric identity.
func WithUser(u specs.User) Opt {
	return func(s *specs.Spec) error {
		s.Process.User = u
		return nil
	}
}

// WithAnnotations records labels and other metadata in the document.
func WithAnnotations(a map[string]string) Opt {
	return func(s *specs.Spec) error {
		if len(a) == 0 {
			return nil
		}
		if s.Annotations == nil {
			s.Annotations = map[string]string{}
		}
		for k, v := range a {
			s.Annotations[k] = v
		}
		return nil
	}
}
