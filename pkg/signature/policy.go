package signature

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/hutchctr/hutch/pkg/config"
	"github.com/hutchctr/hutch/pkg/errdefs"
)

// Requirement types, as written in hutch.yaml.
const (
	TypeAccept         = config.PolicyAccept
	TypeReject         = config.PolicyReject
	TypeSigstoreSigned = config.PolicySigstoreSigned
)

// DefaultScope is the name Match and errors give to the policy's default.
const DefaultScope = "default"

// dockerHub is Docker Hub's canonical name in scopes; go-containerregistry
// calls it index.docker.io.
const dockerHub = "docker.io"

// Policy is a validated signature policy. It is immutable and safe for
// concurrent use. The zero Policy (and a nil *Policy) accepts every image.
type Policy struct {
	def    requirement
	scopes map[string]scopeEntry // by normalized scope
}

// requirement is one policy entry's demand.
type requirement struct {
	typ string
	key string // absolute path of the public key (sigstore-signed)
}

// scopeEntry is a requirement and the scope as the user wrote it.
type scopeEntry struct {
	written string
	req     requirement
}

// Fetcher returns an image's signature image, or nil, nil when there is
// none. It is an alias, not a defined type, so that Policy satisfies
// interfaces declared with an identical function type (or alias) elsewhere
// without importing this package's names.
type Fetcher = func(ctx context.Context) (v1.Image, error)

// Match is the policy entry that applies to an image.
type Match struct {
	// Scope is the scope as written in the policy, or DefaultScope.
	Scope string
	// Type is TypeAccept, TypeReject or TypeSigstoreSigned.
	Type string
	// Key is the public key file of a sigstore-signed entry.
	Key string
}

// NewPolicy validates the policy section of hutch.yaml (see the package
// documentation for the forms of scopes). config.Load has checked the
// types and made key paths absolute; NewPolicy checks again, and checks the
// scopes, for policies built by other means.
func NewPolicy(cfg config.Policy) (*Policy, error) {
	p := &Policy{scopes: make(map[string]scopeEntry, len(cfg.Scopes))}
	switch cfg.Default {
	case "", TypeAccept: // "" is the zero config.Policy's default
		p.def = requirement{typ: TypeAccept}
	case TypeReject:
		p.def = requirement{typ: TypeReject}
	default:
		return nil, errdefs.Errorf(errdefs.ErrInvalidArgument,
			"signature policy default %q: must be %q or %q", cfg.Default, TypeAccept, TypeReject)
	}
	// Sorted, so that the error about two spellings of one scope is stable.
	keys := make([]string, 0, len(cfg.Scopes))
	for k := range cfg.Scopes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		req := requirement{typ: cfg.Scopes[k].Type, key: cfg.Scopes[k].Key}
		norm, err := normalizeScope(k)
		if err != nil {
			return nil, err
		}
		if err := req.validate(k); err != nil {
			return nil, err
		}
		if prev, dup := p.scopes[norm]; dup {
			return nil, errdefs.Errorf(errdefs.ErrInvalidArgument,
				"signature policy scopes %q and %q name the same scope", prev.written, k)
		}
		p.scopes[norm] = scopeEntry{written: k, req: req}
	}
	return p, nil
}

// validate checks one scope's requirement.
func (r requirement) validate(scope string) error {
	bad := func(format string, args ...any) error {
		return errdefs.Errorf(errdefs.ErrInvalidArgument, "signature policy scope %q: "+format, append([]any{scope}, args...)...)
	}
	switch r.typ {
	case TypeAccept, TypeReject:
		if r.key != "" {
			return bad("type %q takes no key", r.typ)
		}
	case TypeSigstoreSigned:
		if r.key == "" {
			return bad("type %q needs a key (a public key file)", r.typ)
		}
		if !filepath.IsAbs(r.key) {
			return bad("key %q must be an absolute path", r.key)
		}
	default:
		return bad("unknown type %q (want %s, %s or %s)", r.typ, TypeAccept, TypeReject, TypeSigstoreSigned)
	}
	return nil
}

// normalizeScope checks a scope and returns it in the form refScopes
// produces: registry host lower-case, Docker Hub as docker.io.
func normalizeScope(s string) (string, error) {
	bad := func(why string) (string, error) {
		return "", errdefs.Errorf(errdefs.ErrInvalidArgument, "signature policy scope %q: %s", s, why)
	}
	if s == "" || strings.TrimSpace(s) != s {
		return bad("empty or padded with spaces")
	}
	if strings.Contains(s, "@") {
		return bad("digests are not supported in scopes")
	}
	reg, path, hasPath := strings.Cut(s, "/")
	if _, err := name.NewRegistry(reg, name.StrictValidation); err != nil || !strings.ContainsAny(reg, ".:") && reg != "localhost" {
		return bad("must start with a registry host (with a dot or a port, or localhost)")
	}
	reg = canonicalRegistry(reg)
	if !hasPath {
		return reg, nil
	}
	repo, tag, hasTag := path, "", false
	if i := strings.LastIndexByte(path, ':'); i >= 0 && !strings.Contains(path[i:], "/") {
		repo, tag, hasTag = path[:i], path[i+1:], true
	}
	// Parsing under a neutral registry keeps go-containerregistry from
	// adding "library/" to one-component Docker Hub paths: a scope names
	// exactly the namespace it spells.
	if _, err := name.NewRepository("scope.invalid/" + repo); err != nil || strings.HasSuffix(repo, "/") {
		return bad("invalid repository path")
	}
	if !hasTag {
		return reg + "/" + repo, nil
	}
	if _, err := name.NewTag("scope.invalid/"+repo+":"+tag, name.StrictValidation); err != nil {
		return bad("invalid tag")
	}
	return reg + "/" + repo + ":" + tag, nil
}

