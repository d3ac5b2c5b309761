package auth

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// testEnv is a private layout of the three credential sources, with the
// environment (HOME, XDG_RUNTIME_DIR, DOCKER_CONFIG, PATH) pointed at it.
type testEnv struct {
	hutch      string // hutch's auth file
	containers string // $XDG_RUNTIME_DIR/containers/auth.json
	docker     string // ~/.docker/config.json
	bin        string // on PATH first: fake credential helpers
}

func newTestEnv(t *testing.T) testEnv {
	t.Helper()
	dir := t.TempDir()
	e := testEnv{
		hutch:      filepath.Join(dir, "config", "hutch", FileName),
		containers: filepath.Join(dir, "run", "containers", "auth.json"),
		docker:     filepath.Join(dir, "home", ".docker", "config.json"),
		bin:        filepath.Join(dir, "bin"),
	}
	t.Setenv("HOME", filepath.Join(dir, "home"))
	t.Setenv("XDG_RUNTIME_DIR", filepath.Join(dir, "run"))
	t.Setenv("DOCKER_CONFIG", "")
	t.Setenv("PATH", e.bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	if err := os.MkdirAll(e.bin, 0o755); err != nil {
		t.Fatal(err)
	}
	return e
}

// write puts content at path ("" leaves the file absent).
func (e testEnv) write(t *testing.T, path, content string) {
	t.Helper()
	if content == "" {
		return
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// symbolic replaces the environment's paths in s by $hutch, $containers
// and $docker, so tables can state sources without knowing the temp dir.
func (e testEnv) symbolic(s string) string {
	return strings.NewReplacer(e.hutch, "$hutch", e.containers, "$containers", e.docker, "$docker").Replace(s)
}

// helperScript is docker-credential-test: a credential helper speaking the
// protocol (server URL on stdin, JSON on stdout), with one canned answer per
// server.
const helperScript = `#!/bin/sh
[ "$1" = get ] || exit 3
read -r server
case "$server" in
helper.test:5000)
	echo '{"ServerURL":"helper.test:5000","Username":"hu","Secret":"hpass"}' ;;
https://index.docker.io/v1/)
	echo '{"ServerURL":"https://index.docker.io/v1/","Username":"<token>","Secret":"hubtoken"}' ;;
locked.test)
	echo 'keychain is locked' >&2; exit 1 ;;
garbage.test)
	echo 'this is not json' ;;
*)
	echo 'credentials not found in native keychain'; exit 1 ;;
esac
`

// installHelper puts docker-credential-test on the environment's PATH.
func (e testEnv) installHelper(t *testing.T) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(e.bin, "docker-credential-test"), []byte(helperScript), 0o755); err != nil {
		t.Fatal(err)
	}
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// authsDoc is an auth file with one "auth" entry per key.
func authsDoc(kv ...string) string {
	var b strings.Builder
	b.WriteString(`{"auths":{`)
	for i := 0; i+1 < len(kv); i += 2 {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`"` + kv[i] + `":{"auth":"` + b64(kv[i+1]) + `"}`)
	}
	b.WriteString("}}")
	return b.String()
}
