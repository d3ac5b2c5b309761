package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hutchctr/hutch/pkg/errdefs"
	"gopkg.in/yaml.v3"
)

// Defaults of hutch.yaml.
const (
	DefaultSearchRegistry    = "docker.io"
	DefaultParallelDownloads = 4
	MaxParallelDownloads     = 16
	PolicyAccept             = "accept"
	PolicyReject             = "reject"
	PolicySigstoreSigned     = "sigstore-signed"
)

// DefaultRegistryTimeout is registry-timeout when hutch.yaml has none;
// MinRegistryTimeout is the smallest value it accepts.
const (
	DefaultRegistryTimeout = 30 * time.Second
	MinRegistryTimeout     = time.Second
)

// File is hutch.yaml: registries, short names, downloads and the signature
// policy. Load fills in the defaults, so every field is usable as is.
type File struct {
	// UnqualifiedSearchRegistries are tried in order for a short name
	// ("alpine"); default [docker.io]. An explicit empty list disables the
	// search (short names then resolve through aliases only).
	UnqualifiedSearchRegistries []string `yaml:"unqualified-search-registries"`
	// ShortNameAliases maps a short name (no registry, tag or digest) to a
	// fully qualified repository ("docker.io/library/alpine").
	ShortNameAliases map[string]string `yaml:"short-name-aliases"`
	// ParallelDownloads is how many layers a pull fetches at once (1..16,
	// default 4).
	ParallelDownloads int `yaml:"parallel-downloads"`
	// RegistryTimeout is how long a registry request may make no progress
	// before it is cancelled and the command fails: no byte of a response
	// arrives, or the registry takes no byte of an upload, or it does not
	// answer. A duration string ("30s", the default; "2m"), at least 1s.
	// It never limits a transfer that keeps moving, however slowly.
	RegistryTimeout time.Duration `yaml:"registry-timeout"`
	// CertsDir holds per-registry TLS files, as containers/image's
	// certs.d: CertsDir/HOST[:PORT]/{*.crt (CAs), NAME.cert + NAME.key
	// (client certificate)}. Default: certs.d next to hutch.yaml.
	CertsDir string `yaml:"certs-dir"`
	// Registries configure endpoints per registry (or repository prefix).
	Registries []Registry `yaml:"registries"`
	// Policy is the signature policy (evaluated by pkg/signature).
	Policy Policy `yaml:"policy"`
	// Network configures container networking.
	Network NetworkConfig `yaml:"network"`
	// CgroupManager makes containers' cgroups: "cgroupfs" (directories
	// written directly), "systemd" (transient scopes over D-Bus, cgroup
	// v2 only), or "" to use systemd when it is PID 1.
	CgroupManager string `yaml:"cgroup-manager"`
}

// NetworkConfig is hutch.yaml's network section.
type NetworkConfig struct {
	// DefaultSubnet is the default network's subnet (default
	// 10.88.0.0/16). A change applies once no container uses the default
	// network.
	DefaultSubnet string `yaml:"default-subnet"`
}

// Registry configures the endpoints of the images whose name starts with
// Prefix (a domain, or a domain and path prefix); the longest matching
// prefix wins.
type Registry struct {
	// Prefix is matched against "domain/path" at component boundaries.
	// Required.
	Prefix string `yaml:"prefix"`
	// Location replaces Prefix to reach the registry (optional).
	Location string `yaml:"location"`
	// Insecure allows plain HTTP, or TLS without verification.
	Insecure bool `yaml:"insecure"`
	// Mirrors are tried in order before the source.
	Mirrors []Mirror `yaml:"mirrors"`
}

// Mirror is an alternative endpoint; Location replaces the registry's
// Prefix.
type Mirror struct {
	Location string `yaml:"location"`
	Insecure bool   `yaml:"insecure"`
}

// Policy says which images may be pulled, per scope.
type Policy struct {
	// Default applies where no scope matches: accept (the default) or
	// reject.
	Default string `yaml:"default"`
	// Scopes are "registry", "registry/repo" or "registry/repo:tag"; the
	// longest matching scope wins.
	Scopes map[string]PolicyRequirement `yaml:"scopes"`
}

