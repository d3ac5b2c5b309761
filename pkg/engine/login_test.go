package engine

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hutchctr/hutch/pkg/errdefs"
)

// fakeLogins records what reaches the credential store.
type fakeLogins struct{ calls []string }

func (f *fakeLogins) Login(_ context.Context, registry string, o LoginOptions) error {
	f.calls = append(f.calls, "login "+registry+" "+o.Username)
	return nil
}

func (f *fakeLogins) Logout(_ context.Context, registry string, o LogoutOptions) error {
	if o.All {
		registry = "*"
	}
	f.calls = append(f.calls, "logout "+registry)
	return nil
}

func TestLoginLogout(t *testing.T) {
	ctx := context.Background()
	e, _, _ := newTestEngine(t)
	// Logins never open storage (nor, rootless, join the namespace holder).
	e.openImages = func(context.Context) (imageStore, error) { return nil, errors.New("storage opened") }
	f := &fakeLogins{}
	e.logins = f
	if err := e.Login(ctx, "", LoginOptions{Username: "me"}); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Errorf("login without a registry: %v", err)
	}
	if err := e.Logout(ctx, "", LogoutOptions{}); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Errorf("logout without a registry: %v", err)
	}
	for _, err := range []error{
		e.Login(ctx, "127.0.0.1:5000", LoginOptions{Username: "me", Password: "pw"}),
		e.Logout(ctx, "127.0.0.1:5000", LogoutOptions{}),
		e.Logout(ctx, "", LogoutOptions{All: true}),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	want := []string{"login 127.0.0.1:5000 me", "logout 127.0.0.1:5000", "logout *"}
	if diff := cmp.Diff(f.calls, want); diff != "" {
		t.Errorf("(-got +want):\n%s", diff)
	}
}

func TestSignNeedsAKey(t *testing.T) {
	e, _, _ := newTestEngine(t)
	e.openImages = func(context.Context) (imageStore, error) { return nil, errors.New("storage opened") }
	if _, err := e.SignImage(context.Background(), "r/x:1", SignOptions{}); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Errorf("sign without a key: %v, want ErrInvalidArgument", err)
	}
}
