//go:build e2e

package e2e

import (
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// TestRegistryHarness checks the registry tests' own machinery with the
// test's registry client alone (no hutch): if one of these fails, the
// hutch tests that use the same piece say nothing about hutch.
func TestRegistryHarness(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		fn   func(t *testing.T)
	}{
		{"plain", harnessPlain},
		{"tls", harnessTLS},
		{"client-certs", harnessClientCerts},
		{"htpasswd", harnessHtpasswd},
		{"token", harnessToken},
		{"proxy", harnessProxy},
		{"index", harnessIndex},
		{"signature", harnessSignature},
		{"config-dir", harnessConfigDir},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t)
		})
	}
}

// roundTrip pushes a small image to r and reads it back.
func roundTrip(t *testing.T, r *regServer) {
	t.Helper()
	img := layeredImage(t, "harness", 1)
	digest := r.push(t, "harness/img:v1", img)
	if got := r.digestOf(t, "harness/img:v1"); got != digest {
		t.Errorf("registry serves digest %s, pushed %s", got, digest)
	}
	if got, want := configID(t, r.fetch(t, "harness/img:v1")), configID(t, img); got != want {
		t.Errorf("fetched config %s, pushed %s", got, want)
	}
}

func harnessPlain(t *testing.T) {
	r := startRegistry(t, regOptions{})
	roundTrip(t, r)
	if n := len(r.accessLog(t)); n == 0 {
		t.Errorf("the access log lists no request; log:\n%s", r.logTail())
	}
}

// getStatus GETs url with client and returns the status or the error.
func getStatus(client *http.Client, url string) (int, error) {
	resp, err := client.Get(url)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

func harnessTLS(t *testing.T) {
	ca := newTestCA(t, t.TempDir())
	r := startRegistry(t, regOptions{CA: ca})
	roundTrip(t, r)
	// Without the CA, the certificate is from an unknown authority.
	if _, err := getStatus(&http.Client{}, r.URL()+"/v2/"); err == nil || !strings.Contains(err.Error(), "unknown authority") {
		t.Errorf("GET without the CA: %v, want an unknown-authority error", err)
	}
	expired := ca.issue(t, t.TempDir(), certProfile{CommonName: "127.0.0.1", Hosts: []string{"127.0.0.1"}, Expired: true})
	old := startRegistry(t, regOptions{CA: ca, ServerCert: &expired})
	if _, err := getStatus(&http.Client{Transport: old.transport()}, old.URL()+"/v2/"); err == nil || !strings.Contains(err.Error(), "expired") {
		t.Errorf("GET from a server with an expired certificate: %v, want an expiry error", err)
	}
}

func harnessClientCerts(t *testing.T) {
	ca := newTestCA(t, t.TempDir())
	r := startRegistry(t, regOptions{CA: ca, ClientCerts: true})
	roundTrip(t, r)
	noCert := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.pool()}}}
	if code, err := getStatus(noCert, r.URL()+"/v2/"); err == nil {
		t.Errorf("GET without a client certificate answered %d, want a TLS error", code)
	}
}

