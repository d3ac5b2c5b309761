package image

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/hutchctr/hutch/internal/testutil"
	"github.com/hutchctr/hutch/pkg/errdefs"
	"github.com/hutchctr/hutch/pkg/registry"
)

// blobFault answers GETs of blob d with alter's version of the real
// response (status and body); other requests pass.
func blobFault(d v1.Hash, alter func(w http.ResponseWriter, body []byte)) func(http.ResponseWriter, *http.Request, http.Handler) bool {
	return func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		if r.Method != http.MethodGet || !strings.HasSuffix(r.URL.Path, "/blobs/"+d.String()) {
			return false
		}
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		alter(w, rec.Body.Bytes())
		return true
	}
}

func flipByte(w http.ResponseWriter, body []byte) {
	b := append([]byte(nil), body...)
	b[len(b)/2] ^= 0xff
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	_, _ = w.Write(b)
}

// truncate announces the whole body, sends half and drops the connection.
func truncate(w http.ResponseWriter, body []byte) {
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	_, _ = w.Write(body[:len(body)/2])
	w.(http.Flusher).Flush()
	panic(http.ErrAbortHandler)
}

func serverError(w http.ResponseWriter, _ []byte) {
	http.Error(w, `{"errors":[{"code":"UNAVAILABLE","message":"backend down"}]}`, http.StatusServiceUnavailable)
}

// threeLayers is busybox with two more layers.
func threeLayers(t *testing.T) (v1.Image, []v1.Hash) {
	t.Helper()
	img := busybox(t, testutil.WithLayer(extraLayer(t, "a")), testutil.WithLayer(extraLayer(t, "b")))
	ls, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	var ds []v1.Hash
	for _, l := range ls {
		d, _ := l.Digest()
		ds = append(ds, d)
	}
	return img, ds
}

// assertNoImageAfterPrune checks that a failed pull left no image, and
// nothing at all once unreferenced layers are pruned.
func assertNoImageAfterPrune(t *testing.T, s *Store) {
	t.Helper()
	if n := imageCount(t, s); n != 0 {
		t.Errorf("%d images after a failed pull", n)
	}
	if _, _, err := s.Prune(context.Background(), false, nil); err != nil {
		t.Fatal(err)
	}
	assertEmpty(t, s)
}

func TestPullRejectsBadBlobs(t *testing.T) {
	img, layers := threeLayers(t)
	cfgDigest, _ := img.ConfigName()
	tests := []struct {
		name  string
		blob  v1.Hash
		alter func(http.ResponseWriter, []byte)
		want  string
	}{
		{"corrupted layer", layers[1], flipByte, "blob digest is"},
		{"truncated layer", layers[2], truncate, "download interrupted"},
		{"server error", layers[2], serverError, "server error 503"},
		{"corrupted configuration", cfgDigest, flipByte, "does not match its descriptor"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore(t)
			tr := newTestRegistry(t)
			ref := tr.push(t, "lib/bad:1", img)
			tr.setFault(blobFault(tt.blob, tt.alter))
			_, err := s.Pull(context.Background(), ref, PullOptions{Registry: tr.client(t, nil)})
			if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("error %v: want one line containing %q", err, tt.want)
			}
			assertNoImageAfterPrune(t, s)
		})
	}
}

func TestPullRejectsWrongDiffID(t *testing.T) {
	s := newStore(t)
	tr := newTestRegistry(t)
	img := busybox(t)
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.RootFS.DiffIDs[0] = v1.Hash{Algorithm: "sha256", Hex: strings.Repeat("1", 64)}
	bad, err := mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	ref := tr.push(t, "lib/diffid:1", bad)
	_, err = s.Pull(context.Background(), ref, PullOptions{Registry: tr.client(t, nil)})
	if !errors.Is(err, errdefs.ErrInvalidArgument) || !strings.Contains(err.Error(), "uncompressed digest") {
		t.Fatalf("error %v: want an uncompressed digest mismatch", err)
	}
	assertNoImageAfterPrune(t, s)
}

func TestPullRejectsEscapingLayer(t *testing.T) {
	s := newStore(t)
	tr := newTestRegistry(t)
	evil, err := testutil.Tar(testutil.Entry{Name: "../outside", Body: []byte("x")})
	if err != nil {
		t.Fatal(err)
	}
	ref := tr.push(t, "lib/evil:1", busybox(t, testutil.WithLayer(evil)))
	_, err = s.Pull(context.Background(), ref, PullOptions{Registry: tr.client(t, nil)})
	if !errors.Is(err, errdefs.ErrInvalidArgument) || !strings.Contains(err.Error(), "escapes the root filesystem") {
		t.Fatalf("error %v", err)
	}
	assertNoImageAfterPrune(t, s)
}

