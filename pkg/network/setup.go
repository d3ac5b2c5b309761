package network

import (
	"context"
	"fmt"
	"net"
	"net/netip"

	"github.com/hutchctr/hutch/pkg/bridge"
	"github.com/hutchctr/hutch/pkg/errdefs"
	"github.com/hutchctr/hutch/pkg/slirp"
)

// rootlessMTU is slirp4netns's MTU, which rootless bridges use too.
const rootlessMTU = slirp.MTU

// Setup wires the container whose init has pid initPid (waiting, its
// network namespace made) as p says: for each attachment it allocates
// addresses, ensures the network's bridge and firewall rules, and creates
// the container's interface (a veth on the bridge, or a macvlan or ipvlan
// link, with static or DHCP addresses); it records the endpoint, publishes
// the ports (DNAT rules, or the PortForwarder rootless) and starts the DNS
// responders. It fills in p's attachments (addresses, MACs, gateways) and
// host ports. On failure it undoes what it did. The caller keeps the
// Result: Maintain renews DHCP leases, Close releases them.
func (m *Manager) Setup(ctx context.Context, p *Plan, initPid int) (*Result, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	nets, err := m.Store.Resolve(p)
	if err != nil {
		return nil, err
	}
	host, err := bridge.Open(p.HostNetNS)
	if err != nil {
		return nil, err
	}
	defer host.Close()
	s := &setup{m: m, p: p, host: host, res: &Result{}, ctrNS: containerNS(initPid)}
	if err := s.run(ctx, nets); err != nil {
		s.res.closeLeases()
		s.undo.run()
		return nil, err
	}
	s.res.Attachments, s.res.Ports = p.Attachments, p.Ports
	return s.res, nil
}

// setup is one Setup in progress.
type setup struct {
	m     *Manager
	p     *Plan
	host  *bridge.Namespace
	res   *Result
	ctrNS string
	undo  undo
	route bool // the default route is taken
}

func (s *setup) run(ctx context.Context, nets []*Network) error {
	for i, n := range nets {
		a := &s.p.Attachments[i]
		route := !n.Internal && !s.route
		var err error
		switch n.Driver {
		case DriverBridge:
			err = s.attachBridge(n, a, s.p.IfName(i), route)
		default:
			err = s.attachLower(ctx, n, a, s.p.IfName(i), route)
		}
		if err != nil {
			return fmt.Errorf("network %q: %w", n.Name, err)
		}
		s.route = s.route || route && len(a.Addrs) > 0
		if err := s.recordEndpoint(n, a, s.p.IfName(i), route); err != nil {
			return err
		}
	}
	if err := s.allowHostLoopback(); err != nil {
		return err
	}
	if err := s.publish(ctx, nets); err != nil {
		return err
	}
	if s.m.DNS == nil {
		return nil
	}
	// Last: the responder must find the endpoints and allocations.
	for _, n := range nets {
		if n.DNSEnabled {
			if err := s.m.DNS.EnsureResponder(ctx, *n, s.p.HostNetNS); err != nil {
				return fmt.Errorf("network %q: dns: %w", n.Name, err)
			}
		}
	}
	return nil
}

// mtu is the MTU of n's bridge and of interfaces on it.
func (s *setup) mtu(n *Network) int {
	switch {
	case s.p.MTU > 0:
		return s.p.MTU
	case n.MTU() > 0:
		return n.MTU()
	case s.p.Rootless && n.Driver == DriverBridge:
		return rootlessMTU
	}
	return 0
}

// allocate takes the container's addresses on n (undone on failure).
func (s *setup) allocate(n *Network, a *Attachment) ([]netip.Prefix, error) {
	addrs, err := s.m.Store.Allocate(n, s.p.ContainerID, a.IP)
	if err != nil {
		return nil, err
	}
	id := s.p.ContainerID
	s.undo.add(func() { s.m.Store.Release(n.Name, id) })
	return addrs, nil
}

func gatewaysOf(n *Network, route bool) []netip.Addr {
	if !route {
		return nil
	}
	var gws []netip.Addr
	for _, sub := range n.Subnets {
		gws = append(gws, sub.Gateway)
	}
	return gws
}

func (s *setup) attachBridge(n *Network, a *Attachment, ifname string, route bool) error {
	addrs, err := s.allocate(n, a)
	if err != nil {
		return err
	}
	if err := s.ensureNetwork(n); err != nil {
		return err
	}
	mac, err := requestedMAC(a)
	if err != nil {
		return err
	}
	veth := bridge.VethName(s.p.ContainerID, n.Name)
	got, err := s.host.AttachVeth(n.Interface, veth, bridge.Iface{
		ContainerNS: s.ctrNS, Name: ifname, MAC: mac, Addrs: addrs, Gateways: gatewaysOf(n, route), MTU: s.mtu(n),
	})
	if err != nil {
		return err
	}
	s.undo.add(func() { s.host.DetachVeth(veth) })
	a.Addrs, a.MAC = addrs, got.String()
	return nil
}

