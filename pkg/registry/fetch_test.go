package registry

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/hutchctr/hutch/pkg/config"
	"github.com/hutchctr/hutch/pkg/errdefs"
)

// server is an in-process registry holding one image, lib/img:1.
type server struct {
	srv  *httptest.Server
	host string
	img  v1.Image
}

// newServer starts a registry, plain or TLS (configured by tlsCfg), with
// wrap around its handler (nil: none).
func newServer(t *testing.T, tlsCfg *tls.Config, wrap func(http.Handler) http.Handler) *server {
	t.Helper()
	var h http.Handler = ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0)))
	inner := h
	if wrap != nil {
		h = wrap(h)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are the point of some tests
	if tlsCfg != nil {
		srv.TLS = tlsCfg
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	s := &server{srv: srv, host: srv.Listener.Addr().String()}
	img, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	s.img = img
	// Seed it through an unwrapped server (no auth, no TLS checks).
	seed := httptest.NewServer(inner)
	defer seed.Close()
	ref, _ := name.ParseReference(strings.TrimPrefix(seed.URL, "http://") + "/lib/img:1")
	rt := &http.Transport{}
	defer rt.CloseIdleConnections()
	if err := remote.Write(ref, img, remote.WithTransport(rt)); err != nil {
		t.Fatal(err)
	}
	return s
}

func (s *server) ref() string { return s.host + "/lib/img:1" }

// fetch fetches the server's image with a client for o and closes it.
func fetch(t *testing.T, o Options, ref string) (*Remote, error) {
	t.Helper()
	c := New(o)
	defer c.Close()
	return c.Fetch(context.Background(), ref, nil)
}

func assertOneLine(t *testing.T, err error, class error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatal("no error")
	}
	if !errors.Is(err, class) {
		t.Errorf("error %q is not %v", err, class)
	}
	msg := err.Error()
	t.Log(msg)
	if strings.Contains(msg, "\n") {
		t.Errorf("error is not one line: %q", msg)
	}
	for _, p := range parts {
		if !strings.Contains(msg, p) {
			t.Errorf("error %q lacks %q", msg, p)
		}
	}
}

func TestFetchPlainHTTP(t *testing.T) {
	s := newServer(t, nil, nil)
	insecure := &config.File{Registries: []config.Registry{{Prefix: s.host, Insecure: true}}}
	r, err := fetch(t, Options{Config: insecure}, s.ref())
	if err != nil {
		t.Fatal(err)
	}
	want, _ := s.img.Digest()
	if r.Manifest.Digest != want || r.Name != s.ref() || r.Endpoint.Mirror {
		t.Errorf("fetched %s as %s from %v", r.Manifest.Digest, r.Name, r.Endpoint)
	}
	if _, err := fetch(t, Options{TLSVerify: boolPtr(false)}, s.ref()); err != nil {
		t.Errorf("with --tls-verify=false: %v", err)
	}
	// 127.0.0.1 is not exempt from TLS.
	_, err = fetch(t, Options{}, s.ref())
	assertOneLine(t, err, ErrTLS, s.host, "does not speak TLS", "insecure", "--tls-verify=false")
}

func TestFetchNotFound(t *testing.T) {
	s := newServer(t, nil, nil)
	o := Options{TLSVerify: boolPtr(false)}
	_, err := fetch(t, o, s.host+"/lib/img:2")
	assertOneLine(t, err, errdefs.ErrNotFound)
	if want := "image " + s.host + "/lib/img:2: not found in registry " + s.host; err.Error() != want {
		t.Errorf("message %q, want %q", err, want)
	}
	_, err = fetch(t, o, s.host+"/lib/other:1")
	assertOneLine(t, err, errdefs.ErrNotFound, "lib/other:1")
}

func TestFetchUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	host := l.Addr().String()
	l.Close()
	_, err = fetch(t, Options{TLSVerify: boolPtr(false)}, host+"/x:1")
	assertOneLine(t, err, ErrUnreachable, "registry "+host+" is unreachable: connection refused")
}

// testCA makes a CA and a certificate it signs for hosts, and returns
// the CA's PEM and a TLS configuration serving the certificate.
func testCA(t *testing.T, hosts []string, notAfter time.Time) ([]byte, *tls.Config) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "hutch test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: hosts[0]},
		NotBefore: time.Now().Add(-2 * time.Hour), NotAfter: notAfter,
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	cert := tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), &tls.Config{Certificates: []tls.Certificate{cert}}
}

