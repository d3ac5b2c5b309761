package bridge

import (
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/hutchctr/hutch/pkg/errdefs"
)

// Kinds of Lower links.
const (
	KindMacvlan = "macvlan"
	KindIPVlan  = "ipvlan"
)

// Lower is a macvlan or ipvlan link on a parent interface of this
// namespace.
type Lower struct {
	// Kind is KindMacvlan or KindIPVlan. Required.
	Kind string
	// Parent is the host interface. Required.
	Parent string
	// Mode is macvlan's bridge (default), private, vepa or passthru, or
	// ipvlan's l2 (default), l3 or l3s.
	Mode string
}

var macvlanModes = map[string]netlink.MacvlanMode{
	"": netlink.MACVLAN_MODE_BRIDGE, "bridge": netlink.MACVLAN_MODE_BRIDGE, "private": netlink.MACVLAN_MODE_PRIVATE,
	"vepa": netlink.MACVLAN_MODE_VEPA, "passthru": netlink.MACVLAN_MODE_PASSTHRU,
}

var ipvlanModes = map[string]netlink.IPVlanMode{
	"": netlink.IPVLAN_MODE_L2, "l2": netlink.IPVLAN_MODE_L2, "l3": netlink.IPVLAN_MODE_L3, "l3s": netlink.IPVLAN_MODE_L3S,
}

// AttachLower creates a macvlan or ipvlan link on lw.Parent directly in the
// container's namespace, configured as c says, and returns its MAC. On
// failure nothing is left behind.
func (n *Namespace) AttachLower(lw Lower, c Iface) (net.HardwareAddr, error) {
	parent, err := n.nl.LinkByName(lw.Parent)
	if err != nil {
		if isNotFound(err) {
			return nil, fmt.Errorf("parent interface %s: %w", lw.Parent, errdefs.ErrNotFound)
		}
		return nil, fmt.Errorf("parent interface %s: %w", lw.Parent, err)
	}
	ctr, err := netns.GetFromPath(c.ContainerNS)
	if err != nil {
		return nil, fmt.Errorf("container network namespace %s: %w", c.ContainerNS, err)
	}
	defer ctr.Close()
	// Created here (where the parent is) but placed in the container's
	// namespace at once (IFLA_NET_NS_FD), under its final name.
	attrs := netlink.LinkAttrs{Name: c.Name, ParentIndex: parent.Attrs().Index, MTU: c.MTU, Namespace: netlink.NsFd(int(ctr))}
	var link netlink.Link
	switch lw.Kind {
	case KindMacvlan:
		mode, ok := macvlanModes[lw.Mode]
		if !ok {
			return nil, errdefs.Errorf(errdefs.ErrInvalidArgument, "macvlan mode %q: bridge, private, vepa or passthru", lw.Mode)
		}
		attrs.HardwareAddr = c.MAC
		if attrs.HardwareAddr == nil {
			attrs.HardwareAddr = randomMAC()
		}
		link = &netlink.Macvlan{LinkAttrs: attrs, Mode: mode}
	case KindIPVlan:
		mode, ok := ipvlanModes[lw.Mode]
		if !ok {
			return nil, errdefs.Errorf(errdefs.ErrInvalidArgument, "ipvlan mode %q: l2, l3 or l3s", lw.Mode)
		}
		if c.MAC != nil {
			return nil, errdefs.Errorf(errdefs.ErrInvalidArgument, "ipvlan interfaces share their parent's MAC address: --mac-address cannot be used")
		}
		link = &netlink.IPVlan{LinkAttrs: attrs, Mode: mode}
	default:
		return nil, errdefs.Errorf(errdefs.ErrInvalidArgument, "link kind %q: macvlan or ipvlan", lw.Kind)
	}
	if err := n.nl.LinkAdd(link); err != nil {
		if errors.Is(err, unix.EOPNOTSUPP) {
			return nil, errdefs.Errorf(errdefs.ErrNotImplemented, "%s on %s: this kernel has no %s support (CONFIG_%s)", lw.Kind, lw.Parent, lw.Kind, map[string]string{KindMacvlan: "MACVLAN", KindIPVlan: "IPVLAN"}[lw.Kind])
		}
		return nil, fmt.Errorf("%s on %s: %w", lw.Kind, lw.Parent, err)
	}
	mac, err := configureContainer(ctr, c)
	if err != nil {
		DetachIface(c.ContainerNS, c.Name)
		return nil, err
	}
	return mac, nil
}

// DetachIface deletes the interface name in the container's namespace (a
// macvlan or ipvlan link, or a veth peer). A namespace or link that is gone
// is no error.
func DetachIface(containerNS, name string) error {
	ctr, err := netns.GetFromPath(containerNS)
	if err != nil {
		return nil // the namespace is gone, and its links with it
	}
	defer ctr.Close()
	h, err := newHandleIn(ctr, containerNS)
	if err != nil {
		return fmt.Errorf("netlink in %s: %w", containerNS, err)
	}
	defer h.Close()
	l, err := h.LinkByName(name)
	if err != nil {
		if isNotFound(err) {
			return nil
		}
		return fmt.Errorf("container interface %s: %w", name, err)
	}
	if err := h.LinkDel(l); err != nil && !isNotFound(err) {
		return fmt.Errorf("container interface %s: delete: %w", name, err)
	}
	return nil
}

// SetAddrs replaces the addresses and default routes of a container's
// interface: it removes old (those it has), adds addrs and routes through
// gateways. DHCP uses it when a lease is bound or changes.
func SetAddrs(containerNS, name string, old, addrs []netip.Prefix, gateways []netip.Addr) error {
	ctr, err := netns.GetFromPath(containerNS)
	if err != nil {
		return fmt.Errorf("container network namespace %s: %w", containerNS, err)
	}
	defer ctr.Close()
	h, err := newHandleIn(ctr, containerNS)
	if err != nil {
		return fmt.Errorf("netlink in %s: %w", containerNS, err)
	}
	defer h.Close()
	l, err := h.LinkByName(name)
	if err != nil {
		return fmt.Errorf("container interface %s: %w", name, err)
	}
	keep := map[netip.Prefix]bool{}
	for _, a := range addrs {
		keep[a] = true
	}
	for _, a := range old {
		if !keep[a] {
			if err := h.AddrDel(l, nlAddr(a)); err != nil && !errors.Is(err, unix.EADDRNOTAVAIL) {
				return fmt.Errorf("container interface %s: remove %s: %w", name, a, err)
			}
		}
	}
	for _, a := range addrs {
		if err := h.AddrReplace(l, nlAddr(a)); err != nil {
			return fmt.Errorf("container interface %s: address %s: %w", name, a, err)
		}
	}
	return setGateways(h, l, gateways)
}
