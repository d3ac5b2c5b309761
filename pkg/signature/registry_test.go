package signature

import (
	"context"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/hutchctr/hutch/pkg/config"
	"github.com/hutchctr/hutch/pkg/errdefs"
)

// testRegistry is go-containerregistry's in-process registry on loopback.
type testRegistry struct {
	host string
	opts []remote.Option
}

func newTestRegistry(t *testing.T) testRegistry {
	t.Helper()
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	tr := &http.Transport{}
	t.Cleanup(func() {
		tr.CloseIdleConnections()
		srv.Close()
	})
	return testRegistry{
		host: strings.TrimPrefix(srv.URL, "http://"),
		opts: []remote.Option{remote.WithTransport(tr)},
	}
}

// fetcher fetches ref's signature image the way a pull does: the
// SignatureTag in the same repository, nil when the tag does not exist.
func (r testRegistry) fetcher(ref name.Reference, digest v1.Hash) Fetcher {
	return func(ctx context.Context) (v1.Image, error) {
		tag, err := SignatureTag(ref, digest)
		if err != nil {
			return nil, err
		}
		img, err := remote.Image(tag, append(r.opts, remote.WithContext(ctx))...)
		var terr *transport.Error
		if errors.As(err, &terr) && terr.StatusCode == http.StatusNotFound {
			return nil, nil
		}
		return img, err
	}
}

// TestRegistryRoundTrip pushes an image and its signature image to a
// registry and verifies the signature as fetched back: the layout survives
// a registry (media types, annotations, payload blobs).
func TestRegistryRoundTrip(t *testing.T) {
	reg := newTestRegistry(t)
	kp := newKeyPair(t, GenerateKeyPair)
	ctx := t.Context()

	push := func(ref string) (name.Reference, v1.Hash) {
		img, err := random.Image(256, 1)
		if err != nil {
			t.Fatal(err)
		}
		r := mustRef(t, ref)
		if err := remote.Write(r, img, reg.opts...); err != nil {
			t.Fatal(err)
		}
		d, err := img.Digest()
		if err != nil {
			t.Fatal(err)
		}
		return r, d
	}
	signedRef, signedDigest := push(reg.host + "/signed:v1")
	unsignedRef, unsignedDigest := push(reg.host + "/signed:unsigned")

	tag, err := SignatureTag(signedRef, signedDigest)
	if err != nil {
		t.Fatal(err)
	}
	sigs := sign(t, kp.key, signedRef.String(), signedDigest.String(), nil)
	if err := remote.Write(tag, sigs, reg.opts...); err != nil {
		t.Fatal(err)
	}
	// A second signer appends to the signature image fetched back.
	other := newKeyPair(t, GenerateEd25519KeyPair)
	existing, err := reg.fetcher(signedRef, signedDigest)(ctx)
	if err != nil || existing == nil {
		t.Fatalf("fetch signature image: %v, %v", existing, err)
	}
	if err := remote.Write(tag, sign(t, other.key, signedRef.String(), signedDigest.String(), existing), reg.opts...); err != nil {
		t.Fatal(err)
	}

	p, err := NewPolicy(config.Policy{Default: TypeReject, Scopes: map[string]config.PolicyRequirement{reg.host + "/signed": {Type: TypeSigstoreSigned, Key: kp.pub}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Verify(ctx, signedRef, signedDigest, reg.fetcher(signedRef, signedDigest)); err != nil {
		t.Errorf("Verify(signed) = %v", err)
	}
	byDigest := signedRef.Context().Digest(signedDigest.String())
	if err := p.Verify(ctx, byDigest, signedDigest, reg.fetcher(byDigest, signedDigest)); err != nil {
		t.Errorf("Verify(by digest) = %v", err)
	}
	err = p.Verify(ctx, unsignedRef, unsignedDigest, reg.fetcher(unsignedRef, unsignedDigest))
	if !errors.Is(err, errdefs.ErrPermission) || !strings.Contains(err.Error(), "no signature") {
		t.Errorf("Verify(unsigned) = %v, want a permission error saying no signature", err)
	}
	// The unsigned image under the signed image's signatures: the digest
	// claim refuses it.
	err = p.Verify(ctx, unsignedRef, unsignedDigest, reg.fetcher(signedRef, signedDigest))
	if !errors.Is(err, errdefs.ErrPermission) || !strings.Contains(err.Error(), "signature is for manifest") {
		t.Errorf("Verify(unsigned with the signed one's signatures) = %v", err)
	}
}
