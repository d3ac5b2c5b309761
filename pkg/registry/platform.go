package registry

import (
	"runtime"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/hutchctr/hutch/pkg/errdefs"
)

// HostPlatform returns the platform images run on here: linux and the
// architecture hutch was built for (with its ARM variant).
func HostPlatform() v1.Platform {
	p := v1.Platform{OS: "linux", Architecture: runtime.GOARCH}
	switch runtime.GOARCH {
	case "arm64":
		p.Variant = "v8"
	case "arm":
		p.Variant = "v7"
	}
	return p
}

// ParsePlatform parses "os/arch[/variant]" (the --platform flag).
func ParsePlatform(s string) (*v1.Platform, error) {
	parts := strings.Split(s, "/")
	if len(parts) < 2 || len(parts) > 3 || parts[0] == "" || parts[1] == "" {
		return nil, errdefs.Errorf(errdefs.ErrInvalidArgument, "platform %q: want os/arch[/variant], e.g. linux/arm64", s)
	}
	p := &v1.Platform{OS: parts[0], Architecture: parts[1]}
	if len(parts) == 3 {
		p.Variant = parts[2]
	}
	return p, nil
}

// pickPlatform returns the index entry for want: same OS and architecture,
// and the same variant (arm64's defaults to v8). When want names no variant,
// an entry without one is preferred, else the first for the OS and
// architecture is taken.
func pickPlatform(idx *v1.IndexManifest, want v1.Platform) (v1.Descriptor, error) {
	var loose *v1.Descriptor
	var have []string
	for i := range idx.Manifests {
		d := &idx.Manifests[i]
		p := d.Platform
		if p == nil || (d.MediaType != "" && !d.MediaType.IsImage()) {
			continue
		}
		if p.OS != "unknown" {
			have = append(have, platformString(*p))
		}
		if p.OS != want.OS || p.Architecture != want.Architecture {
			continue
		}
		if variant(*p) == variant(want) {
			return *d, nil
		}
		if loose == nil {
			loose = d
		}
	}
	if loose != nil && want.Variant == "" {
		return *loose, nil
	}
	return v1.Descriptor{}, errdefs.Errorf(errdefs.ErrNotFound, "no image for %s in the index (it has %s)", platformString(want), strings.Join(have, ", "))
}

// variant returns p's variant with arm64's default filled in.
func variant(p v1.Platform) string {
	if p.Architecture == "arm64" && p.Variant == "" {
		return "v8"
	}
	return p.Variant
}

func platformString(p v1.Platform) string {
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}