// ensureNetwork creates n's bridge and rules unless they exist, under the
// network's lock.
func (s *setup) ensureNetwork(n *Network) error {
	l, err := s.m.Store.LockNetwork(n.Name)
	if err != nil {
		return err
	}
	defer l.Unlock()
	if s.p.Rootless {
		// Before the first container on the bridge can send anything.
		if err := s.host.GuardHostLoopback(SlirpHost); err != nil {
			return err
		}
	}
	if err := s.host.EnsureBridge(bridge.BridgeConfig{Name: n.Interface, Addrs: n.Gateways(), MTU: s.mtu(n)}); err != nil {
		return err
	}
	var subnets []netip.Prefix
	for _, sub := range n.Subnets {
		subnets = append(subnets, sub.Subnet)
	}
	return s.host.EnsureNetworkRules(bridge.NetworkRules{Network: n.Name, Bridge: n.Interface, Subnets: subnets, Internal: n.Internal})
}

// allowHostLoopback makes the holder's firewall let the container reach
// the host's loopback, when its plan asks for it (rootless only).
func (s *setup) allowHostLoopback() error {
	if !s.p.Rootless || !s.p.AllowHostLoopback {
		return nil
	}
	var addrs []netip.Addr
	for _, a := range s.p.Attachments {
		for _, p := range a.Addrs {
			addrs = append(addrs, p.Addr())
		}
	}
	if err := s.host.AllowHostLoopback(s.p.ContainerID, addrs, SlirpHost); err != nil {
		return err
	}
	id := s.p.ContainerID
	s.undo.add(func() { s.host.DisallowHostLoopback(id) })
	return nil
}

func requestedMAC(a *Attachment) (net.HardwareAddr, error) {
	if a.MAC == "" {
		return nil, nil
	}
	return ParseMAC(a.MAC)
}

// attachLower gives the container a macvlan or ipvlan link on n's
// parent, with static addresses or a DHCP lease.
func (s *setup) attachLower(ctx context.Context, n *Network, a *Attachment, ifname string, route bool) error {
	if s.p.Rootless {
		return errdefs.Errorf(errdefs.ErrPermission, "%s networks need root: the parent interface is in the host's network namespace", n.Driver)
	}
	mac, err := requestedMAC(a)
	if err != nil {
		return err
	}
	c := bridge.Iface{ContainerNS: s.ctrNS, Name: ifname, MAC: mac, MTU: s.mtu(n)}
	if n.IPAMDriver != IPAMDHCP {
		if c.Addrs, err = s.allocate(n, a); err != nil {
			return err
		}
		c.Gateways = gatewaysOf(n, route)
	}
	lw := bridge.Lower{Kind: n.Driver, Parent: n.Options[OptParent], Mode: n.Options[OptMode]}
	got, err := s.host.AttachLower(lw, c)
	if err != nil {
		return err
	}
	ctrNS := s.ctrNS
	s.undo.add(func() { bridge.DetachIface(ctrNS, ifname) })
	a.Addrs, a.MAC = c.Addrs, got.String()
	if n.IPAMDriver == IPAMDHCP {
		return s.lease(ctx, n, a, ifname, route)
	}
	return nil
}

// lease acquires a DHCP lease for the interface and configures it. The
// Result keeps the container's namespace open, so that the lease can be
// released after the container exits.
func (s *setup) lease(ctx context.Context, n *Network, a *Attachment, ifname string, route bool) error {
	if err := s.res.holdNS(s.ctrNS); err != nil {
		return err
	}
	c, err := bridge.NewDHCPClient(s.res.nsPath(), ifname)
	if err != nil {
		return err
	}
	l, err := c.Acquire(ctx)
	if err != nil {
		c.Close()
		return err
	}
	d := &dhcpLease{network: n.Name, ifname: ifname, client: c, lease: l, route: route}
	s.res.leases = append(s.res.leases, d)
	if err := bridge.SetAddrs(s.res.nsPath(), ifname, nil, []netip.Prefix{l.Addr}, d.gateways()); err != nil {
		return err
	}
	a.Addrs, a.Gateway = []netip.Prefix{l.Addr}, l.Router
	return nil
}

func (s *setup) recordEndpoint(n *Network, a *Attachment, ifname string, route bool) error {
	e := Endpoint{ContainerID: s.p.ContainerID, Name: s.p.ContainerName, Aliases: a.Aliases, Interface: ifname, MAC: a.MAC, Addrs: a.Addrs}
	if route {
		e.Gateway = a.Gateway
	}
	if err := s.m.Store.WriteEndpoint(n.Name, e); err != nil {
		return err
	}
	id := s.p.ContainerID
	s.undo.add(func() { s.m.Store.RemoveEndpoint(n.Name, id) })
	return nil
}
