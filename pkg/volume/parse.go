package volume

import (
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/hutchctr/hutch/pkg/errdefs"
)

// defaultTmpfsOptions are Podman's options for --tmpfs and type=tmpfs.
var defaultTmpfsOptions = []string{"rw", "noexec", "nosuid", "nodev"}

func invalid(flag, value, why string) error {
	return errdefs.Errorf(errdefs.ErrInvalidArgument, "%s %q: %s", flag, value, why)
}

// ParseVolume parses -v HOST:CTR[:OPTIONS]. HOST must be an absolute or
// ./relative path that exists (named volumes are not supported yet);
// OPTIONS are comma-separated: ro, rw, z, Z (accepted and ignored: no
// SELinux here), and propagation modes.
func ParseVolume(v string) (specs.Mount, error) {
	parts := strings.Split(v, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return specs.Mount{}, invalid("volume", v, "want HOST-DIR:CONTAINER-DIR[:OPTIONS]")
	}
	src, dst := parts[0], parts[1]
	if src == "" || dst == "" {
		return specs.Mount{}, invalid("volume", v, "empty path")
	}
	if !strings.HasPrefix(src, "/") && !strings.HasPrefix(src, ".") {
		return specs.Mount{}, errdefs.Errorf(errdefs.ErrNotImplemented, "volume %q: named volumes are not supported yet; give an absolute host path", v)
	}
	opts := []string{"rbind"}
	rw := "rw"
	if len(parts) == 3 {
		for _, o := range strings.Split(parts[2], ",") {
			switch o {
			case "ro", "rw":
				rw = o
			case "z", "Z", "":
			case "private", "rprivate", "shared", "rshared", "slave", "rslave":
				opts = append(opts, o)
			default:
				return specs.Mount{}, invalid("volume", v, "unknown option "+strconv.Quote(o))
			}
		}
	}
	return bindMount("volume", v, src, dst, append(opts, rw))
}

func bindMount(flag, v, src, dst string, opts []string) (specs.Mount, error) {
	abs, err := filepath.Abs(src)
	if err != nil {
		return specs.Mount{}, invalid(flag, v, err.Error())
	}
	if _, err := os.Stat(abs); err != nil {
		return specs.Mount{}, errdefs.Errorf(errdefs.ErrNotFound, "%s %q: host path %s does not exist", flag, v, abs)
	}
	if !path.IsAbs(dst) {
		return specs.Mount{}, invalid(flag, v, "container path must be absolute")
	}
	return specs.Mount{Destination: path.Clean(dst), Type: "bind", Source: abs, Options: opts}, nil
}

// ParseTmpfs parses --tmpfs PATH[:OPTIONS].
func ParseTmpfs(v string) (specs.Mount, error) {
	dst, opts, _ := strings.Cut(v, ":")
	if !path.IsAbs(dst) {
		return specs.Mount{}, invalid("tmpfs", v, "container path must be absolute")
	}
	options := append([]string(nil), defaultTmpfsOptions...)
	if opts != "" {
		options = strings.Split(opts, ",")
	}
	return specs.Mount{Destination: path.Clean(dst), Type: "tmpfs", Source: "tmpfs", Options: options}, nil
}

// ParseMount parses --mount type=bind|tmpfs,KEY=VALUE,...
func ParseMount(v string) (specs.Mount, error) {
	kv := map[string]string{}
	var flags []string
	for _, f := range strings.Split(v, ",") {
		k, val, ok := strings.Cut(f, "=")
		k = strings.TrimSpace(k)
		if !ok {
			flags = append(flags, k)
			continue
		}
		kv[k] = val
	}
	ro := false
	for _, f := range flags {
		switch f {
		case "ro", "readonly":
			ro = true
		case "rw":
		default:
			return specs.Mount{}, invalid("mount", v, "unknown option "+strconv.Quote(f))
		}
	}
	src := first(kv, "source", "src")
	dst := first(kv, "target", "destination", "dst")
	if r, ok := kv["readonly"]; ok {
		b, err := strconv.ParseBool(r)
		if err != nil {
			return specs.Mount{}, invalid("mount", v, "readonly must be true or false")
		}
		ro = b
	}
	if r, ok := kv["ro"]; ok {
		b, err := strconv.ParseBool(r)
		if err != nil {
			return specs.Mount{}, invalid("mount", v, "ro must be true or false")
		}
		ro = b
	}
	switch kv["type"] {
	case "bind":
		if src == "" || dst == "" {
			return specs.Mount{}, invalid("mount", v, "bind mounts need source and target")
		}
		opts := []string{"rbind", "rw"}
		if ro {
			opts[1] = "ro"
		}
		if p := kv["bind-propagation"]; p != "" {
			opts = append(opts, p)
		}
		return bindMount("mount", v, src, dst, opts)
	case "tmpfs":
		if dst == "" {
			return specs.Mount{}, invalid("mount", v, "tmpfs mounts need a target")
		}
		opts := append([]string(nil), defaultTmpfsOptions...)
		if ro {
			opts[0] = "ro"
		}
		if s := kv["tmpfs-size"]; s != "" {
			opts = append(opts, "size="+s)
		}
		if m := kv["tmpfs-mode"]; m != "" {
			opts = append(opts, "mode="+m)
		}
		return ParseTmpfs(dst + ":" + strings.Join(opts, ","))
	case "":
		return specs.Mount{}, invalid("mount", v, "type is required (bind or tmpfs)")
	case "volume":
		return specs.Mount{}, errdefs.Errorf(errdefs.ErrNotImplemented, "mount %q: named volumes are not supported yet", v)
	default:
		return specs.Mount{}, invalid("mount", v, "unknown type "+strconv.Quote(kv["type"]))
	}
}

func first(kv map[string]string, keys ...string) string {
	for _, k := range keys {
		if v := kv[k]; v != "" {
			return v
		}
	}
	return ""
}
