package registry

import (
	"context"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/hutchctr/hutch/pkg/errdefs"
)

func TestCheckLogin(t *testing.T) {
	var host string
	bearer := newServer(t, nil, bearerAuth(&host))
	host = bearer.host
	basic := newServer(t, nil, basicAuth)
	open := newServer(t, nil, nil)
	tests := []struct {
		name       string
		srv        *server
		registry   string
		user, pass string
		wantErr    error
	}{
		{"basic, right", basic, basic.host, "user", "pass", nil},
		{"basic, wrong", basic, basic.host, "user", "nope", errdefs.ErrPermission},
		{"basic, denied", basic, basic.host, "banned", "x", errdefs.ErrPermission},
		{"bearer, right", bearer, bearer.host, "user", "pass", nil},
		{"bearer, wrong", bearer, bearer.host, "user", "nope", errdefs.ErrPermission},
		{"no auth at all", open, open.host, "user", "pass", nil},
		{"URL form", basic, "https://" + basic.host + "/", "user", "pass", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := New(Options{TLSVerify: boolPtr(false), Credentials: creds{tt.srv.host: &authn.Basic{Username: tt.user, Password: tt.pass}}})
			defer c.Close()
			err := c.CheckLogin(context.Background(), tt.registry)
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("CheckLogin: %v", err)
				}
				return
			}
			assertOneLine(t, err, tt.wantErr, "registry "+tt.srv.host, "unauthorized")
		})
	}
}

func TestCheckLoginPlainHTTPRefused(t *testing.T) {
	s := newServer(t, nil, nil)
	c := New(Options{Credentials: creds{s.host: &authn.Basic{Username: "user", Password: "pass"}}})
	defer c.Close()
	err := c.CheckLogin(context.Background(), s.host)
	assertOneLine(t, err, ErrTLS, s.host, "--tls-verify=false")
}
