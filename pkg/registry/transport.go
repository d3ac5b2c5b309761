package registry

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/hutchctr/hutch/pkg/errdefs"
)

// transports makes the RoundTrippers of endpoints. Connections are pooled
// per (host, insecure): an *http.Transport each, whose TLS settings come
// from certs-dir/HOST/.
type transports struct {
	certsDir  string
	override  http.RoundTripper // tests
	userAgent string
	// idle is how long a request may make no progress (registry-timeout).
	idle time.Duration

	mu    sync.Mutex
	byKey map[tlsKey]*hostTransport
}

type tlsKey struct {
	host     string
	insecure bool
}

// hostTransport is a host's pool, or the error its certs-dir files gave.
type hostTransport struct {
	rt  http.RoundTripper
	err error
}

func newTransports(certsDir string, override http.RoundTripper, userAgent string, idle time.Duration) *transports {
	return &transports{certsDir: certsDir, override: override, userAgent: userAgent, idle: idle, byKey: map[tlsKey]*hostTransport{}}
}

// retryBackoff retries requests that failed in a way worth retrying
// (connection reset, 5xx, 429) a little, before a mirror falls back or a
// pull fails.
func retryBackoff() transport.Backoff {
	return transport.Backoff{Duration: 200 * time.Millisecond, Factor: 2, Jitter: 0.1, Steps: 3}
}

// forEndpoint returns the RoundTripper for the requests of one endpoint.
// Its insecure flag covers the endpoint's own host only: token servers and
// blob redirects elsewhere are verified (unless all is set: every host is
// insecure, --tls-verify=false). See Options.TLSVerify for how insecure
// is decided.
func (t *transports) forEndpoint(host string, insecure, all bool) http.RoundTripper {
	g := &guard{t: t, host: host, insecure: insecure, all: all}
	rt := transport.NewRetry(g, transport.WithRetryBackoff(retryBackoff()),
		transport.WithRetryStatusCodes(http.StatusRequestTimeout, http.StatusTooManyRequests, http.StatusInternalServerError,
			http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout))
	return transport.NewUserAgent(rt, t.userAgent)
}

// PlainHTTPError is a plain-HTTP request to a host that is not allowed it.
type PlainHTTPError struct{ Host string }

func (e *PlainHTTPError) Error() string {
	return "plain HTTP to " + e.Host + " is not allowed"
}

// guard refuses plain HTTP where it is not allowed, then sends the request
// through the host's pool, cancelling it if it stalls. It sits below the
// retries: each attempt gets the whole idle timeout.
type guard struct {
	t        *transports
	host     string
	insecure bool
	all      bool
}

func (g *guard) RoundTrip(req *http.Request) (*http.Response, error) {
	h := req.URL.Host
	insecure := g.all || (g.insecure && h == g.host)
	if req.URL.Scheme != "https" && !insecure {
		// go-containerregistry tries http for loopback and private
		// addresses on its own; hutch only where it was told to.
		return nil, &PlainHTTPError{Host: h}
	}
	rt := g.t.override
	if rt == nil {
		ht := g.t.hostTransport(h, insecure)
		if ht.err != nil {
			return nil, ht.err
		}
		rt = ht.rt
	}
	return idleRoundTrip(rt, req, g.t.idle)
}

func (t *transports) hostTransport(host string, insecure bool) *hostTransport {
	t.mu.Lock()
	defer t.mu.Unlock()
	k := tlsKey{host, insecure}
	if ht, ok := t.byKey[k]; ok {
		return ht
	}
	ht := &hostTransport{}
	cfg, err := tlsConfig(t.certsDir, host, insecure)
	if err != nil {
		ht.err = err
	} else {
		ht.rt = newHTTPTransport(cfg)
	}
	t.byKey[k] = ht
	return ht
}

