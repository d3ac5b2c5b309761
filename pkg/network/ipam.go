package network

import (
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"strings"

	"github.com/hutchctr/hutch/internal/atomicfile"

	"github.com/gofrs/flock"

	"github.com/hutchctr/hutch/pkg/errdefs"
)

// AddressInUseError is returned by Allocate for a requested address that a
// live container holds.
type AddressInUseError struct {
	Network string
	Addr    netip.Addr
	Owner   string // container ID
}

func (e *AddressInUseError) Error() string {
	return fmt.Sprintf("address %s on network %q is already used by container %s", e.Addr, e.Network, shortID(e.Owner))
}

func (e *AddressInUseError) Unwrap() error { return errdefs.ErrConflict }

// ipam is one network's allocation directory.
type ipam struct {
	net   *Network
	dir   string
	alive func(string) bool
}

func (s *Store) ipam(n *Network) *ipam {
	return &ipam{net: n, dir: filepath.Join(s.Dir(n.Name), ipamDir), alive: s.alive}
}

// Allocate reserves for containerID one address in each of n's subnets:
// requested (when valid) in the subnet that holds it, the next free
// address in the others. The results carry their subnet's prefix length.
// An address the container holds already is kept, so a restarted
// container keeps its addresses. A requested address outside the subnets,
// or the gateway, is ErrInvalidArgument; one a live container holds is an
// *AddressInUseError; a full pool is ErrConflict.
func (s *Store) Allocate(n *Network, containerID string, requested netip.Addr) ([]netip.Prefix, error) {
	if n.IPAMDriver == IPAMDHCP {
		return nil, nil
	}
	requested = requested.Unmap()
	if requested.IsValid() {
		if err := n.CheckAddress(requested); err != nil {
			return nil, err
		}
	}
	m := s.ipam(n)
	held, err := m.owned(containerID)
	if err != nil {
		return nil, err
	}
	var out []netip.Prefix
	undo := func() {
		for _, p := range out {
			m.releaseAddr(p.Addr(), containerID)
		}
	}
	for _, sub := range n.Subnets {
		var a netip.Addr
		switch old := heldIn(held, sub); {
		case requested.IsValid() && sub.Subnet.Contains(requested):
			if old.IsValid() && old != requested {
				m.releaseAddr(old, containerID)
			}
			a, err = m.take(sub, requested, containerID)
		case old.IsValid():
			a = old
		default:
			a, err = m.next(sub, containerID)
		}
		if err != nil {
			undo()
			return nil, err
		}
		out = append(out, netip.PrefixFrom(a, sub.Subnet.Bits()))
	}
	return out, nil
}

// CheckAddress says whether a can be asked for on n (--ip): it must be a
// usable address of one of n's subnets, not the gateway. A DHCP network
// takes no static address.
func (n *Network) CheckAddress(a netip.Addr) error {
	a = a.Unmap()
	if n.IPAMDriver == IPAMDHCP {
		return errdefs.Errorf(errdefs.ErrInvalidArgument, "network %q gets its addresses by DHCP: --ip cannot be used", n.Name)
	}
	if !inSomeSubnet(n, a) {
		return errdefs.Errorf(errdefs.ErrInvalidArgument, "address %s is not a container address of network %q (%s)", a, n.Name, subnetList(n))
	}
	return nil
}

func inSomeSubnet(n *Network, a netip.Addr) bool {
	for _, s := range n.Subnets {
		if usable(s, a) {
			return true
		}
	}
	return false
}

func subnetList(n *Network) string {
	var l []string
	for _, s := range n.Subnets {
		l = append(l, s.Subnet.String()+" without gateway "+s.Gateway.String())
	}
	return strings.Join(l, "; ")
}

func heldIn(held []netip.Addr, s Subnet) netip.Addr {
	for _, a := range held {
		if s.Subnet.Contains(a) {
			return a
		}
	}
	return netip.Addr{}
}

// owned lists the addresses id holds.
func (m *ipam) owned(id string) ([]netip.Addr, error) {
	all, err := m.list()
	if err != nil {
		return nil, err
	}
	var out []netip.Addr
	for a, owner := range all {
		if owner == id {
			out = append(out, a)
		}
	}
	return out, nil
}

// list reads every allocation: address → owner.
func (m *ipam) list() (map[netip.Addr]string, error) {
	entries, err := os.ReadDir(m.dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("network %q: %w", m.net.Name, errdefs.ErrNotFound)
		}
		return nil, fmt.Errorf("network %q: addresses: %w", m.net.Name, err)
	}
	out := map[netip.Addr]string{}
	for _, e := range entries {
		a, err := netip.ParseAddr(e.Name())
		if err != nil {
			continue // .lock, .next…, temporary files
		}
		owner, err := os.ReadFile(filepath.Join(m.dir, e.Name()))
		if err != nil {
			continue // released meanwhile
		}
		out[a] = string(owner)
	}
	return out, nil
}

