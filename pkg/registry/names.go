package registry

import (
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/hutchctr/hutch/pkg/errdefs"
)

// dockerHub is Docker Hub's registry as users and stored image names spell
// it; go-containerregistry spells it name.DefaultRegistry.
const dockerHub = "docker.io"

// Candidates returns the references ref may mean, in the order a pull tries
// them: a fully qualified name as is; a short name's alias from hutch.yaml;
// else the short name in each unqualified-search registry. A "localhost/"
// name is a local image: ErrNotFound, since no registry serves it.
func (c *Client) Candidates(ref string) ([]name.Reference, error) {
	if !isShortName(ref) {
		if strings.HasPrefix(ref, "localhost/") {
			return nil, errdefs.Errorf(errdefs.ErrNotFound, "image %q: localhost/ names local images, which are not pulled from a registry", ref)
		}
		r, err := parse(ref, ref)
		if err != nil {
			return nil, err
		}
		return []name.Reference{r}, nil
	}
	repo, suffix := splitSuffix(ref)
	if full, ok := c.cfg.ShortNameAliases[repo]; ok {
		r, err := parse(full+suffix, ref)
		if err != nil {
			return nil, err
		}
		return []name.Reference{r}, nil
	}
	if len(c.cfg.UnqualifiedSearchRegistries) == 0 {
		return nil, errdefs.Errorf(errdefs.ErrInvalidArgument,
			"short name %q: hutch.yaml has no unqualified-search-registries and no alias for it: use a fully qualified name", ref)
	}
	out := make([]name.Reference, 0, len(c.cfg.UnqualifiedSearchRegistries))
	for _, reg := range c.cfg.UnqualifiedSearchRegistries {
		r, err := parse(reg+"/"+ref, ref)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// isShortName reports whether s lacks a registry: Docker's rule, the first
// component is a registry when it has a "." or ":" or is "localhost".
func isShortName(s string) bool {
	first, _, found := strings.Cut(s, "/")
	return !found || !(strings.ContainsAny(first, ".:") || first == "localhost")
}

// splitSuffix splits "repo:tag@digest" into the repository and the rest.
func splitSuffix(s string) (repo, suffix string) {
	repo = s
	if i := strings.IndexByte(repo, '@'); i >= 0 {
		repo = repo[:i]
	}
	if i := strings.LastIndexByte(repo, ':'); i > strings.LastIndexByte(repo, '/') {
		repo = repo[:i]
	}
	return repo, s[len(repo):]
}

// parse parses a fully qualified reference; user is what the user typed,
// for the message.
func parse(s, user string) (name.Reference, error) {
	r, err := name.ParseReference(s)
	if err != nil {
		return nil, errdefs.Errorf(errdefs.ErrInvalidArgument, "invalid image reference %q: %v", user, err)
	}
	return r, nil
}

// FamiliarName returns ref as hutch stores image names:
// "docker.io/library/alpine:latest", "127.0.0.1:5000/x@sha256:...".
func FamiliarName(ref name.Reference) string {
	s := FamiliarRepository(ref.Context())
	if d, ok := ref.(name.Digest); ok {
		return s + "@" + d.DigestStr()
	}
	return s + ":" + ref.Identifier()
}

// FamiliarRepository returns repo as "docker.io/library/alpine".
func FamiliarRepository(repo name.Repository) string {
	return familiarHost(repo.RegistryStr()) + "/" + repo.RepositoryStr()
}

func familiarHost(h string) string {
	if h == name.DefaultRegistry {
		return dockerHub
	}
	return h
}

// ParsePushReference parses a push destination. Docker's rule applies to a
// name without a registry (docker.io); "localhost/" names cannot be pushed.
func ParsePushReference(ref string) (name.Reference, error) {
	if strings.HasPrefix(ref, "localhost/") {
		return nil, errdefs.Errorf(errdefs.ErrInvalidArgument,
			"cannot push to %q: localhost/ names local images; give a registry (e.g. 127.0.0.1:5000/name)", ref)
	}
	return parse(ref, ref)
}
