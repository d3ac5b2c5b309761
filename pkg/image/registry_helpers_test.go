package image

import (
	"context"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/hutchctr/hutch/internal/testutil"
	"github.com/hutchctr/hutch/pkg/config"
	"github.com/hutchctr/hutch/pkg/registry"
)

// testRegistry is go-containerregistry's in-process registry behind an
// httptest server on 127.0.0.1, with request counts and a fault hook.
type testRegistry struct {
	srv  *httptest.Server
	host string

	mu    sync.Mutex
	hits  map[string]int // "GET /v2/.../blobs/sha256:..." -> count
	fault func(w http.ResponseWriter, r *http.Request, next http.Handler) bool
}

func newTestRegistry(t testing.TB) *testRegistry {
	t.Helper()
	tr := &testRegistry{hits: map[string]int{}}
	inner := ggcrregistry.New(ggcrregistry.Logger(discardLogger()))
	tr.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tr.mu.Lock()
		tr.hits[r.Method+" "+r.URL.Path]++
		fault := tr.fault
		tr.mu.Unlock()
		if fault != nil && fault(w, r, inner) {
			return
		}
		inner.ServeHTTP(w, r)
	}))
	tr.host = strings.TrimPrefix(tr.srv.URL, "http://")
	t.Cleanup(tr.srv.Close)
	return tr
}

func discardLogger() *log.Logger { return log.New(io.Discard, "", 0) }

// setFault installs f (nil removes it): it may answer a request itself
// (returning true) or leave it to the registry.
func (tr *testRegistry) setFault(f func(w http.ResponseWriter, r *http.Request, next http.Handler) bool) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.fault = f
}

// count returns how many requests matched method and a path suffix.
func (tr *testRegistry) count(method, pathSuffix string) int {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	n := 0
	for k, v := range tr.hits {
		if strings.HasPrefix(k, method+" ") && strings.HasSuffix(k, pathSuffix) {
			n += v
		}
	}
	return n
}

// blobGets counts GETs of blobs (layers and configurations).
func (tr *testRegistry) blobGets() int {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	n := 0
	for k, v := range tr.hits {
		if strings.HasPrefix(k, "GET ") && strings.Contains(k, "/blobs/sha256:") {
			n += v
		}
	}
	return n
}

// push writes img (a v1.Image or v1.ImageIndex) as repo:tag (repo without
// the host) and returns the full reference.
func (tr *testRegistry) push(t testing.TB, repoTag string, img any) string {
	t.Helper()
	ref, err := name.ParseReference(tr.host + "/" + repoTag)
	if err != nil {
		t.Fatal(err)
	}
	rt := &http.Transport{}
	defer rt.CloseIdleConnections()
	switch v := img.(type) {
	case v1.Image:
		err = remote.Write(ref, v, remote.WithTransport(rt))
	case v1.ImageIndex:
		err = remote.WriteIndex(ref, v, remote.WithTransport(rt))
	default:
		t.Fatalf("push %T", img)
	}
	if err != nil {
		t.Fatalf("push %s: %v", ref, err)
	}
	return ref.String()
}

// client returns a registry client that may use plain HTTP with the given
// hosts (and the registry's own), configured by cfg when not nil.
func (tr *testRegistry) client(t testing.TB, cfg *config.File) *registry.Client {
	t.Helper()
	if cfg == nil {
		cfg = &config.File{UnqualifiedSearchRegistries: []string{"docker.io"}, ParallelDownloads: 4}
	}
	if cfg.ParallelDownloads == 0 {
		cfg.ParallelDownloads = 4
	}
	cfg.Registries = append(cfg.Registries, config.Registry{Prefix: tr.host, Insecure: true})
	c := registry.New(registry.Options{Config: cfg})
	t.Cleanup(c.Close)
	return c
}

// busybox returns the fixture image with opts.
func busybox(t *testing.T, opts ...testutil.ImageOption) v1.Image {
	t.Helper()
	testutil.Requires(t, testutil.Busybox())
	img, err := testutil.BusyboxImage(opts...)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// pull pulls ref with the client and fails the test on error.
func mustPull(t *testing.T, s *Store, c *registry.Client, ref string) *Image {
	t.Helper()
	img, err := s.Pull(context.Background(), ref, PullOptions{Registry: c})
	if err != nil {
		t.Fatalf("pull %s: %v", ref, err)
	}
	return img
}

// layerCount returns the number of layers in storage.
func layerCount(t *testing.T, s *Store) int {
	t.Helper()
	ls, err := s.st.Layers()
	if err != nil {
		t.Fatal(err)
	}
	return len(ls)
}

// imageCount returns the number of images in storage.
func imageCount(t *testing.T, s *Store) int {
	t.Helper()
	is, err := s.st.Images()
	if err != nil {
		t.Fatal(err)
	}
	return len(is)
}
