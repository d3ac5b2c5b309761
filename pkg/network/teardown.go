package network

import (
	"context"
	"errors"

	"github.com/hutchctr/hutch/pkg/bridge"
)

// Teardown undoes Setup for p's container, whether or not Setup ran to
// the end or in this process (a later command reconciling after the
// monitor was killed): it unpublishes the ports, deletes the veths,
// releases the addresses and removes the endpoints. Everything it deletes
// is found from the plan and the container ID alone; what is already gone
// is no error. A macvlan or ipvlan link dies with the container's
// namespace; DHCP leases are the Result's (Close). Bridges and network
// rules stay until the network is removed.
func (m *Manager) Teardown(ctx context.Context, p *Plan) error {
	var errs []error
	host, err := bridge.Open(p.HostNetNS)
	if err != nil {
		errs = append(errs, err)
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
		if host != nil {
			errs = append(errs, host.DetachVeth(bridge.VethName(p.ContainerID, a.Network)))
		}
		if _, err := m.Store.Release(a.Network, p.ContainerID); err != nil {
			errs = append(errs, err)
		}
		errs = append(errs, m.Store.RemoveEndpoint(a.Network, p.ContainerID))
	}
	if host != nil {
		host.Close()
	}
	return errors.Join(errs...)
}
