package state

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/gofrs/flock"

	"github.com/hutchctr/hutch/internal/atomicfile"
	"github.com/hutchctr/hutch/pkg/errdefs"
)

const (
	configFile      = "config.json"
	specFile        = "spec.json"
	stateFile       = "state.json"
	lockFile        = "lock"
	monitorLockFile = "monitor.lock"
	logFile         = "ctr.log"
	trashPrefix     = ".trash-"
)

// nameRE is Podman's rule for container names.
var nameRE = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`)

// ValidateName returns an ErrInvalidArgument error if name cannot be a
// container name.
func ValidateName(name string) error {
	if len(name) > 253 || !nameRE.MatchString(name) {
		return errdefs.Errorf(errdefs.ErrInvalidArgument, "container name %q: must match [a-zA-Z0-9][a-zA-Z0-9_.-]*", name)
	}
	return nil
}

// Store is the on-disk container database under a data and a run directory.
type Store struct {
	data string // <data>/containers, <data>/names
	run  string // <run>/containers/<id>: sockets and other per-boot files
}

// Open prepares the directories under dataDir and runDir and returns a Store.
func Open(dataDir, runDir string) (*Store, error) {
	s := &Store{data: dataDir, run: runDir}
	for _, d := range []string{s.containersDir(), s.namesDir(), filepath.Join(runDir, "containers")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("state directory: %w", err)
		}
	}
	return s, nil
}

func (s *Store) containersDir() string { return filepath.Join(s.data, "containers") }
func (s *Store) namesDir() string      { return filepath.Join(s.data, "names") }

// Dir is the container's data directory.
func (s *Store) Dir(id string) string { return filepath.Join(s.containersDir(), id) }

// RunDir is the container's directory for per-boot files (sockets). It is
// created by Create and by MkRunDir.
func (s *Store) RunDir(id string) string { return filepath.Join(s.run, "containers", id) }

// LogPath is the container's log file.
func (s *Store) LogPath(id string) string { return filepath.Join(s.Dir(id), logFile) }

// MonitorLockPath is the file the monitor holds locked for its whole life.
func (s *Store) MonitorLockPath(id string) string { return filepath.Join(s.Dir(id), monitorLockFile) }

// LockPath is the file locked by whoever changes the container's record.
func (s *Store) LockPath(id string) string { return filepath.Join(s.Dir(id), lockFile) }

// MkRunDir creates the container's run directory (it vanishes on reboot).
func (s *Store) MkRunDir(id string) (string, error) {
	d := s.RunDir(id)
	return d, os.MkdirAll(d, 0o700)
}

// Handle is a container record whose lock the caller holds. Every change to
// a record goes through a Handle; Unlock releases it.
type Handle struct {
	Container
	s    *Store
	lock *flock.Flock
}

// Create reserves cfg.Name and writes a new record in state Configured. It
// returns with the record locked. On ErrAlreadyExists for the name, the error
// is a *NameInUseError naming the owner.
func (s *Store) Create(cfg Config) (*Handle, error) {
	if len(cfg.ID) != 64 {
		return nil, fmt.Errorf("container id %q: %w", cfg.ID, errdefs.ErrInvalidArgument)
	}
	if err := ValidateName(cfg.Name); err != nil {
		return nil, err
	}
	dir := s.Dir(cfg.ID)
	if err := os.Mkdir(dir, 0o700); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("container id %s: %w", cfg.ID, errdefs.ErrAlreadyExists)
		}
		return nil, fmt.Errorf("container directory: %w", err)
	}
	h := &Handle{s: s, lock: flock.New(filepath.Join(dir, lockFile))}
	if err := h.lock.Lock(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("lock container %s: %w", cfg.ID, err)
	}
	fail := func(err error) (*Handle, error) {
		h.lock.Unlock()
		os.RemoveAll(dir)
		return nil, err
	}
	// The directory exists before the name, so a name whose directory is
	// missing was left by a crash between the two removals of Delete.
	if err := s.reserveName(cfg.Name, cfg.ID, !cfg.AutoRemove); err != nil {
		return fail(err)
	}
	h.Config = cfg
	h.State = State{Status: Configured}
	d := durable
	if cfg.AutoRemove {
		d = volatile // gone when it exits, so gone after a reboot too
	}
	if err := writeJSON(filepath.Join(dir, specFile), cfg.Spec, d); err != nil {
		s.releaseName(cfg.Name, cfg.ID)
		return fail(err)
	}
	if err := writeJSON(filepath.Join(dir, configFile), &h.Config, d); err != nil {
		s.releaseName(cfg.Name, cfg.ID)
		return fail(err)
	}
	if err := writeJSON(filepath.Join(dir, stateFile), &h.State, volatile); err != nil {
		s.releaseName(cfg.Name, cfg.ID)
		return fail(err)
	}
	return h, nil
}

// NameInUseError is returned by Create when another container has the name.
type NameInUseError struct {
	Name  string
	Owner string // the ID of the container that has the name
}

func (e *NameInUseError) Error() string {
	return fmt.Sprintf("container name %q is already in use by %s; remove or rename that container, or choose another name", e.Name, shortID(e.Owner))
}

func (e *NameInUseError) Unwrap() error { return errdefs.ErrAlreadyExists }

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// reserveName creates names/<name> holding id, atomically: the file is
// written under a temporary name and hard-linked into place, and link(2)
// fails if the name exists. Readers never see a name file without its
// owner's ID (an O_EXCL create would show an empty one for a moment, which a
// concurrent creator could take for a stale reservation).
func (s *Store) reserveName(name, id string, sync bool) error {
	path := filepath.Join(s.namesDir(), name)
	tmp, err := os.CreateTemp(s.namesDir(), ".reserve-*")
	if err != nil {
		return fmt.Errorf("reserve name %q: %w", name, err)
	}
	defer os.Remove(tmp.Name())
	_, werr := tmp.WriteString(id)
	var serr error
	if sync {
		serr = tmp.Sync()
	}
	cerr := tmp.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		return fmt.Errorf("reserve name %q: %w", name, err)
	}
	for attempt := 0; ; attempt++ {
		err := os.Link(tmp.Name(), path)
		if err == nil {
			if !sync {
				return nil
			}
			return atomicfile.SyncDir(s.namesDir())
		}
		if !errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("reserve name %q: %w", name, err)
		}
		owner, rerr := os.ReadFile(path)
		if rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
			return fmt.Errorf("reserve name %q: %w", name, rerr)
		}
		if attempt > 0 || !s.dropStaleName(name, string(owner)) {
			return &NameInUseError{Name: name, Owner: string(owner)}
		}
	}
}

// dropStaleName removes names/<name> if it still names owner and owner's
// directory is gone. It reports whether it removed the file.
func (s *Store) dropStaleName(name, owner string) bool {
	if !isHexPrefix(owner) || len(owner) != 64 {
		return false // not a reservation this code writes: leave it alone
	}
	if _, err := os.Stat(s.Dir(owner)); err == nil || !errors.Is(err, fs.ErrNotExist) {
		return false
	}
	// Serialise stale-name removal: without it, two creators could both see the
	// same stale owner, and the slower one would delete the faster one's fresh
	// reservation.
	l := flock.New(filepath.Join(s.namesDir(), ".lock"))
	if err := l.Lock(); err != nil {
		return false
	}
	defer l.Unlock()
	path := filepath.Join(s.namesDir(), name)
	cur, err := os.ReadFile(path)
	if err != nil {
		return errors.Is(err, fs.ErrNotExist)
	}
	if string(cur) != owner {
		return false
	}
	return os.Remove(path) == nil
}

// releaseName removes names/<name> if it holds id.
func (s *Store) releaseName(name, id string) {
	path := filepath.Join(s.namesDir(), name)
	if cur, err := os.ReadFile(path); err == nil && string(cur) == id {
		os.Remove(path)
	}
}

// Lookup resolves a full ID, a unique ID prefix or a name to a container ID.
func (s *Store) Lookup(ref string) (string, error) {
	if ref == "" {
		return "", errdefs.Errorf(errdefs.ErrInvalidArgument, "empty container name or id")
	}
	if ValidateName(ref) == nil {
		if owner, err := os.ReadFile(filepath.Join(s.namesDir(), ref)); err == nil && len(owner) == 64 {
			if _, err := os.Stat(s.Dir(string(owner))); err == nil {
				return string(owner), nil
			}
		}
	}
	if isHexPrefix(ref) {
		ids, err := s.ids()
		if err != nil {
			return "", err
		}
		var match []string
		for _, id := range ids {
			if strings.HasPrefix(id, ref) {
				match = append(match, id)
			}
		}
		switch len(match) {
		case 1:
			return match[0], nil
		case 0:
		default:
			return "", errdefs.Errorf(errdefs.ErrInvalidArgument, "container %q: prefix matches %d containers", ref, len(match))
		}
	}
	return "", fmt.Errorf("no container with name or id %q: %w", ref, errdefs.ErrNotFound)
}

func isHexPrefix(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// ids lists container directories, sorted, skipping trash.
func (s *Store) ids() ([]string, error) {
	entries, err := os.ReadDir(s.containersDir())
	if err != nil {
		return nil, fmt.Errorf("list containers: %w", err)
	}
	ids := make([]string, 0, len(entries))
	for _, e := range entries {
		if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
			ids = append(ids, e.Name())
		}
	}
	sort.Strings(ids)
	return ids, nil
}
