package image

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/hutchctr/hutch/pkg/errdefs"
	"github.com/hutchctr/hutch/pkg/registry"
	"github.com/opencontainers/go-digest"
)

// commitLockName is the layer lock's file in the graph root (see
// lockLayers).
const commitLockName = "hutch-layers.lock"

// layerJob is one missing layer of a pull, from download to commit.
type layerJob struct {
	i      int
	id     string // the layer ID it will be committed under (chain ID)
	done   chan struct{}
	staged *stagedLayer // set when extracted
	found  bool         // another process stored the layer meanwhile
	err    error
}

// pullLayers stores the plan's layers bottom-up and returns the top
// layer's ID ("" for an image without layers). Stored layers are reused;
// the others download par at a time, each extracted into a staging
// directory as it arrives, and are committed in order as their parents
// are. On failure the rest is cancelled and discarded; what was committed
// stays.
func (s *Store) pullLayers(ctx context.Context, plan *pullPlan, prog *progress, par int) (string, error) {
	ids, start := s.storedPrefix(plan, prog)
	if start == len(plan.layers) {
		if len(ids) == 0 {
			return "", nil
		}
		return ids[len(ids)-1], nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		once     sync.Once
		firstErr error
	)
	fail := func(err error) {
		once.Do(func() { firstErr = err; cancel() })
	}
	jobs := make([]*layerJob, len(plan.layers))
	for i := start; i < len(plan.layers); i++ {
		jobs[i] = &layerJob{i: i, id: ids[i], done: make(chan struct{})}
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		s.runJobs(ctx, plan, prog, jobs[start:], par, &wg, fail)
	}()
	err := s.commitJobs(plan, prog, jobs[start:], ids, fail)
	if err != nil {
		fail(err)
	}
	wg.Wait()
	for _, j := range jobs[start:] {
		discardStaged(s.st, j.staged) // those not committed (commit clears staged)
	}
	if firstErr != nil {
		return "", firstErr
	}
	return ids[len(ids)-1], nil
}

// storedPrefix finds the layers already stored, bottom-up, and computes
// the IDs of the others; it returns the IDs and the first missing index.
func (s *Store) storedPrefix(plan *pullPlan, prog *progress) ([]string, int) {
	t := &txn{st: s.st}
	ids := make([]string, len(plan.layers))
	parent, start := "", 0
	for i, l := range plan.layers {
		id := chainID(parent, l.check.diffID)
		if start == i {
			if ex, ok := t.reusable(id, parent, l.check.diffID); ok {
				id = ex.ID
				start = i + 1
				prog.set(i, stateExists)
			}
		}
		ids[i], parent = id, id
	}
	return ids, start
}

// runJobs starts the downloads in layer order, par at a time.
func (s *Store) runJobs(ctx context.Context, plan *pullPlan, prog *progress, jobs []*layerJob, par int, wg *sync.WaitGroup, fail func(error)) {
	sem := make(chan struct{}, max(par, 1))
	for k, j := range jobs {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			for _, rest := range jobs[k:] {
				rest.err = ctx.Err()
				close(rest.done)
			}
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			defer close(j.done)
			if j.err = s.fetchLayer(ctx, plan, prog, j); j.err != nil {
				fail(j.err)
			}
		}()
	}
}

// fetchLayer downloads and stages one layer, unless it appeared in storage
// meanwhile.
func (s *Store) fetchLayer(ctx context.Context, plan *pullPlan, prog *progress, j *layerJob) error {
	l := plan.layers[j.i]
	if ex, err := s.st.Layer(j.id); err == nil && ex.UncompressedDigest == l.check.diffID {
		j.found = true
		return nil
	}
	prog.set(j.i, stateDownloading)
	rc, err := plan.remote.Blob(ctx, l.desc)
	if err != nil {
		return err
	}
	defer rc.Close()
	body := prog.reader(j.i, rc)
	staged, err := stageLayer(ctx, s.st, body, l.check)
	switch {
	case err == nil:
		j.staged = staged
		return nil
	case ctx.Err() != nil:
		return ctx.Err()
	case body.err != nil:
		var stall *registry.StallError
		if errors.As(body.err, &stall) {
			return fmt.Errorf("image %s: %s", plan.remote.Name, stall.Line())
		}
		return fmt.Errorf("registry %s: image %s: blob %s: download interrupted: %v",
			plan.remote.Endpoint.Host(), plan.remote.Name, l.desc.Digest, body.err)
	}
	return fmt.Errorf("image %s: layer %d (%s): %w", plan.remote.Name, j.i+1, l.desc.Digest, err)
}

// commitJobs commits the staged layers in order, as each is ready.
func (s *Store) commitJobs(plan *pullPlan, prog *progress, jobs []*layerJob, ids []string, fail func(error)) error {
	for _, j := range jobs {
		<-j.done
		if j.err != nil {
			return j.err
		}
		parent := ""
		if j.i > 0 {
			parent = ids[j.i-1]
		}
		id, err := s.commitLayer(j, parent, plan.layers[j.i].check.diffID)
		if err != nil {
			return err
		}
		ids[j.i] = id
		prog.set(j.i, stateDone)
	}
	return nil
}

// commitLayer moves j's staged layer into the store under j.id, or, when
// an identical layer is stored already (another pull committed it), drops
// the staged copy and returns that layer's ID.
func (s *Store) commitLayer(j *layerJob, parent string, diffID digest.Digest) (string, error) {
	// Not the pull's context: a layer verified before another one failed
	// is still committed, for a retried pull to reuse.
	release, err := s.lockLayers(context.Background())
	if err != nil {
		return "", err
	}
	defer release()
	t := &txn{st: s.st}
	if l, ok := t.reusable(j.id, parent, diffID); ok {
		discardStaged(s.st, j.staged)
		j.staged = nil
		return l.ID, nil
	}
	if j.found || j.staged == nil {
		return "", fmt.Errorf("layer %.12s vanished from storage during the pull: %w", j.id, errdefs.ErrConflict)
	}
	sl := j.staged
	j.staged = nil
	l, err := commitStaged(s.st, sl, j.id, parent)
	if err != nil {
		return "", err
	}
	return l.ID, nil
}

// blobReader counts a download's bytes for the progress display and
// remembers the first transport error, which explains a failed stream
// better than what the checks downstream make of it.
type blobReader struct {
	r   io.Reader
	row *progressRow
	err error
}

func (b *blobReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if b.row != nil {
		b.row.add(n)
	}
	switch {
	case errors.Is(err, io.EOF):
		if b.row != nil {
			b.row.setState(stateExtracting)
		}
	case err != nil && b.err == nil:
		b.err = err
	}
	return n, err
}
