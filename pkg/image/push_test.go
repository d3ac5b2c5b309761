package image

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/hutchctr/hutch/internal/testutil"
	"github.com/hutchctr/hutch/pkg/errdefs"
	"github.com/hutchctr/hutch/pkg/registry"
)

// remoteDigest returns the digest and config digest ref has in the registry.
func remoteDigest(t *testing.T, ref string) (string, string) {
	t.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	rt := &http.Transport{}
	defer rt.CloseIdleConnections()
	img, err := remote.Image(r, remote.WithTransport(rt))
	if err != nil {
		t.Fatalf("get %s: %v", ref, err)
	}
	d, _ := img.Digest()
	cd, _ := img.ConfigName()
	return d.String(), cd.Hex
}

func TestPushPullRoundTrip(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	tr := newTestRegistry(t)
	names := mustLoad(t, s, busyboxArchive(t, "docker", "busybox:rt", testutil.WithLayer(extraLayer(t, "rt"))))
	local, err := s.Get(ctx, names[0])
	if err != nil {
		t.Fatal(err)
	}
	dest := tr.host + "/lib/pushed:1"
	d, err := s.Push(ctx, names[0], dest, PushOptions{Registry: tr.client(t, nil)})
	if err != nil {
		t.Fatal(err)
	}
	gotDigest, gotConfig := remoteDigest(t, dest)
	if diff := cmp.Diff([]string{gotDigest, gotConfig}, []string{d, local.ID}); diff != "" {
		t.Errorf("registry's manifest digest and config (-got +want):\n%s", diff)
	}
	// A pull into another store sees the same digest and image ID.
	s2 := newStore(t)
	pulled := mustPull(t, s2, tr.client(t, nil), dest)
	if diff := cmp.Diff([]string{pulled.ID, pulled.Digest}, []string{local.ID, d}); diff != "" {
		t.Errorf("pulled image (-got +want):\n%s", diff)
	}
	// A pull into the same store finds the image: nothing downloaded,
	// and the pull reports the digest it saw.
	gets := tr.blobGets()
	again := mustPull(t, s, tr.client(t, nil), dest)
	if again.ID != local.ID || again.Digest != d || tr.blobGets() != gets {
		t.Errorf("pull back into the source store: %s %s, %d downloads", again.ID, again.Digest, tr.blobGets()-gets)
	}
}

func TestPushReusesPulledBlobs(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	tr := newTestRegistry(t)
	img := busybox(t, testutil.WithLayer(extraLayer(t, "reuse")))
	src := tr.push(t, "team/src:1", img)
	c := tr.client(t, nil)
	mustPull(t, s, c, src)
	uploads := tr.count("POST", "/blobs/uploads/")
	d, err := s.Push(ctx, src, tr.host+"/team/copy:1", PushOptions{Registry: c})
	if err != nil {
		t.Fatal(err)
	}
	if n := tr.count("POST", "/blobs/uploads/") - uploads; n != 0 {
		t.Errorf("%d blobs uploaded, want none (the registry has them)", n)
	}
	_, want := idAndDigest(t, img)
	if d != want {
		t.Errorf("pushed digest %s, want the original manifest's %s", d, want)
	}
}

func TestPushSigns(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	tr := newTestRegistry(t)
	names := mustLoad(t, s, busyboxArchive(t, "oci", "busybox:sign"))
	sig, err := random.Image(64, 1)
	if err != nil {
		t.Fatal(err)
	}
	var signed v1.Hash
	dest := tr.host + "/lib/signed:1"
	d, err := s.Push(ctx, names[0], dest, PushOptions{
		Registry: tr.client(t, nil),
		Sign: func(ctx context.Context, ref name.Reference, md v1.Hash, write registry.SignatureWriter) error {
			signed = md
			return write(ctx, sig)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if signed.String() != d {
		t.Errorf("signer saw %s, pushed %s", signed, d)
	}
	sigDigest, _ := sig.Digest()
	got, _ := remoteDigest(t, tr.host+"/lib/signed:"+registry.SignatureTag(signed))
	if got != sigDigest.String() {
		t.Errorf("signature tag holds %s, want %s", got, sigDigest)
	}
}

func TestPushErrors(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	tr := newTestRegistry(t)
	names := mustLoad(t, s, busyboxArchive(t, "docker", "busybox:err"))
	img, err := s.Get(ctx, names[0])
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, src, dest string
		want            error
		text            string
	}{
		{"by ID without destination", img.ID, "", errdefs.ErrInvalidArgument, "give a destination"},
		{"to localhost", names[0], "localhost/x:1", errdefs.ErrInvalidArgument, "localhost/"},
		{"unknown image", "nope:1", tr.host + "/x:1", errdefs.ErrNotFound, "nope"},
		{"bad destination", names[0], tr.host + "/UPPER:1", errdefs.ErrInvalidArgument, "invalid image reference"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Push(ctx, tt.src, tt.dest, PushOptions{Registry: tr.client(t, nil)})
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.text) {
				t.Errorf("error %v: want %v containing %q", err, tt.want, tt.text)
			}
		})
	}
}
