package auth

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/hutchctr/hutch/pkg/config"
	"github.com/hutchctr/hutch/pkg/errdefs"
)

// found is what a lookup test compares: the credential, secrets included,
// and its source with paths made symbolic.
type found struct {
	User, Password, IdentityToken, Source string
}

func TestLookup(t *testing.T) {
	const reg = "127.0.0.1:5000"
	tests := []struct {
		name                      string
		hutch, containers, docker string
		registry                  string
		want                      *found // nil: anonymous
		wantErr                   string // substring, after paths are made symbolic
		wantClass                 error
	}{
		{name: "no files", registry: reg},
		{name: "hutch file", hutch: authsDoc(reg, "h:hp"), registry: reg,
			want: &found{User: "h", Password: "hp", Source: "$hutch"}},
		{name: "containers file", containers: authsDoc(reg, "c:cp"), registry: reg,
			want: &found{User: "c", Password: "cp", Source: "$containers"}},
		{name: "docker file", docker: authsDoc(reg, "d:dp"), registry: reg,
			want: &found{User: "d", Password: "dp", Source: "$docker"}},
		{name: "hutch before containers and docker", hutch: authsDoc(reg, "h:hp"),
			containers: authsDoc(reg, "c:cp"), docker: authsDoc(reg, "d:dp"), registry: reg,
			want: &found{User: "h", Password: "hp", Source: "$hutch"}},
		{name: "containers before docker", hutch: authsDoc("other.test", "h:hp"),
			containers: authsDoc(reg, "c:cp"), docker: authsDoc(reg, "d:dp"), registry: reg,
			want: &found{User: "c", Password: "cp", Source: "$containers"}},
		{name: "other registry only", hutch: authsDoc("other.test", "h:hp"), registry: reg},
		{name: "docker hub url key, index name", docker: authsDoc("https://index.docker.io/v1/", "d:dp"),
			registry: "index.docker.io", want: &found{User: "d", Password: "dp", Source: "$docker"}},
		{name: "docker.io key, registry-1 name", hutch: authsDoc("docker.io", "h:hp"),
			registry: "registry-1.docker.io", want: &found{User: "h", Password: "hp", Source: "$hutch"}},
		{name: "index key, docker.io name", containers: authsDoc("index.docker.io", "c:cp"),
			registry: "docker.io", want: &found{User: "c", Password: "cp", Source: "$containers"}},
		{name: "hub url as the name", hutch: authsDoc("docker.io", "h:hp"),
			registry: "https://index.docker.io/v1/", want: &found{User: "h", Password: "hp", Source: "$hutch"}},
		{name: "exact key wins over alias", hutch: authsDoc("https://index.docker.io/v1/", "a:ap", "docker.io", "h:hp"),
			registry: "docker.io", want: &found{User: "h", Password: "hp", Source: "$hutch"}},
		{name: "repository-scoped key is not the registry's", containers: authsDoc(reg+"/team", "c:cp"), registry: reg},
		{name: "docker keys are cut at the slash", docker: authsDoc(reg+"/v1/", "d:dp"), registry: reg,
			want: &found{User: "d", Password: "dp", Source: "$docker"}},
		{name: "key with scheme", containers: authsDoc("https://"+reg, "c:cp"), registry: reg,
			want: &found{User: "c", Password: "cp", Source: "$containers"}},
		{name: "host case folded", hutch: authsDoc("localhost:5000", "h:hp"), registry: "LocalHost:5000",
			want: &found{User: "h", Password: "hp", Source: "$hutch"}},
		{name: "unpadded base64", hutch: `{"auths":{"` + reg + `":{"auth":"` + strings.TrimRight(b64("ab:c"), "=") + `"}}}`,
			registry: reg, want: &found{User: "ab", Password: "c", Source: "$hutch"}},
		{name: "colon in password", hutch: authsDoc(reg, "u:p:q"), registry: reg,
			want: &found{User: "u", Password: "p:q", Source: "$hutch"}},
		{name: "username and password fields", hutch: `{"auths":{"` + reg + `":{"username":"u","password":"p"}}}`,
			registry: reg, want: &found{User: "u", Password: "p", Source: "$hutch"}},
		{name: "identity token", hutch: `{"auths":{"` + reg + `":{"identitytoken":"tok"}}}`,
			registry: reg, want: &found{IdentityToken: "tok", Source: "$hutch"}},
		{name: "placeholder entry falls through", hutch: `{"auths":{"` + reg + `":{}}}`,
			docker: authsDoc(reg, "d:dp"), registry: reg, want: &found{User: "d", Password: "dp", Source: "$docker"}},
		{name: "empty file", hutch: " \n", docker: authsDoc(reg, "d:dp"), registry: reg,
			want: &found{User: "d", Password: "dp", Source: "$docker"}},
		{name: "later malformed file is not read", hutch: authsDoc(reg, "h:hp"), docker: "{not json",
			registry: reg, want: &found{User: "h", Password: "hp", Source: "$hutch"}},
		{name: "malformed JSON", hutch: `{"auths": {`, registry: reg,
			wantErr: "auth file $hutch is not valid: malformed JSON", wantClass: errdefs.ErrInvalidArgument},
		{name: "malformed docker file reached", docker: "{not json", registry: reg,
			wantErr: "auth file $docker is not valid", wantClass: errdefs.ErrInvalidArgument},
		{name: "wrong type", containers: `{"auths": []}`, registry: reg,
			wantErr: "auth file $containers is not valid: field auths must be", wantClass: errdefs.ErrInvalidArgument},
		{name: "bad base64", hutch: `{"auths":{"` + reg + `":{"auth":"%%%"}}}`, registry: reg,
			wantErr: `auth file $hutch: entry "127.0.0.1:5000": "auth" is not valid base64`, wantClass: errdefs.ErrInvalidArgument},
		{name: "auth without colon", hutch: `{"auths":{"` + reg + `":{"auth":"` + b64("nocolon") + `"}}}`, registry: reg,
			wantErr: `"auth" must be base64 of "user:password"`, wantClass: errdefs.ErrInvalidArgument},
		{name: "registry with a path", registry: reg + "/team/app",
			wantErr: "without a path", wantClass: errdefs.ErrInvalidArgument},
		{name: "empty registry", registry: " ", wantErr: "is empty", wantClass: errdefs.ErrInvalidArgument},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newTestEnv(t)
			env.write(t, env.hutch, tt.hutch)
			env.write(t, env.containers, tt.containers)
			env.write(t, env.docker, tt.docker)
			got, err := lookupFound(t, env, New(env.hutch), tt.registry)
			checkLookup(t, env, got, err, tt.want, tt.wantErr, tt.wantClass)
		})
	}
}