// PolicyRequirement is what a scope requires.
type PolicyRequirement struct {
	// Type is accept, reject or sigstore-signed.
	Type string `yaml:"type"`
	// Key is the public key file for sigstore-signed (made absolute by
	// Load, relative to hutch.yaml's directory).
	Key string `yaml:"key"`
}

// Load reads hutch.yaml at path and applies the defaults; a missing file
// gives the defaults. Unknown keys and bad values are ErrInvalidArgument
// errors naming the file and the key.
func Load(path string) (*File, error) {
	raw, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	f := &File{}
	if len(bytes.TrimSpace(raw)) > 0 {
		dec := yaml.NewDecoder(bytes.NewReader(raw))
		dec.KnownFields(true)
		if err := dec.Decode(f); err != nil && !errors.Is(err, io.EOF) {
			return nil, errdefs.Errorf(errdefs.ErrInvalidArgument, "%s: %s", path, yamlMessage(err))
		}
	}
	if err := f.normalize(filepath.Dir(path)); err != nil {
		return nil, errdefs.Errorf(errdefs.ErrInvalidArgument, "%s: %w", path, err)
	}
	return f, nil
}

// unknownFieldRE matches yaml.v3's message for an unknown key. Like the
// name patterns below it compiles on first use: every hutch process
// (monitor and container init included) imports this package.
var unknownFieldRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`field (\S+) not found in type \S+`)
})

// yamlMessage turns yaml.v3's multi-line messages into one line that
// speaks of keys rather than Go types.
func yamlMessage(err error) string {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return strings.TrimPrefix(err.Error(), "yaml: ")
	}
	msgs := make([]string, len(te.Errors))
	for i, m := range te.Errors {
		m = unknownFieldRE().ReplaceAllString(m, `unknown key "$1"`)
		// yaml.v3 takes only strings such as "30s" for a duration.
		msgs[i] = strings.Replace(m, "into time.Duration", "into a duration (a string such as 30s)", 1)
	}
	return strings.Join(msgs, "; ")
}

// normalize applies defaults and validates; dir is hutch.yaml's directory.
func (f *File) normalize(dir string) error {
	if f.UnqualifiedSearchRegistries == nil {
		f.UnqualifiedSearchRegistries = []string{DefaultSearchRegistry}
	}
	for _, r := range f.UnqualifiedSearchRegistries {
		if !validHost(r) {
			return fmt.Errorf("unqualified-search-registries: %q is not a registry host[:port]", r)
		}
	}
	for short, full := range f.ShortNameAliases {
		if err := checkAlias(short, full); err != nil {
			return fmt.Errorf("short-name-aliases: %w", err)
		}
	}
	switch {
	case f.ParallelDownloads == 0:
		f.ParallelDownloads = DefaultParallelDownloads
	case f.ParallelDownloads < 1 || f.ParallelDownloads > MaxParallelDownloads:
		return fmt.Errorf("parallel-downloads: %d is out of range (1..%d)", f.ParallelDownloads, MaxParallelDownloads)
	}
	switch {
	case f.RegistryTimeout == 0:
		f.RegistryTimeout = DefaultRegistryTimeout
	case f.RegistryTimeout < MinRegistryTimeout:
		return fmt.Errorf("registry-timeout: %s is below the minimum of %s", f.RegistryTimeout, MinRegistryTimeout)
	}
	if f.CertsDir == "" {
		f.CertsDir = filepath.Join(dir, "certs.d")
	} else if !filepath.IsAbs(f.CertsDir) {
		f.CertsDir = filepath.Join(dir, f.CertsDir)
	}
	if err := checkRegistries(f.Registries); err != nil {
		return err
	}
	if s := f.Network.DefaultSubnet; s != "" {
		p, err := netip.ParsePrefix(s)
		if err != nil || p.Masked() != p {
			return fmt.Errorf("network: default-subnet: %q is not a subnet such as 10.88.0.0/16", s)
		}
	}
	switch f.CgroupManager {
	case "", "cgroupfs", "systemd":
	default:
		return fmt.Errorf("cgroup-manager: %q is neither cgroupfs nor systemd", f.CgroupManager)
	}
	return f.Policy.normalize(dir)
}

