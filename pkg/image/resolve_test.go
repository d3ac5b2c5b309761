package image

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hutchctr/hutch/pkg/errdefs"
	"github.com/opencontainers/go-digest"
)

const (
	idBusybox = "aaaa1111bbbb2222cccc3333dddd4444eeee5555ffff6666aaaa7777bbbb8888"
	idLocal   = "aaab1111bbbb2222cccc3333dddd4444eeee5555ffff6666aaaa7777bbbb8888"
	idQuay    = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	idOther   = "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
	idTwin    = "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543211"
)

var dgst = digest.FromString("manifest")

func testCandidates() []candidate {
	return []candidate{
		{ID: idBusybox, Names: []string{"docker.io/library/busybox:latest", "docker.io/library/busybox:1.36"}, Digests: []digest.Digest{dgst}},
		{ID: idLocal, Names: []string{"localhost/busybox:latest", "localhost/app:v1"}},
		{ID: idQuay, Names: []string{"quay.io/team/tool:latest", "quay.io/team/busybox:edge"}},
		{ID: idOther, Names: []string{"registry.example.com:5000/a/tool:latest", "ghcr.io/x/dup:latest"}},
		{ID: idTwin, Names: []string{"quay.io/y/dup:latest"}},
	}
}

func TestResolve(t *testing.T) {
	tests := []struct {
		ref      string
		wantID   string
		wantName string
		wantErr  error
	}{
		{ref: "docker.io/library/busybox:latest", wantID: idBusybox, wantName: "docker.io/library/busybox:latest"},
		{ref: "busybox", wantID: idLocal, wantName: "localhost/busybox:latest"}, // localhost first
		{ref: "busybox:latest", wantID: idLocal, wantName: "localhost/busybox:latest"},
		{ref: "busybox:1.36", wantID: idBusybox, wantName: "docker.io/library/busybox:1.36"},
		{ref: "library/busybox:1.36", wantID: idBusybox, wantName: "docker.io/library/busybox:1.36"},
		{ref: "docker.io/busybox:1.36", wantID: idBusybox, wantName: "docker.io/library/busybox:1.36"},
		{ref: "index.docker.io/library/busybox:1.36", wantID: idBusybox, wantName: "docker.io/library/busybox:1.36"},
		{ref: "busybox:edge", wantID: idQuay, wantName: "quay.io/team/busybox:edge"}, // suffix rule
		{ref: "team/busybox:edge", wantID: idQuay, wantName: "quay.io/team/busybox:edge"},
		{ref: "app:v1", wantID: idLocal, wantName: "localhost/app:v1"},
		{ref: "localhost/app:v1", wantID: idLocal, wantName: "localhost/app:v1"},
		{ref: "tool", wantErr: errdefs.ErrInvalidArgument}, // quay.io/team/tool and registry.example.com:5000/a/tool
		{ref: "registry.example.com:5000/a/tool", wantID: idOther, wantName: "registry.example.com:5000/a/tool:latest"},
		{ref: "dup", wantErr: errdefs.ErrInvalidArgument},
		{ref: "busybox@" + dgst.String(), wantID: idBusybox, wantName: "docker.io/library/busybox:latest"},
		{ref: "docker.io/library/busybox@" + dgst.String(), wantID: idBusybox, wantName: "docker.io/library/busybox:latest"},
		{ref: "app@" + dgst.String(), wantErr: errdefs.ErrNotFound},
		{ref: idBusybox, wantID: idBusybox},
		{ref: "sha256:" + idQuay, wantID: idQuay},
		{ref: "012", wantID: idQuay},
		{ref: "aaab", wantID: idLocal},
		{ref: "aaa", wantErr: errdefs.ErrInvalidArgument}, // ambiguous prefix
		{ref: "fedcba", wantErr: errdefs.ErrInvalidArgument},
		{ref: "sha256:99", wantErr: errdefs.ErrNotFound},
		{ref: "ab", wantErr: errdefs.ErrNotFound}, // too short for a prefix: a short name
		{ref: "nope", wantErr: errdefs.ErrNotFound},
		{ref: "quay.io/team/nope", wantErr: errdefs.ErrNotFound},
		{ref: "Busybox", wantErr: errdefs.ErrInvalidArgument},
		{ref: "busy box", wantErr: errdefs.ErrInvalidArgument},
		{ref: "", wantErr: errdefs.ErrInvalidArgument},
		{ref: "busybox:bad/tag", wantErr: errdefs.ErrInvalidArgument},
		{ref: "busybox@sha256:xyz", wantErr: errdefs.ErrInvalidArgument},
	}
	cands := testCandidates()
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			m, err := resolve(cands, tt.ref)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("resolve: %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]string{cands[m.index].ID, m.name}, []string{tt.wantID, tt.wantName}); diff != "" {
				t.Errorf("(-got +want):\n%s", diff)
			}
		})
	}
}

