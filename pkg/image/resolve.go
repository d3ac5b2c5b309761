package image

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hutchctr/hutch/pkg/errdefs"
	"github.com/opencontainers/go-digest"
)

// candidate is what resolution needs to know about a stored image.
type candidate struct {
	ID      string
	Names   []string
	Digests []digest.Digest
}

// match is the result of resolving a reference.
type match struct {
	index int    // into the candidate list
	name  string // the stored name that matched; "" for a match by ID or digest
}

// minIDPrefix is the shortest ID prefix accepted, as in Podman.
const minIDPrefix = 3

// resolve finds the image ref names among cands. In order: an exact stored
// name; a full ID, "sha256:"+ID or a unique ID prefix of at least 3 hex
// digits; a fully qualified name ("docker.io/busybox" = docker.io/library/
// busybox:latest) or name@digest; finally a short name "busybox[:tag]",
// which matches localhost/busybox, then docker.io/library/busybox, then any
// stored repository ending in "/busybox" (Podman's rule). An ambiguous ID
// prefix or short name is ErrInvalidArgument; no match is ErrNotFound.
func resolve(cands []candidate, ref string) (match, error) {
	for i, c := range cands {
		if slices.Contains(c.Names, ref) {
			return match{index: i, name: ref}, nil
		}
	}
	if m, ok, err := resolveID(cands, ref); ok || err != nil {
		return m, err
	}
	r, err := parseReference(ref)
	if err != nil {
		return match{}, err
	}
	if r.Domain != "" {
		full, _ := normalizeName(ref, dockerDomain) // parsed above: cannot fail
		r, _ = parseReference(full)
		if m, ok := findRepoMatch(cands, []string{r.Repository()}, r); ok {
			return m, nil
		}
		return match{}, notFound(ref)
	}
	if r.Tag == "" && r.Digest == "" {
		r.Tag = defaultTag
	}
	repos := []string{localDomain + "/" + r.Path, dockerDomain + "/" + r.Path}
	if !strings.Contains(r.Path, "/") {
		repos[1] = dockerDomain + "/library/" + r.Path
	}
	if m, ok := findRepoMatch(cands, repos, r); ok {
		return m, nil
	}
	return resolveSuffix(cands, ref, r)
}

func notFound(ref string) error {
	return fmt.Errorf("image %q: %w", ref, errdefs.ErrNotFound)
}

// resolveID matches full IDs and unique ID prefixes; ok is false when ref
// does not look like an ID or matches none.
func resolveID(cands []candidate, ref string) (match, bool, error) {
	id, explicit := strings.CutPrefix(ref, "sha256:")
	if !hexRE().MatchString(id) || (len(id) < minIDPrefix && !explicit) {
		return match{}, false, nil
	}
	found := -1
	for i, c := range cands {
		if c.ID == id {
			return match{index: i}, true, nil
		}
		if strings.HasPrefix(c.ID, id) {
			if found >= 0 {
				return match{}, true, fmt.Errorf("image ID prefix %q is ambiguous: %w", id, errdefs.ErrInvalidArgument)
			}
			found = i
		}
	}
	if found < 0 {
		if explicit {
			return match{}, true, notFound(ref)
		}
		return match{}, false, nil
	}
	return match{index: found}, true, nil
}

// findRepoMatch returns the first image (in repos order) with a name
// repo:tag, or, for a digest reference, a name in repo and that digest.
func findRepoMatch(cands []candidate, repos []string, r reference) (match, bool) {
	for _, repo := range repos {
		for i, c := range cands {
			if r.Digest != "" {
				if n, ok := repoName(c, repo); ok && slices.Contains(c.Digests, r.Digest) {
					return match{index: i, name: n}, true
				}
				continue
			}
			if want := repo + ":" + r.Tag; slices.Contains(c.Names, want) {
				return match{index: i, name: want}, true
			}
		}
	}
	return match{}, false
}

// repoName returns c's first name in repository repo.
func repoName(c candidate, repo string) (string, bool) {
	for _, n := range c.Names {
		if rest, ok := strings.CutPrefix(n, repo); ok && (strings.HasPrefix(rest, ":") || strings.HasPrefix(rest, "@")) {
			return n, true
		}
	}
	return "", false
}

// resolveSuffix matches stored names whose repository ends in "/"+path.
func resolveSuffix(cands []candidate, ref string, r reference) (match, error) {
	found := []match{}
	for i, c := range cands {
		for _, n := range c.Names {
			sr, err := parseReference(n)
			if err != nil || !strings.HasSuffix("/"+sr.Repository(), "/"+r.Path) {
				continue
			}
			if (r.Digest != "" && slices.Contains(c.Digests, r.Digest)) || (r.Digest == "" && sr.Tag == r.Tag) {
				found = append(found, match{index: i, name: n})
				break
			}
		}
	}
	switch {
	case len(found) == 0:
		return match{}, notFound(ref)
	case len(found) > 1:
		return match{}, fmt.Errorf("short name %q matches several images (%s, %s): use a full name: %w",
			ref, found[0].name, found[1].name, errdefs.ErrInvalidArgument)
	}
	return found[0], nil
}
