package network

import (
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"sort"

	"github.com/hutchctr/hutch/pkg/errdefs"
)

// Release frees every address containerID holds on the network and returns
// them. A missing network has nothing to free.
func (s *Store) Release(network, containerID string) ([]netip.Addr, error) {
	m := s.ipam(&Network{Name: network})
	return m.removeWhere(func(owner string) bool { return owner == containerID })
}

// Reclaim frees the addresses whose owner is not alive (nil: the Store's
// Options.Alive) and returns them.
func (s *Store) Reclaim(network string, alive func(containerID string) bool) ([]netip.Addr, error) {
	if alive == nil {
		alive = s.alive
	}
	return s.ipam(&Network{Name: network}).reclaim(alive)
}

func (m *ipam) reclaim(alive func(string) bool) ([]netip.Addr, error) {
	return m.removeWhere(func(owner string) bool { return !alive(owner) })
}

// removeWhere removes, under the removal lock, the allocations whose owner
// matches.
func (m *ipam) removeWhere(match func(owner string) bool) ([]netip.Addr, error) {
	l, err := m.lockRemovals()
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	defer l.Unlock()
	all, err := m.list()
	if err != nil {
		if errors.Is(err, errdefs.ErrNotFound) {
			return nil, nil
		}
		return nil, err
	}
	var freed []netip.Addr
	for a, owner := range all {
		if !match(owner) {
			continue
		}
		if err := os.Remove(filepath.Join(m.dir, a.String())); err == nil {
			freed = append(freed, a)
		}
	}
	sort.Slice(freed, func(i, j int) bool { return freed[i].Less(freed[j]) })
	return freed, nil
}

// Allocations returns the network's allocated addresses and their owners'
// container IDs.
func (s *Store) Allocations(network string) (map[netip.Addr]string, error) {
	return s.ipam(&Network{Name: network}).list()
}
