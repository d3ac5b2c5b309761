package network

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hutchctr/hutch/pkg/errdefs"
)

// InUseError is returned by Remove for a network that containers use.
type InUseError struct {
	Network    string
	Containers []string // IDs
}

func (e *InUseError) Error() string {
	ids := make([]string, len(e.Containers))
	for i, id := range e.Containers {
		ids[i] = shortID(id)
	}
	return fmt.Sprintf("network %q is used by container(s) %s: remove them first, or use -f", e.Network, strings.Join(ids, ", "))
}

func (e *InUseError) Unwrap() error { return errdefs.ErrConflict }

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// Users returns the IDs of the containers that are alive and hold
// addresses on the network, sorted.
func (s *Store) Users(name string) ([]string, error) {
	allocs, err := s.Allocations(name)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var ids []string
	for _, id := range allocs {
		if !seen[id] && s.alive(id) {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids, nil
}

// Remove deletes the network's record. It refuses (*InUseError, a
// Conflict) when attached (the containers the caller knows use it) or a
// live allocation is not empty, unless force. The default network cannot
// be removed (as Podman's). Removing the kernel
// side (bridge, rules) is the Manager's job.
func (s *Store) Remove(ref string, attached []string, force bool) error {
	n, err := s.Get(ref)
	if err != nil {
		return err
	}
	l, err := s.lock()
	if err != nil {
		return err
	}
	defer l.Unlock()
	if n.Name == DefaultName {
		return errdefs.Errorf(errdefs.ErrInvalidArgument, "network %q is the default network: it cannot be removed", n.Name)
	}
	if !force {
		users, err := s.Users(n.Name)
		if err != nil {
			return err
		}
		if all := mergeIDs(attached, users); len(all) > 0 {
			return &InUseError{Network: n.Name, Containers: all}
		}
	}
	return s.removeDir(n.Name)
}

func mergeIDs(a, b []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, id := range append(append([]string{}, a...), b...) {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}

// removeDir renames the network's directory away (atomically, so readers
// see the network or nothing) and deletes it. Called with the store lock.
func (s *Store) removeDir(name string) error {
	trash, err := os.MkdirTemp(s.dir, ".trash-")
	if err != nil {
		return fmt.Errorf("remove network %q: %w", name, err)
	}
	dst := filepath.Join(trash, name)
	if err := os.Rename(s.Dir(name), dst); err != nil {
		os.Remove(trash)
		if os.IsNotExist(err) {
			return fmt.Errorf("network %q: %w", name, errdefs.ErrNotFound)
		}
		return fmt.Errorf("remove network %q: %w", name, err)
	}
	if err := os.RemoveAll(trash); err != nil {
		return fmt.Errorf("remove network %q: %w", name, err)
	}
	return nil
}

// Prune removes every network but the default one that inUse (the
// caller's knowledge of containers' configurations; nil: none) does not
// claim and no live container holds an address on. It returns the removed
// networks.
func (s *Store) Prune(inUse func(name string) bool) ([]*Network, error) {
	l, err := s.lock()
	if err != nil {
		return nil, err
	}
	defer l.Unlock()
	all, err := s.List()
	if err != nil {
		return nil, err
	}
	var removed []*Network
	for _, n := range all {
		if n.Name == DefaultName || (inUse != nil && inUse(n.Name)) {
			continue
		}
		users, err := s.Users(n.Name)
		if err != nil {
			return removed, err
		}
		if len(users) > 0 {
			continue
		}
		if err := s.removeDir(n.Name); err != nil {
			return removed, err
		}
		removed = append(removed, n)
	}
	return removed, nil
}

// Default returns the default network, writing it on first use with the
// given subnet (DefaultSubnet when invalid). If the stored default has
// another subnet (hutch.yaml changed) and no live container holds an
// address on it, it is rewritten with the new one.
func (s *Store) Default(subnet netip.Prefix) (*Network, error) {
	if !subnet.IsValid() {
		subnet = netip.MustParsePrefix(DefaultSubnet)
	}
	if n, err := s.Get(DefaultName); err == nil && len(n.Subnets) == 1 && n.Subnets[0].Subnet == subnet {
		return n, nil
	}
	l, err := s.lock()
	if err != nil {
		return nil, err
	}
	defer l.Unlock()
	n := Network{Name: DefaultName, Driver: DriverBridge, Interface: DefaultInterface, Subnets: []Subnet{{Subnet: subnet}}}
	if err := n.normalize(); err != nil {
		return nil, fmt.Errorf("default network: %w", err)
	}
	old, err := s.Get(DefaultName)
	if err == nil {
		if len(old.Subnets) == 1 && old.Subnets[0].Subnet == subnet {
			return old, nil // written meanwhile
		}
		if users, err := s.Users(DefaultName); err != nil || len(users) > 0 {
			return old, err // keep it while containers use it
		}
		n.ID, n.Created = old.ID, old.Created
		if err := writeJSON(filepath.Join(s.Dir(DefaultName), networkFile), &n); err != nil {
			return nil, fmt.Errorf("default network: %w", err)
		}
		return &n, nil
	}
	others, err := s.List()
	if err != nil {
		return nil, err
	}
	if err := checkOverlaps(&n, others, nil); err != nil {
		return nil, err
	}
	n.ID = newID()
	n.Created = timeNow()
	if err := s.write(&n); err != nil {
		return nil, err
	}
	return &n, nil
}
