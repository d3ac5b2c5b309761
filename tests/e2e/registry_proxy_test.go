//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// faultKind is what a regProxy does to a blob download.
type faultKind int

const (
	faultNone faultKind = iota
	// faultCorrupt flips one byte in the middle of the body.
	faultCorrupt
	// faultTruncate sends the first half of the body, then drops the
	// connection (the declared length is the full one).
	faultTruncate
	// faultStatus500 answers 500 Internal Server Error instead of the blob.
	faultStatus500
	// faultStall sends the first half of the body, then sends nothing more
	// until the client goes away (a test kills the client meanwhile).
	faultStall
)

func (k faultKind) String() string {
	return [...]string{"none", "corrupt", "truncate", "500", "stall"}[k]
}

// proxyRule makes the proxy break downloads of one blob.
type proxyRule struct {
	// Digest is the blob ("sha256:...").
	Digest string
	Kind   faultKind
	// Times is how many downloads are broken; 0 breaks all of them.
	Times int
	// Before, when set, runs before the fault is applied: a test can hold
	// the broken answer back until the other layers of the pull arrived.
	Before func()
}

// proxyEntry is one request the proxy forwarded.
type proxyEntry struct {
	Method, Path string
	Status       int
	// Bytes is how much of the response body reached the client (known
	// once the body is done).
	Bytes int64
	Fault faultKind
}

// regProxy is a reverse proxy in front of a registry, on 127.0.0.1, plain
// HTTP: it counts what clients fetch (to prove which registry served an
// image) and injects faults into blob downloads. Clients reach it with
// --tls-verify=false or an `insecure: true` registry entry.
type regProxy struct {
	// Host is "127.0.0.1:PORT".
	Host   string
	target *regServer

	mu      sync.Mutex
	rules   []*proxyRule
	entries []*proxyEntry
	// stalled receives the digest of each stalled blob once its first
	// half is out.
	stalled chan string
}

// startProxy serves a proxy to target until the test ends.
func startProxy(t testing.TB, target *regServer) *regProxy {
	t.Helper()
	u, err := url.Parse(target.URL())
	if err != nil {
		t.Fatal(err)
	}
	p := &regProxy{target: target, stalled: make(chan string, 16)}
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(u)
			// The registry builds upload locations from the Host header
			// and X-Forwarded-Proto: keep the client on the proxy.
			pr.Out.Host = pr.In.Host
			pr.Out.Header.Set("X-Forwarded-Proto", "http")
		},
		Transport:      target.transport(),
		ModifyResponse: p.modify,
		// Write through at once, so a stalled or cut body has really
		// reached the client up to the fault.
		FlushInterval: -1,
		// The faults make the proxy log every cut body; the tests check
		// what the client saw instead.
		ErrorLog: log.New(io.Discard, "", 0),
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			http.Error(w, "proxy: "+err.Error(), http.StatusBadGateway)
		},
	}
	srv := httptest.NewServer(rp)
	t.Cleanup(srv.Close)
	p.Host = strings.TrimPrefix(srv.URL, "http://")
	return p
}

// Ref returns the image reference repo through the proxy.
func (p *regProxy) Ref(repo string) string { return p.Host + "/" + repo }

// addRule breaks downloads of a blob from now on.
func (p *regProxy) addRule(r proxyRule) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rules = append(p.rules, &r)
}

// clearRules turns every fault off.
func (p *regProxy) clearRules() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rules = nil
}

// take returns the fault for a response to req and uses one of its times.
func (p *regProxy) take(req *http.Request) *proxyRule {
	if req.Method != http.MethodGet {
		return nil
	}
	dir, digest, ok := strings.Cut(strings.TrimPrefix(req.URL.Path, "/v2/"), "/blobs/")
	if !ok || dir == "" || strings.Contains(digest, "/") {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, r := range p.rules {
		if r.Digest != digest {
			continue
		}
		if r.Times > 0 {
			if r.Times--; r.Times == 0 {
				p.rules = append(p.rules[:i:i], p.rules[i+1:]...)
			}
		}
		return r
	}
	return nil
}

func (p *regProxy) modify(resp *http.Response) error {
	e := &proxyEntry{Method: resp.Request.Method, Path: resp.Request.URL.Path, Status: resp.StatusCode}
	p.mu.Lock()
	p.entries = append(p.entries, e)
	p.mu.Unlock()
	rule := p.take(resp.Request)
	if rule != nil && resp.StatusCode == http.StatusOK {
		if rule.Before != nil {
			rule.Before()
		}
		e.Fault = rule.Kind
		p.applyFault(resp, rule)
	}
	e.Status = resp.StatusCode
	resp.Body = &countingBody{ReadCloser: resp.Body, p: p, e: e}
	return nil
}

func (p *regProxy) applyFault(resp *http.Response, rule *proxyRule) {
	half := resp.ContentLength / 2
	switch rule.Kind {
	case faultCorrupt:
		resp.Body = &flipBody{ReadCloser: resp.Body, at: half}
	case faultTruncate:
		resp.Body = &cutBody{ReadCloser: resp.Body, left: half}
	case faultStall:
		resp.Body = &stallBody{ReadCloser: resp.Body, left: half, ctx: resp.Request.Context(),
			notify: func() { p.stalled <- rule.Digest }}
	case faultStatus500:
		resp.Body.Close()
		msg := `{"errors":[{"code":"UNKNOWN","message":"injected failure"}]}`
		resp.StatusCode, resp.Status = http.StatusInternalServerError, "500 Internal Server Error"
		resp.Header = http.Header{"Content-Type": {"application/json"}, "Content-Length": {strconv.Itoa(len(msg))}}
		resp.ContentLength = int64(len(msg))
		resp.Body = io.NopCloser(strings.NewReader(msg))
	}
}

// log returns a copy of the requests forwarded so far.
func (p *regProxy) log() []proxyEntry {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]proxyEntry, len(p.entries))
	for i, e := range p.entries {
		out[i] = *e
	}
	return out
}

