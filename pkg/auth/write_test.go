package auth

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/hutchctr/hutch/pkg/errdefs"
)

// readAuths returns the auth file's entries as key -> decoded "user:password".
func readAuths(t *testing.T, path string) map[string]string {
	t.Helper()
	var doc struct {
		Auths map[string]struct{ Auth string } `json:"auths"`
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	got := map[string]string{}
	for k, v := range doc.Auths {
		u, p, err := decodeAuth(v.Auth)
		if err != nil {
			t.Fatalf("entry %q: %v", k, err)
		}
		got[k] = u + ":" + p
	}
	return got
}

func mode(t *testing.T, path string) os.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

func TestLoginCreatesPrivateFile(t *testing.T) {
	env := newTestEnv(t)
	s := New(env.hutch)
	var verified authn.AuthConfig
	verify := func(_ context.Context, a authn.Authenticator) error {
		cfg, err := a.Authorization()
		verified = *cfg
		return err
	}
	if err := s.Login(context.Background(), "127.0.0.1:5000", "alice", "pw", verify); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(verified, authn.AuthConfig{Username: "alice", Password: "pw"}); diff != "" {
		t.Errorf("verify got (-got +want):\n%s", diff)
	}
	if diff := cmp.Diff(readAuths(t, env.hutch), map[string]string{"127.0.0.1:5000": "alice:pw"}); diff != "" {
		t.Errorf("auths (-got +want):\n%s", diff)
	}
	if got, want := mode(t, env.hutch), os.FileMode(0o600); got != want {
		t.Errorf("file mode = %v, want %v", got, want)
	}
	if got, want := mode(t, filepath.Dir(env.hutch)), os.FileMode(0o700); got != want {
		t.Errorf("directory mode = %v, want %v", got, want)
	}
	c, err := s.Lookup(context.Background(), "127.0.0.1:5000")
	if err != nil || c == nil || c.Username != "alice" {
		t.Errorf("Lookup after login = %v, %v; want alice's credentials", c, err)
	}
}

func TestLoginRewritesAtomicallyKeepingTheRest(t *testing.T) {
	env := newTestEnv(t)
	env.write(t, env.hutch, `{"auths":{"https://index.docker.io/v1/":{"auth":"`+b64("old:o")+`"},`+
		`"index.docker.io":{"auth":"`+b64("old2:o")+`"},"reg.test":{"auth":"`+b64("r:rp")+`","email":"x@y"}},`+
		`"credHelpers":{"gcr.io":"gcloud"},"psFormat":"table"}`)
	if err := os.Chmod(env.hutch, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := New(env.hutch).Login(context.Background(), "registry-1.docker.io", "new", "np", nil); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(readAuths(t, env.hutch), map[string]string{"docker.io": "new:np", "reg.test": "r:rp"}); diff != "" {
		t.Errorf("auths (-got +want):\n%s", diff)
	}
	var doc map[string]any
	data, _ := os.ReadFile(env.hutch)
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"gcr.io": "gcloud"}
	if diff := cmp.Diff(doc["credHelpers"], any(want)); diff != "" || doc["psFormat"] != "table" {
		t.Errorf("other keys not kept: %s", data)
	}
	if !strings.Contains(string(data), `"email": "x@y"`) {
		t.Errorf("untouched entry rewritten: %s", data)
	}
	if got, want := mode(t, env.hutch), os.FileMode(0o600); got != want {
		t.Errorf("file mode after rewrite = %v, want %v", got, want)
	}
	entries, _ := os.ReadDir(filepath.Dir(env.hutch))
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if diff := cmp.Diff(names, []string{".auth.json.lock", "auth.json"}); diff != "" {
		t.Errorf("directory after login, no temp file expected (-got +want):\n%s", diff)
	}
}

func TestLoginThroughSymlink(t *testing.T) {
	env := newTestEnv(t)
	target := filepath.Join(t.TempDir(), "real.json")
	if err := os.MkdirAll(filepath.Dir(env.hutch), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, env.hutch); err != nil {
		t.Fatal(err)
	}
	env.write(t, target, "{}")
	if err := New(env.hutch).Login(context.Background(), "reg.test", "u", "p", nil); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(env.hutch); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("symlink replaced: %v, %v", fi, err)
	}
	if diff := cmp.Diff(readAuths(t, target), map[string]string{"reg.test": "u:p"}); diff != "" {
		t.Errorf("target auths (-got +want):\n%s", diff)
	}
}

