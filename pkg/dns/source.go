package dns

import (
	"context"
	"fmt"

	"github.com/hutchctr/hutch/pkg/errdefs"
	"github.com/hutchctr/hutch/pkg/network"
	"github.com/hutchctr/hutch/pkg/state"
)

// stateSource reads a network's attached containers from hutch's state on
// every call: the network's endpoint records (written by the monitor's
// network setup, removed at teardown), filtered by the containers' monitor
// locks, and the containers' records for their status.
type stateSource struct {
	network string
	id      string // the network's ID: another one means it was replaced
	nets    *network.Store
	ctrs    *state.Store
}

// newStateSource opens the stores of dataDir and runDir for network.
func newStateSource(name, id, dataDir, runDir string) (*stateSource, error) {
	ctrs, err := state.Open(dataDir, runDir)
	if err != nil {
		return nil, err
	}
	alive := func(id string) bool {
		ok, err := ctrs.MonitorAlive(id)
		// An unreadable lock counts as alive: better a name that resolves
		// a little too long than a responder that leaves too early.
		return ok || err != nil
	}
	nets, err := network.Open(dataDir, network.Options{Alive: alive})
	if err != nil {
		return nil, err
	}
	return &stateSource{network: name, id: id, nets: nets, ctrs: ctrs}, nil
}

// Entries implements Source. A removed network is ErrNotFound.
func (s *stateSource) Entries(context.Context) ([]Entry, error) {
	// A network removed, or removed and created again under the same name
	// (another ID, maybe another subnet), is not this responder's any more.
	n, err := s.nets.Get(s.network)
	if err != nil {
		return nil, err
	}
	if s.id != "" && n.ID != s.id {
		return nil, fmt.Errorf("network %s was replaced: %w", s.network, errdefs.ErrNotFound)
	}
	eps, err := s.nets.Endpoints(s.network)
	if err != nil {
		return nil, err
	}
	out := make([]Entry, 0, len(eps))
	for _, ep := range eps {
		e := Entry{ID: ep.ContainerID}
		if ep.Name != "" {
			e.Names = append(e.Names, ep.Name)
		}
		e.Names = append(e.Names, ep.Aliases...)
		if len(ep.ContainerID) >= 12 {
			e.Names = append(e.Names, ep.ContainerID[:12])
		}
		for _, p := range ep.Addrs {
			e.Addrs = append(e.Addrs, p.Addr())
		}
		if c, err := s.ctrs.Get(ep.ContainerID); err == nil {
			e.Running = c.State.Status.Active()
		}
		out = append(out, e)
	}
	return out, nil
}
