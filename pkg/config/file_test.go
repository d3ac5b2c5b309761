package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hutchctr/hutch/pkg/errdefs"
)

func TestLoad(t *testing.T) {
	defaults := func(dir string) *File {
		return &File{
			UnqualifiedSearchRegistries: []string{"docker.io"},
			ParallelDownloads:           4,
			RegistryTimeout:             30 * time.Second,
			CertsDir:                    filepath.Join(dir, "certs.d"),
			Policy:                      Policy{Default: "accept"},
		}
	}
	tests := []struct {
		name string
		yaml string // "-" for no file
		want func(dir string) *File
	}{
		{"missing file", "-", defaults},
		{"empty file", "", defaults},
		{"comments only", "# nothing\n", defaults},
		{"everything", `
unqualified-search-registries: [quay.io, "127.0.0.1:5000"]
short-name-aliases: {myalpine: docker.io/library/alpine, "team/tool": "127.0.0.1:5000/team/tool"}
parallel-downloads: 8
registry-timeout: 1m30s
certs-dir: /etc/hutch/certs.d
registries:
  - prefix: docker.io
    location: registry-1.docker.io
    mirrors:
      - location: 127.0.0.1:5001/mirror-prefix
        insecure: true
      - {location: mirror.example.com}
  - prefix: 127.0.0.1:5000/
    insecure: true
policy:
  default: reject
  scopes:
    "127.0.0.1:5000/signed": {type: sigstore-signed, key: /k/cosign.pub}
    "127.0.0.1:5000/rel": {type: sigstore-signed, key: keys/rel.pub}
    "127.0.0.1:5000/nope": {type: reject}
    docker.io: {type: accept}
`, func(dir string) *File {
			return &File{
				UnqualifiedSearchRegistries: []string{"quay.io", "127.0.0.1:5000"},
				ShortNameAliases:            map[string]string{"myalpine": "docker.io/library/alpine", "team/tool": "127.0.0.1:5000/team/tool"},
				ParallelDownloads:           8,
				RegistryTimeout:             90 * time.Second,
				CertsDir:                    "/etc/hutch/certs.d",
				Registries: []Registry{
					{Prefix: "docker.io", Location: "registry-1.docker.io", Mirrors: []Mirror{
						{Location: "127.0.0.1:5001/mirror-prefix", Insecure: true}, {Location: "mirror.example.com"},
					}},
					{Prefix: "127.0.0.1:5000", Insecure: true},
				},
				Policy: Policy{Default: "reject", Scopes: map[string]PolicyRequirement{
					"127.0.0.1:5000/signed": {Type: "sigstore-signed", Key: "/k/cosign.pub"},
					"127.0.0.1:5000/rel":    {Type: "sigstore-signed", Key: filepath.Join(dir, "keys/rel.pub")},
					"127.0.0.1:5000/nope":   {Type: "reject"},
					"docker.io":             {Type: "accept"},
				}},
			}
		}},
		{"explicit empty search list disables the search", "unqualified-search-registries: []\n", func(dir string) *File {
			f := defaults(dir)
			f.UnqualifiedSearchRegistries = []string{}
			return f
		}},
		{"cgroup manager", "cgroup-manager: systemd\n", func(dir string) *File {
			f := defaults(dir)
			f.CgroupManager = "systemd"
			return f
		}},
		{"registry timeout", "registry-timeout: 1s\n", func(dir string) *File {
			f := defaults(dir)
			f.RegistryTimeout = time.Second
			return f
		}},
		{"relative certs dir", "certs-dir: certs\n", func(dir string) *File {
			f := defaults(dir)
			f.CertsDir = filepath.Join(dir, "certs")
			return f
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "hutch.yaml")
			if tt.yaml != "-" {
				if err := os.WriteFile(path, []byte(tt.yaml), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			got, err := Load(path)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(got, tt.want(dir)); diff != "" {
				t.Errorf("Load (-got +want):\n%s", diff)
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       string // a substring of the message, after the file name
	}{
		{"unknown top-level key", "paralel-downloads: 3\n", `line 1: unknown key "paralel-downloads"`},
		{"unknown nested key", "registries:\n  - prefix: docker.io\n    insecur: true\n", `line 3: unknown key "insecur"`},
		{"unknown mirror key", "registries:\n  - prefix: a.io\n    mirrors: [{location: b.io, tls: false}]\n", `unknown key "tls"`},
		{"unknown policy key", "policy:\n  defualt: reject\n", `unknown key "defualt"`},
		{"wrong type", "parallel-downloads: many\n", "line 1: cannot unmarshal"},
		{"not yaml", "registries: [\n", "line"},
		{"parallel too high", "parallel-downloads: 17\n", "parallel-downloads: 17 is out of range (1..16)"},
		{"parallel negative", "parallel-downloads: -1\n", "parallel-downloads: -1 is out of range"},
		{"registry timeout too short", "registry-timeout: 500ms\n", "registry-timeout: 500ms is below the minimum of 1s"},
		{"registry timeout negative", "registry-timeout: -5s\n", "registry-timeout: -5s is below the minimum"},
		{"registry timeout not a duration", "registry-timeout: soon\n", "line 1: cannot unmarshal !!str `soon` into a duration (a string such as 30s)"},
		{"registry timeout without unit", "registry-timeout: 30\n", "into a duration (a string such as 30s)"},
		{"bad search registry", "unqualified-search-registries: [\"https://quay.io\"]\n", `unqualified-search-registries: "https://quay.io"`},
		{"alias with registry key", "short-name-aliases: {docker.io/alpine: docker.io/library/alpine}\n", "short-name-aliases:"},
		{"alias to a short name", "short-name-aliases: {alpine: library/alpine}\n", "not a fully qualified repository"},
		{"alias with a tag", "short-name-aliases: {alpine: docker.io/library/alpine:3}\n", "not a fully qualified repository"},
		{"registry without prefix", "registries: [{location: a.io}]\n", "registries[0].prefix"},
		{"registry with scheme", "registries: [{prefix: \"https://a.io\"}]\n", "registries[0].prefix"},
		{"duplicate prefix", "registries: [{prefix: a.io}, {prefix: a.io/}]\n", `registries[1].prefix: "a.io" is listed twice`},
		{"bad location", "registries: [{prefix: a.io, location: \"a b\"}]\n", "registries[0].location"},
		{"mirror without location", "registries: [{prefix: a.io, mirrors: [{insecure: true}]}]\n", "registries[0].mirrors[0].location"},
		{"bad default policy", "policy: {default: maybe}\n", `policy.default: "maybe"`},
		{"bad policy type", "policy: {scopes: {a.io: {type: signed}}}\n", `policy.scopes["a.io"].type`},
		{"sigstore without key", "policy: {scopes: {a.io: {type: sigstore-signed}}}\n", `policy.scopes["a.io"].key`},
		{"key on accept", "policy: {scopes: {a.io: {type: accept, key: k}}}\n", `policy.scopes["a.io"].key`},
		{"bad cgroup manager", "cgroup-manager: upstart\n", `cgroup-manager: "upstart" is neither cgroupfs nor systemd`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "hutch.yaml")
			if err := os.WriteFile(path, []byte(tt.yaml), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Load(path)
			if err == nil {
				t.Fatal("Load succeeded")
			}
			if !errors.Is(err, errdefs.ErrInvalidArgument) {
				t.Errorf("error %v is not ErrInvalidArgument", err)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, path+": ") || !strings.Contains(msg, tt.want) || strings.Contains(msg, "\n") {
				t.Errorf("error %q: want one line starting with the file and containing %q", msg, tt.want)
			}
		})
	}
}

func TestLoadUnreadable(t *testing.T) {
	dir := t.TempDir()
	if _, err := Load(dir); err == nil { // a directory: read fails, not "missing"
		t.Fatal("Load of a directory succeeded")
	}
}
