package registry

import (
	"context"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/hutchctr/hutch/pkg/config"
)

func boolPtr(b bool) *bool { return &b }

// flagText spells a --tls-verify value for test names.
func flagText(b *bool) string {
	if b == nil {
		return "unset"
	}
	return strconv.FormatBool(*b)
}

// TestTLSVerifySelection: --tls-verify overrides hutch.yaml's insecure
// setting both ways; unset, hutch.yaml decides.
func TestTLSVerifySelection(t *testing.T) {
	type got struct{ Insecure, Everywhere, Forced bool }
	tests := []struct {
		configured bool
		tlsVerify  *bool
		want       got
	}{
		{false, nil, got{}},
		{true, nil, got{Insecure: true}},
		{false, boolPtr(true), got{Forced: true}},
		{true, boolPtr(true), got{Forced: true}},
		{false, boolPtr(false), got{Insecure: true, Everywhere: true}},
		{true, boolPtr(false), got{Insecure: true, Everywhere: true}},
	}
	for _, tt := range tests {
		t.Run("insecure="+strconv.FormatBool(tt.configured)+"/tls-verify="+flagText(tt.tlsVerify), func(t *testing.T) {
			o := Options{TLSVerify: tt.tlsVerify}
			g := got{o.insecure(tt.configured), o.insecureEverywhere(), o.verifyForced()}
			if diff := cmp.Diff(g, tt.want); diff != "" {
				t.Errorf("selection (-got +want):\n%s", diff)
			}
		})
	}
}

// TestTLSVerifyForcedPlainHTTP: a registry hutch.yaml marks insecure that
// serves plain HTTP is pulled from, pushed to and logged in to without the
// flag; --tls-verify=true refuses it with one TLS line naming the host and
// what would change it.
func TestTLSVerifyForcedPlainHTTP(t *testing.T) {
	s := newServer(t, nil, nil)
	cfg := func() *config.File {
		return &config.File{Registries: []config.Registry{{Prefix: s.host, Insecure: true}}}
	}
	ctx := context.Background()
	for _, v := range []*bool{nil, boolPtr(false)} {
		if _, err := fetch(t, Options{Config: cfg(), TLSVerify: v}, s.ref()); err != nil {
			t.Errorf("pull with --tls-verify=%s: %v", flagText(v), err)
		}
	}
	forced := Options{Config: cfg(), TLSVerify: boolPtr(true)}
	parts := []string{"registry " + s.host, "does not speak TLS", "hutch.yaml marks it insecure", "omit --tls-verify=true"}

	_, err := fetch(t, forced, s.ref())
	assertOneLine(t, err, ErrTLS, parts...)

	c := New(forced)
	defer c.Close()
	_, err = c.PushTarget(ctx, s.host+"/lib/pushed:1")
	assertOneLine(t, err, ErrTLS, parts...)

	forced.Credentials = creds{s.host: &authn.Basic{Username: "user", Password: "pass"}}
	login := New(forced)
	defer login.Close()
	assertOneLine(t, login.CheckLogin(ctx, s.host), ErrTLS, parts...)

	// A registry hutch.yaml does not mark insecure: the hint says both
	// what to change there and the flag.
	_, err = fetch(t, Options{TLSVerify: boolPtr(true)}, s.ref())
	assertOneLine(t, err, ErrTLS, "registry "+s.host, "mark it insecure in hutch.yaml registries and omit --tls-verify=true", "--tls-verify=false")
}

// TestTLSVerifyForcedUnverifiedTLS: an insecure entry lets an untrusted
// certificate through; --tls-verify=true verifies it (and passes once the
// CA is in certs-dir).
func TestTLSVerifyForcedUnverifiedTLS(t *testing.T) {
	caPEM, srvTLS := testCA(t, []string{"127.0.0.1"}, time.Now().Add(time.Hour))
	s := newServer(t, srvTLS, nil)
	certs := t.TempDir()
	cfg := &config.File{CertsDir: certs, Registries: []config.Registry{{Prefix: s.host, Insecure: true}}}
	if _, err := fetch(t, Options{Config: cfg}, s.ref()); err != nil {
		t.Fatalf("insecure entry: %v", err)
	}
	_, err := fetch(t, Options{Config: cfg, TLSVerify: boolPtr(true)}, s.ref())
	assertOneLine(t, err, ErrTLS, "registry "+s.host, "unknown authority", "omit --tls-verify=true")
	writeFile(t, filepath.Join(certs, s.host, "ca.crt"), caPEM)
	if _, err := fetch(t, Options{Config: cfg, TLSVerify: boolPtr(true)}, s.ref()); err != nil {
		t.Errorf("--tls-verify=true with the CA in certs-dir: %v", err)
	}
}

// TestTLSVerifyForcedMirror: --tls-verify=true applies to mirrors too: a
// plain-HTTP mirror marked insecure is skipped and the (verified) source
// serves the image.
func TestTLSVerifyForcedMirror(t *testing.T) {
	caPEM, srvTLS := testCA(t, []string{"127.0.0.1"}, time.Now().Add(time.Hour))
	src := newServer(t, srvTLS, nil)
	mirror := newServer(t, nil, nil)
	certs := t.TempDir()
	writeFile(t, filepath.Join(certs, src.host, "ca.crt"), caPEM)
	cfg := func() *config.File {
		return &config.File{CertsDir: certs, Registries: []config.Registry{{
			Prefix: src.host, Mirrors: []config.Mirror{{Location: mirror.host, Insecure: true}},
		}}}
	}
	tests := []struct {
		tlsVerify  *bool
		wantMirror bool
	}{
		{nil, true},
		{boolPtr(true), false},
	}
	for _, tt := range tests {
		t.Run("tls-verify="+flagText(tt.tlsVerify), func(t *testing.T) {
			r, err := fetch(t, Options{Config: cfg(), TLSVerify: tt.tlsVerify}, src.ref())
			if err != nil {
				t.Fatal(err)
			}
			if got := r.Endpoint.Mirror; got != tt.wantMirror {
				t.Errorf("served by the mirror: %v, want %v (endpoint %v)", got, tt.wantMirror, r.Endpoint)
			}
		})
	}
}
