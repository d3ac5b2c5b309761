//go:build e2e

package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// layerBlobGets counts the registry's answered GETs of img's layer blobs.
func layerBlobGets(t testing.TB, r *regServer, layers []string) int {
	t.Helper()
	n := 0
	for _, e := range r.accessLog(t) {
		for _, l := range layers {
			if e.Method == http.MethodGet && e.Status == http.StatusOK && strings.HasSuffix(e.Path, "/blobs/"+l) {
				n++
			}
		}
	}
	return n
}

// TestRegistryPullHTTP: a plain-HTTP registry on 127.0.0.1 needs
// --tls-verify=false (127.0.0.1 is not exempt from TLS); a pull prints
// only the image ID, the image runs, a second pull downloads no layer, a
// digest reference works, and unknown images and unreachable registries
// fail with one line.
func TestRegistryPullHTTP(t *testing.T) {
	t.Parallel()
	r := startRegistry(t, regOptions{})
	img := layeredImage(t, "plain", 1)
	digest := r.push(t, "pull/plain:v1", img)
	id, ref := configID(t, img), r.Ref("pull/plain:v1")
	e := newRegEnv(t)

	wantUserError(t, e.run(t, "pull", ref), 125, r.Host)
	if got := e.imageNames(t); got != nil {
		t.Errorf("a refused pull stored %v", got)
	}

	wantPulled(t, e.run(t, "pull", "--tls-verify=false", ref), id)
	if diff := cmp.Diff(e.imageNames(t), []string{ref}); diff != "" {
		t.Errorf("images after the pull (-got +want):\n%s", diff)
	}
	if got := e.ok(t, "run", "--rm", ref, "cat", "/layers/0"); got != "plain layer 0" {
		t.Errorf("the pulled image's /layers/0: %q", got)
	}

	before := layerBlobGets(t, r, layerDigests(t, img))
	wantPulled(t, e.run(t, "pull", "-q", "--tls-verify=false", ref), id)
	if after := layerBlobGets(t, r, layerDigests(t, img)); after != before {
		t.Errorf("pulling an image already stored downloaded %d layers again", after-before)
	}
	wantPulled(t, e.run(t, "pull", "--tls-verify=false", r.Ref("pull/plain@"+digest)), id)

	missing := r.Ref("pull/plain:nope")
	res := e.run(t, "pull", "--tls-verify=false", missing)
	wantUserError(t, res, 125, "pull/plain")
	if !strings.Contains(res.Stderr, "manifest unknown") && !strings.Contains(res.Stderr, "not found") {
		t.Errorf("pull of a missing tag: %q, want it to say the manifest is unknown or not found", res.Stderr)
	}
	closed := refusedAddr(t)
	wantUserError(t, e.run(t, "pull", "--tls-verify=false", closed+"/pull/plain:v1"), 125, closed)
	e.snapshotStorage(t)
}

// TestRegistryPullTLS: TLS is verified against certs.d/HOST/ca.crt; a
// registry whose CA is unknown, whose certificate expired or names
// another host is refused with one line naming the host and the problem;
// --tls-verify=false skips verification; client certificates come from
// certs.d/HOST/client.{cert,key}.
func TestRegistryPullTLS(t *testing.T) {
	t.Parallel()
	ca := newTestCA(t, t.TempDir())
	r := startRegistry(t, regOptions{CA: ca})
	img := layeredImage(t, "tls", 0)
	r.push(t, "pull/tls:v1", img)
	id, ref := configID(t, img), r.Ref("pull/tls:v1")
	e := newRegEnv(t)

	res := e.run(t, "pull", ref)
	wantUserError(t, res, 125, r.Host, "certificate")
	if !strings.Contains(res.Stderr, "tls-verify") && !strings.Contains(res.Stderr, "certs.d") {
		t.Errorf("TLS error %q names neither --tls-verify nor certs.d, which would fix it", res.Stderr)
	}
	wantPulled(t, e.run(t, "pull", "--tls-verify=false", ref), id)
	e.ok(t, "rmi", ref)

	e.trustCA(t, r.Host, ca)
	wantPulled(t, e.run(t, "pull", ref), id)

	for _, tc := range []struct {
		name    string
		profile certProfile
		want    string
	}{
		{"expired", certProfile{CommonName: "127.0.0.1", Hosts: []string{"127.0.0.1"}, Expired: true}, "expired"},
		{"other host", certProfile{CommonName: "registry.example", Hosts: []string{"registry.example", "10.9.8.7"}}, "certificate"},
	} {
		kp := ca.issue(t, t.TempDir(), tc.profile)
		bad := startRegistry(t, regOptions{CA: ca, ServerCert: &kp})
		e.trustCA(t, bad.Host, ca)
		wantUserError(t, e.run(t, "pull", bad.Ref("pull/tls:v1")), 125, bad.Host, tc.want)
	}

	mtls := startRegistry(t, regOptions{CA: ca, ClientCerts: true})
	mtls.push(t, "pull/mtls:v1", img)
	e.trustCA(t, mtls.Host, ca)
	wantUserError(t, e.run(t, "pull", mtls.Ref("pull/mtls:v1")), 125, mtls.Host)
	e.installClientCert(t, mtls.Host, ca.issue(t, t.TempDir(), certProfile{CommonName: "hutch", Client: true}))
	wantPulled(t, e.run(t, "pull", mtls.Ref("pull/mtls:v1")), id)
	e.snapshotStorage(t)
}