// count returns how many requests with method had a path containing substr.
func (p *regProxy) count(method, substr string) int {
	n := 0
	for _, e := range p.log() {
		if e.Method == method && strings.Contains(e.Path, substr) {
			n++
		}
	}
	return n
}

// blobGets returns how many GETs of the blob digest were answered 200.
func (p *regProxy) blobGets(digest string) int {
	n := 0
	for _, e := range p.log() {
		if e.Method == http.MethodGet && e.Status == http.StatusOK && strings.HasSuffix(e.Path, "/blobs/"+digest) {
			n++
		}
	}
	return n
}

// faulted returns how many responses the proxy broke.
func (p *regProxy) faulted() int {
	n := 0
	for _, e := range p.log() {
		if e.Fault != faultNone {
			n++
		}
	}
	return n
}

// describe lists the requests, for failure messages.
func (p *regProxy) describe() string {
	var b strings.Builder
	for _, e := range p.log() {
		fmt.Fprintf(&b, "  %s %s -> %d, %d bytes, fault %v\n", e.Method, e.Path, e.Status, e.Bytes, e.Fault)
	}
	return b.String()
}

// waitStalled waits until a download stalls (faultStall), or fails the
// test when gone (the client's exit) is closed first.
func (p *regProxy) waitStalled(t testing.TB, timeout time.Duration, gone <-chan struct{}) string {
	t.Helper()
	select {
	case d := <-p.stalled:
		return d
	case <-gone:
		t.Fatalf("the client ended before any download stalled; requests:\n%s", p.describe())
		return ""
	case <-time.After(timeout):
		t.Fatalf("no download stalled within %v; requests:\n%s", timeout, p.describe())
		return ""
	}
}

// countingBody records how many bytes of a body were read by the proxy
// (and so sent to the client).
type countingBody struct {
	io.ReadCloser
	p *regProxy
	e *proxyEntry
}

func (c *countingBody) Read(b []byte) (int, error) {
	n, err := c.ReadCloser.Read(b)
	c.p.mu.Lock()
	c.e.Bytes += int64(n)
	c.p.mu.Unlock()
	return n, err
}

// flipBody inverts the byte at offset at.
type flipBody struct {
	io.ReadCloser
	at, off int64
}

func (f *flipBody) Read(b []byte) (int, error) {
	n, err := f.ReadCloser.Read(b)
	if i := f.at - f.off; i >= 0 && i < int64(n) {
		b[i] ^= 0xff
	}
	f.off += int64(n)
	return n, err
}

// cutBody ends with an error after left bytes, which makes the proxy
// abort the connection mid-body.
type cutBody struct {
	io.ReadCloser
	left int64
}

func (c *cutBody) Read(b []byte) (int, error) {
	if c.left <= 0 {
		return 0, io.ErrUnexpectedEOF
	}
	if int64(len(b)) > c.left {
		b = b[:c.left]
	}
	n, err := c.ReadCloser.Read(b)
	c.left -= int64(n)
	return n, err
}

// stallBody passes left bytes, then blocks until the client is gone.
type stallBody struct {
	io.ReadCloser
	left     int64
	ctx      context.Context
	notify   func()
	notified bool
}

func (s *stallBody) Read(b []byte) (int, error) {
	if s.left <= 0 {
		if !s.notified {
			s.notified = true
			s.notify()
		}
		select {
		case <-s.ctx.Done():
		case <-time.After(2 * time.Minute):
		}
		return 0, io.ErrUnexpectedEOF
	}
	if int64(len(b)) > s.left {
		b = b[:s.left]
	}
	n, err := s.ReadCloser.Read(b)
	s.left -= int64(n)
	return n, err
}
