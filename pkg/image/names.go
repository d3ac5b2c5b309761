package image

import (
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/hutchctr/hutch/pkg/errdefs"
	"github.com/opencontainers/go-digest"
)

// Default domains for unqualified names: Docker's rule for names found in
// archives ("busybox" is docker.io/library/busybox), Podman's rule for names
// given to local images by import ("foo" is localhost/foo).
const (
	dockerDomain = "docker.io"
	localDomain  = "localhost"
	defaultTag   = "latest"
)

// The grammar of github.com/distribution/reference, reduced to what hutch
// needs: lower-case path components, tags, sha256 digests. They compile on
// first use: every hutch process (monitor and container init included)
// would otherwise pay for them at start-up.
var (
	pathComponentRE = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*$`)
	})
	domainRE = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?$`)
	})
	tagRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[\w][\w.-]{0,127}$`) })
	hexRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-f0-9]{1,64}$`) })
)

// reference is a parsed image name. Domain is empty for a short name.
type reference struct {
	Domain string
	Path   string // "library/busybox", "foo/bar"
	Tag    string // empty when Digest is set and no tag was given
	Digest digest.Digest
}

// Repository returns domain/path.
func (r reference) Repository() string {
	if r.Domain == "" {
		return r.Path
	}
	return r.Domain + "/" + r.Path
}

// String returns the full reference: repository, then :tag and/or @digest.
func (r reference) String() string {
	s := r.Repository()
	if r.Tag != "" {
		s += ":" + r.Tag
	}
	if r.Digest != "" {
		s += "@" + r.Digest.String()
	}
	return s
}

// parseReference splits s into domain, path, tag and digest without
// applying defaults. The first component is a domain when it contains "."
// or ":" or is "localhost", as in Docker.
func parseReference(s string) (reference, error) {
	var r reference
	bad := func(why string) (reference, error) {
		return reference{}, fmt.Errorf("invalid image reference %q: %s: %w", s, why, errdefs.ErrInvalidArgument)
	}
	if s == "" || len(s) > 4096 {
		return bad("empty or too long")
	}
	name := s
	if i := strings.IndexByte(name, '@'); i >= 0 {
		d, err := digest.Parse(name[i+1:])
		if err != nil {
			return bad("bad digest")
		}
		r.Digest, name = d, name[:i]
	}
	if i := strings.LastIndexByte(name, ':'); i > strings.LastIndexByte(name, '/') {
		r.Tag, name = name[i+1:], name[:i]
		if !tagRE().MatchString(r.Tag) {
			return bad("bad tag")
		}
	}
	parts := strings.Split(name, "/")
	if len(parts) > 1 && (strings.ContainsAny(parts[0], ".:") || parts[0] == localDomain) {
		if !domainRE().MatchString(parts[0]) {
			return bad("bad registry")
		}
		r.Domain, parts = parts[0], parts[1:]
	}
	for _, p := range parts {
		if !pathComponentRE().MatchString(p) {
			return bad("repository names must be lower-case letters, digits and separators")
		}
	}
	r.Path = strings.Join(parts, "/")
	return r, nil
}

// normalizeName qualifies a name the way it is stored: a domain
// (defaultDomain when there is none; docker.io gets "library/" for
// single-component paths), and the tag "latest" unless a tag or digest is
// given. index.docker.io is spelled docker.io.
func normalizeName(s, defaultDomain string) (string, error) {
	r, err := parseReference(s)
	if err != nil {
		return "", err
	}
	if r.Domain == "" {
		r.Domain = defaultDomain
	}
	if r.Domain == "index.docker.io" {
		r.Domain = dockerDomain
	}
	if r.Domain == dockerDomain && !strings.Contains(r.Path, "/") {
		r.Path = "library/" + r.Path
	}
	if r.Tag == "" && r.Digest == "" {
		r.Tag = defaultTag
	}
	return r.String(), nil
}
