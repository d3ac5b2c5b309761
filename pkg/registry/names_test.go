package registry

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/hutchctr/hutch/pkg/config"
	"github.com/hutchctr/hutch/pkg/errdefs"
)

const zeroDigest = "sha256:0000000000000000000000000000000000000000000000000000000000000000"

func TestCandidates(t *testing.T) {
	cfg := &config.File{
		UnqualifiedSearchRegistries: []string{"docker.io", "quay.io"},
		ShortNameAliases: map[string]string{
			"myalpine":  "docker.io/library/alpine",
			"team/tool": "127.0.0.1:5000/team/tool",
		},
	}
	tests := []struct {
		ref     string
		want    []string
		wantErr error
	}{
		{"alpine", []string{"docker.io/library/alpine:latest", "quay.io/alpine:latest"}, nil},
		{"alpine:3.19", []string{"docker.io/library/alpine:3.19", "quay.io/alpine:3.19"}, nil},
		{"org/app@" + zeroDigest, []string{"docker.io/org/app@" + zeroDigest, "quay.io/org/app@" + zeroDigest}, nil},
		{"myalpine", []string{"docker.io/library/alpine:latest"}, nil},
		{"myalpine:3", []string{"docker.io/library/alpine:3"}, nil},
		{"team/tool@" + zeroDigest, []string{"127.0.0.1:5000/team/tool@" + zeroDigest}, nil},
		{"docker.io/alpine", []string{"docker.io/library/alpine:latest"}, nil},
		{"index.docker.io/library/alpine:1", []string{"docker.io/library/alpine:1"}, nil},
		{"quay.io/org/x:1", []string{"quay.io/org/x:1"}, nil},
		{"localhost:5000/x", []string{"localhost:5000/x:latest"}, nil},
		{"127.0.0.1:5000/a/b/c:t", []string{"127.0.0.1:5000/a/b/c:t"}, nil},
		{"localhost/x", nil, errdefs.ErrNotFound},
		{"UPPER", nil, errdefs.ErrInvalidArgument},
		{"quay.io/x:bad tag", nil, errdefs.ErrInvalidArgument},
	}
	c := New(Options{Config: cfg})
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			refs, err := c.Candidates(tt.ref)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error %v, want %v", err, tt.wantErr)
			}
			var got []string
			for _, r := range refs {
				got = append(got, FamiliarName(r))
			}
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("candidates (-got +want):\n%s", diff)
			}
		})
	}
	noSearch := New(Options{Config: &config.File{UnqualifiedSearchRegistries: []string{}}})
	if _, err := noSearch.Candidates("alpine"); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Errorf("short name without search registries: %v", err)
	}
	if refs, err := noSearch.Candidates("quay.io/x"); err != nil || len(refs) != 1 {
		t.Errorf("qualified name without search registries: %v, %v", refs, err)
	}
}

func TestEndpoints(t *testing.T) {
	cfg := &config.File{Registries: []config.Registry{
		{Prefix: "docker.io", Location: "registry-1.docker.io", Mirrors: []config.Mirror{{Location: "127.0.0.1:5001/hub", Insecure: true}}},
		{Prefix: "example.com/team", Location: "internal.example.com/mirror/team", Insecure: true},
		{Prefix: "example.com", Mirrors: []config.Mirror{{Location: "m1.example.com"}, {Location: "m2.example.com/x"}}},
	}}
	type ep struct {
		Repo     string
		Mirror   bool
		Insecure bool
	}
	tests := []struct {
		repo      string
		tlsVerify *bool // --tls-verify, nil when absent
		want      []ep
	}{
		{"docker.io/library/alpine", nil, []ep{{"127.0.0.1:5001/hub/library/alpine", true, true}, {"registry-1.docker.io/library/alpine", false, false}}},
		// --tls-verify=true overrides an insecure mirror; =false makes
		// every endpoint insecure.
		{"docker.io/library/alpine", boolPtr(true), []ep{{"127.0.0.1:5001/hub/library/alpine", true, false}, {"registry-1.docker.io/library/alpine", false, false}}},
		{"docker.io/library/alpine", boolPtr(false), []ep{{"127.0.0.1:5001/hub/library/alpine", true, true}, {"registry-1.docker.io/library/alpine", false, true}}},
		{"example.com/team/app", nil, []ep{{"internal.example.com/mirror/team/app", false, true}}},
		{"example.com/team/app", boolPtr(true), []ep{{"internal.example.com/mirror/team/app", false, false}}},
		{"example.com/teamwork/app", nil, []ep{
			{"m1.example.com/teamwork/app", true, false}, {"m2.example.com/x/teamwork/app", true, false}, {"example.com/teamwork/app", false, false},
		}},
		{"quay.io/org/app", nil, []ep{{"quay.io/org/app", false, false}}},
		{"quay.io/org/app", boolPtr(true), []ep{{"quay.io/org/app", false, false}}},
		{"quay.io/org/app", boolPtr(false), []ep{{"quay.io/org/app", false, true}}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/tls-verify=%s", tt.repo, flagText(tt.tlsVerify)), func(t *testing.T) {
			c := New(Options{Config: cfg, TLSVerify: tt.tlsVerify})
			repo, err := name.NewRepository(tt.repo)
			if err != nil {
				t.Fatal(err)
			}
			eps, err := c.Endpoints(repo)
			if err != nil {
				t.Fatal(err)
			}
			var got []ep
			for _, e := range eps {
				got = append(got, ep{e.String(), e.Mirror, e.Insecure})
			}
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("endpoints (-got +want):\n%s", diff)
			}
		})
	}
}

