package network

import (
	"context"
	"errors"
	"fmt"

	"github.com/hutchctr/hutch/pkg/bridge"
	"github.com/hutchctr/hutch/pkg/errdefs"
)

// Connect wires one more network into a running container (`network
// connect`): p.Attachments[i], whose interface is p.IfName(i); the others
// are wired already. It gets no default route (the container has one) and
// no published ports. It fills in the attachment and returns the Result
// for it (keep it for a DHCP lease).
func (m *Manager) Connect(ctx context.Context, p *Plan, i, initPid int) (*Result, error) {
	if i < 0 || i >= len(p.Attachments) {
		return nil, errdefs.Errorf(errdefs.ErrInvalidArgument, "attachment %d of %d", i, len(p.Attachments))
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	one := *p
	one.Attachments = []Attachment{p.Attachments[i]}
	one.Attachments[0].Interface = p.IfName(i)
	one.Ports = nil
	nets, err := m.Store.Resolve(&one)
	if err != nil {
		return nil, err
	}
	host, err := bridge.Open(p.HostNetNS)
	if err != nil {
		return nil, err
	}
	defer host.Close()
	// route: the default route is taken, by the networks wired at start.
	s := &setup{m: m, p: &one, host: host, res: &Result{}, ctrNS: containerNS(initPid), route: true}
	if err := s.run(ctx, nets); err != nil {
		s.res.closeLeases()
		s.undo.run()
		return nil, err
	}
	p.Attachments[i] = one.Attachments[0]
	s.res.Attachments = one.Attachments
	return s.res, nil
}

// Disconnect removes a network from a running container (`network
// disconnect`): its interface, addresses and endpoint. Its DHCP lease, if
// any, is the Result's that Connect or Setup returned (Close it first).
func (m *Manager) Disconnect(ctx context.Context, p *Plan, network string, initPid int) error {
	idx := -1
	for i, a := range p.Attachments {
		if a.Network == network {
			idx = i
		}
	}
	if idx < 0 {
		return fmt.Errorf("container %s is not connected to network %q: %w", shortID(p.ContainerID), network, errdefs.ErrNotFound)
	}
	// Deleting the container's end of a veth deletes the host's end too.
	err := bridge.DetachIface(containerNS(initPid), p.IfName(idx))
	_, rerr := m.Store.Release(network, p.ContainerID)
	return errors.Join(err, rerr, m.Store.RemoveEndpoint(network, p.ContainerID))
}
