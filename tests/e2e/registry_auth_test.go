//go:build e2e

package e2e

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// authEntries reads a docker-style auth file: registry → base64 user:pass.
func authEntries(t testing.TB, path string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("auth file: %v", err)
	}
	var doc struct {
		Auths map[string]struct {
			Auth string `json:"auth"`
		} `json:"auths"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("auth file %s: %v", path, err)
	}
	out := map[string]string{}
	for k, v := range doc.Auths {
		out[k] = v.Auth
	}
	return out
}

// wantMode fails unless path has permission bits perm.
func wantMode(t testing.TB, path string, perm os.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != perm {
		t.Errorf("%s has mode %v, want %v", path, got, perm)
	}
}

// wantAuthError checks a pull refused for missing or wrong credentials:
// one line naming the registry and saying what is wrong.
func wantAuthError(t testing.TB, r result, host string) {
	t.Helper()
	wantUserError(t, r, 125, host)
	msg := strings.ToLower(r.Stderr)
	if !strings.Contains(msg, "login") && !strings.Contains(msg, "unauthorized") && !strings.Contains(msg, "authentication") {
		t.Errorf("auth error %q says neither login, unauthorized nor authentication", r.Stderr)
	}
}

// TestRegistryLoginHtpasswd: login checks the credentials before storing
// them, in hutch's auth file with mode 0600; pull and push then use them;
// logout removes them; --creds and --authfile work; the password never
// appears in what hutch prints.
func TestRegistryLoginHtpasswd(t *testing.T) {
	t.Parallel()
	const user, pass = "alice", "pw-Wonderland-7f3a9"
	r := startRegistry(t, regOptions{Users: map[string]string{user: pass}})
	e := newLoadedRegEnv(t)
	ref := r.Ref("auth/busybox:v1")
	var seen []result
	run := func(o runOpts, args ...string) result {
		res := e.runWith(t, o, args...)
		seen = append(seen, res)
		return res
	}

	wantAuthError(t, run(runOpts{}, "push", "--tls-verify=false", imageName, ref), r.Host)
	wantAuthError(t, run(runOpts{Stdin: "wrong\n"}, "login", "-u", user, "--password-stdin", "--tls-verify=false", r.Host), r.Host)
	if _, err := os.Stat(e.authFile()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused login wrote %s: %v", e.authFile(), err)
	}

	res := run(runOpts{Stdin: pass + "\n"}, "login", "-u", user, "--password-stdin", "--tls-verify=false", r.Host)
	wantCode(t, res, 0)
	if !strings.Contains(res.Stdout, "Login Succeeded") {
		t.Errorf("login printed %q, want Podman's \"Login Succeeded!\"", res.Stdout)
	}
	wantMode(t, e.authFile(), 0o600)
	want := base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
	if got := authEntries(t, e.authFile())[r.Host]; got != want {
		t.Errorf("auth file entry for %s: %q, want base64 of user:password", r.Host, got)
	}

	wantCode(t, run(runOpts{}, "push", "--tls-verify=false", imageName, ref), 0)
	if got, want := configID(t, r.fetch(t, "auth/busybox:v1")), fixtureImageID(t); got != want {
		t.Errorf("pushed image has config %s, want %s", got, want)
	}
	pulled := run(runOpts{}, "pull", "--tls-verify=false", "--log-level", "debug", ref)
	wantCode(t, pulled, 0)
	seen = append(seen, e.run(t, "image", "inspect", ref))

	wantCode(t, run(runOpts{}, "logout", r.Host), 0)
	if _, ok := authEntries(t, e.authFile())[r.Host]; ok {
		t.Errorf("logout left the entry for %s", r.Host)
	}
	e.ok(t, "rmi", ref)
	wantAuthError(t, run(runOpts{}, "pull", "--tls-verify=false", ref), r.Host)
	wantCode(t, run(runOpts{}, "pull", "--tls-verify=false", "--creds", user+":"+pass, ref), 0)
	e.ok(t, "rmi", ref)

	other := filepath.Join(t.TempDir(), "my-auth.json")
	wantCode(t, run(runOpts{Stdin: pass}, "login", "--authfile", other, "-u", user, "--password-stdin", "--tls-verify=false", r.Host), 0)
	wantMode(t, other, 0o600)
	if _, ok := authEntries(t, e.authFile())[r.Host]; ok {
		t.Errorf("login --authfile also wrote hutch's own auth file")
	}
	wantCode(t, run(runOpts{}, "pull", "--authfile", other, "--tls-verify=false", ref), 0)
	wantNoSecrets(t, []string{pass, want}, seen...)
	e.snapshotStorage(t)
}

// TestRegistryLoginToken: the bearer-token flow (401 → token server with
// basic credentials → JWT) for login, push and pull; tokens are never
// printed.
func TestRegistryLoginToken(t *testing.T) {
	t.Parallel()
	const user, pass = "bob", "pw-Builder-51c2e"
	ts := newTokenServer(t, map[string]string{user: pass})
	r := startRegistry(t, regOptions{Token: ts})
	e := newLoadedRegEnv(t)
	ref := r.Ref("token/busybox:v1")
	var seen []result

	res := e.run(t, "pull", "--tls-verify=false", ref)
	wantAuthError(t, res, r.Host)
	res = e.runWith(t, runOpts{Stdin: "nope\n"}, "login", "-u", user, "--password-stdin", "--tls-verify=false", r.Host)
	wantAuthError(t, res, r.Host)
	res = e.runWith(t, runOpts{Stdin: pass + "\n"}, "login", "-u", user, "--password-stdin", "--tls-verify=false", r.Host)
	wantCode(t, res, 0)
	seen = append(seen, res)
	wantMode(t, e.authFile(), 0o600)

	for _, args := range [][]string{
		{"push", "--tls-verify=false", imageName, ref},
		{"rmi", imageName},
		{"pull", "--tls-verify=false", "--log-level", "debug", ref},
		{"image", "inspect", ref},
	} {
		res := e.run(t, args...)
		wantCode(t, res, 0)
		seen = append(seen, res)
	}
	if len(ts.secrets()) == 0 {
		t.Error("the token server issued no token: hutch did not use the token flow")
	}
	if got := e.imageID(t, ref); got != fixtureImageID(t) {
		t.Errorf("pulled %s, want the pushed %s", got, fixtureImageID(t))
	}
	wantNoSecrets(t, append(ts.secrets(), pass), seen...)
	e.snapshotStorage(t)
}

// TestRegistryForeignAuthFiles: credentials also come from Podman's
// $XDG_RUNTIME_DIR/containers/auth.json and Docker's ~/.docker/config.json,
// including a credential helper named there.
func TestRegistryForeignAuthFiles(t *testing.T) {
	t.Parallel()
	users := map[string]string{"carol": "pw-carol-0b1d"}
	img := layeredImage(t, "foreign", 0)
	entry := func(host string) string {
		return fmt.Sprintf(`{"auths":{%q:{"auth":%q}}}`, host, base64.StdEncoding.EncodeToString([]byte("carol:pw-carol-0b1d")))
	}
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, e *regEnv, host string) []string // returns extra environment
	}{
		{"podman auth.json", func(t *testing.T, e *regEnv, host string) []string {
			writeFile(t, filepath.Join(e.getenv("XDG_RUNTIME_DIR"), "containers", "auth.json"), []byte(entry(host)), 0o600)
			return nil
		}},
		{"docker config.json", func(t *testing.T, e *regEnv, host string) []string {
			writeFile(t, filepath.Join(e.getenv("HOME"), ".docker", "config.json"), []byte(entry(host)), 0o600)
			return nil
		}},
		{"docker credential helper", func(t *testing.T, e *regEnv, host string) []string {
			writeFile(t, filepath.Join(e.getenv("HOME"), ".docker", "config.json"),
				[]byte(fmt.Sprintf(`{"credHelpers":{%q:"e2e"}}`, host)), 0o600)
			bin := mkdirTemp(t, t.TempDir(), "helpers-")
			// The docker credential-helper protocol: `get` reads the
			// server URL on stdin and prints the credentials as JSON.
			script := "#!/bin/sh\n[ \"$1\" = get ] || exit 1\nread -r url\n" +
				`printf '{"ServerURL":"%s","Username":"carol","Secret":"pw-carol-0b1d"}\n' "$url"` + "\n"
			writeFile(t, filepath.Join(bin, "docker-credential-e2e"), []byte(script), 0o755)
			return []string{"PATH=" + bin + ":" + hostPath}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := startRegistry(t, regOptions{Users: users})
			r.push(t, "foreign/img:v1", img)
			e := newRegEnv(t)
			env := tc.setup(t, e, r.Host)
			res := e.runWith(t, runOpts{Env: env}, "pull", "--tls-verify=false", r.Ref("foreign/img:v1"))
			wantPulled(t, res, configID(t, img))
			wantNoSecrets(t, []string{"pw-carol-0b1d"}, res)
			e.snapshotStorage(t)
		})
	}
}
