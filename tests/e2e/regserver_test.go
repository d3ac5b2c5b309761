//go:build e2e

package e2e

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
	"golang.org/x/sys/unix"
)

// registryBinary is Debian's docker-registry package: distribution v2.8,
// the reference registry server.
const registryBinary = "/usr/bin/docker-registry"

// regOptions configure a registry server.
type regOptions struct {
	// CA makes the server speak HTTPS with a certificate for 127.0.0.1
	// issued by this CA; nil serves plain HTTP.
	CA *testCA
	// ServerCert, with CA, replaces that certificate (an expired one, one
	// for another host).
	ServerCert *keyPair
	// ClientCerts, with CA, makes the server require client certificates
	// issued by CA.
	ClientCerts bool
	// Users turns on htpasswd (basic) authentication with these
	// user → password pairs.
	Users map[string]string
	// Token turns on bearer-token authentication by this token server.
	// Clients (go-containerregistry since v0.22) refuse a token realm on a
	// loopback or private address unless it is the registry's own
	// host:port, so the registry is then reached through a front server
	// on Host that answers /token itself and forwards the rest to the
	// docker-registry process on another port.
	Token *tokenServer
}

// regServer is a docker-registry process a test started on 127.0.0.1
// with its storage in the test's temporary directory. It is stopped when
// the test ends.
type regServer struct {
	// Host is "127.0.0.1:PORT", the registry part of image references.
	Host string
	// listen is where the docker-registry process listens: Host, except
	// behind a token front server.
	listen string
	// Dir holds the configuration, the storage (Dir/data) and the log.
	Dir     string
	logPath string
	opts    regOptions
	cmd     *exec.Cmd
	// serverCert is the certificate served over TLS; clientCert the one
	// the test's own client presents when ClientCerts is on.
	serverCert, clientCert *keyPair
}

// startRegistry starts a registry and waits until it answers. The port is
// chosen free just before the start; if another process takes it in
// between, the server fails to bind and a new port is tried.
func startRegistry(t testing.TB, o regOptions) *regServer {
	t.Helper()
	if _, err := os.Stat(registryBinary); err != nil {
		t.Fatalf("the registry tests need Debian's docker-registry package (make deps): %v", err)
	}
	dir := mkdirTemp(t, t.TempDir(), "registry-")
	var front net.Listener
	if o.Token != nil {
		var err error
		if front, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
		o.Token.Realm = "http://" + front.Addr().String() + "/token"
	}
	var lastErr error
	for attempt := 0; attempt < 5; attempt++ {
		r := &regServer{Host: freeAddr(t), Dir: dir, opts: o}
		r.listen = r.Host
		r.issueCerts(t)
		r.logPath = filepath.Join(dir, fmt.Sprintf("registry-%d.log", attempt))
		if lastErr = r.start(t); lastErr == nil {
			if front != nil {
				r.serveFront(t, front)
			}
			return r
		}
	}
	t.Fatalf("start %s: %v", registryBinary, lastErr)
	return nil
}

// freeAddr returns 127.0.0.1:PORT with a port nobody listens on right now.
func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// issueCerts makes the certificates the options ask for.
func (r *regServer) issueCerts(t testing.TB) {
	if r.opts.CA == nil {
		return
	}
	r.serverCert = r.opts.ServerCert
	if r.serverCert == nil {
		kp := r.opts.CA.issue(t, r.Dir, certProfile{CommonName: "127.0.0.1", Hosts: []string{"127.0.0.1"}})
		r.serverCert = &kp
	}
	if r.opts.ClientCerts {
		kp := r.opts.CA.issue(t, r.Dir, certProfile{CommonName: "e2e-client", Client: true})
		r.clientCert = &kp
	}
}

// refusedAddr returns 127.0.0.1:PORT where connections are refused for
// the rest of the test: a TCP socket bound to the port but not listening
// holds it, so no other test's server can take it meanwhile.
func refusedAddr(t testing.TB) string {
	t.Helper()
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("127.0.0.1:%d", sa.(*unix.SockaddrInet4).Port)
}

func (r *regServer) start(t testing.TB) error {
	cfg := filepath.Join(r.Dir, "config.yml")
	writeFile(t, cfg, []byte(r.config(t)), 0o644)
	logFile, err := os.Create(r.logPath)
	if err != nil {
		return err
	}
	defer logFile.Close()
	r.cmd = exec.Command(registryBinary, "serve", cfg)
	r.cmd.Stdout, r.cmd.Stderr = logFile, logFile
	// TMPDIR names the test's directory, so the lane's clean-up finds the
	// server by its environment if the suite dies; Pdeathsig covers a test
	// binary killed outright.
	r.cmd.Env = []string{"PATH=" + hostPath, "TMPDIR=" + r.Dir}
	r.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := r.cmd.Start(); err != nil {
		return err
	}
	exited := make(chan error, 1)
	go func() { exited <- r.cmd.Wait() }()
	t.Cleanup(func() { r.stop(t, exited) })
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			exited <- err // for stop
			return fmt.Errorf("registry on %s exited (%v): %s", r.Host, err, r.logTail())
		default:
		}
		if r.ready() {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("registry on %s did not answer within 20s: %s", r.Host, r.logTail())
}

