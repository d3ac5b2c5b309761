package engine

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/hutchctr/hutch/pkg/errdefs"
	hlog "github.com/hutchctr/hutch/pkg/log"
	"github.com/hutchctr/hutch/pkg/network"
	"github.com/hutchctr/hutch/pkg/state"
)

// NetworkConnectOptions are the settings of `hutch network connect`.
type NetworkConnectOptions struct {
	// Aliases are DNS names of the container on the network.
	Aliases []string
	// IP and MAC request the container's address and MAC address there.
	IP, MAC string
}

// ConnectNetwork attaches a container to one more network. A container
// that does not run gets the network at its next start; a running one
// gets an interface on it now, and its /etc/hosts and /etc/resolv.conf are
// rewritten.
func (e *Engine) ConnectNetwork(ctx context.Context, netRef, ctrRef string, o NetworkConnectOptions) error {
	mgr, _, err := e.networks(ctx)
	if err != nil {
		return err
	}
	n, err := mgr.Store.Get(netRef)
	if err != nil {
		return err
	}
	a, err := connectAttachment(n, o)
	if err != nil {
		return err
	}
	h, err := e.lockNetworked(ctx, ctrRef)
	if err != nil {
		return err
	}
	defer h.Unlock()
	if onNetwork(h.Config.Network, n.Name) {
		return errdefs.Errorf(errdefs.ErrAlreadyExists, "container %s is already connected to network %q", h.Config.Name, n.Name)
	}
	running := h.State.Status.Active()
	if running && n.IPAMDriver == network.IPAMDHCP {
		// The lease would need renewing by a process that outlives this
		// command: the monitor, which takes leases only at start.
		return errdefs.Errorf(errdefs.ErrNotImplemented, "network %q uses DHCP: connect container %s while it is stopped", n.Name, h.Config.Name)
	}
	old := h.Config.Network
	if err := h.UpdateNetwork(func(cfg *state.Config) error {
		p := *cfg.Network
		p.Attachments = append(slices.Clone(p.Attachments), a)
		cfg.Network = &p
		return nil
	}); err != nil {
		return err
	}
	if !running {
		return nil
	}
	if err := e.hotConnect(ctx, mgr, h, a); err != nil {
		if rerr := h.UpdateNetwork(func(cfg *state.Config) error { cfg.Network = old; return nil }); rerr != nil {
			hlog.G(ctx).Warn("restore the network configuration", "container", h.Config.Name, "err", rerr)
		}
		return err
	}
	return nil
}

// connectAttachment checks connect's options against the network.
func connectAttachment(n *network.Network, o NetworkConnectOptions) (network.Attachment, error) {
	a := network.Attachment{Network: n.Name}
	if o.IP != "" {
		ip, err := network.ParseIP("--ip", o.IP)
		if err != nil {
			return a, err
		}
		if n.IPAMDriver != network.IPAMDHCP && !slices.ContainsFunc(n.Subnets, func(s network.Subnet) bool { return s.Subnet.Contains(ip) }) {
			return a, errdefs.Errorf(errdefs.ErrInvalidArgument, "--ip %s is not in a subnet of network %q", ip, n.Name)
		}
		a.IP = ip
	}
	if o.MAC != "" {
		mac, err := network.ParseMAC(o.MAC)
		if err != nil {
			return a, err
		}
		a.MAC = mac.String()
	}
	if len(o.Aliases) > 0 && !n.DNSEnabled {
		return a, errdefs.Errorf(errdefs.ErrInvalidArgument, "network %q has no DNS: aliases need a network with DNS", n.Name)
	}
	for _, al := range o.Aliases {
		if err := network.ValidateHostname("--alias", al); err != nil {
			return a, err
		}
	}
	a.Aliases = o.Aliases
	return a, nil
}

// lockNetworked locks a container that has networks of its own (not
// --network none, host or container:).
func (e *Engine) lockNetworked(ctx context.Context, ref string) (*state.Handle, error) {
	c, err := e.state.Get(ref)
	if err != nil {
		return nil, err
	}
	e.reconcile(ctx, c)
	h, err := e.state.Lock(c.Config.ID)
	if err != nil {
		return nil, err
	}
	switch {
	case h.Config.NetworkMode != netBridge || h.Config.Network == nil:
		h.Unlock()
		return nil, errdefs.Errorf(errdefs.ErrConflict, "container %s has --network %s: only containers on networks can be connected or disconnected", h.Config.Name, h.Config.NetworkMode)
	case h.State.Status == state.Configured || h.State.Status == state.Removing:
		h.Unlock()
		return nil, errdefs.Errorf(errdefs.ErrConflict, "container %s is being created or removed", h.Config.Name)
	}
	return h, nil
}

// hotConnect wires attachment a into the running container and records it
// in the plan its monitor tears down at exit. Called with the container's
// lock held.
func (e *Engine) hotConnect(ctx context.Context, mgr *network.Manager, h *state.Handle, a network.Attachment) error {
	path := e.planPath(h.ID())
	plan, err := network.ReadPlan(path)
	if err != nil {
		return err
	}
	pinInterfaces(plan)
	a.Interface = freeInterface(plan)
	plan.Attachments = append(plan.Attachments, a)
	res, err := mgr.Connect(ctx, plan, len(plan.Attachments)-1, h.State.Pid)
	if err != nil {
		return err
	}
	res.Close() // no DHCP lease (refused above): nothing to keep
	if err := network.WritePlan(path, plan); err != nil {
		if derr := mgr.Disconnect(ctx, plan, a.Network, h.State.Pid); derr != nil {
			hlog.G(ctx).Warn("undo network connect", "container", h.Config.Name, "err", derr)
		}
		return err
	}
	return e.recordAttachments(ctx, h, plan)
}