func TestPickPlatform(t *testing.T) {
	entry := func(os, arch, variant string, d byte) v1.Descriptor {
		return v1.Descriptor{
			MediaType: types.OCIManifestSchema1,
			Digest:    v1.Hash{Algorithm: "sha256", Hex: string(rune('a'+d)) + zeroDigest[8:]},
			Platform:  &v1.Platform{OS: os, Architecture: arch, Variant: variant},
		}
	}
	idx := &v1.IndexManifest{Manifests: []v1.Descriptor{
		entry("unknown", "unknown", "", 0), // an attestation
		entry("linux", "amd64", "v3", 1),
		entry("linux", "amd64", "", 2),
		entry("linux", "arm", "v6", 3),
		entry("linux", "arm", "v7", 4),
		entry("linux", "arm64", "", 5),
	}}
	tests := []struct {
		want    v1.Platform
		wantIdx int // -1: error
	}{
		{v1.Platform{OS: "linux", Architecture: "amd64"}, 2},
		{v1.Platform{OS: "linux", Architecture: "amd64", Variant: "v3"}, 1},
		{v1.Platform{OS: "linux", Architecture: "arm", Variant: "v7"}, 4},
		{v1.Platform{OS: "linux", Architecture: "arm"}, 3},
		{v1.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}, 5},
		{v1.Platform{OS: "linux", Architecture: "arm", Variant: "v5"}, -1},
		{v1.Platform{OS: "windows", Architecture: "amd64"}, -1},
	}
	for _, tt := range tests {
		t.Run(platformString(tt.want), func(t *testing.T) {
			got, err := pickPlatform(idx, tt.want)
			if tt.wantIdx < 0 {
				if !errors.Is(err, errdefs.ErrNotFound) {
					t.Fatalf("error %v, want ErrNotFound", err)
				}
				if want := "(it has linux/amd64/v3, linux/amd64, linux/arm/v6, linux/arm/v7, linux/arm64)"; !strings.Contains(err.Error(), want) {
					t.Errorf("message %q lacks %q", err, want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Digest != idx.Manifests[tt.wantIdx].Digest {
				t.Errorf("picked %v, want entry %d", got.Platform, tt.wantIdx)
			}
		})
	}
}

func TestParsePlatform(t *testing.T) {
	for _, s := range []string{"linux", "linux/", "/amd64", "a/b/c/d"} {
		if _, err := ParsePlatform(s); !errors.Is(err, errdefs.ErrInvalidArgument) {
			t.Errorf("ParsePlatform(%q): %v", s, err)
		}
	}
	got, err := ParsePlatform("linux/arm64/v8")
	if err != nil || cmp.Diff(*got, v1.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}) != "" {
		t.Errorf("ParsePlatform: %v, %v", got, err)
	}
}

func TestPushReference(t *testing.T) {
	r, err := ParsePushReference("alpine")
	if err != nil || FamiliarName(r) != "docker.io/library/alpine:latest" {
		t.Errorf("push reference of a short name: %v, %v", r, err)
	}
	if _, err := ParsePushReference("localhost/x"); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Errorf("push to localhost/: %v", err)
	}
}
