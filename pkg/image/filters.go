package image

import (
	"fmt"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/opencontainers/go-digest"

	"github.com/hutchctr/hutch/pkg/errdefs"
)

// Filters are the conditions of `images --filter KEY=VALUE`. Different
// keys must all match; several values of reference (or of id) match when
// any does, as in Docker; several labels, befores or sinces must all match.
type Filters struct {
	// Dangling, when set, keeps only unnamed (true) or named (false) images.
	Dangling *bool
	// References are globs matched against an image's names, with and
	// without the registry/namespace and the tag ("bb" matches
	// "localhost/bb:1"; "localhost/*:latest" matches "localhost/bb:latest").
	References []string
	// IDs are image ID prefixes.
	IDs []string
	// Before and Since keep images created before or after the image they
	// name (any reference Get accepts).
	Before, Since []string
	// Labels are KEY or KEY=VALUE: the image has the label (with that value).
	Labels []string
}

// filterKeys are the keys ParseFilters accepts, for its error message.
const filterKeys = "dangling, reference, id, before, since, label"

// ParseFilters parses KEY=VALUE filters, refusing unknown keys and bad
// values with ErrInvalidArgument. It reads nothing from storage.
func ParseFilters(in []string) (Filters, error) {
	var f Filters
	for _, s := range in {
		k, v, ok := strings.Cut(s, "=")
		if !ok || v == "" {
			return Filters{}, errdefs.Errorf(errdefs.ErrInvalidArgument, "filter %q: want KEY=VALUE", s)
		}
		switch k {
		case "dangling":
			if v != "true" && v != "false" {
				return Filters{}, errdefs.Errorf(errdefs.ErrInvalidArgument, "invalid dangling filter %q: use true or false", v)
			}
			d := v == "true"
			f.Dangling = &d
		case "reference":
			if _, err := path.Match(v, ""); err != nil {
				return Filters{}, errdefs.Errorf(errdefs.ErrInvalidArgument, "invalid reference filter %q: %v", v, err)
			}
			f.References = append(f.References, v)
		case "id":
			f.IDs = append(f.IDs, strings.TrimPrefix(v, "sha256:"))
		case "before":
			f.Before = append(f.Before, v)
		case "since":
			f.Since = append(f.Since, v)
		case "label":
			f.Labels = append(f.Labels, v)
		default:
			return Filters{}, errdefs.Errorf(errdefs.ErrInvalidArgument, "%s is an invalid filter (use %s)", k, filterKeys)
		}
	}
	return f, nil
}

// Empty reports whether f lets every image through.
func (f Filters) Empty() bool {
	return f.Dangling == nil && len(f.References)+len(f.IDs)+len(f.Before)+len(f.Since)+len(f.Labels) == 0
}

// Apply returns the images of list that match, in list's order. Before and
// since images are looked up in list itself (which List returns whole):
// one that is not there is ErrNotFound.
func (f Filters) Apply(list []*Image) ([]*Image, error) {
	if f.Empty() {
		return list, nil
	}
	before, err := createdOf(list, f.Before)
	if err != nil {
		return nil, err
	}
	since, err := createdOf(list, f.Since)
	if err != nil {
		return nil, err
	}
	var out []*Image
	for _, img := range list {
		if f.match(img, before, since) {
			out = append(out, img)
		}
	}
	return out, nil
}

func (f Filters) match(img *Image, before, since []time.Time) bool {
	if f.Dangling != nil && img.Dangling != *f.Dangling {
		return false
	}
	if len(f.References) > 0 && !slices.ContainsFunc(f.References, func(p string) bool { return matchReference(p, img) }) {
		return false
	}
	if len(f.IDs) > 0 && !slices.ContainsFunc(f.IDs, func(p string) bool { return strings.HasPrefix(img.ID, p) }) {
		return false
	}
	for _, t := range before {
		if !img.Created.Before(t) {
			return false
		}
	}
	for _, t := range since {
		if !img.Created.After(t) {
			return false
		}
	}
	for _, l := range f.Labels {
		if !hasLabel(img, l) {
			return false
		}
	}
	return true
}

// createdOf resolves refs among list and returns their creation times.
func createdOf(list []*Image, refs []string) ([]time.Time, error) {
	if len(refs) == 0 {
		return nil, nil
	}
	cands := make([]candidate, len(list))
	for i, img := range list {
		cands[i] = candidate{ID: img.ID, Names: img.Names}
		if d, err := digest.Parse(img.Digest); err == nil {
			cands[i].Digests = []digest.Digest{d}
		}
	}
	out := make([]time.Time, 0, len(refs))
	for _, ref := range refs {
		m, err := resolve(cands, ref)
		if err != nil {
			return nil, fmt.Errorf("filter image: %w", err)
		}
		out = append(out, list[m.index].Created)
	}
	return out, nil
}

func hasLabel(img *Image, filter string) bool {
	if img.Config == nil {
		return false
	}
	k, v, hasValue := strings.Cut(filter, "=")
	got, ok := img.Config.Config.Labels[k]
	return ok && (!hasValue || got == v)
}

// matchReference matches a glob against an image's names: whole, without
// the tag, without the registry and namespace, and without both.
func matchReference(pattern string, img *Image) bool {
	for _, n := range img.Names {
		repo, tagged := n, ""
		if i := strings.IndexByte(n, '@'); i >= 0 {
			repo, tagged = n[:i], n[i:]
		} else if i := strings.LastIndexByte(n, ':'); i > strings.LastIndexByte(n, '/') {
			repo, tagged = n[:i], n[i:]
		}
		short := repo[strings.LastIndex(repo, "/")+1:]
		for _, cand := range []string{n, repo, short, short + tagged} {
			if ok, _ := path.Match(pattern, cand); ok {
				return true
			}
		}
	}
	return false
}
