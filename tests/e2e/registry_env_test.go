//go:build e2e

package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// regEnv is a hutch installation for the registry tests: a hutchEnv plus
// the configuration directory hutch reads (hutch.yaml, certs.d, auth.json).
//
// Rootless hutch reads $XDG_CONFIG_HOME/hutch, which newEnv already makes
// private to the test. Root hutch reads /etc/hutch, which tests must never
// write: each root command therefore runs in a mount namespace of its own
// where /etc is a read-only overlay of /etc and an empty "hutch" directory,
// with the test's directory bind-mounted onto /etc/hutch. Hutch then reads
// and writes its real default paths, and the host's /etc is untouched.
type regEnv struct {
	*hutchEnv
	// cfg is the directory hutch sees as its configuration directory.
	cfg string
	// stub is the overlay's upper lower layer, holding only hutch/ (root).
	stub string
	// networked: the test has a network namespace of its own and its
	// containers get networks (else run and create get --network none).
	networked bool
}

// newRegEnv is newEnv with a private configuration directory.
func newRegEnv(t *testing.T) *regEnv {
	t.Helper()
	// The registries listen on the lane's loopback: hutch stays in the
	// lane's network namespace, and its containers run without networks
	// (command adds --network none), so that parallel tests never share a
	// bridge there.
	return newConfigEnv(t, false)
}

// newConfigEnv is newEnvNet(t, networked) with a private configuration
// directory.
func newConfigEnv(t *testing.T, networked bool) *regEnv {
	t.Helper()
	e := &regEnv{hutchEnv: newEnvNet(t, networked), networked: networked}
	if rootless() {
		e.cfg = filepath.Join(e.getenv("XDG_CONFIG_HOME"), "hutch")
	} else {
		// Outside h.dir: the leak check reports mounts that name h.dir, and
		// a monitor started by `run --pull` lives in the wrapper's namespace.
		base := mkdirTemp(t, t.TempDir(), "etc-")
		e.stub, e.cfg = filepath.Join(base, "stub"), filepath.Join(base, "hutch")
		if err := os.MkdirAll(filepath.Join(e.stub, "hutch"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(e.cfg, 0o700); err != nil {
		t.Fatal(err)
	}
	return e
}

// newLoadedRegEnv is newRegEnv with the busybox fixture loaded.
func newLoadedRegEnv(t *testing.T) *regEnv {
	t.Helper()
	e := newRegEnv(t)
	e.load(t)
	return e
}

// getenv returns a variable of the test's hutch environment.
func (e *regEnv) getenv(key string) string {
	for _, kv := range e.env {
		if v, ok := strings.CutPrefix(kv, key+"="); ok {
			return v
		}
	}
	return ""
}

// command is hutchEnv.command, in the /etc overlay for root.
func (e *regEnv) command(ctx context.Context, args ...string) *exec.Cmd {
	if !e.networked && len(args) > 0 && (args[0] == "run" || args[0] == "create") {
		args = append([]string{args[0], "--network", "none"}, args[1:]...)
	}
	c := e.hutchEnv.command(ctx, args...)
	e.wrap(c)
	return c
}

// wrap makes c run, as root, in a new mount namespace where /etc/hutch is
// the test's configuration directory; rootless it leaves c alone.
func (e *regEnv) wrap(c *exec.Cmd) {
	if e.stub == "" {
		return
	}
	// unshare execs (no fork is needed for a mount namespace) and sh
	// execs the command, so the process the test waits for and signals
	// is the command itself. The overlay has no upper layer, so it is
	// read-only: only /etc/hutch, the bind mount, can be written.
	script := `mount -t overlay overlay -o "ro,lowerdir=$1:/etc" /etc && mount --bind "$2" /etc/hutch && shift 2 && exec "$@"`
	c.Args = append([]string{"unshare", "--mount", "--propagation", "private", "--",
		"sh", "-c", script, "sh", e.stub, e.cfg, c.Path}, c.Args[1:]...)
	c.Path = "/usr/bin/unshare"
}

// runWith is hutchEnv.runWith through e.command.
func (e *regEnv) runWith(t testing.TB, o runOpts, args ...string) result {
	t.Helper()
	return execute(t, o, args, e.command)
}

func (e *regEnv) run(t testing.TB, args ...string) result {
	t.Helper()
	return e.runWith(t, runOpts{}, args...)
}

// ok runs hutch, fails the test unless it exits 0, and returns stdout
// without its trailing newline.
func (e *regEnv) ok(t testing.TB, args ...string) string {
	t.Helper()
	r := e.run(t, args...)
	if r.Code != 0 {
		t.Fatalf("want exit 0: %v", r)
	}
	return r.Out()
}

// hutchConfig is hutch.yaml as the registry tests write it (the shared
// contract of issue 3; pkg/config parses it).
type hutchConfig struct {
	UnqualifiedSearchRegistries []string          `yaml:"unqualified-search-registries,omitempty"`
	ShortNameAliases            map[string]string `yaml:"short-name-aliases,omitempty"`
	ParallelDownloads           int               `yaml:"parallel-downloads,omitempty"`
	RegistryTimeout             string            `yaml:"registry-timeout,omitempty"`
	Registries                  []registryConfig  `yaml:"registries,omitempty"`
	Policy                      *policyConfig     `yaml:"policy,omitempty"`
}

type registryConfig struct {
	Prefix   string         `yaml:"prefix"`
	Location string         `yaml:"location,omitempty"`
	Insecure bool           `yaml:"insecure,omitempty"`
	Mirrors  []mirrorConfig `yaml:"mirrors,omitempty"`
}

type mirrorConfig struct {
	Location string `yaml:"location"`
	Insecure bool   `yaml:"insecure,omitempty"`
}

type policyConfig struct {
	Default string                       `yaml:"default,omitempty"`
	Scopes  map[string]policyRequirement `yaml:"scopes,omitempty"`
}

type policyRequirement struct {
	Type string `yaml:"type"`
	Key  string `yaml:"key,omitempty"`
}

// insecure returns registry entries that allow plain HTTP to hosts.
func insecure(hosts ...string) []registryConfig {
	var out []registryConfig
	for _, h := range hosts {
		out = append(out, registryConfig{Prefix: h, Insecure: true})
	}
	return out
}

// writeConfig writes hutch.yaml.
func (e *regEnv) writeConfig(t testing.TB, c hutchConfig) {
	t.Helper()
	b, err := yaml.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(e.cfg, "hutch.yaml"), b, 0o644)
}

// certsDir is the certs.d directory for host ("127.0.0.1:PORT").
func (e *regEnv) certsDir(host string) string { return filepath.Join(e.cfg, "certs.d", host) }

// trustCA installs ca as certs.d/HOST/ca.crt.
func (e *regEnv) trustCA(t testing.TB, host string, ca *testCA) {
	t.Helper()
	b, err := os.ReadFile(ca.CertPath)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(e.certsDir(host), "ca.crt"), b, 0o644)
}

// installClientCert installs kp as certs.d/HOST/client.cert and client.key.
func (e *regEnv) installClientCert(t testing.TB, host string, kp keyPair) {
	t.Helper()
	for src, dst := range map[string]string{kp.CertPath: "client.cert", kp.KeyPath: "client.key"} {
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(e.certsDir(host), dst), b, 0o600)
	}
}