// closeIdle closes the idle connections of every pool.
func (t *transports) closeIdle() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, ht := range t.byKey {
		if c, ok := ht.rt.(interface{ CloseIdleConnections() }); ok {
			c.CloseIdleConnections()
		}
	}
}

func newHTTPTransport(cfg *tls.Config) *http.Transport {
	d := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy:           http.ProxyFromEnvironment,
		DialContext:     d.DialContext,
		DialTLSContext:  dialTLS(d, cfg),
		TLSClientConfig: cfg, // used only through a proxy
		// Parallel layer downloads each keep a connection.
		MaxIdleConnsPerHost:   32,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   15 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
}

// TLSError is a failed TLS handshake with Host.
type TLSError struct {
	Host string
	Err  error
}

func (e *TLSError) Error() string { return "TLS handshake with " + e.Host + ": " + e.Err.Error() }
func (e *TLSError) Unwrap() error { return e.Err }

// dialTLS does the handshake itself so that its failure reaches the caller
// as a TLSError (net/http turns some into untyped text).
func dialTLS(d *net.Dialer, cfg *tls.Config) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		raw, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		c := cfg.Clone()
		if c.ServerName == "" {
			host, _, err := net.SplitHostPort(addr)
			if err != nil {
				host = addr
			}
			c.ServerName = host
		}
		tc := tls.Client(raw, c)
		if err := tc.HandshakeContext(ctx); err != nil {
			raw.Close()
			return nil, &TLSError{Host: strings.TrimSuffix(addr, ":443"), Err: err}
		}
		return tc, nil
	}
}

// tlsConfig reads certs-dir/host/: *.crt are CAs trusted besides the
// system's, NAME.cert with NAME.key a client certificate.
func tlsConfig(certsDir, host string, insecure bool) (*tls.Config, error) {
	// Registries speak HTTP/1.1 everywhere; parallel downloads then use
	// parallel connections rather than one multiplexed stream.
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: insecure, NextProtos: []string{"http/1.1"}} //nolint:gosec // insecure only when configured
	if certsDir == "" {
		return cfg, nil
	}
	dir := filepath.Join(certsDir, host)
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return cfg, nil
	}
	if err != nil {
		return nil, certsError(dir, "%v", err)
	}
	for _, e := range ents {
		p := filepath.Join(dir, e.Name())
		switch filepath.Ext(e.Name()) {
		case ".crt":
			if cfg.RootCAs == nil {
				if cfg.RootCAs, err = x509.SystemCertPool(); err != nil {
					cfg.RootCAs = x509.NewCertPool()
				}
			}
			pem, err := os.ReadFile(p)
			if err != nil {
				return nil, certsError(dir, "%v", err)
			}
			if !cfg.RootCAs.AppendCertsFromPEM(pem) {
				return nil, certsError(dir, "%s holds no PEM certificate", e.Name())
			}
		case ".cert":
			key := strings.TrimSuffix(p, ".cert") + ".key"
			pair, err := tls.LoadX509KeyPair(p, key)
			if err != nil {
				return nil, certsError(dir, "client certificate %s with %s: %v", e.Name(), filepath.Base(key), err)
			}
			cfg.Certificates = append(cfg.Certificates, pair)
		case ".key":
			if _, err := os.Stat(strings.TrimSuffix(p, ".key") + ".cert"); err != nil {
				return nil, certsError(dir, "%s has no matching .cert file", e.Name())
			}
		}
	}
	return cfg, nil
}

// CertsDirError is a problem with the files of a certs-dir host
// directory; it is an errdefs.ErrInvalidArgument.
type CertsDirError struct {
	Dir, Problem string
}

func (e *CertsDirError) Error() string        { return "certs-dir " + e.Dir + ": " + e.Problem }
func (e *CertsDirError) Is(target error) bool { return target == errdefs.ErrInvalidArgument }

func certsError(dir, format string, args ...any) error {
	return &CertsDirError{Dir: dir, Problem: fmt.Sprintf(format, args...)}
}