// serveFront serves the token endpoint and forwards everything else to
// the registry process, on l, which becomes the registry's Host.
func (r *regServer) serveFront(t testing.TB, l net.Listener) {
	backend := &url.URL{Scheme: "http", Host: r.listen}
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(backend)
			// Upload locations are built from Host: keep clients on l.
			pr.Out.Host = pr.In.Host
		},
		Transport: r.transport(),
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/token", r.opts.Token.serveToken)
	mux.Handle("/", rp)
	srv := &httptest.Server{Listener: l, Config: &http.Server{Handler: mux}}
	srv.Start()
	t.Cleanup(srv.Close)
	r.Host = l.Addr().String()
}

// stop ends the server this test started (by its pid) and waits for it.
func (r *regServer) stop(t testing.TB, exited chan error) {
	select {
	case <-exited:
		return
	default:
	}
	r.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
		r.cmd.Process.Kill()
		<-exited
	}
}

// ready reports whether the server answers /v2/ (with any status: 401 is
// an answer when authentication is on).
func (r *regServer) ready() bool {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	// Any answer will do: the tests also start servers with certificates
	// that do not verify (expired, another host).
	tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true}
	if r.clientCert != nil {
		tr.TLSClientConfig.Certificates = []tls.Certificate{r.clientCert.cert}
	}
	defer tr.CloseIdleConnections()
	c := &http.Client{Timeout: time.Second, Transport: tr}
	resp, err := c.Get(r.scheme() + "://" + r.listen + "/v2/")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return true
}

// URL is the server's base URL.
func (r *regServer) URL() string { return r.scheme() + "://" + r.Host }

func (r *regServer) scheme() string {
	if r.opts.CA != nil {
		return "https"
	}
	return "http"
}

// Ref returns the image reference repo (a path, optionally with :tag or
// @digest) on this registry.
func (r *regServer) Ref(repo string) string { return r.Host + "/" + repo }

// transport is what the test's own clients use to reach the server: it
// trusts the test CA and presents a client certificate when one is needed.
// TLS registries get https even though go-containerregistry would pick
// http for a 127.0.0.1 address.
func (r *regServer) transport() http.RoundTripper {
	base := http.DefaultTransport.(*http.Transport).Clone()
	base.Proxy = nil
	if r.opts.CA == nil {
		return base
	}
	base.TLSClientConfig = &tls.Config{RootCAs: r.opts.CA.pool()}
	if r.clientCert != nil {
		base.TLSClientConfig.Certificates = []tls.Certificate{r.clientCert.cert}
	}
	return forceHTTPS{host: r.Host, base: base}
}

// forceHTTPS sends requests for one host over https.
type forceHTTPS struct {
	host string
	base http.RoundTripper
}

func (f forceHTTPS) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Host == f.host && req.URL.Scheme == "http" {
		req = req.Clone(req.Context())
		req.URL.Scheme = "https"
	}
	return f.base.RoundTrip(req)
}

// config is the registry's configuration file (distribution v2.8 format).
func (r *regServer) config(t testing.TB) string {
	var b strings.Builder
	fmt.Fprintf(&b, `version: 0.1
log:
  level: info
  formatter: text
  accesslog:
    disabled: false
storage:
  filesystem:
    rootdirectory: %s
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: %s
  secret: hutch-e2e-secret
`, filepath.Join(r.Dir, "data"), r.listen)
	if sc := r.serverCert; sc != nil {
		fmt.Fprintf(&b, "  tls:\n    certificate: %s\n    key: %s\n", sc.CertPath, sc.KeyPath)
		if r.opts.ClientCerts {
			fmt.Fprintf(&b, "    clientcas:\n      - %s\n", r.opts.CA.CertPath)
		}
	}
	switch {
	case r.opts.Users != nil:
		path := filepath.Join(r.Dir, "htpasswd")
		writeFile(t, path, htpasswd(t, r.opts.Users), 0o644)
		fmt.Fprintf(&b, "auth:\n  htpasswd:\n    realm: hutch-e2e\n    path: %s\n", path)
	case r.opts.Token != nil:
		tk := r.opts.Token
		fmt.Fprintf(&b, "auth:\n  token:\n    realm: %s\n    service: %s\n    issuer: %s\n    rootcertbundle: %s\n",
			tk.Realm, tk.Service, tk.Issuer, tk.CertPath)
	}
	return b.String()
}

// htpasswd returns an htpasswd file for users; distribution accepts only
// bcrypt hashes.
func htpasswd(t testing.TB, users map[string]string) []byte {
	t.Helper()
	var b strings.Builder
	for u, p := range users {
		// The minimum cost: hashing happens on every request.
		h, err := bcrypt.GenerateFromPassword([]byte(p), bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s:%s\n", u, h)
	}
	return []byte(b.String())
}

// logTail returns the end of the server's log, for failure messages.
func (r *regServer) logTail() string {
	b, _ := os.ReadFile(r.logPath)
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

// accessLine matches one line of the server's access log (combined format).
var accessLine = regexp.MustCompile(`^\S+ - \S+ \[[^]]+\] "(\S+) (\S+) [^"]*" (\d+) `)

// accessEntry is one request the server answered.
type accessEntry struct {
	Method, Path string
	Status       int
}

// accessLog returns the requests the server has answered so far.
func (r *regServer) accessLog(t testing.TB) []accessEntry {
	t.Helper()
	f, err := os.Open(r.logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []accessEntry
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		m := accessLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		var status int
		fmt.Sscanf(m[3], "%d", &status)
		out = append(out, accessEntry{Method: m[1], Path: m[2], Status: status})
	}
	return out
}
