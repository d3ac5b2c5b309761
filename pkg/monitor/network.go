package monitor

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/hutchctr/hutch/pkg/netsetup"
	"github.com/hutchctr/hutch/pkg/network"
	"github.com/hutchctr/hutch/pkg/state"
)

// wiring is a container's network while its monitor runs.
type wiring struct {
	mgr    *network.Manager
	plan   *network.Plan
	res    *network.Result
	cancel context.CancelFunc // stops DHCP renewals
}

// wireNetwork connects the container whose init (pid, waiting before exec)
// has its own network namespace to the networks of its plan, and writes
// the container's /etc/hosts and /etc/resolv.conf to match. On failure
// nothing of it stays (Setup rolls back).
func (m *monitor) wireNetwork(pid int) (*wiring, error) {
	if m.cfg.NetworkPlan == "" {
		return nil, nil
	}
	plan, err := network.ReadPlan(m.cfg.NetworkPlan)
	if err != nil {
		return nil, err
	}
	mgr, _, err := netsetup.New(netsetup.Options{
		DataDir: m.cfg.DataDir, RunDir: m.cfg.RunDir, Rootless: m.cfg.Rootless, LogLevel: m.cfg.LogLevel,
		Alive: m.alive,
	})
	if err != nil {
		return nil, err
	}
	ctx := context.Background()
	res, err := mgr.Setup(ctx, plan, pid)
	if err != nil {
		return nil, err // it names the network
	}
	w := &wiring{mgr: mgr, plan: plan, res: res}
	// The plan now holds the addresses and host ports: whoever tears the
	// network down after a crash of this monitor reads it from here.
	if err := network.WritePlan(m.cfg.NetworkPlan, plan); err != nil {
		m.unwire(w)
		return nil, err
	}
	if err := m.writeNetworkFiles(plan); err != nil {
		m.unwire(w)
		return nil, err
	}
	if res.HasLeases() {
		var rctx context.Context
		rctx, w.cancel = context.WithCancel(ctx)
		go res.Maintain(rctx)
	}
	return w, nil
}

// writeNetworkFiles rewrites the container's /etc/hosts and
// /etc/resolv.conf in place: they are bind-mounted already, so the files
// must keep their inodes.
func (m *monitor) writeNetworkFiles(plan *network.Plan) error {
	hostResolv, err := os.ReadFile("/etc/resolv.conf")
	if err != nil {
		hostResolv = nil
	}
	dir := m.store.Dir(m.cfg.ID)
	files := map[string][]byte{
		"hosts":       network.Hosts(plan),
		"resolv.conf": network.ResolvConf(plan, hostResolv),
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return fmt.Errorf("write the container's /etc/%s: %w", name, err)
		}
	}
	return nil
}

// unwire disconnects the container from its networks: DHCP leases are
// released, then Teardown.
func (m *monitor) unwire(w *wiring) {
	if later := m.release(w); later != nil {
		later()
	}
}

// release frees the container's ports, addresses and names, and returns
// what is left to do (deleting its links, nil if nothing): the monitor
// does that after `run` got the exit code.
func (m *monitor) release(w *wiring) (later func()) {
	if w == nil {
		return nil
	}
	if w.cancel != nil {
		w.cancel()
	}
	w.res.Close()
	// The plan file is current: `network connect` and `disconnect` of the
	// running container rewrite it.
	plan := w.plan
	if p, err := network.ReadPlan(m.cfg.NetworkPlan); err == nil {
		plan = p
	}
	if err := w.mgr.Release(context.Background(), plan); err != nil {
		m.log.Warn("network teardown", "err", err)
	}
	return func() {
		if err := w.mgr.DetachLinks(plan); err != nil {
			m.log.Warn("network teardown: links", "err", err)
		}
	}
}

// alive reports whether a container's monitor runs.
func (m *monitor) alive(id string) bool {
	ok, err := m.store.MonitorAlive(id)
	return err == nil && ok
}

// recordNetwork records the container's addresses and ports in its state.
func recordNetwork(h *state.Handle, w *wiring) error {
	if w == nil {
		return nil
	}
	return h.Update(func(s *state.State) error {
		s.Networks, s.Ports = w.res.Attachments, w.res.Ports
		return nil
	})
}
