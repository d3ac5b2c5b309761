package slirp

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/rootless-containers/rootlesskit/v3/pkg/parent"
	"golang.org/x/sys/unix"

	"github.com/hutchctr/hutch/pkg/userns"
)

const (
	holderDirName = "holder"
	startLockName = "start.lock"
	currentName   = "current"
	recordName    = "holder.json"
	logName       = "holder.log"
	// instancePrefix starts every instance directory's name.
	instancePrefix = "h"
)

// record is holder.json: what a holder was made with, so that a holder
// made by another hutch version, for another ID map or with other network
// options is replaced.
type record struct {
	Version string         `json:"version"`
	PID     int            `json:"pid"` // the holder's parent process
	UIDMap  []userns.IDMap `json:"uidMap"`
	GIDMap  []userns.IDMap `json:"gidMap"`
	// AllowHostLoopback is Options.AllowHostLoopback.
	AllowHostLoopback bool      `json:"allowHostLoopback"`
	Created           time.Time `json:"created"`
}

// matches reports whether a holder made with r serves m and o: the same
// hutch version, ID maps and network options.
func (r record) matches(m userns.Mapping, o Options) bool {
	return r.Version == o.Version && r.AllowHostLoopback == o.AllowHostLoopback &&
		equalMaps(r.UIDMap, m.UIDs) && equalMaps(r.GIDMap, m.GIDs)
}

func equalMaps(a, b []userns.IDMap) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// instance is one holder's state directory.
type instance struct {
	dir string
	rec record
	// childPID owns U and M; 0 until the holder is ready.
	childPID int
}

// errNoHolder means no ready holder is recorded (first use, or the last one
// exited cleanly and removed its directory).
var errNoHolder = errors.New("no namespace holder")

// current loads the instance that root/current points to.
func current(root string) (*instance, error) {
	name, err := os.Readlink(filepath.Join(root, currentName))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, errNoHolder
	}
	if err != nil {
		return nil, err
	}
	return loadInstance(filepath.Join(root, name))
}

func loadInstance(dir string) (*instance, error) {
	inst := &instance{dir: dir}
	b, err := os.ReadFile(filepath.Join(dir, recordName))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, errNoHolder
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, &inst.rec); err != nil {
		return nil, fmt.Errorf("parse %s: %w", filepath.Join(dir, recordName), err)
	}
	b, err = os.ReadFile(filepath.Join(dir, parent.StateFileChildPID))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, errNoHolder
	}
	if err != nil {
		return nil, err
	}
	if inst.childPID, err = strconv.Atoi(strings.TrimSpace(string(b))); err != nil {
		return nil, fmt.Errorf("parse %s: %w", filepath.Join(dir, parent.StateFileChildPID), err)
	}
	return inst, nil
}

// lockHeld reports whether a live holder holds dir's lock. It probes with a
// non-blocking flock on a descriptor of its own (flock has no query); if
// the probe wins, the holder is dead and the lock is dropped at once. The
// file is opened without O_CREATE so that a probe never recreates a
// directory's contents while rootlesskit removes them.
func lockHeld(dir string) (bool, error) {
	fd, err := unix.Open(filepath.Join(dir, parent.StateFileLock), unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if errors.Is(err, unix.ENOENT) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("open holder lock in %s: %w", dir, err)
	}
	defer unix.Close(fd)
	switch err := unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB); {
	case errors.Is(err, unix.EWOULDBLOCK):
		return true, nil
	case err != nil:
		return false, fmt.Errorf("probe holder lock in %s: %w", dir, err)
	}
	return false, nil // closing fd drops the lock we just took
}

// setCurrent points root/current at dir, atomically.
func setCurrent(root, dir string) error {
	tmp := filepath.Join(root, "."+currentName+".tmp")
	_ = os.Remove(tmp)
	if err := os.Symlink(filepath.Base(dir), tmp); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(root, currentName))
}

// removeStale deletes the directories of dead holders (killed holders
// cannot clean up after themselves). Call it with the start lock held, so
// that no holder is being created meanwhile.
func removeStale(root string) error {
	entries, err := os.ReadDir(root)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), instancePrefix) {
			continue
		}
		dir := filepath.Join(root, e.Name())
		if held, err := lockHeld(dir); err != nil || held {
			continue
		}
		if err := os.RemoveAll(dir); err != nil {
			return fmt.Errorf("remove dead holder's directory: %w", err)
		}
	}
	return nil
}

// stop asks a live holder to exit (SIGTERM to its parent, which relays it
// to the pause process; then everything unwinds). The pidfd pins the
// process, and the lock check after opening it proves the pid is still
// that holder's, not a reused one.
func stop(inst *instance) error {
	pidfd, err := unix.PidfdOpen(inst.rec.PID, 0)
	if err != nil {
		return fmt.Errorf("open holder process %d: %w", inst.rec.PID, err)
	}
	defer unix.Close(pidfd)
	if held, err := lockHeld(inst.dir); err != nil || !held {
		return err
	}
	if err := unix.PidfdSendSignal(pidfd, unix.SIGTERM, nil, 0); err != nil {
		return fmt.Errorf("stop holder process %d: %w", inst.rec.PID, err)
	}
	return nil
}