func checkRegistries(regs []Registry) error {
	seen := map[string]bool{}
	for i, r := range regs {
		where := fmt.Sprintf("registries[%d]", i)
		r.Prefix = strings.TrimSuffix(r.Prefix, "/")
		regs[i].Prefix = r.Prefix
		if !validLocation(r.Prefix) {
			return fmt.Errorf("%s.prefix: %q is not a registry domain[/path]", where, r.Prefix)
		}
		if seen[r.Prefix] {
			return fmt.Errorf("%s.prefix: %q is listed twice", where, r.Prefix)
		}
		seen[r.Prefix] = true
		if r.Location != "" && !validLocation(r.Location) {
			return fmt.Errorf("%s.location: %q is not a registry host[:port][/path]", where, r.Location)
		}
		for j, m := range r.Mirrors {
			if !validLocation(m.Location) {
				return fmt.Errorf("%s.mirrors[%d].location: %q is not a registry host[:port][/path]", where, j, m.Location)
			}
		}
	}
	return nil
}

func (p *Policy) normalize(dir string) error {
	switch p.Default {
	case "":
		p.Default = PolicyAccept
	case PolicyAccept, PolicyReject:
	default:
		return fmt.Errorf("policy.default: %q is neither %s nor %s", p.Default, PolicyAccept, PolicyReject)
	}
	for scope, req := range p.Scopes {
		where := fmt.Sprintf("policy.scopes[%q]", scope)
		if scope == "" || strings.Contains(scope, "://") {
			return fmt.Errorf("%s: a scope is registry[/repo[:tag]]", where)
		}
		switch req.Type {
		case PolicyAccept, PolicyReject:
			if req.Key != "" {
				return fmt.Errorf("%s.key: only %s takes a key", where, PolicySigstoreSigned)
			}
		case PolicySigstoreSigned:
			if req.Key == "" {
				return fmt.Errorf("%s.key: %s needs a public key file", where, PolicySigstoreSigned)
			}
			if !filepath.IsAbs(req.Key) {
				req.Key = filepath.Join(dir, req.Key)
				p.Scopes[scope] = req
			}
		default:
			return fmt.Errorf("%s.type: %q is not one of %s, %s, %s", where, req.Type, PolicyAccept, PolicyReject, PolicySigstoreSigned)
		}
	}
	return nil
}

// Names: the grammar of github.com/distribution/reference, reduced.
var (
	hostRE = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?$`)
	})
	componentRE = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*$`)
	})
)

func validHost(s string) bool { return hostRE().MatchString(s) }

// validLocation accepts host[:port] followed by repository components.
func validLocation(s string) bool {
	parts := strings.Split(s, "/")
	if !validHost(parts[0]) {
		return false
	}
	return !slices.ContainsFunc(parts[1:], func(c string) bool { return !componentRE().MatchString(c) })
}

// checkAlias requires a short key (repository components only) and a fully
// qualified value (a registry, then a repository), neither with a tag or
// digest: the user's tag or digest applies.
func checkAlias(short, full string) error {
	for _, c := range strings.Split(short, "/") {
		if !componentRE().MatchString(c) {
			return fmt.Errorf("%q: a short name is lower-case repository components without registry, tag or digest", short)
		}
	}
	if first, _, _ := strings.Cut(short, "/"); strings.ContainsAny(first, ".:") || first == "localhost" {
		return fmt.Errorf("%q: a short name has no registry", short)
	}
	parts := strings.Split(full, "/")
	if len(parts) < 2 || !(strings.ContainsAny(parts[0], ".:") || parts[0] == "localhost") || !validLocation(full) {
		return fmt.Errorf("%q: %q is not a fully qualified repository (registry/path, without tag or digest)", short, full)
	}
	return nil
}