func TestLoginRefusals(t *testing.T) {
	errVerify := errdefs.Errorf(errdefs.ErrPermission, "unauthorized")
	tests := []struct {
		name                     string
		existing                 string
		registry, user, password string
		verifyErr                error
		wantClass                error
		wantErr                  string
	}{
		{name: "empty user", registry: "r.test", password: "p", wantClass: errdefs.ErrInvalidArgument,
			wantErr: "the user name is empty"},
		{name: "colon in user", registry: "r.test", user: "a:b", password: "p", wantClass: errdefs.ErrInvalidArgument,
			wantErr: "must not contain ':'"},
		{name: "empty password", registry: "r.test", user: "u", wantClass: errdefs.ErrInvalidArgument,
			wantErr: "the password is empty"},
		{name: "registry with path", registry: "r.test/team", user: "u", password: "p",
			wantClass: errdefs.ErrInvalidArgument, wantErr: "without a path"},
		{name: "verify fails", registry: "r.test", user: "u", password: "p", verifyErr: errVerify,
			wantClass: errdefs.ErrPermission, wantErr: `log in to r.test as "u": unauthorized`},
		{name: "malformed existing file", existing: `{"auths":`, registry: "r.test", user: "u", password: "p",
			wantClass: errdefs.ErrInvalidArgument, wantErr: "is not valid: malformed JSON near byte 9 (fix or remove it)"},
		{name: "auths not an object", existing: `{"auths":"x"}`, registry: "r.test", user: "u", password: "p",
			wantClass: errdefs.ErrInvalidArgument, wantErr: `"auths" must be an object`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newTestEnv(t)
			env.write(t, env.hutch, tt.existing)
			verify := func(context.Context, authn.Authenticator) error { return tt.verifyErr }
			err := New(env.hutch).Login(context.Background(), tt.registry, tt.user, tt.password, verify)
			if err == nil || !errors.Is(err, tt.wantClass) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Login error = %v, want %v containing %q", err, tt.wantClass, tt.wantErr)
			}
			data, rerr := os.ReadFile(env.hutch)
			switch {
			case tt.existing == "" && !errors.Is(rerr, os.ErrNotExist):
				t.Errorf("refused login left a file: %q, %v", data, rerr)
			case tt.existing != "" && string(data) != tt.existing:
				t.Errorf("refused login changed the file: got %q, want %q", data, tt.existing)
			}
		})
	}
}

func TestLogout(t *testing.T) {
	env := newTestEnv(t)
	ctx := context.Background()
	s := New(env.hutch)
	if err := s.Logout(ctx, "reg.test"); !errors.Is(err, errdefs.ErrNotFound) {
		t.Errorf("Logout with no file = %v, want not found", err)
	}
	if _, err := os.Stat(filepath.Dir(env.hutch)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Logout with no file created its directory: %v", err)
	}
	for _, reg := range []string{"reg.test", "docker.io", "other.test"} {
		if err := s.Login(ctx, reg, "u", "p-"+reg, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Logout(ctx, "https://index.docker.io/v1/"); err != nil {
		t.Fatalf("Logout docker hub: %v", err)
	}
	if err := s.Logout(ctx, "reg.test"); err != nil {
		t.Fatalf("Logout: %v", err)
	}
	if diff := cmp.Diff(readAuths(t, env.hutch), map[string]string{"other.test": "u:p-other.test"}); diff != "" {
		t.Errorf("auths after logout (-got +want):\n%s", diff)
	}
	err := s.Logout(ctx, "reg.test")
	if !errors.Is(err, errdefs.ErrNotFound) || err.Error() != "not logged in to reg.test" {
		t.Errorf("second Logout = %v, want %q", err, "not logged in to reg.test")
	}
	env.write(t, env.docker, authsDoc("reg.test", "d:dp"))
	err = s.Logout(ctx, "reg.test")
	want := "not logged in to reg.test in $hutch; its credentials come from $docker: remove them there"
	if err == nil || env.symbolic(err.Error()) != want || !errors.Is(err, errdefs.ErrNotFound) {
		t.Errorf("Logout with docker credentials = %v, want %q", err, want)
	}
	if err := s.LogoutAll(); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(readAuths(t, env.hutch), map[string]string{}); diff != "" {
		t.Errorf("auths after LogoutAll (-got +want):\n%s", diff)
	}
}

// TestConcurrentLogins checks the lock (no login lost) and the atomic
// rewrite (a reader always parses a whole document).
func TestConcurrentLogins(t *testing.T) {
	env := newTestEnv(t)
	ctx := context.Background()
	const n = 8
	stop := make(chan struct{})
	readErr := make(chan error, 1)
	go func() {
		defer close(readErr)
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := readConfig(env.hutch); err != nil {
				readErr <- err
				return
			}
		}
	}()
	var wg sync.WaitGroup
	want := map[string]string{}
	for i := range n {
		reg := "reg" + string(rune('a'+i)) + ".test"
		want[reg] = "u:" + reg
		wg.Go(func() {
			// A Store per goroutine, as separate hutch processes would have.
			if err := New(env.hutch).Login(ctx, reg, "u", reg, nil); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	close(stop)
	if err := <-readErr; err != nil {
		t.Errorf("reader saw a torn file: %v", err)
	}
	if diff := cmp.Diff(readAuths(t, env.hutch), want); diff != "" {
		t.Errorf("auths after concurrent logins (-got +want):\n%s", diff)
	}
}
