package network

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/hutchctr/hutch/pkg/bridge"
	"github.com/hutchctr/hutch/pkg/errdefs"
)

// portNS is where p's host ports are: rootless, the caller's namespace
// (the user's host namespace, where rootlesskit's port driver listens);
// root, the bridges' (where the DNAT rules are).
func portNS(p *Plan) string {
	if p.Rootless {
		return ""
	}
	return p.HostNetNS
}

// AssignHostPorts gives p's mappings without a host port a free one, and
// checks the others: rootless, that they are not below the namespace's
// net.ipv4.ip_unprivileged_port_start (ErrPermission, saying how to change
// it); that no process holds them (a *bridge.PortInUseError naming the
// holder where it can); as root, that no other container publishes them
// (a *bridge.PortConflictError). The engine may call it at create, so that
// inspect shows the ports; Setup calls it again.
func (m *Manager) AssignHostPorts(p *Plan) error {
	if len(p.Ports) == 0 {
		return nil
	}
	ns, err := bridge.Open(portNS(p))
	if err != nil {
		return err
	}
	defer ns.Close()
	var published []bridge.Published
	start := 0
	if p.Rootless {
		if start, err = ns.UnprivilegedPortStart(); err != nil {
			return err
		}
	} else if published, err = ns.Published(); err != nil {
		return err
	}
	clash := func(i int, proto string, ip netip.Addr, port uint16) error {
		for _, pub := range published {
			if pub.ContainerID != p.ContainerID && pub.Proto == proto && pub.HostPort == port &&
				(!pub.HostIP.IsValid() || !ip.IsValid() || pub.HostIP == ip) {
				return &bridge.PortConflictError{Published: pub}
			}
		}
		for j, o := range p.Ports {
			if j != i && o.HostPort == port && o.Protocol == proto && (!o.HostIP.IsValid() || !ip.IsValid() || o.HostIP == ip) {
				return errdefs.Errorf(errdefs.ErrInvalidArgument, "host port %d/%s is published twice", port, proto)
			}
		}
		return nil
	}
	for i := range p.Ports {
		mp := &p.Ports[i]
		if mp.HostPort == 0 {
			if mp.HostPort, err = pickPort(ns, mp, func(port uint16) bool { return clash(i, mp.Protocol, mp.HostIP, port) == nil && int(port) >= start }); err != nil {
				return err
			}
			continue
		}
		if int(mp.HostPort) < start {
			return errdefs.Errorf(errdefs.ErrPermission, "host port %d/%s is privileged: rootless hutch can only publish ports from %d up (net.ipv4.ip_unprivileged_port_start); use a higher port, or let users bind it: sudo sysctl net.ipv4.ip_unprivileged_port_start=%d", mp.HostPort, mp.Protocol, start, mp.HostPort)
		}
		if err := clash(i, mp.Protocol, mp.HostIP, mp.HostPort); err != nil {
			return err
		}
		if err := ns.CheckPortFree(mp.Protocol, mp.HostIP, mp.HostPort); err != nil {
			return err
		}
	}
	return nil
}

// pickPort asks the kernel for free ports until one is acceptable.
func pickPort(ns *bridge.Namespace, mp *PortMapping, ok func(uint16) bool) (uint16, error) {
	for try := 0; try < 50; try++ {
		port, err := ns.FreePort(mp.Protocol, mp.HostIP)
		if err != nil {
			return 0, err
		}
		if ok(port) {
			return port, nil
		}
	}
	return 0, errdefs.Errorf(errdefs.ErrConflict, "no free host port for container port %d/%s", mp.ContainerPort, mp.Protocol)
}

// publish publishes p's ports to the container's IPv4 address on its
// first bridge network.
func (s *setup) publish(ctx context.Context, nets []*Network) error {
	p := s.p
	if len(p.Ports) == 0 {
		return nil
	}
	var target netip.Addr
	for i, n := range nets {
		for _, a := range p.Attachments[i].Addrs {
			if n.Driver == DriverBridge && a.Addr().Is4() && !target.IsValid() {
				target = a.Addr()
			}
		}
	}
	if !target.IsValid() {
		return errdefs.Errorf(errdefs.ErrInvalidArgument, "published ports need an IPv4 bridge network: the container is on none")
	}
	l, err := s.m.Store.lockPorts()
	if err != nil {
		return err
	}
	defer l.Unlock()
	if err := s.m.AssignHostPorts(p); err != nil {
		return err
	}
	id := p.ContainerID
	if p.Rootless {
		if s.m.Ports == nil {
			return errdefs.Errorf(errdefs.ErrNotImplemented, "rootless port publishing is not available (no port forwarder)")
		}
		fwd := make([]ForwardedPort, len(p.Ports))
		for i, mp := range p.Ports {
			fwd[i] = ForwardedPort{PortMapping: mp, ContainerIP: target}
		}
		if err := s.m.Ports.AddPorts(ctx, id, fwd); err != nil {
			return fmt.Errorf("publish ports: %w", err)
		}
		s.undo.add(func() { s.m.Ports.RemovePorts(context.WithoutCancel(ctx), id) })
		return nil
	}
	rules := make([]bridge.PortRule, len(p.Ports))
	for i, mp := range p.Ports {
		rules[i] = bridge.PortRule{Proto: mp.Protocol, HostIP: mp.HostIP, HostPort: mp.HostPort, ContainerIP: target, ContainerPort: mp.ContainerPort}
	}
	if err := s.host.Publish(id, rules); err != nil {
		return err
	}
	s.undo.add(func() { s.host.Unpublish(id) })
	return nil
}