func TestNormalizeName(t *testing.T) {
	tests := []struct {
		in, domain, want string
		wantErr          bool
	}{
		{in: "busybox", domain: dockerDomain, want: "docker.io/library/busybox:latest"},
		{in: "busybox:1.36", domain: dockerDomain, want: "docker.io/library/busybox:1.36"},
		{in: "user/app", domain: dockerDomain, want: "docker.io/user/app:latest"},
		{in: "index.docker.io/library/busybox:1", domain: dockerDomain, want: "docker.io/library/busybox:1"},
		{in: "docker.io/busybox", domain: dockerDomain, want: "docker.io/library/busybox:latest"},
		{in: "foo", domain: localDomain, want: "localhost/foo:latest"},
		{in: "a/b:c", domain: localDomain, want: "localhost/a/b:c"},
		{in: "localhost/foo", domain: dockerDomain, want: "localhost/foo:latest"},
		{in: "localhost:5000/foo", domain: dockerDomain, want: "localhost:5000/foo:latest"},
		{in: "quay.io/x/y@" + dgst.String(), domain: dockerDomain, want: "quay.io/x/y@" + dgst.String()},
		{in: "FOO", domain: localDomain, wantErr: true},
		{in: "foo:", domain: localDomain, wantErr: true},
		{in: "foo bar", domain: localDomain, wantErr: true},
		{in: "-foo", domain: localDomain, wantErr: true},
		{in: "foo//bar", domain: localDomain, wantErr: true},
		{in: "bad_domain.com:x/foo", domain: localDomain, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := normalizeName(tt.in, tt.domain)
			if (err != nil) != tt.wantErr {
				t.Fatalf("normalizeName(%q) error %v, want error %v", tt.in, err, tt.wantErr)
			}
			if err != nil && !errors.Is(err, errdefs.ErrInvalidArgument) {
				t.Errorf("error %v is not ErrInvalidArgument", err)
			}
			if got != tt.want {
				t.Errorf("normalizeName(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// FuzzResolve checks that resolution never panics, classifies every error,
// and that any normalized name resolves to the image that holds it.
func FuzzResolve(f *testing.F) {
	for _, s := range []string{"busybox", "busybox:1.36", "sha256:aaa", "aaab", "quay.io/team/tool", "a/b/c@" + dgst.String(), "localhost:5000/x", "::", "@", "a:b:c"} {
		f.Add(s)
	}
	cands := testCandidates()
	f.Fuzz(func(t *testing.T, ref string) {
		m, err := resolve(cands, ref)
		if err != nil {
			if !errors.Is(err, errdefs.ErrNotFound) && !errors.Is(err, errdefs.ErrInvalidArgument) {
				t.Fatalf("resolve(%q): unclassified error %v", ref, err)
			}
		} else if m.index < 0 || m.index >= len(cands) {
			t.Fatalf("resolve(%q): index %d", ref, m.index)
		}
		n, err := normalizeName(ref, localDomain)
		if err != nil {
			return
		}
		if _, err := parseReference(n); err != nil {
			t.Fatalf("normalized %q to %q, which does not parse: %v", ref, n, err)
		}
		withName := append(testCandidates(), candidate{ID: "f00d", Names: []string{n}})
		m, err = resolve(withName, n)
		if err != nil || withName[m.index].Names[0] != n && !contains(withName[m.index].Names, n) {
			t.Fatalf("resolve(%q) after storing it: %v, %+v", n, err, m)
		}
	})
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