// TestRegistryInsecureConfig: a registry listed `insecure: true` in
// hutch.yaml may use plain HTTP, or TLS that does not verify, without
// --tls-verify=false; others still may not.
func TestRegistryInsecureConfig(t *testing.T) {
	t.Parallel()
	plain := startRegistry(t, regOptions{})
	other := startRegistry(t, regOptions{})
	untrusted := startRegistry(t, regOptions{CA: newTestCA(t, t.TempDir())})
	img := layeredImage(t, "insecure", 0)
	for _, r := range []*regServer{plain, other, untrusted} {
		r.push(t, "pull/insecure:v1", img)
	}
	e := newRegEnv(t)
	e.writeConfig(t, hutchConfig{Registries: insecure(plain.Host, untrusted.Host)})
	wantPulled(t, e.run(t, "pull", plain.Ref("pull/insecure:v1")), configID(t, img))
	wantPulled(t, e.run(t, "pull", untrusted.Ref("pull/insecure:v1")), configID(t, img))
	wantUserError(t, e.run(t, "pull", other.Ref("pull/insecure:v1")), 125, other.Host)
	e.snapshotStorage(t)
}

// TestRegistryShortNames: short names resolve through hutch.yaml's
// unqualified-search-registries, in order, and short-name-aliases; never
// through docker.io when the list does not name it.
func TestRegistryShortNames(t *testing.T) {
	t.Parallel()
	empty := startRegistry(t, regOptions{})
	full := startRegistry(t, regOptions{})
	alpine, tool := layeredImage(t, "alpine", 1), layeredImage(t, "tool", 1)
	full.push(t, "alpine:latest", alpine)
	full.push(t, "team/tool:latest", tool)
	e := newRegEnv(t)
	e.writeConfig(t, hutchConfig{
		UnqualifiedSearchRegistries: []string{empty.Host, full.Host},
		ShortNameAliases:            map[string]string{"mytool": full.Host + "/team/tool"},
		Registries:                  insecure(empty.Host, full.Host),
	})
	wantPulled(t, e.run(t, "pull", "alpine"), configID(t, alpine))
	asked := false
	for _, a := range empty.accessLog(t) {
		asked = asked || strings.Contains(a.Path, "/v2/alpine/manifests/latest")
	}
	if !asked {
		t.Errorf("the first search registry %s was not asked for alpine", empty.Host)
	}
	wantPulled(t, e.run(t, "pull", "mytool"), configID(t, tool))
	want := []string{full.Ref("alpine:latest"), full.Ref("team/tool:latest")}
	if diff := cmp.Diff(e.imageNames(t), want); diff != "" {
		t.Errorf("images (-got +want):\n%s", diff)
	}
	if got := e.ok(t, "run", "--rm", "alpine", "cat", "/layers/0"); got != "alpine layer 0" {
		t.Errorf("run of the short name: %q", got)
	}
	wantUserError(t, e.run(t, "pull", "no-such-image"), 125, "no-such-image")
	e.snapshotStorage(t)
}

// TestRegistryPullProgress: on a terminal, pull shows progress and ends
// with the image ID; with -q only the ID.
func TestRegistryPullProgress(t *testing.T) {
	t.Parallel()
	r := startRegistry(t, regOptions{})
	img := layeredImage(t, "progress", 2)
	r.push(t, "pull/progress:v1", img)
	id := configID(t, img)
	e := newRegEnv(t)
	s := startPTY(t, e.hutchEnv, 24, 120, "pull", "--tls-verify=false", r.Ref("pull/progress:v1"))
	if code := s.wait(time.Minute); code != 0 || !s.tryExpect(id, 5*time.Second) {
		t.Fatalf("pull on a terminal exited %d, want 0 and the image ID %s last:\n%s", code, id, ptyOutput(s))
	}
	out := ptyOutput(s)
	for _, want := range []string{layerDigests(t, img)[1][len("sha256:"):][:12], "done"} {
		if !strings.Contains(out, want) {
			t.Errorf("the terminal shows no %q:\n%s", want, out)
		}
	}
	e.ok(t, "rmi", r.Ref("pull/progress:v1"))
	q := startPTY(t, e.hutchEnv, 24, 120, "pull", "-q", "--tls-verify=false", r.Ref("pull/progress:v1"))
	if code := q.wait(time.Minute); code != 0 || !q.tryExpect(id, 5*time.Second) {
		t.Fatalf("pull -q on a terminal exited %d, want 0 and the image ID %s:\n%s", code, id, ptyOutput(q))
	}
	if got := strings.TrimSpace(ptyOutput(q)); strings.TrimPrefix(got, "sha256:") != id {
		t.Errorf("pull -q on a terminal printed %q, want only the image ID", got)
	}
	e.snapshotStorage(t)
}

// ptyOutput is everything the terminal showed so far.
func ptyOutput(s *ptySession) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.out.String()
}
