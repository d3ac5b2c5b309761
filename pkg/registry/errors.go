package registry

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/hutchctr/hutch/pkg/errdefs"
)

// Classes of registry failures besides pkg/errdefs's.
var (
	// ErrTLS is a failed TLS handshake or certificate verification.
	ErrTLS = errors.New("tls failure")
	// ErrUnreachable is a registry that cannot be connected to.
	ErrUnreachable = errors.New("registry unreachable")
	// ErrStalled is a request cancelled because it made no progress for
	// hutch.yaml's registry-timeout (a StallError).
	ErrStalled = errors.New("registry stalled")
)

// Error is a registry failure as one line for the user. errors.Is and
// errors.As see its class (an errdefs class, ErrTLS or ErrUnreachable) and
// its cause, which its message does not repeat.
type Error struct {
	msg   string
	class error
	cause error
}

func (e *Error) Error() string { return e.msg }

// Unwrap returns the class and the cause.
func (e *Error) Unwrap() []error {
	var out []error
	for _, err := range []error{e.class, e.cause} {
		if err != nil {
			out = append(out, err)
		}
	}
	return out
}

// op says what was being done, for the message.
type op struct {
	image     string // familiar name of the image
	host      string // endpoint host[:port]
	blob      string // blob digest, "" for a manifest
	push      bool
	anonymous bool // no credentials were sent
}

func (o op) action() string {
	if o.push {
		return "push"
	}
	return "pull"
}

func (o op) object() string {
	if o.blob != "" {
		return "image " + o.image + ": blob " + o.blob
	}
	return "image " + o.image
}

func newError(class, cause error, format string, args ...any) *Error {
	return &Error{msg: fmt.Sprintf(format, args...), class: class, cause: cause}
}

// classify turns a failure of a request for o into one Error line.
func (c *Client) classify(err error, o op) error {
	var re *Error
	var te *transport.Error
	var ph *PlainHTTPError
	var cd *CertsDirError
	var se *StallError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &re):
		return re
	// Before cancellation: the watchdog cancels the request it cuts.
	case errors.As(err, &se):
		return newError(ErrStalled, se, "%s", se.Line())
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	case errors.As(err, &cd):
		return cd
	// go-containerregistry tries https and http at once for loopback
	// addresses: the https failure explains more than the refused http,
	// unless plain HTTP was allowed and the server spoke it: then the
	// http attempt's failure, below, is the one that matters.
	case isTLS(err) && !(c.plainHTTPAllowed(o.host) && isPlainHTTPAnswer(err)):
		return c.tlsError(err, o.host)
	case errors.As(err, &ph):
		return newError(ErrTLS, err, "registry %s: plain HTTP to %s is not allowed: if it serves no TLS, %s", o.host, ph.Host, c.tlsHint(ph.Host))
	}
	if msg, ok := unreachable(err); ok {
		return newError(ErrUnreachable, err, "registry %s is unreachable: %s", o.host, msg)
	}
	if errors.As(err, &te) {
		return statusError(te, o)
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return newError(nil, err, "registry %s closed the connection during a request for %s", o.host, o.object())
	}
	return newError(nil, err, "registry %s: %s: %s", o.host, o.object(), innermost(err))
}

// statusError classifies an HTTP error response.
func statusError(te *transport.Error, o op) error {
	code := te.StatusCode
	diag := ""
	for _, d := range te.Errors {
		switch d.Code {
		case transport.ManifestUnknownErrorCode, transport.NameUnknownErrorCode, transport.BlobUnknownErrorCode:
			code = http.StatusNotFound
		case transport.UnauthorizedErrorCode:
			code = http.StatusUnauthorized
		case transport.DeniedErrorCode:
			code = http.StatusForbidden
		}
		if diag == "" {
			diag = string(d.Code) + ": " + d.Message
		}
	}
	switch {
	case code == http.StatusNotFound:
		// The registry as the user names it, not the endpoint's location.
		reg, _, _ := strings.Cut(o.image, "/")
		return newError(errdefs.ErrNotFound, te, "%s: not found in registry %s", o.object(), reg)
	case code == http.StatusUnauthorized && o.anonymous:
		return newError(errdefs.ErrPermission, te, "registry %s: authentication required to %s %s (or it does not exist): run hutch login %s",
			familiarHost(o.host), o.action(), o.image, familiarHost(o.host))
	case code == http.StatusUnauthorized:
		return newError(errdefs.ErrPermission, te, "registry %s refused the credentials for %s: run hutch login %s",
			familiarHost(o.host), o.image, familiarHost(o.host))
	case code == http.StatusForbidden:
		return newError(errdefs.ErrPermission, te, "registry %s: access to %s denied: run hutch login %s with an account that may %s it",
			familiarHost(o.host), o.image, familiarHost(o.host), o.action())
	case code == http.StatusTooManyRequests:
		return newError(nil, te, "registry %s: too many requests: try again later, or run hutch login %s", familiarHost(o.host), familiarHost(o.host))
	case code >= 500:
		return newError(nil, te, "registry %s: server error %d (%s) for %s", familiarHost(o.host), code, http.StatusText(code), o.object())
	case diag != "":
		return newError(nil, te, "registry %s: %s: %s (HTTP %d)", familiarHost(o.host), o.object(), diag, code)
	}
	return newError(nil, te, "registry %s: %s: HTTP %d %s", familiarHost(o.host), o.object(), code, http.StatusText(code))
}