// lookupFound runs both Lookup and Credentials and checks they agree.
func lookupFound(t *testing.T, env testEnv, s *Store, registry string) (*found, error) {
	t.Helper()
	ctx := context.Background()
	c, err := s.Lookup(ctx, registry)
	a, aerr := s.Credentials(ctx, registry)
	if (err == nil) != (aerr == nil) {
		t.Fatalf("Lookup error %v but Credentials error %v", err, aerr)
	}
	if err != nil {
		return nil, err
	}
	if c == nil {
		if a != authn.Anonymous {
			t.Errorf("Credentials = %v, want authn.Anonymous (ggcr compares by identity)", a)
		}
		return nil, nil
	}
	cfg, _ := a.Authorization()
	return &found{User: cfg.Username, Password: cfg.Password, IdentityToken: cfg.IdentityToken,
		Source: env.symbolic(c.Source)}, nil
}

func checkLookup(t *testing.T, env testEnv, got *found, err error, want *found, wantErr string, wantClass error) {
	t.Helper()
	if wantErr != "" {
		if err == nil {
			t.Fatalf("lookup = %+v, want error containing %q", got, wantErr)
		}
		if msg := env.symbolic(err.Error()); !strings.Contains(msg, wantErr) {
			t.Errorf("error = %q, want it to contain %q", msg, wantErr)
		}
		if wantClass != nil && !errors.Is(err, wantClass) {
			t.Errorf("error %q is not %v", err, wantClass)
		}
		return
	}
	if err != nil {
		t.Fatalf("lookup: %v", err)
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("lookup (-got +want):\n%s", diff)
	}
}

func TestFromFileReadsOnlyThatFile(t *testing.T) {
	env := newTestEnv(t)
	env.write(t, env.containers, authsDoc("reg.test", "c:cp"))
	env.write(t, env.docker, authsDoc("reg.test", "d:dp"))
	s := FromFile(env.hutch)
	got, err := lookupFound(t, env, s, "reg.test")
	checkLookup(t, env, got, err, nil, "", nil)
	if diff := cmp.Diff(env.symbolic(strings.Join(s.Sources(), ",")), "$hutch"); diff != "" {
		t.Errorf("Sources (-got +want):\n%s", diff)
	}
}

func TestSources(t *testing.T) {
	uid, _, _ := config.HostIDs()
	tests := []struct {
		name                        string
		runtimeDir, dockerCfg, home string
		want                        []string
	}{
		{name: "runtime dir and home", runtimeDir: "/run/user/1000", home: "/home/u",
			want: []string{"/etc/hutch/auth.json", "/run/user/1000/containers/auth.json", "/home/u/.docker/config.json"}},
		{name: "no runtime dir", home: "/root",
			want: []string{"/etc/hutch/auth.json", "/run/containers/" + strconv.Itoa(uid) + "/auth.json", "/root/.docker/config.json"}},
		{name: "DOCKER_CONFIG", runtimeDir: "/r", dockerCfg: "/opt/docker", home: "/home/u",
			want: []string{"/etc/hutch/auth.json", "/r/containers/auth.json", "/opt/docker/config.json"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("XDG_RUNTIME_DIR", tt.runtimeDir)
			t.Setenv("DOCKER_CONFIG", tt.dockerCfg)
			t.Setenv("HOME", tt.home)
			s := Default(config.Paths{ConfigFile: "/etc/hutch/hutch.yaml"})
			if diff := cmp.Diff(s.Sources(), tt.want); diff != "" {
				t.Errorf("Sources (-got +want):\n%s", diff)
			}
			if got, want := s.File(), "/etc/hutch/auth.json"; got != want {
				t.Errorf("File() = %q, want %q", got, want)
			}
		})
	}
}