// recordAttachments puts the running plan's attachments in the state and
// rewrites the container's /etc/hosts and /etc/resolv.conf to match.
func (e *Engine) recordAttachments(ctx context.Context, h *state.Handle, plan *network.Plan) error {
	if err := h.Update(func(s *state.State) error { s.Networks = plan.Attachments; return nil }); err != nil {
		return err
	}
	hostResolv, err := os.ReadFile("/etc/resolv.conf")
	if err != nil {
		hostResolv = nil
	}
	dir := e.state.Dir(h.ID())
	// In place: the files are bind-mounted into the container, so they
	// must keep their inodes.
	for name, data := range map[string][]byte{"hosts": network.Hosts(plan), "resolv.conf": network.ResolvConf(plan, hostResolv)} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			// The network is wired; stale files are worth a warning only.
			hlog.G(ctx).Warn("update the container's /etc/"+name, "container", h.Config.Name, "err", err)
		}
	}
	return nil
}

// pinInterfaces names every attachment's interface explicitly: removing
// one must not renumber the others (eth<index> by default).
func pinInterfaces(p *network.Plan) {
	for i := range p.Attachments {
		p.Attachments[i].Interface = p.IfName(i)
	}
}

// freeInterface returns the first ethN no attachment of p uses.
func freeInterface(p *network.Plan) string {
	for k := 0; ; k++ {
		name := fmt.Sprintf("eth%d", k)
		if !slices.ContainsFunc(p.Attachments, func(a network.Attachment) bool { return a.Interface == name }) {
			return name
		}
	}
}

// DisconnectNetwork detaches a container from a network: at once if it
// runs (its interface goes), and from its configuration. force carries on
// when the running container's interface cannot be removed cleanly (the
// configuration is updated regardless).
func (e *Engine) DisconnectNetwork(ctx context.Context, netRef, ctrRef string, force bool) error {
	mgr, _, err := e.networks(ctx)
	if err != nil {
		return err
	}
	name := netRef
	var n *network.Network
	if n, err = mgr.Store.Get(netRef); err == nil {
		name = n.Name
	}
	h, err := e.lockNetworked(ctx, ctrRef)
	if err != nil {
		return err
	}
	defer h.Unlock()
	if !onNetwork(h.Config.Network, name) {
		return fmt.Errorf("container %s is not connected to network %q: %w", h.Config.Name, netRef, errdefs.ErrNotFound)
	}
	if err := portsStay(mgr.Store, h, name); err != nil {
		return err
	}
	if h.State.Status.Active() {
		if n != nil && n.IPAMDriver == network.IPAMDHCP && !force {
			return errdefs.Errorf(errdefs.ErrConflict, "container %s holds a DHCP lease on network %q, which its monitor releases at exit: stop the container first, or use -f (the lease then expires by itself)", h.Config.Name, name)
		}
		if err := e.hotDisconnect(ctx, mgr, h, name, force); err != nil {
			return err
		}
	}
	return h.UpdateNetwork(func(cfg *state.Config) error {
		p := *cfg.Network
		p.Attachments = slices.DeleteFunc(slices.Clone(p.Attachments), func(a network.Attachment) bool { return a.Network == name })
		cfg.Network = &p
		return nil
	})
}

// portsStay refuses to take away the network a container publishes its
// ports through: a running container's forwarded ports lead to its
// address there; any container needs a network left to publish from.
func portsStay(s *network.Store, h *state.Handle, name string) error {
	p := h.Config.Network
	if len(p.Ports) == 0 {
		return nil
	}
	if len(p.Attachments) == 1 {
		return errdefs.Errorf(errdefs.ErrConflict, "container %s publishes ports: it cannot leave its last network %q", h.Config.Name, name)
	}
	if !h.State.Status.Active() {
		return nil // its ports move to its next bridge network at start
	}
	for _, a := range p.Attachments {
		n, err := s.Get(a.Network)
		if err != nil || n.Driver != network.DriverBridge {
			continue
		}
		if a.Network == name {
			return errdefs.Errorf(errdefs.ErrConflict, "container %s publishes its ports through network %q: stop the container first", h.Config.Name, name)
		}
		return nil
	}
	return nil
}

// hotDisconnect removes the running container's interface on the network
// and the attachment from the plan its monitor tears down at exit.
func (e *Engine) hotDisconnect(ctx context.Context, mgr *network.Manager, h *state.Handle, name string, force bool) error {
	path := e.planPath(h.ID())
	plan, err := network.ReadPlan(path)
	if err != nil {
		if force {
			return nil
		}
		return err
	}
	if !slices.ContainsFunc(plan.Attachments, func(a network.Attachment) bool { return a.Network == name }) {
		return nil // connected after this start's plan was written: nothing is wired
	}
	pinInterfaces(plan)
	if err := mgr.Disconnect(ctx, plan, name, h.State.Pid); err != nil && !force {
		return err
	}
	plan.Attachments = slices.DeleteFunc(plan.Attachments, func(a network.Attachment) bool { return a.Network == name })
	if err := network.WritePlan(path, plan); err != nil {
		return err
	}
	return e.recordAttachments(ctx, h, plan)
}
