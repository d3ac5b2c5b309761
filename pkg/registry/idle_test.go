package registry

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/hutchctr/hutch/pkg/config"
)

// testIdle is the registry timeout of these tests.
const testIdle = 300 * time.Millisecond

// trickles is how many pieces a trickled body comes in, over a second.
const trickles = 20

// testContext bounds a test's requests, so that a stall the client fails
// to notice fails the test rather than hanging it.
func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// stallMode is what stallServer does to the requests it matches.
type stallMode int

const (
	// passThrough serves requests as the registry does.
	passThrough stallMode = iota
	// stallBody sends the headers and half the body, then nothing.
	stallBody
	// stallHeaders sends nothing at all.
	stallHeaders
	// trickle sends the body in trickles pieces over a second: 50 ms
	// apart, well under testIdle even on a loaded machine.
	trickle
	// stallUpload reads 64 KiB of an upload, then stops reading.
	stallUpload
)

// stallServer is a registry whose answers to requests whose path ends in
// suffix (and uploads, for stallUpload) can stall.
type stallServer struct {
	*server
	mode    atomic.Int32
	suffix  atomic.Pointer[string]
	release chan struct{} // closed when the test ends: stalls give up
}

func newStallServer(t *testing.T) *stallServer {
	t.Helper()
	s := &stallServer{release: make(chan struct{})}
	s.server = newServer(t, nil, s.wrap)
	// Registered after the server's own cleanup, so it runs first: a
	// stalled handler returns before the server waits for its handlers.
	t.Cleanup(func() { close(s.release) })
	return s
}

// set makes requests for paths ending in suffix behave as mode.
// readLayer fetches the test image and reads its first layer with the
// server in mode for that blob; it returns what it read, when the read
// began and how it ended.
func (s *stallServer) readLayer(t *testing.T, ctx context.Context, mode stallMode) (*Remote, v1.Descriptor, []byte, time.Time, error) {
	t.Helper()
	r, err := s.client(t).Fetch(ctx, s.ref(), nil)
	if err != nil {
		t.Fatal(err)
	}
	layer := r.Image.Layers[0]
	s.set(mode, "/blobs/"+layer.Digest.String())
	started := time.Now()
	rc, err := r.Blob(ctx, layer)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	got, err := io.ReadAll(rc)
	return r, layer, got, started, err
}

func (s *stallServer) set(mode stallMode, suffix string) {
	s.suffix.Store(&suffix)
	s.mode.Store(int32(mode))
}

// client returns a client for the server with the test's timeout.
func (s *stallServer) client(t *testing.T) *Client {
	t.Helper()
	c := New(Options{Config: &config.File{
		RegistryTimeout: testIdle,
		Registries:      []config.Registry{{Prefix: s.host, Insecure: true}},
	}})
	t.Cleanup(c.Close)
	return c
}

func (s *stallServer) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mode := stallMode(s.mode.Load())
		suffix := s.suffix.Load()
		switch {
		case mode == stallUpload && strings.Contains(r.URL.Path, "/blobs/uploads/") && r.Method != http.MethodPost:
			_, _ = io.CopyN(io.Discard, r.Body, 64<<10)
			s.wait(r)
			return
		case mode == passThrough || suffix == nil || !strings.HasSuffix(r.URL.Path, *suffix) || r.Method != http.MethodGet:
			next.ServeHTTP(w, r)
			return
		case mode == stallHeaders:
			s.wait(r)
			return
		}
		rec := &recorder{header: http.Header{}}
		next.ServeHTTP(rec, r)
		body := rec.body.Bytes()
		for k, v := range rec.header {
			w.Header()[k] = v
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(rec.status())
		f := w.(http.Flusher)
		if mode == stallBody {
			_, _ = w.Write(body[:len(body)/2])
			f.Flush()
			s.wait(r)
			return
		}
		for i := range trickles {
			time.Sleep(time.Second / trickles)
			_, _ = w.Write(body[i*len(body)/trickles : (i+1)*len(body)/trickles])
			f.Flush()
		}
	})
}

// wait blocks until the client goes away or the test ends.
func (s *stallServer) wait(r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-s.release:
	}
}

// recorder captures a handler's answer.
type recorder struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) Write(b []byte) (int, error) { return r.body.Write(b) }
func (r *recorder) WriteHeader(code int)        { r.code = code }

func (r *recorder) status() int {
	if r.code == 0 {
		return http.StatusOK
	}
	return r.code
}

// wantStall checks err is a stall reported within a few timeouts, with
// each of parts in its text.
func wantStall(t *testing.T, err error, started time.Time, parts ...string) {
	t.Helper()
	if took := time.Since(started); took > 10*testIdle {
		t.Errorf("the stall was reported after %v, want about %v", took, testIdle)
	}
	assertOneLine(t, err, ErrStalled, parts...)
}

