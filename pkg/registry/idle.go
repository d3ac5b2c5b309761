package registry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// stallPhase is what a stalled request was waiting for.
type stallPhase int

const (
	// waitAnswer: a connection, or the response's headers.
	waitAnswer stallPhase = iota
	// waitUpload: the registry to take more of the request body.
	waitUpload
	// waitDownload: more of the response body.
	waitDownload
)

// StallError is a request that made no progress for Timeout. Its text is
// short, for callers that name the registry and the object themselves (a
// pull's "registry H: image I: blob D: download interrupted: ..."); the
// registry's own errors use Line.
type StallError struct {
	// Host is the host[:port] the request went to.
	Host string
	// Doing says what the request was for ("downloading blob sha256:...").
	Doing   string
	Timeout time.Duration
	phase   stallPhase
}

func (e *StallError) Error() string {
	switch e.phase {
	case waitUpload:
		return fmt.Sprintf("the registry took no data for %s; the upload stalled", e.Timeout)
	case waitDownload:
		return fmt.Sprintf("no data for %s; the download stalled", e.Timeout)
	}
	return fmt.Sprintf("no response for %s; the registry stalled", e.Timeout)
}

// Line is the error as one line that names the host and the request.
func (e *StallError) Line() string {
	switch e.phase {
	case waitUpload:
		return fmt.Sprintf("registry %s took no data for %s while %s; the upload stalled", e.Host, e.Timeout, e.Doing)
	case waitDownload:
		return fmt.Sprintf("registry %s: no data for %s while %s; the download stalled", e.Host, e.Timeout, e.Doing)
	}
	return fmt.Sprintf("registry %s: no response for %s while %s; the registry stalled", e.Host, e.Timeout, e.Doing)
}

// Is makes a StallError an ErrStalled.
func (e *StallError) Is(target error) bool { return target == ErrStalled }

// idleRoundTrip sends req through next, cancelling it when no byte moves
// for d: while it waits for a connection and the response's headers,
// while the transport waits to send more of the request body (a registry
// that stops reading an upload fills the socket's buffer and blocks the
// write), and while the caller waits in Read on the response body. Time
// the caller spends elsewhere (producing an upload, storing a download)
// does not count, and a transfer that keeps moving is never cut, however
// long it takes.
func idleRoundTrip(next http.RoundTripper, req *http.Request, d time.Duration) (*http.Response, error) {
	if d <= 0 {
		return next.RoundTrip(req)
	}
	ctx, cancel := context.WithCancel(req.Context())
	w := &watchdog{d: d, cancel: cancel}
	stall := &StallError{Host: req.URL.Host, Doing: describeRequest(req), Timeout: d}
	r := req.WithContext(ctx)
	if req.Body != nil && req.Body != http.NoBody {
		r.Body = &uploadBody{rc: req.Body, w: w}
		if req.GetBody != nil {
			// The transport rewinds with GetBody when it resends on a
			// fresh connection: the new body is watched too.
			r.GetBody = func() (io.ReadCloser, error) {
				b, err := req.GetBody()
				if err != nil {
					return nil, err
				}
				return &uploadBody{rc: b, w: w}, nil
			}
		}
	}
	w.arm()
	resp, err := next.RoundTrip(r)
	if err != nil {
		phase := w.stop()
		cancel()
		if w.hasFired() {
			stall.phase = phase
			return nil, stall
		}
		return nil, err
	}
	w.responded()
	stall.phase = waitDownload
	resp.Body = &downloadBody{rc: resp.Body, w: w, cancel: cancel, stall: stall}
	return resp, nil
}

// watchdog cancels a request once it has been armed (waiting for the
// registry) for d since the last progress. Its timer is lazy: progress
// moves a deadline, and the timer, when it fires early, sleeps again for
// what is left, so a Read costs no timer operation.
type watchdog struct {
	d      time.Duration
	cancel context.CancelFunc

	mu       sync.Mutex
	timer    *time.Timer
	deadline time.Time
	armed    bool // waiting for the registry
	pending  bool // the timer is set
	fired    bool
	done     bool       // stopped for good
	inBody   bool       // the response's headers arrived
	phase    stallPhase // what the armed wait is for
}

// arm starts (or restarts) the wait for the registry.
func (w *watchdog) arm() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.fired || w.done {
		return
	}
	w.armed = true
	w.deadline = time.Now().Add(w.d)
	if w.pending {
		return
	}
	w.pending = true
	if w.timer == nil {
		w.timer = time.AfterFunc(w.d, w.expire)
	} else {
		w.timer.Reset(w.d)
	}
}