// authFile is hutch's default auth file (next to hutch.yaml).
func (e *regEnv) authFile() string { return filepath.Join(e.cfg, "auth.json") }

// imageID returns the full ID of a local image.
func (e *regEnv) imageID(t testing.TB, ref string) string {
	t.Helper()
	id := strings.TrimPrefix(e.ok(t, "image", "inspect", "--format", "{{.ID}}", ref), "sha256:")
	if !fullIDRE.MatchString(id) {
		t.Fatalf("image inspect {{.ID}} of %s printed %q", ref, id)
	}
	return id
}

// wantNoSecrets fails the test if a secret appears in what hutch printed.
func wantNoSecrets(t testing.TB, secrets []string, results ...result) {
	t.Helper()
	for _, r := range results {
		for _, s := range secrets {
			if s != "" && (strings.Contains(r.Stdout, s) || strings.Contains(r.Stderr, s)) {
				t.Errorf("hutch %s printed a secret (%.8s...)", strings.Join(r.Args, " "), s)
			}
		}
	}
}

// imageNames returns the local images as sorted "repository:tag" lines.
func (e *regEnv) imageNames(t testing.TB) []string {
	t.Helper()
	return sortedFields(e.ok(t, "images", "--format", "{{.Repository}}:{{.Tag}}"))
}

// wantPulled checks a successful pull: exit 0 and, as stdout is not a
// terminal, nothing but the image's full ID on stdout and nothing on
// stderr (issue 3: "-q and non-terminals print only the image id").
func wantPulled(t testing.TB, r result, id string) {
	t.Helper()
	if r.Code != 0 {
		t.Fatalf("pull failed: %v", r)
	}
	if got := strings.TrimPrefix(r.Out(), "sha256:"); got != id {
		t.Errorf("pull printed %q on stdout, want only the image ID %s", r.Stdout, id)
	}
	if r.Stderr != "" {
		t.Errorf("pull printed on stderr when it is not a terminal: %q", r.Stderr)
	}
}