// TestIdleTimeoutBlob: a blob whose download stops halfway fails with the
// short stall text (the puller names the registry and the blob) within a
// few timeouts; the configuration, read here, fails with the full line.
func TestIdleTimeoutBlob(t *testing.T) {
	s := newStallServer(t)
	ctx := testContext(t)
	r, layer, got, started, err := s.readLayer(t, ctx, stallBody)
	wantStall(t, err, started, "no data for 300ms; the download stalled")
	if int64(len(got)) != layer.Size/2 {
		t.Errorf("read %d bytes before the stall, want %d", len(got), layer.Size/2)
	}
	var se *StallError
	if !errors.As(err, &se) || se.Host != s.host || se.Doing != "downloading blob "+layer.Digest.String() {
		t.Errorf("stall error %#v", se)
	}

	s.set(stallBody, "/blobs/"+r.Image.Config.Digest.String())
	started = time.Now()
	_, err = r.Config(ctx)
	wantStall(t, err, started, "registry "+s.host+": no data for 300ms while downloading blob "+r.Image.Config.Digest.String()+"; the download stalled")
}

// TestIdleTimeoutNoAnswer: a registry that never answers a request for a
// manifest fails it within a few timeouts.
func TestIdleTimeoutNoAnswer(t *testing.T) {
	s := newStallServer(t)
	s.set(stallHeaders, "/manifests/1")
	started := time.Now()
	_, err := s.client(t).Fetch(testContext(t), s.ref(), nil)
	wantStall(t, err, started, "registry "+s.host+": no response for 300ms while downloading manifest 1; the registry stalled")
}

// TestIdleTimeoutSlowButMoving: a blob that arrives in pieces 50 ms apart
// for a second, and a reader that pauses longer than the timeout between
// reads, are not cut: only waits for the registry count.
func TestIdleTimeoutSlowButMoving(t *testing.T) {
	s := newStallServer(t)
	ctx := testContext(t)
	r, layer, got, started, err := s.readLayer(t, ctx, trickle)
	if err != nil {
		t.Fatalf("slow download: %v", err)
	}
	if err := verifyBlob(got, layer); err != nil {
		t.Error(err)
	}
	if took := time.Since(started); took < 900*time.Millisecond {
		t.Errorf("the download took %v: the server did not trickle", took)
	}

	s.set(passThrough, "")
	rc, err := r.Blob(ctx, layer)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	time.Sleep(3 * testIdle) // the caller is busy: the registry is not waited for
	if got, err = io.ReadAll(rc); err != nil {
		t.Fatalf("read after a pause: %v", err)
	}
	if err := verifyBlob(got, layer); err != nil {
		t.Error(err)
	}
}

// TestIdleTimeoutUpload: a registry that stops reading an upload makes the
// push fail within a few timeouts, once the socket's buffers are full.
func TestIdleTimeoutUpload(t *testing.T) {
	s := newStallServer(t)
	c := s.client(t)
	ctx := testContext(t)
	tgt, err := c.PushTarget(ctx, s.host+"/lib/big:1")
	if err != nil {
		t.Fatal(err)
	}
	layer := func(size int) v1.Image {
		img, err := mutate.AppendLayers(empty.Image, static.NewLayer(make([]byte, size), types.OCILayer))
		if err != nil {
			t.Fatal(err)
		}
		return img
	}
	s.set(stallUpload, "")
	started := time.Now()
	// Larger than what loopback sockets buffer (a few MiB when the
	// receiver does not read).
	err = tgt.Write(ctx, layer(16<<20), 1)
	wantStall(t, err, started, "registry "+s.host+" took no data for 300ms while uploading a blob; the upload stalled")

	// A small push (a large one could pause longer than this test's short
	// timeout under the race detector) shows the client recovered.
	s.set(passThrough, "")
	if err := tgt.Write(ctx, layer(1<<20), 1); err != nil {
		t.Errorf("push once the registry reads again: %v", err)
	}
}

func TestDescribeRequest(t *testing.T) {
	d := "sha256:" + strings.Repeat("ab", 32)
	tests := []struct {
		method, url string
		want        string
	}{
		{"GET", "https://r.test/v2/lib/img/blobs/" + d, "downloading blob " + d},
		{"HEAD", "https://r.test/v2/lib/img/blobs/" + d, "checking blob " + d},
		{"GET", "https://r.test/v2/lib/img/manifests/1", "downloading manifest 1"},
		{"HEAD", "https://r.test/v2/lib/img/manifests/" + d, "checking manifest " + d},
		{"PUT", "https://r.test/v2/lib/img/manifests/1", "uploading manifest 1"},
		{"POST", "https://r.test/v2/lib/img/blobs/uploads/", "uploading a blob"},
		{"PATCH", "https://r.test/v2/lib/img/blobs/uploads/u-1", "uploading a blob"},
		{"PUT", "https://r.test/v2/lib/img/blobs/uploads/u-1?digest=" + d, "uploading blob " + d},
		{"GET", "https://r.test/v2/", "contacting the registry"},
		{"GET", "https://auth.test/token?scope=repository:lib/img:pull&service=r", "asking for a token"},
		{"POST", "https://auth.test/oauth2/token", "asking for a token"},
		{"GET", "https://r.test/elsewhere", "GET /elsewhere"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.url, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, tt.url, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := describeRequest(req); got != tt.want {
				t.Errorf("describeRequest = %q, want %q", got, tt.want)
			}
		})
	}
}
