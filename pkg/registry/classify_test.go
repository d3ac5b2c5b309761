package registry

import (
	"crypto/tls"
	"errors"
	"net"
	"strings"
	"syscall"
	"testing"

	"github.com/hutchctr/hutch/pkg/config"
)

// TestClassifyPlainHTTPRace: go-containerregistry pings a loopback
// registry over https and http at once and reports both failures. When
// plain HTTP is allowed and the server spoke it, the https failure is
// expected and the http one is the error; otherwise the TLS one is.
func TestClassifyPlainHTTPRace(t *testing.T) {
	both := errors.Join(
		tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"},
		&net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED},
	)
	no, yes := false, true
	tests := []struct {
		name      string
		tlsVerify *bool
		insecure  bool
		want      string
	}{
		{"--tls-verify=false", &no, false, "unreachable: connection refused"},
		{"insecure in hutch.yaml", nil, true, "unreachable: connection refused"},
		{"verification on", nil, false, "does not speak TLS"},
		{"--tls-verify=true over insecure", &yes, true, "does not speak TLS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := &config.File{Registries: []config.Registry{{Prefix: "127.0.0.1:5000", Insecure: tt.insecure}}}
			c := New(Options{Config: cfg, TLSVerify: tt.tlsVerify})
			got := c.classify(both, op{host: "127.0.0.1:5000", image: "127.0.0.1:5000/x"})
			if !strings.Contains(got.Error(), tt.want) {
				t.Errorf("got %q, want it to say %q", got, tt.want)
			}
		})
	}
}