// canonicalRegistry lower-cases a registry host (host names are case
// insensitive) and gives Docker Hub one name.
func canonicalRegistry(reg string) string {
	reg = strings.ToLower(reg)
	if reg == name.DefaultRegistry {
		return dockerHub
	}
	return reg
}

// refScopes lists the scopes that could match ref, most specific first:
// repository:tag, repository, each parent namespace, registry.
func refScopes(ref name.Reference) []string {
	reg := canonicalRegistry(ref.Context().RegistryStr())
	repo := reg + "/" + ref.Context().RepositoryStr()
	var out []string
	if t, ok := ref.(name.Tag); ok {
		out = append(out, repo+":"+t.TagStr())
	}
	for s := repo; len(s) > len(reg); s = s[:strings.LastIndexByte(s, '/')] {
		out = append(out, s)
	}
	return append(out, reg)
}

// Match returns the policy entry that applies to ref: the most specific
// matching scope, else the default.
func (p *Policy) Match(ref name.Reference) Match {
	if p == nil {
		return Match{Scope: DefaultScope, Type: TypeAccept}
	}
	for _, s := range refScopes(ref) {
		if e, ok := p.scopes[s]; ok {
			return Match{Scope: e.written, Type: e.req.typ, Key: e.req.key}
		}
	}
	typ := p.def.typ
	if typ == "" {
		typ = TypeAccept
	}
	return Match{Scope: DefaultScope, Type: typ}
}

// Verify decides whether the image ref, whose manifest digest is
// manifestDigest, may be stored and run. fetch returns the image's
// signature image (the SignatureTag of the same repository), or nil, nil
// (or an errdefs.ErrNotFound error) when there is none; it is called only
// for sigstore-signed entries, and a nil fetch means no signatures.
// ref must be the name the user asked for, not a mirror's: scopes and
// signatures name the source repository.
//
// A refusal wraps errdefs.ErrPermission and names the image, the policy
// scope and, for sigstore-signed entries, the key file.
func (p *Policy) Verify(ctx context.Context, ref name.Reference, manifestDigest v1.Hash, fetch Fetcher) error {
	m := p.Match(ref)
	switch m.Type {
	case TypeAccept:
		return nil
	case TypeReject:
		return errdefs.Errorf(errdefs.ErrPermission, "image %s: rejected by signature policy %s", familiar(ref), m.describe())
	}
	// Causes are formatted with %v, not wrapped: a refusal is a permission
	// error only (a wrapped not-found from a missing key file would look like
	// "no such image" to callers that try the next registry).
	refuse := func(format string, args ...any) error {
		return errdefs.Errorf(errdefs.ErrPermission, "image %s: refused by signature policy %s: "+format,
			append([]any{familiar(ref), m.describe()}, args...)...)
	}
	if err := checkDigest(manifestDigest); err != nil {
		return refuse("%v", err)
	}
	key, err := LoadPublicKey(m.Key)
	if err != nil {
		return refuse("%v", err)
	}
	var sigs v1.Image
	if fetch != nil {
		sigs, err = fetch(ctx)
	}
	if errdefs.IsNotFound(err) {
		sigs, err = nil, nil
	}
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return refuse("fetch signatures: %v", err)
	}
	if err := VerifyImage(ctx, sigs, key, ref, manifestDigest); err != nil {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return err
		}
		return refuse("%v", err)
	}
	return nil
}

// familiar spells ref in full, as users write it: Docker Hub as
// docker.io. (A Reference's String is the text it was parsed from.)
func familiar(ref name.Reference) string {
	sep := ":"
	if _, ok := ref.(name.Digest); ok {
		sep = "@"
	}
	return familiarName(ref.Context().Name() + sep + ref.Identifier())
}

// familiarName turns go-containerregistry's index.docker.io into docker.io.
func familiarName(s string) string {
	if rest, ok := strings.CutPrefix(s, name.DefaultRegistry+"/"); ok {
		return dockerHub + "/" + rest
	}
	return s
}

// describe names a policy entry in errors: `"127.0.0.1:5000/app"
// (sigstore-signed, key /etc/hutch/app.pub)`, `default (reject)`.
func (m Match) describe() string {
	scope := DefaultScope
	if m.Scope != DefaultScope {
		scope = fmt.Sprintf("%q", m.Scope)
	}
	if m.Key != "" {
		return fmt.Sprintf("%s (%s, key %s)", scope, m.Type, m.Key)
	}
	return fmt.Sprintf("%s (%s)", scope, m.Type)
}