// disarm pauses the wait: the caller, not the registry, has the turn.
func (w *watchdog) disarm() {
	w.mu.Lock()
	w.armed = false
	w.mu.Unlock()
}

func (w *watchdog) expire() {
	w.mu.Lock()
	w.pending = false
	if !w.armed || w.done || w.fired {
		w.mu.Unlock()
		return
	}
	if left := time.Until(w.deadline); left > 0 {
		w.pending = true
		w.timer.Reset(left)
		w.mu.Unlock()
		return
	}
	w.fired = true
	w.mu.Unlock()
	w.cancel()
}

// uploadRead brackets a Read of the request body by the transport: while
// the body's producer works the registry is not waited for; once it
// returns, the transport writes the bytes and the wait resumes (as a wait
// for the upload until the body ends, then for the answer). Once the
// response arrived, the request body no longer matters.
func (w *watchdog) uploadRead(read func() (int, error)) (int, error) {
	w.mu.Lock()
	inBody := w.inBody
	if !inBody {
		w.armed = false
	}
	w.mu.Unlock()
	n, err := read()
	if inBody {
		return n, err
	}
	w.mu.Lock()
	w.phase = waitUpload
	if err != nil {
		w.phase = waitAnswer
	}
	w.mu.Unlock()
	w.arm()
	return n, err
}

// responded marks the response's headers as arrived; the body's reads arm
// the watchdog from now on.
func (w *watchdog) responded() {
	w.mu.Lock()
	w.inBody, w.armed = true, false
	w.mu.Unlock()
}

// stop ends the watch for good and returns the phase it was in.
func (w *watchdog) stop() stallPhase {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.done, w.armed = true, false
	if w.timer != nil {
		w.timer.Stop()
	}
	return w.phase
}

func (w *watchdog) hasFired() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.fired
}

// uploadBody is a request body whose reads drive the watchdog.
type uploadBody struct {
	rc io.ReadCloser
	w  *watchdog
}

func (b *uploadBody) Read(p []byte) (int, error) {
	return b.w.uploadRead(func() (int, error) { return b.rc.Read(p) })
}

func (b *uploadBody) Close() error { return b.rc.Close() }

// downloadBody is a response body whose reads are watched; a read cut by
// the watchdog returns the StallError. Close releases the request's
// context: cancelling it at EOF instead could race the transport's return
// of the connection to its pool.
type downloadBody struct {
	rc     io.ReadCloser
	w      *watchdog
	cancel context.CancelFunc
	stall  *StallError
}

func (b *downloadBody) Read(p []byte) (int, error) {
	b.w.arm()
	n, err := b.rc.Read(p)
	b.w.disarm()
	if err != nil && !errors.Is(err, io.EOF) && b.w.hasFired() {
		return n, b.stall
	}
	return n, err
}

func (b *downloadBody) Close() error {
	b.w.stop()
	err := b.rc.Close()
	b.cancel()
	return err
}

// describeRequest says what a registry request is for, from its method
// and path (the distribution API's /v2/NAME/{blobs,manifests}/REF).
func describeRequest(req *http.Request) string {
	p := req.URL.Path
	if i := strings.Index(p, "/blobs/uploads"); i >= 0 {
		if d := req.URL.Query().Get("digest"); d != "" {
			return "uploading blob " + d
		}
		return "uploading a blob"
	}
	if _, d, ok := strings.Cut(p, "/blobs/"); ok && strings.HasPrefix(p, "/v2/") {
		if req.Method == http.MethodHead {
			return "checking blob " + d
		}
		return "downloading blob " + d
	}
	if _, ref, ok := strings.Cut(p, "/manifests/"); ok && strings.HasPrefix(p, "/v2/") {
		switch req.Method {
		case http.MethodPut:
			return "uploading manifest " + ref
		case http.MethodHead:
			return "checking manifest " + ref
		}
		return "downloading manifest " + ref
	}
	q := req.URL.Query()
	switch {
	case p == "/v2/" || p == "/v2":
		return "contacting the registry"
	case q.Has("service") || q.Has("scope"), req.Method == http.MethodPost && !strings.HasPrefix(p, "/v2/"):
		return "asking for a token"
	}
	return req.Method + " " + p
}
