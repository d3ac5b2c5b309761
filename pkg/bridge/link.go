package bridge

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/hutchctr/hutch/pkg/errdefs"
)

// Iface is a container's interface on one network.
type Iface struct {
	// ContainerNS is the path of the container's network namespace
	// (/proc/<pid>/ns/net). Required.
	ContainerNS string
	// Name is the interface's name in the container (eth0…). Required.
	Name string
	// MAC is its address; nil: random (for ipvlan: the parent's, always).
	MAC net.HardwareAddr
	// Addrs are its addresses with prefix lengths (none with DHCP, which
	// adds them later with SetAddrs).
	Addrs []netip.Prefix
	// Gateways get a default route each (one per address family); empty:
	// no default route through this interface.
	Gateways []netip.Addr
	// MTU of the interface (0: the kernel's default).
	MTU int
}

// VethName is the host end's name of the veth pair of a container on a
// network: "veth" and 8 hex digits of a hash of both, so that Detach finds
// it without state and two containers never clash.
func VethName(containerID, network string) string {
	h := sha256.Sum256([]byte(containerID + "\x00" + network))
	return "veth" + hex.EncodeToString(h[:4])
}

// AttachVeth creates a veth pair: hostName on the bridge in this namespace,
// its peer in the container's namespace, configured as c says. It returns
// the container side's MAC address. On failure nothing is left behind.
func (n *Namespace) AttachVeth(bridge, hostName string, c Iface) (net.HardwareAddr, error) {
	br, err := n.nl.LinkByName(bridge)
	if err != nil {
		return nil, fmt.Errorf("bridge %s: %w", bridge, err)
	}
	ctr, err := netns.GetFromPath(c.ContainerNS)
	if err != nil {
		return nil, fmt.Errorf("container network namespace %s: %w", c.ContainerNS, err)
	}
	defer ctr.Close()
	mac := c.MAC
	if mac == nil {
		mac = randomMAC()
	}
	// The peer is created directly in the container's namespace under its
	// final name: it never exists under that name here, where an eth0 of
	// the host may be.
	veth := &netlink.Veth{
		LinkAttrs:        netlink.LinkAttrs{Name: hostName, MTU: c.MTU},
		PeerName:         c.Name,
		PeerHardwareAddr: mac,
		PeerNamespace:    netlink.NsFd(int(ctr)),
		PeerMTU:          uint32(c.MTU),
	}
	err = n.nl.LinkAdd(veth)
	if errors.Is(err, unix.EEXIST) {
		// A host end left by an earlier run of the same container whose
		// namespace still lives (its pair is hashed from the same IDs).
		n.DetachVeth(hostName)
		err = n.nl.LinkAdd(veth)
	}
	if err != nil {
		return nil, fmt.Errorf("veth %s for %s: %w", hostName, c.Name, err)
	}
	fail := func(err error) (net.HardwareAddr, error) {
		n.DetachVeth(hostName) // takes the peer with it
		return nil, err
	}
	host, err := n.nl.LinkByName(hostName)
	if err != nil {
		return fail(fmt.Errorf("veth %s: %w", hostName, err))
	}
	if err := n.nl.LinkSetMaster(host, br); err != nil {
		return fail(fmt.Errorf("veth %s: attach to %s: %w", hostName, bridge, err))
	}
	// Hairpin: when bridged traffic goes through netfilter
	// (br_netfilter, common on hosts running Docker or Kubernetes), a
	// container reaching its own published port through a host address is
	// DNATed at the bridge level and must go back out of the port it came
	// in by.
	if err := n.nl.LinkSetHairpin(host, true); err != nil {
		return fail(fmt.Errorf("veth %s: hairpin: %w", hostName, err))
	}
	if err := n.nl.LinkSetUp(host); err != nil {
		return fail(fmt.Errorf("veth %s: up: %w", hostName, err))
	}
	got, err := configureContainer(ctr, c)
	if err != nil {
		return fail(err)
	}
	forgetNeighbours(n.nl, br, c.Addrs)
	waitOperUp(n.nl, hostName)
	return got, nil
}

