package signature

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/hutchctr/hutch/pkg/config"
	"github.com/hutchctr/hutch/pkg/errdefs"
)

func TestNormalizeScope(t *testing.T) {
	tests := []struct {
		in, want string
		wantErr  string
	}{
		{in: "docker.io", want: "docker.io"},
		{in: "index.docker.io", want: "docker.io"},
		{in: "Index.Docker.IO/library/alpine", want: "docker.io/library/alpine"},
		{in: "docker.io/alpine", want: "docker.io/alpine"}, // a namespace, not library/alpine
		{in: "127.0.0.1:5000", want: "127.0.0.1:5000"},
		{in: "localhost/app", want: "localhost/app"},
		{in: "127.0.0.1:5000/signed", want: "127.0.0.1:5000/signed"},
		{in: "127.0.0.1:5000/a/b/c:v1.2", want: "127.0.0.1:5000/a/b/c:v1.2"},
		{in: "quay.io/org/", wantErr: "invalid repository path"},
		{in: "quay.io/Org", wantErr: "invalid repository path"},
		{in: "quay.io/org:", wantErr: "invalid tag"},
		{in: "quay.io/org:bad/tag", wantErr: "invalid repository path"},
		{in: "library/alpine", wantErr: "must start with a registry host"},
		{in: "alpine", wantErr: "must start with a registry host"},
		{in: "a.io/app@sha256:" + strings.Repeat("a", 64), wantErr: "digests are not supported"},
		{in: "", wantErr: "empty"},
		{in: " docker.io", wantErr: "empty or padded"},
	}
	for _, tt := range tests {
		got, err := normalizeScope(tt.in)
		if tt.wantErr != "" {
			if !errors.Is(err, errdefs.ErrInvalidArgument) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("normalizeScope(%q) = %q, %v; want error containing %q", tt.in, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("normalizeScope(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestNewPolicyRejectsBadEntries(t *testing.T) {
	tests := []struct {
		name    string
		def     string
		scopes  map[string]config.PolicyRequirement
		wantErr string
	}{
		{"bad default", "sigstore-signed", nil, `default "sigstore-signed"`},
		{"unknown type", "", map[string]config.PolicyRequirement{"a.io": {Type: "signed"}}, `scope "a.io": unknown type "signed"`},
		{"signed without key", "", map[string]config.PolicyRequirement{"a.io": {Type: TypeSigstoreSigned}}, "needs a key"},
		{"relative key", "", map[string]config.PolicyRequirement{"a.io": {Type: TypeSigstoreSigned, Key: "k.pub"}}, "must be an absolute path"},
		{"key on accept", "", map[string]config.PolicyRequirement{"a.io": {Type: TypeAccept, Key: "/k.pub"}}, "takes no key"},
		{"two spellings", "", map[string]config.PolicyRequirement{"docker.io": {Type: TypeAccept}, "index.docker.io": {Type: TypeReject}}, `"docker.io" and "index.docker.io" name the same scope`},
		{"bad scope", "", map[string]config.PolicyRequirement{"alpine": {Type: TypeAccept}}, `scope "alpine"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewPolicy(config.Policy{Default: tt.def, Scopes: tt.scopes})
			if !errors.Is(err, errdefs.ErrInvalidArgument) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("NewPolicy() = %v, want InvalidArgument containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestMatch(t *testing.T) {
	p, err := NewPolicy(config.Policy{Default: TypeReject, Scopes: map[string]config.PolicyRequirement{
		"docker.io":                        {Type: TypeAccept},
		"docker.io/library/alpine":         {Type: TypeSigstoreSigned, Key: "/keys/alpine.pub"},
		"docker.io/library/alpine:edge":    {Type: TypeReject},
		"docker.io/alpine":                 {Type: TypeReject},
		"127.0.0.1:5000/signed":            {Type: TypeSigstoreSigned, Key: "/keys/test.pub"},
		"127.0.0.1:5000/signed/legacy":     {Type: TypeAccept},
		"127.0.0.1:5000/nope":              {Type: TypeReject},
		"127.0.0.1:5000":                   {Type: TypeAccept},
		"Quay.io/org/team":                 {Type: TypeSigstoreSigned, Key: "/keys/team.pub"},
		"localhost:5000/app:v1":            {Type: TypeReject},
		"localhost:5000/application":       {Type: TypeSigstoreSigned, Key: "/keys/application.pub"},
		"registry.example.com:443/a/b/c:d": {Type: TypeAccept},
	}})
	if err != nil {
		t.Fatal(err)
	}
	signed := func(scope, key string) Match { return Match{Scope: scope, Type: TypeSigstoreSigned, Key: key} }
	tests := []struct {
		ref  string
		want Match
	}{
		// Docker Hub: short names normalize to docker.io/library/NAME.
		{"alpine", signed("docker.io/library/alpine", "/keys/alpine.pub")},
		{"alpine:3.20", signed("docker.io/library/alpine", "/keys/alpine.pub")},
		{"index.docker.io/library/alpine:edge", Match{"docker.io/library/alpine:edge", TypeReject, ""}},
		{"alpine@" + vectorDigest, signed("docker.io/library/alpine", "/keys/alpine.pub")},
		{"alpine/git", Match{"docker.io/alpine", TypeReject, ""}},
		{"busybox", Match{"docker.io", TypeAccept, ""}},
		// Repository beats registry; namespaces match on path boundaries.
		{"127.0.0.1:5000/signed:v1", signed("127.0.0.1:5000/signed", "/keys/test.pub")},
		{"127.0.0.1:5000/signed/sub:v1", signed("127.0.0.1:5000/signed", "/keys/test.pub")},
		{"127.0.0.1:5000/signed/legacy/x", Match{"127.0.0.1:5000/signed/legacy", TypeAccept, ""}},
		{"127.0.0.1:5000/signedx", Match{"127.0.0.1:5000", TypeAccept, ""}},
		{"127.0.0.1:5000/nope:latest", Match{"127.0.0.1:5000/nope", TypeReject, ""}},
		{"127.0.0.1:5000/other", Match{"127.0.0.1:5000", TypeAccept, ""}},
		// Another port is another registry.
		{"127.0.0.1:5001/signed", Match{DefaultScope, TypeReject, ""}},
		{"quay.io/org/team/app", signed("Quay.io/org/team", "/keys/team.pub")},
		{"quay.io/org/other", Match{DefaultScope, TypeReject, ""}},
		// A tag scope binds that tag only, never a digest reference.
		{"localhost:5000/app:v1", Match{"localhost:5000/app:v1", TypeReject, ""}},
		{"localhost:5000/app:v2", Match{DefaultScope, TypeReject, ""}},
		{"localhost:5000/app@" + vectorDigest, Match{DefaultScope, TypeReject, ""}},
		{"localhost:5000/app", Match{DefaultScope, TypeReject, ""}},
		{"localhost:5000/application:v1", signed("localhost:5000/application", "/keys/application.pub")},
		{"registry.example.com:443/a/b/c:d", Match{"registry.example.com:443/a/b/c:d", TypeAccept, ""}},
	}
	for _, tt := range tests {
		got := p.Match(mustRef(t, tt.ref))
		if diff := cmp.Diff(got, tt.want); diff != "" {
			t.Errorf("Match(%s) (-got +want):\n%s", tt.ref, diff)
		}
	}
}

func TestZeroPolicyAccepts(t *testing.T) {
	var nilPolicy *Policy
	for _, p := range []*Policy{nilPolicy, {}} {
		if got, want := p.Match(mustRef(t, "alpine")), (Match{DefaultScope, TypeAccept, ""}); got != want {
			t.Errorf("Match = %+v, want %+v", got, want)
		}
		if err := p.Verify(t.Context(), mustRef(t, "alpine"), mustHash(t, vectorDigest), nil); err != nil {
			t.Errorf("Verify = %v", err)
		}
	}
}

// Policy must satisfy pkg/registry's Verifier, whose fetch parameter is a
// function type with this underlying type (pkg/signature does not import
// pkg/registry).
var _ interface {
	Verify(context.Context, name.Reference, v1.Hash, func(context.Context) (v1.Image, error)) error
} = (*Policy)(nil)

// TestPolicyFromHutchYAML reads the contract's example policy through
// config.Load: relative key paths are relative to hutch.yaml.
func TestPolicyFromHutchYAML(t *testing.T) {
	dir := t.TempDir()
	yaml := `policy:
  default: reject
  scopes:
    "127.0.0.1:5000/signed": {type: sigstore-signed, key: keys/cosign.pub}
    "127.0.0.1:5000/nope": {type: reject}
    "docker.io": {type: accept}
`
	path := filepath.Join(dir, "hutch.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPolicy(f.Policy)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		ref  string
		want Match
	}{
		{"127.0.0.1:5000/signed:v1", Match{"127.0.0.1:5000/signed", TypeSigstoreSigned, filepath.Join(dir, "keys/cosign.pub")}},
		{"127.0.0.1:5000/nope", Match{"127.0.0.1:5000/nope", TypeReject, ""}},
		{"alpine", Match{"docker.io", TypeAccept, ""}},
		{"quay.io/x/y", Match{DefaultScope, TypeReject, ""}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(p.Match(mustRef(t, tt.ref)), tt.want); diff != "" {
			t.Errorf("Match(%s) (-got +want):\n%s", tt.ref, diff)
		}
	}
}

func TestRefusalSpellsDockerHubFamiliarly(t *testing.T) {
	p, err := NewPolicy(config.Policy{Scopes: map[string]config.PolicyRequirement{"docker.io/library/alpine": {Type: TypeReject}}})
	if err != nil {
		t.Fatal(err)
	}
	err = p.Verify(t.Context(), mustRef(t, "alpine:3"), mustHash(t, vectorDigest), nil)
	want := `image docker.io/library/alpine:3: rejected by signature policy "docker.io/library/alpine" (reject)`
	if err == nil || err.Error() != want {
		t.Errorf("Verify = %v, want %q", err, want)
	}
}
