package network

import (
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/gofrs/flock"

	"github.com/hutchctr/hutch/internal/atomicfile"
	"github.com/hutchctr/hutch/pkg/errdefs"
)

const (
	networkFile  = "network.json"
	lockFile     = "lock"
	storeLock    = ".lock"
	portsLock    = ".ports.lock"
	ipamDir      = "ipam"
	endpointsDir = "endpoints"
)

// Options configure a Store.
type Options struct {
	// Alive reports whether a container is running (its monitor holds its
	// lock). Addresses of containers that are not alive are reclaimed. Nil
	// means every container is alive: nothing is reclaimed.
	Alive func(containerID string) bool
}

// Store is the on-disk network database under <data>/networks.
type Store struct {
	dir   string
	alive func(string) bool
}

// Open prepares <dataDir>/networks and returns a Store over it.
func Open(dataDir string, o Options) (*Store, error) {
	s := &Store{dir: filepath.Join(dataDir, "networks"), alive: o.Alive}
	if s.alive == nil {
		s.alive = func(string) bool { return true }
	}
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return nil, fmt.Errorf("network store: %w", err)
	}
	return s, nil
}

// Dir is the network's directory.
func (s *Store) Dir(name string) string { return filepath.Join(s.dir, name) }

// lock takes the store-wide lock, which serialises creating and removing
// networks (so names, interfaces and subnets stay unique).
func (s *Store) lock() (*flock.Flock, error) {
	l := flock.New(filepath.Join(s.dir, storeLock))
	if err := l.Lock(); err != nil {
		return nil, fmt.Errorf("lock network store: %w", err)
	}
	return l, nil
}

// lockPorts takes the lock that serialises publishing host ports, so
// that two containers cannot both check a port free and then both take it.
func (s *Store) lockPorts() (*flock.Flock, error) {
	l := flock.New(filepath.Join(s.dir, portsLock))
	if err := l.Lock(); err != nil {
		return nil, fmt.Errorf("lock published ports: %w", err)
	}
	return l, nil
}

// LockNetwork takes the network's own lock, held while its bridge and
// firewall rules are created or removed. The caller unlocks it.
func (s *Store) LockNetwork(name string) (*flock.Flock, error) {
	l := flock.New(filepath.Join(s.Dir(name), lockFile))
	if err := l.Lock(); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("network %q: %w", name, errdefs.ErrNotFound)
		}
		return nil, fmt.Errorf("lock network %q: %w", name, err)
	}
	return l, nil
}

// Route is a route of the namespace a bridge goes in.
type Route struct {
	Dst netip.Prefix
	Dev string
}

// CreateOptions are the facts about the host that Create checks against.
type CreateOptions struct {
	// Routes of the namespace the bridge goes in: a bridge subnet that
	// overlaps one is refused, except default routes and routes through
	// hutch's own bridges. Nil: not checked.
	Routes []Route
	// Rootless refuses macvlan and ipvlan networks (they need root).
	Rootless bool
}

// Create validates n, fills in its ID, interface, gateways and (for a
// bridge without one) a free subnet, and stores it. A name in use is
// ErrAlreadyExists; an overlapping subnet is ErrInvalidArgument naming both.
func (s *Store) Create(n Network, o CreateOptions) (*Network, error) {
	if err := n.normalize(); err != nil {
		return nil, err
	}
	if o.Rootless && n.Driver != DriverBridge {
		return nil, errdefs.Errorf(errdefs.ErrPermission, "network %q: %s networks need root: the parent interface lives in the host's network namespace, which rootless hutch cannot change", n.Name, n.Driver)
	}
	l, err := s.lock()
	if err != nil {
		return nil, err
	}
	defer l.Unlock()
	others, err := s.List()
	if err != nil {
		return nil, err
	}
	for _, x := range others {
		if x.Name == n.Name {
			return nil, fmt.Errorf("network name %q is already used: %w", n.Name, errdefs.ErrAlreadyExists)
		}
	}
	if n.Driver == DriverBridge {
		if err := pickInterface(&n, others, o.Routes); err != nil {
			return nil, err
		}
		if len(n.Subnets) == 0 {
			if err := pickSubnet(&n, others, o.Routes); err != nil {
				return nil, err
			}
		}
	}
	if err := checkOverlaps(&n, others, o.Routes); err != nil {
		return nil, err
	}
	n.ID = newID()
	n.Created = timeNow()
	if err := s.write(&n); err != nil {
		return nil, err
	}
	return &n, nil
}

// write stores a new network: its directory is prepared under a temporary
// name and renamed into place, so a crash never leaves half a network.
// Called with the store lock held.
func (s *Store) write(n *Network) error {
	tmp, err := os.MkdirTemp(s.dir, ".new-")
	if err != nil {
		return fmt.Errorf("network %q: %w", n.Name, err)
	}
	defer os.RemoveAll(tmp) // no-op after the rename
	for _, d := range []string{ipamDir, endpointsDir} {
		if err := os.Mkdir(filepath.Join(tmp, d), 0o700); err != nil {
			return fmt.Errorf("network %q: %w", n.Name, err)
		}
	}
	if err := writeJSON(filepath.Join(tmp, networkFile), n); err != nil {
		return fmt.Errorf("network %q: %w", n.Name, err)
	}
	if err := os.Rename(tmp, s.Dir(n.Name)); err != nil {
		return fmt.Errorf("network %q: %w", n.Name, err)
	}
	return atomicfile.SyncDir(s.dir)
}

// Get returns the network with the given name, or with the given ID or
// unique ID prefix.
func (s *Store) Get(ref string) (*Network, error) {
	if ValidateName(ref) == nil {
		var n Network
		err := readJSON(filepath.Join(s.Dir(ref), networkFile), &n)
		if err == nil {
			return &n, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("network %q: %w", ref, err)
		}
	}
	if isHex(ref) {
		all, err := s.List()
		if err != nil {
			return nil, err
		}
		var match []*Network
		for _, n := range all {
			if strings.HasPrefix(n.ID, ref) {
				match = append(match, n)
			}
		}
		if len(match) == 1 {
			return match[0], nil
		}
		if len(match) > 1 {
			return nil, errdefs.Errorf(errdefs.ErrInvalidArgument, "network %q: prefix matches %d networks", ref, len(match))
		}
	}
	return nil, fmt.Errorf("network %q: %w", ref, errdefs.ErrNotFound)
}

func isHex(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// List returns every network, sorted by name.
func (s *Store) List() ([]*Network, error) {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("list networks: %w", err)
	}
	var out []*Network
	for _, e := range entries {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		var n Network
		if err := readJSON(filepath.Join(s.dir, e.Name(), networkFile), &n); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue // being removed
			}
			return nil, fmt.Errorf("network %q: %w", e.Name(), err)
		}
		out = append(out, &n)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}