// isPlainHTTPAnswer reports a TLS handshake answered in plain HTTP.
func isPlainHTTPAnswer(err error) bool {
	var rh tls.RecordHeaderError
	return errors.As(err, &rh)
}

// plainHTTPAllowed reports whether requests to host may use plain HTTP.
func (c *Client) plainHTTPAllowed(host string) bool {
	return c.opts.insecure(c.configuredInsecure(host))
}

func isTLS(err error) bool {
	var te *TLSError
	var ua x509.UnknownAuthorityError
	var he x509.HostnameError
	var ci x509.CertificateInvalidError
	var rh tls.RecordHeaderError
	return errors.As(err, &te) || errors.As(err, &ua) || errors.As(err, &he) || errors.As(err, &ci) || errors.As(err, &rh) ||
		tlsAlert(err) != ""
}

// tlsAlert returns the text of a TLS alert the server sent after the
// handshake ("tls: certificate required": with TLS 1.3 a missing client
// certificate is reported on the first read). crypto/tls does not export
// its alert type for TCP connections: the net.OpError around it is what
// can be recognised.
func tlsAlert(err error) string {
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Op == "remote error" && oe.Err != nil && strings.HasPrefix(oe.Err.Error(), "tls: ") {
		return oe.Err.Error()
	}
	return ""
}

// tlsError names the host, the certificate problem and what would change
// it.
func (c *Client) tlsError(err error, host string) error {
	var te *TLSError
	if errors.As(err, &te) {
		host = te.Host
	}
	certs := filepath.Join(c.cfg.CertsDir, host)
	if c.cfg.CertsDir == "" {
		certs = "certs-dir/" + host
	}
	insecure := c.tlsHint(host)
	var ua x509.UnknownAuthorityError
	var he x509.HostnameError
	var ci x509.CertificateInvalidError
	var rh tls.RecordHeaderError
	var alert tls.AlertError
	switch {
	case errors.As(err, &ua):
		return newError(ErrTLS, err, "registry %s: TLS: certificate signed by unknown authority: put its CA in %s/ca.crt, %s", host, certs, insecure)
	case errors.As(err, &he):
		return newError(ErrTLS, err, "registry %s: TLS: %s: %s", host, strings.TrimPrefix(he.Error(), "x509: "), insecure)
	case errors.As(err, &ci):
		return newError(ErrTLS, err, "registry %s: TLS: %s: %s", host, strings.TrimPrefix(ci.Error(), "x509: "), insecure)
	case errors.As(err, &rh):
		return newError(ErrTLS, err, "registry %s does not speak TLS (plain HTTP?): %s", host, insecure)
	case errors.As(err, &alert) && (alert == 42 || alert == 116), // bad_certificate, certificate_required
		tlsAlert(err) == "tls: certificate required", tlsAlert(err) == "tls: bad certificate":
		return newError(ErrTLS, err, "registry %s: TLS: the registry requires a client certificate it accepts: put client.cert and client.key in %s", host, certs)
	}
	return newError(ErrTLS, err, "registry %s: TLS: %s", host, strings.TrimPrefix(innermost(err), "tls: "))
}

// tlsHint says what would let host be used without verified TLS.
func (c *Client) tlsHint(host string) string {
	switch {
	case !c.opts.verifyForced():
		return "mark it insecure in hutch.yaml registries, or use --tls-verify=false"
	case c.configuredInsecure(host):
		return "hutch.yaml marks it insecure, but --tls-verify=true requires verified TLS: omit --tls-verify=true to use hutch.yaml's setting, or use --tls-verify=false"
	}
	return "--tls-verify=true requires verified TLS: use --tls-verify=false, or mark it insecure in hutch.yaml registries and omit --tls-verify=true"
}

// configuredInsecure reports whether hutch.yaml marks an endpoint on host
// (a registry's location, else its prefix, or a mirror) insecure.
func (c *Client) configuredInsecure(host string) bool {
	hostOf := func(loc string) string {
		h, _, _ := strings.Cut(loc, "/")
		return h
	}
	for _, r := range c.cfg.Registries {
		loc := r.Location
		if loc == "" {
			loc = r.Prefix
		}
		if r.Insecure && hostOf(loc) == host {
			return true
		}
		for _, m := range r.Mirrors {
			if m.Insecure && hostOf(m.Location) == host {
				return true
			}
		}
	}
	return false
}

// unreachable recognises a failure to connect and describes it briefly.
func unreachable(err error) (string, bool) {
	var dns *net.DNSError
	var oe *net.OpError
	var ne net.Error
	switch {
	case errors.As(err, &dns):
		if dns.IsNotFound {
			return "no such host", true
		}
		return "name resolution failed: " + dns.Err, true
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused", true
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return "no route to host", true
	case errors.As(err, &oe) && oe.Op == "dial":
		return innermost(err), true
	case errors.As(err, &ne) && ne.Timeout():
		return "timed out", true
	}
	return "", false
}

// innermost returns the text of the deepest single-wrapped cause, so that
// "GET https://...: dial tcp ...: connect: x" reads "x".
func innermost(err error) string {
	for {
		var next error
		switch e := err.(type) {
		case *url.Error:
			next = e.Err
		case *net.OpError:
			next = e.Err
		default:
			next = errors.Unwrap(err)
		}
		if next == nil {
			return err.Error()
		}
		err = next
	}
}