// forgetNeighbours deletes the bridge's neighbour entries for addrs: an
// address given to a new container may still map to the MAC address of
// the container that had it before, and the host would keep sending
// there until the entry went stale (seconds).
func forgetNeighbours(h *netlink.Handle, br netlink.Link, addrs []netip.Prefix) {
	for _, a := range addrs {
		fam := unix.AF_INET
		if a.Addr().Is6() {
			fam = unix.AF_INET6
		}
		// Absent entries are the common case: errors mean nothing to do.
		h.NeighDel(&netlink.Neigh{LinkIndex: br.Attrs().Index, Family: fam, IP: a.Addr().AsSlice()})
	}
}

// waitOperUp waits (up to a second) until the link's operational state is
// up. A veth's carrier comes up asynchronously (the kernel's linkwatch
// work): until then its queue discards packets, and a bridge port does not
// forward, so a container's first packets would be lost.
func waitOperUp(h *netlink.Handle, name string) {
	deadline := time.Now().Add(time.Second)
	for time.Now().Before(deadline) {
		l, err := h.LinkByName(name)
		if err != nil || l.Attrs().OperState == netlink.OperUp {
			return
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// DetachVeth deletes a veth pair by its host end. A missing one (the
// container's namespace died and took the pair with it) is no error.
func (n *Namespace) DetachVeth(hostName string) error {
	l, err := n.nl.LinkByName(hostName)
	if err != nil {
		if isNotFound(err) {
			return nil
		}
		return fmt.Errorf("veth %s: %w", hostName, err)
	}
	if l.Type() != "veth" {
		return errdefs.Errorf(errdefs.ErrConflict, "interface %s is a %s, not a veth: left alone", hostName, l.Type())
	}
	if err := n.nl.LinkDel(l); err != nil && !isNotFound(err) {
		return fmt.Errorf("veth %s: delete: %w", hostName, err)
	}
	return nil
}

// configureContainer brings up lo and the interface in the container's
// namespace, adds its addresses and default routes, and returns its MAC.
func configureContainer(ctr netns.NsHandle, c Iface) (net.HardwareAddr, error) {
	h, err := newHandleIn(ctr, c.ContainerNS)
	if err != nil {
		return nil, fmt.Errorf("netlink in %s: %w", c.ContainerNS, err)
	}
	defer h.Close()
	if lo, err := h.LinkByName("lo"); err == nil {
		if err := h.LinkSetUp(lo); err != nil {
			return nil, fmt.Errorf("container lo: up: %w", err)
		}
	}
	l, err := h.LinkByName(c.Name)
	if err != nil {
		return nil, fmt.Errorf("container interface %s: %w", c.Name, err)
	}
	for _, a := range c.Addrs {
		if err := h.AddrReplace(l, nlAddr(a)); err != nil {
			return nil, fmt.Errorf("container interface %s: address %s: %w", c.Name, a, err)
		}
	}
	if err := h.LinkSetUp(l); err != nil {
		return nil, fmt.Errorf("container interface %s: up: %w", c.Name, err)
	}
	if err := setGateways(h, l, c.Gateways); err != nil {
		return nil, fmt.Errorf("container interface %s: %w", c.Name, err)
	}
	waitOperUp(h, c.Name)
	return l.Attrs().HardwareAddr, nil
}

// setGateways replaces the default route of each gateway's family.
func setGateways(h *netlink.Handle, l netlink.Link, gws []netip.Addr) error {
	for _, gw := range gws {
		dst := &net.IPNet{IP: net.IPv4zero.To4(), Mask: net.CIDRMask(0, 32)}
		if gw.Is6() {
			dst = &net.IPNet{IP: net.IPv6zero, Mask: net.CIDRMask(0, 128)}
		}
		r := &netlink.Route{LinkIndex: l.Attrs().Index, Dst: dst, Gw: gw.AsSlice()}
		if err := h.RouteReplace(r); err != nil {
			return fmt.Errorf("default route via %s: %w", gw, err)
		}
	}
	return nil
}
