package state

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/gofrs/flock"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/hutchctr/hutch/pkg/errdefs"
)

// read loads a record without locking. A directory without a readable
// config.json (a create that crashed before writing it, or a record torn by
// a power loss) reads as Configured with only the ID set, so that the engine
// can collect it; an unreadable state.json reads as an unknown exit.
func (s *Store) read(id string) (*Container, error) {
	dir := s.Dir(id)
	c := &Container{}
	if err := readJSON(filepath.Join(dir, configFile), &c.Config); err != nil {
		if _, serr := os.Stat(dir); serr != nil {
			return nil, fmt.Errorf("container %s: %w", shortID(id), errdefs.ErrNotFound)
		}
		c.Config = Config{ID: id}
		c.State.Status = Configured
		return c, nil
	}
	err := readJSON(filepath.Join(dir, stateFile), &c.State)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		c.State = State{Status: Configured}
	case err != nil:
		c.State = State{Status: Exited, ExitCode: -1, Error: "the container's state was lost (" + err.Error() + ")"}
	}
	return c, nil
}

// Get reads the record of the container named or identified by ref, without
// locking it.
func (s *Store) Get(ref string) (*Container, error) {
	id, err := s.Lookup(ref)
	if err != nil {
		return nil, err
	}
	return s.read(id)
}

// List reads every record, ordered by ID. Records that vanish while listing
// (a concurrent rm) are skipped. Left-over trash from an interrupted Delete
// is removed on the way.
func (s *Store) List() ([]*Container, error) {
	entries, err := os.ReadDir(s.containersDir())
	if err != nil {
		return nil, fmt.Errorf("list containers: %w", err)
	}
	out := make([]*Container, 0, len(entries))
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), trashPrefix) {
			os.RemoveAll(filepath.Join(s.containersDir(), e.Name()))
			continue
		}
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		c, err := s.read(e.Name())
		if err != nil {
			if errors.Is(err, errdefs.ErrNotFound) {
				continue
			}
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// Lock resolves ref, takes the container's lock (waiting for it) and returns
// the record as it is under the lock.
func (s *Store) Lock(ref string) (*Handle, error) {
	id, err := s.Lookup(ref)
	if err != nil {
		return nil, err
	}
	return s.lockID(id, true)
}

// TryLock is Lock without waiting: it returns (nil, nil) when another
// process holds the lock.
func (s *Store) TryLock(ref string) (*Handle, error) {
	id, err := s.Lookup(ref)
	if err != nil {
		return nil, err
	}
	return s.lockID(id, false)
}

func (s *Store) lockID(id string, wait bool) (*Handle, error) {
	if _, err := os.Stat(s.Dir(id)); err != nil {
		return nil, fmt.Errorf("container %s: %w", shortID(id), errdefs.ErrNotFound)
	}
	l := flock.New(s.LockPath(id))
	if wait {
		if err := l.Lock(); err != nil {
			return nil, fmt.Errorf("lock container %s: %w", shortID(id), err)
		}
	} else {
		ok, err := l.TryLock()
		if err != nil {
			return nil, fmt.Errorf("lock container %s: %w", shortID(id), err)
		}
		if !ok {
			return nil, nil
		}
	}
	// The record may have been deleted while we waited.
	c, err := s.read(id)
	if err != nil {
		l.Unlock()
		return nil, err
	}
	return &Handle{Container: *c, s: s, lock: l}, nil
}

// MonitorAlive reports whether a process holds the container's monitor lock.
// It never blocks and is immune to pid reuse.
func (s *Store) MonitorAlive(id string) (bool, error) {
	l := flock.New(s.MonitorLockPath(id))
	ok, err := l.TryRLock()
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return false, nil
		}
		return false, fmt.Errorf("monitor lock of %s: %w", shortID(id), err)
	}
	if ok {
		l.Unlock()
		return false, nil
	}
	return true, nil
}

// LoadSpec reads c's runtime-spec template into c.Config.Spec, unless it
// is there already.
func (s *Store) LoadSpec(c *Container) error {
	if c.Config.Spec != nil {
		return nil
	}
	var sp specs.Spec
	if err := readJSON(filepath.Join(s.Dir(c.Config.ID), specFile), &sp); err != nil {
		return fmt.Errorf("container %s: runtime spec: %w", shortID(c.Config.ID), err)
	}
	c.Config.Spec = &sp
	return nil
}