// take reserves a for id, reclaiming it first if its owner is dead.
func (m *ipam) take(sub Subnet, a netip.Addr, id string) (netip.Addr, error) {
	tmp, err := m.ownerFile(id)
	if err != nil {
		return netip.Addr{}, err
	}
	defer os.Remove(tmp)
	for attempt := 0; attempt < 2; attempt++ {
		ok, err := m.link(tmp, a)
		if err != nil || ok {
			return a, err
		}
		owner, _ := os.ReadFile(filepath.Join(m.dir, a.String()))
		if string(owner) == id {
			return a, nil
		}
		if attempt == 0 && len(owner) > 0 && !m.alive(string(owner)) {
			m.releaseAddr(a, string(owner))
			continue
		}
		return netip.Addr{}, &AddressInUseError{Network: m.net.Name, Addr: a, Owner: string(owner)}
	}
	return netip.Addr{}, &AddressInUseError{Network: m.net.Name, Addr: a}
}

// next reserves the next free address of sub for id, starting where the
// last search stopped; when the pool is full it reclaims the addresses of
// dead containers and searches once more.
func (m *ipam) next(sub Subnet, id string) (netip.Addr, error) {
	first, last := hostRange(sub)
	if !first.IsValid() {
		return netip.Addr{}, errdefs.Errorf(errdefs.ErrConflict, "network %q: subnet %s has no address for containers", m.net.Name, sub.Subnet)
	}
	tmp, err := m.ownerFile(id)
	if err != nil {
		return netip.Addr{}, err
	}
	defer os.Remove(tmp)
	for attempt := 0; attempt < 2; attempt++ {
		start := m.hint(sub, first, last)
		a := start
		for {
			if a != sub.Gateway {
				ok, err := m.link(tmp, a)
				if err != nil {
					return netip.Addr{}, err
				}
				if ok {
					m.setHint(sub, a.Next())
					return a, nil
				}
			}
			if a = a.Next(); !a.IsValid() || last.Less(a) {
				a = first
			}
			if a == start {
				break
			}
		}
		if freed, err := m.reclaim(m.alive); err != nil || len(freed) == 0 {
			break
		}
	}
	return netip.Addr{}, errdefs.Errorf(errdefs.ErrConflict, "network %q: no free address in %s", m.net.Name, sub.Subnet)
}

// ownerFile writes a temporary file holding id, to be linked into place.
func (m *ipam) ownerFile(id string) (string, error) {
	f, err := os.CreateTemp(m.dir, ".a-")
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("network %q: %w", m.net.Name, errdefs.ErrNotFound)
		}
		return "", fmt.Errorf("network %q: allocate: %w", m.net.Name, err)
	}
	_, werr := f.WriteString(id)
	if err := errors.Join(werr, f.Close()); err != nil {
		os.Remove(f.Name())
		return "", fmt.Errorf("network %q: allocate: %w", m.net.Name, err)
	}
	return f.Name(), nil
}

// link makes tmp the allocation of a: link(2) fails if a is taken, which
// makes the reservation atomic without a lock.
func (m *ipam) link(tmp string, a netip.Addr) (bool, error) {
	err := os.Link(tmp, filepath.Join(m.dir, a.String()))
	if err == nil {
		return true, nil
	}
	if errors.Is(err, fs.ErrExist) {
		return false, nil
	}
	return false, fmt.Errorf("network %q: allocate %s: %w", m.net.Name, a, err)
}

func hintName(sub Subnet) string {
	return ".next-" + strings.NewReplacer("/", "_", ":", "_").Replace(sub.Subnet.String())
}

// hint returns where to start searching: the address after the last one
// allocated, so that freed addresses are not handed out again at once.
func (m *ipam) hint(sub Subnet, first, last netip.Addr) netip.Addr {
	b, err := os.ReadFile(filepath.Join(m.dir, hintName(sub)))
	if err != nil {
		return first
	}
	a, err := netip.ParseAddr(string(b))
	if err != nil || a.Less(first) || last.Less(a) {
		return first
	}
	return a
}

// setHint records where the next search starts. It is only a hint: a
// lost or stale write costs a longer search, never a duplicate.
func (m *ipam) setHint(sub Subnet, a netip.Addr) {
	_ = atomicfile.Write(filepath.Join(m.dir, hintName(sub)), []byte(a.String()), 0o600, atomicfile.Volatile)
}

// lockRemovals takes the lock that every removal of an allocation holds.
// Allocations never take it: they only add files, atomically. Under it, an
// allocation file whose owner was read cannot change before it is removed
// (nobody else removes it, and nobody can add it while it exists).
func (m *ipam) lockRemovals() (*flock.Flock, error) {
	l := flock.New(filepath.Join(m.dir, ".lock"))
	if err := l.Lock(); err != nil {
		return nil, fmt.Errorf("network %q: lock addresses: %w", m.net.Name, err)
	}
	return l, nil
}

// releaseAddr removes a if id holds it.
func (m *ipam) releaseAddr(a netip.Addr, id string) {
	l, err := m.lockRemovals()
	if err != nil {
		return
	}
	defer l.Unlock()
	path := filepath.Join(m.dir, a.String())
	if owner, err := os.ReadFile(path); err == nil && string(owner) == id {
		os.Remove(path)
	}
}
