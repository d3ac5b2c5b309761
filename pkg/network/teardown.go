package network

import (
	"context"
	"errors"

	"github.com/hutchctr/hutch/pkg/bridge"
)

// Teardown undoes Setup for p's container, whether or not Setup ran to
// the end or in this process (a later command reconciling after the
// monitor was killed): Release, then DetachLinks. Everything it deletes
// is found from the plan and the container ID alone; what is already gone
// is no error. A macvlan or ipvlan link dies with the container's
// namespace; DHCP leases are the Result's (Close). Bridges and network
// rules stay until the network is removed.
func (m *Manager) Teardown(ctx context.Context, p *Plan) error {
	return errors.Join(m.Release(ctx, p), m.DetachLinks(p))
}

// Release frees what another container may ask for next: it unpublishes
// the ports, removes the host-loopback exception, releases the addresses
// and removes the endpoints (so names stop resolving and the network is no
// longer in use). It is quick; DetachLinks is not.
func (m *Manager) Release(ctx context.Context, p *Plan) error {
	var errs []error
	host, err := bridge.Open(p.HostNetNS)
	if err != nil {
		errs = append(errs, err)
	} else {
		defer host.Close()
	}
	if len(p.Ports) > 0 {
		switch {
		case p.Rootless && m.Ports != nil:
			errs = append(errs, m.Ports.RemovePorts(ctx, p.ContainerID))
		case !p.Rootless && host != nil:
			errs = append(errs, host.Unpublish(p.ContainerID))
		}
	}
	if p.Rootless && p.AllowHostLoopback && host != nil {
		errs = append(errs, host.DisallowHostLoopback(p.ContainerID))
	}
	for _, a := range p.Attachments {
		if _, err := m.Store.Release(a.Network, p.ContainerID); err != nil {
			errs = append(errs, err)
		}
		errs = append(errs, m.Store.RemoveEndpoint(a.Network, p.ContainerID))
	}
	return errors.Join(errs...)
}

// DetachLinks deletes the container's veths. Deleting a link makes the
// kernel wait for an RCU grace period, 10 to 30 ms each here, which is why
// the monitor does it after telling `run` the exit code. The addresses
// may be reused before: AttachVeth forgets the bridge's neighbour entry
// of the address it assigns.
func (m *Manager) DetachLinks(p *Plan) error {
	host, err := bridge.Open(p.HostNetNS)
	if err != nil {
		return err
	}
	defer host.Close()
	var errs []error
	for _, a := range p.Attachments {
		errs = append(errs, host.DetachVeth(bridge.VethName(p.ContainerID, a.Network)))
	}
	return errors.Join(errs...)
}
