package dns

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gofrs/flock"

	"github.com/hutchctr/hutch/pkg/errdefs"
)

// waitIdle returns when the responder should exit: when ctx ends, or when
// no container is attached any more (checked every Interval after Grace).
// In the second case it returns holding dns.start.lock, which the returned
// function releases: the decision is re-checked under that lock, and a
// starter that allocated an address for a new container before taking the
// lock is then either seen attached, or waits for this responder to go and
// starts another.
func (r *responder) waitIdle(ctx context.Context) (release func()) {
	t := time.NewTimer(r.cfg.Grace)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return func() {}
		case <-t.C:
		}
		switch r.check(ctx) {
		case gone:
			// Its directory, start lock included, is gone: no starter
			// can be waiting for this responder.
			return func() {}
		case idle:
			unlock, err := lockStart(ctx, r.cfg.path(startLockFile), exitLockWait)
			if err != nil {
				r.log.Warn("idle, but cannot take the start lock; staying", "err", err)
				break
			}
			if r.check(ctx) != busy {
				return unlock
			}
			unlock()
		}
		t.Reset(r.cfg.Interval)
	}
}

// Results of a lifetime check.
const (
	busy = iota // a container is attached
	idle        // none is
	gone        // the network was removed (or replaced)
)

// check tells whether a container is attached to the network. An
// unreadable state counts as attached: the responder stays rather than
// leave a container without DNS.
func (r *responder) check(ctx context.Context) int {
	entries, err := r.src.Entries(ctx)
	switch {
	case errors.Is(err, errdefs.ErrNotFound):
		r.log.Info("network removed", "err", err)
		return gone
	case err != nil:
		r.log.Warn("read network state", "err", err)
		return busy
	case len(entries) == 0:
		r.log.Debug("no container attached")
		return idle
	}
	return busy
}

// lockStart takes the exclusive lock at path, waiting at most wait (0: as
// long as ctx allows), and returns its release.
func lockStart(ctx context.Context, path string, wait time.Duration) (func(), error) {
	if wait > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, wait)
		defer cancel()
	}
	l := flock.New(path)
	ok, err := l.TryLockContext(ctx, startLockPoll)
	if err == nil && !ok {
		err = ctx.Err()
	}
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return func() { l.Unlock() }, nil
}
