package auth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/hutchctr/hutch/pkg/errdefs"
)

// basicAuthRegistry is ggcr's in-process registry behind HTTP Basic auth
// for one user.
func basicAuthRegistry(t *testing.T, user, password string) string {
	t.Helper()
	inner := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != user || p != password {
			w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
			http.Error(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`, http.StatusUnauthorized)
			return
		}
		inner.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// pingV2 is a verify function as pkg/registry provides one: GET /v2/ with
// the credentials through ggcr's transport.
func pingV2(host string) VerifyFunc {
	return func(ctx context.Context, a authn.Authenticator) error {
		reg, err := name.NewRegistry(host, name.Insecure)
		if err != nil {
			return err
		}
		rt, err := transport.NewWithContext(ctx, reg, a, http.DefaultTransport, nil)
		if err != nil {
			return err
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+host+"/v2/", nil)
		resp, err := (&http.Client{Transport: rt}).Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode == http.StatusUnauthorized {
			return fmt.Errorf("%w", errdefs.ErrPermission)
		}
		return transport.CheckError(resp, http.StatusOK)
	}
}

// TestLoginThenPushWithGGCR runs the flow pkg/registry builds on: login
// verified against a registry that demands Basic auth, then a push through
// ggcr with the stored credentials.
func TestLoginThenPushWithGGCR(t *testing.T) {
	env := newTestEnv(t)
	ctx := context.Background()
	host := basicAuthRegistry(t, "alice", secret)
	s := New(env.hutch)

	err := s.Login(ctx, host, "alice", "wrong-"+secret, pingV2(host))
	if !errors.Is(err, errdefs.ErrPermission) || len(leaks(err.Error(), "alice", "wrong-"+secret)) > 0 {
		t.Fatalf("login with a wrong password = %v, want a redacted permission error", err)
	}
	if err := s.Login(ctx, host, "alice", secret, pingV2(host)); err != nil {
		t.Fatalf("login: %v", err)
	}
	ref, err := name.ParseReference(host+"/app:1", name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	img, err := random.Image(512, 1)
	if err != nil {
		t.Fatal(err)
	}
	anon, err := FromFile(t.TempDir()+"/none.json").Credentials(ctx, ref.Context().RegistryStr())
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img, remote.WithAuth(anon), remote.WithContext(ctx)); err == nil {
		t.Fatal("anonymous push succeeded; the test registry does not check credentials")
	}
	a, err := s.Credentials(ctx, ref.Context().RegistryStr())
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img, remote.WithAuth(a), remote.WithContext(ctx)); err != nil {
		t.Fatalf("push with stored credentials: %v", err)
	}
}
