package bridge

import (
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/hutchctr/hutch/pkg/errdefs"
)

// BridgeConfig describes a network's bridge.
type BridgeConfig struct {
	// Name is the bridge's interface name (hutch0…). Required.
	Name string
	// Addrs are the gateway addresses with their subnets' prefix lengths.
	Addrs []netip.Prefix
	// MTU is set when the bridge is created (0: the kernel's 1500).
	MTU int
}

// EnsureBridge creates the bridge unless it exists, gives it its
// addresses, brings it up and enables forwarding in the namespace and
// route_localnet on the bridge (so that connections to a published port on
// 127.0.0.1, DNATed to a container, may leave through it). It is
// idempotent and safe against a concurrent caller.
func (n *Namespace) EnsureBridge(c BridgeConfig) error {
	br, err := n.ensureBridgeLink(c)
	if err != nil {
		return err
	}
	for _, a := range c.Addrs {
		if err := n.nl.AddrReplace(br, nlAddr(a)); err != nil {
			return fmt.Errorf("bridge %s: address %s: %w", c.Name, a, err)
		}
	}
	if err := n.nl.LinkSetUp(br); err != nil {
		return fmt.Errorf("bridge %s: up: %w", c.Name, err)
	}
	if err := n.SetSysctl("net/ipv4/ip_forward", "1"); err != nil {
		return fmt.Errorf("bridge %s: %w", c.Name, err)
	}
	if err := n.SetSysctl("net/ipv4/conf/"+c.Name+"/route_localnet", "1"); err != nil {
		return fmt.Errorf("bridge %s: %w", c.Name, err)
	}
	for _, a := range c.Addrs {
		if a.Addr().Is6() {
			if err := n.SetSysctl("net/ipv6/conf/all/forwarding", "1"); err != nil {
				return fmt.Errorf("bridge %s: %w", c.Name, err)
			}
			break
		}
	}
	return nil
}

func (n *Namespace) ensureBridgeLink(c BridgeConfig) (netlink.Link, error) {
	for attempt := 0; attempt < 2; attempt++ {
		l, err := n.nl.LinkByName(c.Name)
		if err == nil {
			if l.Type() != "bridge" {
				return nil, errdefs.Errorf(errdefs.ErrConflict, "interface %s exists and is a %s, not a bridge: remove it or choose another interface name", c.Name, l.Type())
			}
			return l, nil
		}
		if !isNotFound(err) {
			return nil, fmt.Errorf("bridge %s: %w", c.Name, err)
		}
		// A fixed MAC address: a bridge otherwise takes the lowest of its
		// ports', which changes as containers come and go and makes the
		// gateway's neighbours relearn it.
		attrs := netlink.LinkAttrs{Name: c.Name, MTU: c.MTU, HardwareAddr: randomMAC()}
		// EEXIST: a concurrent caller created it; look it up again.
		if err := n.nl.LinkAdd(&netlink.Bridge{LinkAttrs: attrs}); err != nil && !errors.Is(err, unix.EEXIST) {
			return nil, fmt.Errorf("bridge %s: create: %w", c.Name, err)
		}
	}
	return nil, fmt.Errorf("bridge %s: created but not found", c.Name)
}

// DeleteBridge removes the bridge (and with it its ports' attachment); a
// missing bridge is no error.
func (n *Namespace) DeleteBridge(name string) error {
	l, err := n.nl.LinkByName(name)
	if err != nil {
		if isNotFound(err) {
			return nil
		}
		return fmt.Errorf("bridge %s: %w", name, err)
	}
	if l.Type() != "bridge" {
		return errdefs.Errorf(errdefs.ErrConflict, "interface %s is a %s, not a bridge: left alone", name, l.Type())
	}
	if err := n.nl.LinkDel(l); err != nil && !isNotFound(err) {
		return fmt.Errorf("bridge %s: delete: %w", name, err)
	}
	return nil
}

// nlAddr converts a prefix to a netlink address. IPv6 gateways skip
// duplicate address detection, which would keep them unusable ("tentative")
// for a second or more after every start.
func nlAddr(p netip.Prefix) *netlink.Addr {
	a := &netlink.Addr{IPNet: &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}}
	if p.Addr().Is6() {
		a.Flags = unix.IFA_F_NODAD
	}
	return a
}

// randomMAC returns a random locally administered unicast MAC address.
func randomMAC() net.HardwareAddr {
	m := make(net.HardwareAddr, 6)
	_, _ = rand.Read(m) // crypto/rand.Read never fails on Linux
	m[0] = m[0]&0xfe | 0x02
	return m
}

// Route is a route of the namespace's main table.
type Route struct {
	Dst netip.Prefix
	Dev string
}

// Routes lists the main table's unicast routes, IPv4 and IPv6 (default
// routes included, as 0.0.0.0/0 and ::/0).
func (n *Namespace) Routes() ([]Route, error) {
	rs, err := retryDump(func() ([]netlink.Route, error) { return n.nl.RouteList(nil, netlink.FAMILY_ALL) })
	if err != nil {
		return nil, fmt.Errorf("list routes: %w", err)
	}
	names := map[int]string{}
	var out []Route
	for _, r := range rs {
		if r.Type != unix.RTN_UNICAST {
			continue
		}
		dst := netip.PrefixFrom(netip.IPv4Unspecified(), 0)
		if r.Family == netlink.FAMILY_V6 {
			dst = netip.PrefixFrom(netip.IPv6Unspecified(), 0)
		}
		if r.Dst != nil {
			a, _ := netip.AddrFromSlice(r.Dst.IP)
			ones, _ := r.Dst.Mask.Size()
			dst = netip.PrefixFrom(a.Unmap(), ones)
		}
		if dst.Addr().Is6() && dst.Addr().IsLinkLocalUnicast() {
			continue
		}
		dev, ok := names[r.LinkIndex]
		if !ok && r.LinkIndex > 0 {
			if l, err := n.nl.LinkByIndex(r.LinkIndex); err == nil {
				dev = l.Attrs().Name
			}
			names[r.LinkIndex] = dev
		}
		out = append(out, Route{Dst: dst, Dev: dev})
	}
	return out, nil
}

// HasLink reports whether the namespace has an interface named name.
func (n *Namespace) HasLink(name string) bool {
	_, err := n.nl.LinkByName(name)
	return err == nil
}