// keyPairPEM returns the PEM of the first certificate and key of cfg.
func keyPairPEM(t *testing.T, cfg *tls.Config) ([]byte, []byte) {
	t.Helper()
	c := cfg.Certificates[0]
	k, err := x509.MarshalPKCS8PrivateKey(c.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Certificate[0]}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: k})
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestFetchTLS(t *testing.T) {
	caPEM, srvTLS := testCA(t, []string{"127.0.0.1", "registry.test"}, time.Now().Add(time.Hour))
	s := newServer(t, srvTLS, nil)
	certs := t.TempDir()
	cfg := func() *config.File { return &config.File{CertsDir: certs} }

	_, err := fetch(t, Options{Config: cfg()}, s.ref())
	assertOneLine(t, err, ErrTLS, "registry "+s.host, "unknown authority", filepath.Join(certs, s.host, "ca.crt"), "--tls-verify=false")

	writeFile(t, filepath.Join(certs, s.host, "ca.crt"), caPEM)
	if _, err := fetch(t, Options{Config: cfg()}, s.ref()); err != nil {
		t.Errorf("with the CA in certs-dir: %v", err)
	}
	// The same server as "localhost": the certificate does not name it.
	_, port, _ := net.SplitHostPort(s.host)
	local := "localhost:" + port
	writeFile(t, filepath.Join(certs, local, "ca.crt"), caPEM)
	_, err = fetch(t, Options{Config: cfg()}, local+"/lib/img:1")
	assertOneLine(t, err, ErrTLS, "registry "+local, "not localhost", "--tls-verify=false")

	insecure := cfg()
	insecure.Registries = []config.Registry{{Prefix: local, Insecure: true}}
	if _, err := fetch(t, Options{Config: insecure}, local+"/lib/img:1"); err != nil {
		t.Errorf("insecure registry: %v", err)
	}
	if _, err := fetch(t, Options{Config: &config.File{}, TLSVerify: boolPtr(false)}, s.ref()); err != nil {
		t.Errorf("--tls-verify=false: %v", err)
	}
	writeFile(t, filepath.Join(certs, s.host, "bad.crt"), []byte("not a certificate"))
	_, err = fetch(t, Options{Config: cfg()}, s.ref())
	assertOneLine(t, err, errdefs.ErrInvalidArgument, "certs-dir", "bad.crt holds no PEM certificate")
}

func TestFetchTLSExpired(t *testing.T) {
	caPEM, srvTLS := testCA(t, []string{"127.0.0.1"}, time.Now().Add(-time.Hour))
	s := newServer(t, srvTLS, nil)
	certs := t.TempDir()
	writeFile(t, filepath.Join(certs, s.host, "ca.crt"), caPEM)
	_, err := fetch(t, Options{Config: &config.File{CertsDir: certs}}, s.ref())
	assertOneLine(t, err, ErrTLS, "registry "+s.host, "expired", "--tls-verify=false")
}

func TestFetchTLSClientCertificate(t *testing.T) {
	caPEM, srvTLS := testCA(t, []string{"127.0.0.1"}, time.Now().Add(time.Hour))
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	srvTLS.ClientAuth, srvTLS.ClientCAs = tls.RequireAndVerifyClientCert, pool
	s := newServer(t, srvTLS, nil)
	certs := t.TempDir()
	writeFile(t, filepath.Join(certs, s.host, "ca.crt"), caPEM)
	_, err := fetch(t, Options{Config: &config.File{CertsDir: certs}}, s.ref())
	assertOneLine(t, err, ErrTLS, "requires a client certificate", filepath.Join(certs, s.host))
	// The server's own pair is signed by the CA and allowed for clients.
	certPEM, keyPEM := keyPairPEM(t, srvTLS)
	writeFile(t, filepath.Join(certs, s.host, "client.cert"), certPEM)
	writeFile(t, filepath.Join(certs, s.host, "client.key"), keyPEM)
	if _, err := fetch(t, Options{Config: &config.File{CertsDir: certs}}, s.ref()); err != nil {
		t.Errorf("with a client certificate: %v", err)
	}
	os.Remove(filepath.Join(certs, s.host, "client.cert"))
	_, err = fetch(t, Options{Config: &config.File{CertsDir: certs}}, s.ref())
	assertOneLine(t, err, errdefs.ErrInvalidArgument, "client.key has no matching .cert")
}