func TestPullRejectsManifestNotMatchingDigest(t *testing.T) {
	s := newStore(t)
	tr := newTestRegistry(t)
	img := busybox(t)
	other := busybox(t, testutil.WithLabels(map[string]string{"x": "y"}))
	tr.push(t, "lib/bb:1", img)
	otherRef := tr.push(t, "lib/bb:other", other)
	_, d := idAndDigest(t, img)
	// Asked for img's digest, the registry answers with other's manifest.
	tr.setFault(func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		if !strings.HasSuffix(r.URL.Path, "/manifests/"+d) {
			return false
		}
		ref, _ := name.ParseReference(otherRef)
		r2 := r.Clone(r.Context())
		r2.URL.Path = "/v2/lib/bb/manifests/" + ref.Identifier()
		next.ServeHTTP(w, r2)
		return true
	})
	_, err := s.Pull(context.Background(), tr.host+"/lib/bb@"+d, PullOptions{Registry: tr.client(t, nil)})
	if err == nil || !strings.Contains(err.Error(), "not the one asked for") {
		t.Fatalf("error %v", err)
	}
	if tr.blobGets() != 0 {
		t.Errorf("blobs were fetched for an unverified manifest")
	}
	assertEmpty(t, s)
}

func TestPullRetryReusesVerifiedLayers(t *testing.T) {
	s := newStore(t)
	tr := newTestRegistry(t)
	img, layers := threeLayers(t)
	ref := tr.push(t, "lib/retry:1", img)
	c := tr.client(t, nil)
	tr.setFault(blobFault(layers[2], truncate))
	// One download at a time: the layers below the broken one are stored
	// before it fails.
	if _, err := s.Pull(context.Background(), ref, PullOptions{Registry: c, Parallel: 1}); err == nil {
		t.Fatal("pull with a truncated layer succeeded")
	}
	if n := imageCount(t, s); n != 0 {
		t.Fatalf("%d images after a failed pull", n)
	}
	tr.setFault(nil)
	before := map[v1.Hash]int{}
	for _, d := range layers {
		before[d] = tr.count("GET", "/blobs/"+d.String())
	}
	mustPull(t, s, c, ref)
	for i, d := range layers {
		want := 0
		if i == 2 {
			want = 1
		}
		if got := tr.count("GET", "/blobs/"+d.String()) - before[d]; got != want {
			t.Errorf("layer %d downloaded %d times by the retry, want %d", i+1, got, want)
		}
	}
	if n := layerCount(t, s); n != 3 {
		t.Errorf("%d layers, want 3", n)
	}
}

// refusingVerifier refuses everything and records what it was shown.
type refusingVerifier struct {
	calls  atomic.Int32
	digest v1.Hash
}

func (v *refusingVerifier) Verify(ctx context.Context, ref name.Reference, d v1.Hash, fetch registry.SignatureFetcher) error {
	v.calls.Add(1)
	v.digest = d
	sig, err := fetch(ctx)
	if err != nil || sig != nil {
		return errors.New("unexpected signature lookup result")
	}
	return errdefs.Errorf(errdefs.ErrPermission, "image %s: policy rejects it", ref)
}

func TestPullVerifierRefusalStoresNothing(t *testing.T) {
	s := newStore(t)
	tr := newTestRegistry(t)
	img := busybox(t)
	ref := tr.push(t, "lib/refused:1", img)
	v := &refusingVerifier{}
	_, err := s.Pull(context.Background(), ref, PullOptions{Registry: tr.client(t, nil), Verifier: v})
	if !errors.Is(err, errdefs.ErrPermission) || !strings.Contains(err.Error(), "policy rejects it") {
		t.Fatalf("error %v", err)
	}
	_, d := idAndDigest(t, img)
	if v.calls.Load() != 1 || v.digest.String() != d {
		t.Errorf("verifier called %d times with %s, want once with %s", v.calls.Load(), v.digest, d)
	}
	if tr.blobGets() != 0 {
		t.Errorf("%d blobs fetched before the verifier decided", tr.blobGets())
	}
	if tr.count("GET", "/manifests/sha256-"+strings.TrimPrefix(d, "sha256:")+".sig") != 1 {
		t.Errorf("the signature tag was not looked up")
	}
	assertEmpty(t, s)
}
