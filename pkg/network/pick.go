package network

import (
	"fmt"
	"net/netip"

	"github.com/hutchctr/hutch/pkg/errdefs"
)

// ownDevices returns the interfaces of hutch's bridge networks: routes
// through them are hutch's own and never conflict with a new network (its
// subnets are compared with the networks themselves).
func ownDevices(others []*Network) map[string]bool {
	own := map[string]bool{}
	for _, x := range others {
		if x.Driver == DriverBridge && x.Interface != "" {
			own[x.Interface] = true
		}
	}
	return own
}

// pickInterface checks n's bridge name, or gives it the lowest free
// hutchN (N ≥ 1; hutch0 is the default network's).
func pickInterface(n *Network, others []*Network, routes []Route) error {
	used := map[string]string{}
	for _, x := range others {
		if x.Interface != "" {
			used[x.Interface] = fmt.Sprintf("network %q", x.Name)
		}
	}
	own := ownDevices(others)
	for _, r := range routes {
		if r.Dev != "" && !own[r.Dev] {
			used[r.Dev] = "an interface of the host"
		}
	}
	if n.Interface != "" {
		if who, ok := used[n.Interface]; ok {
			return errdefs.Errorf(errdefs.ErrAlreadyExists, "network %q: interface %s is already used by %s", n.Name, n.Interface, who)
		}
		return nil
	}
	if n.Name == DefaultName {
		n.Interface = DefaultInterface
		return nil
	}
	for i := 1; i < 100000; i++ {
		name := fmt.Sprintf("hutch%d", i)
		if _, ok := used[name]; !ok {
			n.Interface = name
			return nil
		}
	}
	return errdefs.Errorf(errdefs.ErrConflict, "network %q: no free bridge name", n.Name)
}

// pickSubnet gives n the first free /24 from 10.89.0.0 up, as Podman does.
func pickSubnet(n *Network, others []*Network, routes []Route) error {
	for b := 89; b < 256; b++ {
		for c := 0; c < 256; c++ {
			p := netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(b), byte(c), 0}), 24)
			if overlapNetwork(p, n.Name, others) == nil && overlapRoute(p, others, routes) == nil {
				s := Subnet{Subnet: p}
				if err := s.normalize(); err != nil {
					return err
				}
				n.Subnets = []Subnet{s}
				return nil
			}
		}
	}
	return errdefs.Errorf(errdefs.ErrConflict, "network %q: no free subnet in 10.89.0.0-10.255.255.0/24: pass --subnet", n.Name)
}

// checkOverlaps refuses a subnet of n that overlaps another network's or,
// for a bridge, a route of the bridge's namespace.
func checkOverlaps(n *Network, others []*Network, routes []Route) error {
	for _, s := range n.Subnets {
		if x := overlapNetwork(s.Subnet, n.Name, others); x != nil {
			return errdefs.Errorf(errdefs.ErrInvalidArgument, "network %q: subnet %s overlaps subnet %s of network %q", n.Name, s.Subnet, x.sub, x.name)
		}
		if n.Driver != DriverBridge {
			continue // a macvlan subnet is the parent's own LAN: its route is expected
		}
		if r := overlapRoute(s.Subnet, others, routes); r != nil {
			return errdefs.Errorf(errdefs.ErrInvalidArgument, "network %q: subnet %s overlaps the route to %s (dev %s) in the bridge's network namespace", n.Name, s.Subnet, r.Dst, r.Dev)
		}
	}
	return nil
}

type overlap struct {
	name string
	sub  netip.Prefix
}

func overlapNetwork(p netip.Prefix, self string, others []*Network) *overlap {
	for _, x := range others {
		if x.Name == self {
			continue
		}
		for _, s := range x.Subnets {
			if s.Subnet.Overlaps(p) {
				return &overlap{x.Name, s.Subnet}
			}
		}
	}
	return nil
}

func overlapRoute(p netip.Prefix, others []*Network, routes []Route) *Route {
	own := ownDevices(others)
	for i, r := range routes {
		if r.Dst.Bits() == 0 || own[r.Dev] || !r.Dst.IsValid() {
			continue // default routes cover everything; hutch's own bridges were compared as networks
		}
		if r.Dst.Overlaps(p) {
			return &routes[i]
		}
	}
	return nil
}