// basicAuth requires user:pass, or answers 403 for user "banned".
func basicAuth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, ok := r.BasicAuth()
		switch {
		case ok && u == "banned":
			w.WriteHeader(http.StatusForbidden)
			_, _ = io.WriteString(w, `{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}`)
		case !ok || u != "user" || p != "pass":
			w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`)
		default:
			next.ServeHTTP(w, r)
		}
	})
}

// creds is a Credentials with one authenticator per host.
type creds map[string]authn.Authenticator

func (c creds) Credentials(_ context.Context, host string) (authn.Authenticator, error) {
	return c[host], nil
}

func TestFetchAuth(t *testing.T) {
	s := newServer(t, nil, basicAuth)
	pass := func(u, p string) Options {
		return Options{TLSVerify: boolPtr(false), Credentials: creds{s.host: &authn.Basic{Username: u, Password: p}}}
	}
	_, err := fetch(t, Options{TLSVerify: boolPtr(false)}, s.ref())
	assertOneLine(t, err, errdefs.ErrPermission, "authentication required", "run hutch login "+s.host)
	_, err = fetch(t, pass("user", "wrong"), s.ref())
	assertOneLine(t, err, errdefs.ErrPermission, "refused the credentials", "run hutch login "+s.host)
	if strings.Contains(err.Error(), "wrong") {
		t.Errorf("the password leaked into %q", err)
	}
	_, err = fetch(t, pass("banned", "x"), s.ref())
	assertOneLine(t, err, errdefs.ErrPermission, "denied")
	if _, err := fetch(t, pass("user", "pass"), s.ref()); err != nil {
		t.Errorf("with credentials: %v", err)
	}
}

// hubTransport plays Docker Hub and other public registries without any
// network: it records the hosts asked and serves manifests from a map
// (path -> body); anything else is 404.
type hubTransport struct {
	asked     []string
	manifests map[string]string
}

func (h *hubTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	h.asked = append(h.asked, r.URL.Host+r.URL.Path)
	status, body := http.StatusNotFound, `{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}`
	hdr := http.Header{"Content-Type": {"application/json"}}
	if r.URL.Path == "/v2/" {
		status, body = http.StatusOK, "{}"
	} else if m, ok := h.manifests[r.URL.Host+r.URL.Path]; ok {
		status, body = http.StatusOK, m
		hdr.Set("Content-Type", "application/vnd.oci.image.manifest.v1+json")
	}
	return &http.Response{StatusCode: status, Header: hdr, Body: io.NopCloser(strings.NewReader(body)), Request: r}, nil
}

func TestFetchShortNamesWithoutNetwork(t *testing.T) {
	img, _ := random.Image(16, 1)
	raw, _ := img.RawManifest()
	hub := &hubTransport{manifests: map[string]string{"quay.io/v2/tools/tool/manifests/1": string(raw)}}
	cfg := &config.File{UnqualifiedSearchRegistries: []string{"docker.io", "quay.io"}}
	r, err := fetch(t, Options{Config: cfg, Transport: hub}, "tools/tool:1")
	if err != nil {
		t.Fatal(err)
	}
	if r.Name != "quay.io/tools/tool:1" {
		t.Errorf("resolved to %s", r.Name)
	}
	want := []string{"index.docker.io/v2/", "index.docker.io/v2/tools/tool/manifests/1", "quay.io/v2/", "quay.io/v2/tools/tool/manifests/1"}
	if strings.Join(hub.asked, " ") != strings.Join(want, " ") {
		t.Errorf("asked %v, want %v", hub.asked, want)
	}

	hub.asked = nil
	_, err = fetch(t, Options{Config: cfg, Transport: hub}, "alpine")
	assertOneLine(t, err, errdefs.ErrNotFound, `image "alpine": not found in any of the unqualified-search registries (docker.io, quay.io)`)

	// docker.io's location rewrite and a mirror.
	hub.asked = nil
	cfg.Registries = []config.Registry{{Prefix: "docker.io", Location: "registry-1.docker.io", Mirrors: []config.Mirror{{Location: "mirror.test/hub"}}}}
	cfg.UnqualifiedSearchRegistries = []string{"docker.io"}
	_, err = fetch(t, Options{Config: cfg, Transport: hub}, "alpine:3")
	assertOneLine(t, err, errdefs.ErrNotFound, "image docker.io/library/alpine:3: not found in registry docker.io")
	want = []string{"mirror.test/v2/", "mirror.test/v2/hub/library/alpine/manifests/3", "registry-1.docker.io/v2/", "registry-1.docker.io/v2/library/alpine/manifests/3"}
	if strings.Join(hub.asked, " ") != strings.Join(want, " ") {
		t.Errorf("asked %v, want %v", hub.asked, want)
	}
}

func TestSignatureFetcher(t *testing.T) {
	s := newServer(t, nil, nil)
	o := Options{TLSVerify: boolPtr(false)}
	r, err := fetch(t, o, s.ref())
	if err != nil {
		t.Fatal(err)
	}
	c := New(o)
	defer c.Close()
	r.c = c
	sig, err := r.Signatures()(context.Background())
	if err != nil || sig != nil {
		t.Fatalf("unsigned image: %v, %v", sig, err)
	}
	tgt, err := c.PushTarget(context.Background(), s.ref())
	if err != nil {
		t.Fatal(err)
	}
	want, _ := random.Image(32, 1)
	if err := tgt.SignatureWriter(r.TopDigest())(context.Background(), want); err != nil {
		t.Fatal(err)
	}
	got, err := r.Signatures()(context.Background())
	if err != nil || got == nil {
		t.Fatalf("signed image: %v, %v", got, err)
	}
	gd, _ := got.Digest()
	wd, _ := want.Digest()
	if gd != wd {
		t.Errorf("signature image %s, want %s", gd, wd)
	}
}

// bearerAuth is a distribution-style token server at /token (it wants
// user:pass) in front of the registry, which wants the token it issues.
func bearerAuth(host *string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/token" {
				if u, p, ok := r.BasicAuth(); !ok || u != "user" || p != "pass" {
					w.WriteHeader(http.StatusUnauthorized)
					_, _ = io.WriteString(w, `{"errors":[{"code":"UNAUTHORIZED","message":"bad credentials"}]}`)
					return
				}
				_, _ = io.WriteString(w, `{"token":"sesame"}`)
				return
			}
			if r.Header.Get("Authorization") != "Bearer sesame" {
				w.Header().Set("WWW-Authenticate", `Bearer realm="http://`+*host+`/token",service="test",scope="repository:lib/img:pull"`)
				w.WriteHeader(http.StatusUnauthorized)
				_, _ = io.WriteString(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

func TestFetchBearerToken(t *testing.T) {
	var host string
	s := newServer(t, nil, bearerAuth(&host))
	host = s.host
	insecure := &config.File{Registries: []config.Registry{{Prefix: s.host, Insecure: true}}}
	o := func(u, p string) Options {
		return Options{Config: insecure, Credentials: creds{s.host: &authn.Basic{Username: u, Password: p}}}
	}
	if _, err := fetch(t, o("user", "pass"), s.ref()); err != nil {
		t.Fatalf("with a token: %v", err)
	}
	_, err := fetch(t, o("user", "nope"), s.ref())
	assertOneLine(t, err, errdefs.ErrPermission, "refused the credentials", "hutch login "+s.host)
	_, err = fetch(t, Options{Config: insecure}, s.ref())
	assertOneLine(t, err, errdefs.ErrPermission, "hutch login "+s.host)
}

func TestPushTargetBlobs(t *testing.T) {
	var mountedFrom string
	s := newServer(t, nil, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if q := r.URL.Query(); r.Method == http.MethodPost && q.Get("mount") != "" {
				mountedFrom = q.Get("from")
				w.WriteHeader(http.StatusCreated)
				return
			}
			next.ServeHTTP(w, r)
		})
	})
	c := New(Options{TLSVerify: boolPtr(false)})
	defer c.Close()
	ctx := context.Background()
	tgt, err := c.PushTarget(ctx, s.host+"/other/repo:1", s.host+"/lib/img")
	if err != nil {
		t.Fatal(err)
	}
	cd, _ := s.img.ConfigName()
	if ok, err := tgt.BlobExists(ctx, cd); err != nil || !ok {
		t.Errorf("existing blob: %v, %v", ok, err)
	}
	missing := v1.Hash{Algorithm: "sha256", Hex: strings.Repeat("2", 64)}
	if ok, err := tgt.BlobExists(ctx, missing); err != nil || ok {
		t.Errorf("missing blob: %v, %v", ok, err)
	}
	if ok, err := tgt.MountBlob(ctx, missing, s.host+"/lib/img"); err != nil || !ok || mountedFrom != "lib/img" {
		t.Errorf("mount: %v, %v, from %q", ok, err, mountedFrom)
	}
	if ok, err := tgt.MountBlob(ctx, missing, "elsewhere.test/lib/img"); err != nil || ok {
		t.Errorf("mount from another registry: %v, %v", ok, err)
	}
}