func harnessHtpasswd(t *testing.T) {
	r := startRegistry(t, regOptions{Users: map[string]string{"alice": "wonderland"}})
	roundTrip(t, r)
	resp, err := http.Get(r.URL() + "/v2/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic") {
		t.Errorf("anonymous /v2/: %d %q, want 401 with a Basic challenge", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
	opts := []remote.Option{remote.WithTransport(r.transport()), remote.WithAuth(&authn.Basic{Username: "alice", Password: "wrong"})}
	if _, err := remote.Head(r.parseRef(t, "harness/img:v1"), opts...); err == nil {
		t.Error("HEAD with a wrong password succeeded")
	}
}

func harnessToken(t *testing.T) {
	ts := newTokenServer(t, map[string]string{"bob": "builder"})
	r := startRegistry(t, regOptions{Token: ts})
	roundTrip(t, r)
	resp, err := http.Get(r.URL() + "/v2/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if ch := resp.Header.Get("WWW-Authenticate"); resp.StatusCode != http.StatusUnauthorized || !strings.Contains(ch, `realm="`+ts.Realm+`"`) {
		t.Errorf("anonymous /v2/: %d %q, want 401 with a Bearer challenge naming the realm", resp.StatusCode, ch)
	}
	if len(ts.secrets()) == 0 {
		t.Error("the token server issued no token during the round trip")
	}
	opts := []remote.Option{remote.WithTransport(r.transport()), remote.WithAuth(&authn.Basic{Username: "bob", Password: "wrong"})}
	if _, err := remote.Head(r.parseRef(t, "harness/img:v1"), opts...); err == nil {
		t.Error("HEAD with a wrong password succeeded")
	}
}

// proxyClient reads blobs through the proxy.
func proxyClient(t *testing.T, p *regProxy, repo string) name.Repository {
	t.Helper()
	ref, err := name.NewRepository(p.Ref(repo), name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	return ref
}

// readBlob downloads a blob through the proxy, verifying its digest as it
// streams, and returns the error.
func readBlob(ctx context.Context, repo name.Repository, digest string) error {
	l, err := remote.Layer(repo.Digest(digest), remote.WithContext(ctx))
	if err != nil {
		return err
	}
	rc, err := l.Compressed()
	if err != nil {
		return err
	}
	defer rc.Close()
	_, err = io.Copy(io.Discard, rc)
	return err
}

func harnessProxy(t *testing.T) {
	r := startRegistry(t, regOptions{})
	img := bigLayerImage(t, 1, 256<<10)
	r.push(t, "harness/big:v1", img)
	big := layerDigests(t, img)[1]
	p := startProxy(t, r)
	repo := proxyClient(t, p, "harness/big")
	if err := readBlob(t.Context(), repo, big); err != nil {
		t.Fatalf("clean download through the proxy: %v", err)
	}
	if n := p.blobGets(big); n != 1 {
		t.Errorf("the proxy counted %d downloads of the blob, want 1:\n%s", n, p.describe())
	}
	// Every download is broken while the rule holds: clients retry 5xx.
	for _, kind := range []faultKind{faultCorrupt, faultTruncate, faultStatus500} {
		p.addRule(proxyRule{Digest: big, Kind: kind})
		if err := readBlob(t.Context(), repo, big); err == nil {
			t.Errorf("download with fault %v succeeded", kind)
		}
		p.clearRules()
	}
	p.addRule(proxyRule{Digest: big, Kind: faultStall, Times: 1})
	ctx, cancel := context.WithCancel(t.Context())
	errc, gone := make(chan error, 1), make(chan struct{})
	go func() {
		errc <- readBlob(ctx, repo, big)
		close(gone)
	}()
	p.waitStalled(t, 20*time.Second, gone)
	cancel()
	if err := <-errc; err == nil {
		t.Error("a stalled download that was cancelled succeeded")
	}
	if err := readBlob(t.Context(), repo, big); err != nil {
		t.Errorf("download after the faults were used up: %v\n%s", err, p.describe())
	}
}

func harnessIndex(t *testing.T) {
	r := startRegistry(t, regOptions{})
	idx, imgs := platformIndex(t, "harness")
	r.pushIndex(t, "harness/multi:v1", idx)
	for _, arch := range []string{"amd64", "arm64"} {
		img, err := remote.Image(r.parseRef(t, "harness/multi:v1"), append(r.remoteOptions(t.Context()),
			remote.WithPlatform(v1.Platform{OS: "linux", Architecture: arch}))...)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := configID(t, img), configID(t, imgs[arch]); got != want {
			t.Errorf("%s: fetched config %s, want %s", arch, got, want)
		}
	}
	if _, ok := imgs[runtime.GOARCH]; !ok {
		t.Errorf("the index has no image for the host's architecture %s", runtime.GOARCH)
	}
}

func harnessSignature(t *testing.T) {
	r := startRegistry(t, regOptions{})
	digest := r.push(t, "harness/signed:v1", layeredImage(t, "signed", 0))
	key := newCosignKey(t, t.TempDir(), "cosign")
	payload := simpleSigningPayload(t, r.Ref("harness/signed"), digest)
	r.push(t, "harness/signed:"+signatureTag(digest), signatureImage(t, payload, key.sign(t, payload)))
	// Read it back as a verifier would: the layer, its annotation, the key.
	sigImg := r.fetch(t, "harness/signed:"+signatureTag(digest))
	m, err := sigImg.Manifest()
	if err != nil || len(m.Layers) != 1 {
		t.Fatalf("signature manifest: %v %+v", err, m)
	}
	l, err := sigImg.LayerByDigest(m.Layers[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := l.Compressed()
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	sig, err := base64.StdEncoding.DecodeString(m.Layers[0].Annotations["dev.cosignproject.cosign/signature"])
	if err != nil {
		t.Fatal(err)
	}
	pubPEM, err := os.ReadFile(key.PubPath)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(pubPEM)
	pub, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(got)
	if !ecdsa.VerifyASN1(pub.(*ecdsa.PublicKey), sum[:], sig) {
		t.Error("the stored signature does not verify with the public key file")
	}
}

// harnessConfigDir checks the root wrapper: the command sees the test's
// directory as /etc/hutch, can write it, still sees the rest of /etc, and
// the host's /etc is unchanged.
func harnessConfigDir(t *testing.T) {
	e := newRegEnv(t)
	e.writeConfig(t, hutchConfig{UnqualifiedSearchRegistries: []string{"127.0.0.1:1"}})
	dir := "/etc/hutch"
	if rootless() {
		dir = e.cfg
	}
	c := exec.Command("sh", "-c", `cat "$1/hutch.yaml" && echo written >"$1/new" && test -r /etc/passwd`, "sh", dir)
	e.wrap(c)
	out, err := c.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "127.0.0.1:1") {
		t.Fatalf("%v: %v\n%s", c.Args, err, out)
	}
	if b, err := os.ReadFile(filepath.Join(e.cfg, "new")); err != nil || string(b) != "written\n" {
		t.Errorf("a write to %s/new did not reach %s: %v %q", dir, e.cfg, err, b)
	}
	if !rootless() {
		if _, err := os.Stat("/etc/hutch/new"); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("the wrapper changed the host's /etc: %v", err)
		}
	}
}
