package network

import (
	"context"
	"errors"
	"fmt"
	"net/netip"

	"github.com/hutchctr/hutch/pkg/bridge"
	"github.com/hutchctr/hutch/pkg/errdefs"
)

// DNSStarter starts a network's DNS responder unless one runs (pkg/dns's
// Starter). hostNetNS is the path of the namespace the bridge lives in.
type DNSStarter interface {
	EnsureResponder(ctx context.Context, network Network, hostNetNS string) error
}

// PortForwarder publishes a rootless container's ports from the user's
// host namespace to the container's address in the namespace holder
// (rootlesskit's port driver, pkg/slirp).
type PortForwarder interface {
	// AddPorts publishes the ports; on error none stays published.
	AddPorts(ctx context.Context, containerID string, ports []ForwardedPort) error
	// RemovePorts unpublishes every port of the container; none is no
	// error. It must work in a process other than AddPorts's (after a
	// monitor was killed).
	RemovePorts(ctx context.Context, containerID string) error
}

// ForwardedPort is a published port with its destination.
type ForwardedPort struct {
	PortMapping
	// ContainerIP is the container's address on its bridge.
	ContainerIP netip.Addr
}

// Manager wires containers to networks, and creates and removes the
// networks' kernel side. The monitor holds one for its container.
type Manager struct {
	// Store holds the networks and their allocations. Required.
	Store *Store
	// DNS starts responders for networks with DNS; nil: none is started.
	DNS DNSStarter
	// Ports publishes rootless containers' ports; rootless plans with
	// ports fail without it.
	Ports PortForwarder
}

// CreateNetwork creates a network (Store.Create), checking its subnets
// against the routes of hostNetNS (where its bridge will live; "" is the
// caller's) and a macvlan or ipvlan parent's existence there.
func (m *Manager) CreateNetwork(n Network, hostNetNS string, rootless bool) (*Network, error) {
	host, err := bridge.Open(hostNetNS)
	if err != nil {
		return nil, err
	}
	defer host.Close()
	routes, err := host.Routes()
	if err != nil {
		return nil, err
	}
	o := CreateOptions{Rootless: rootless}
	for _, r := range routes {
		o.Routes = append(o.Routes, Route{Dst: r.Dst, Dev: r.Dev})
	}
	if parent := n.Options[OptParent]; parent != "" && n.Driver != DriverBridge && !host.HasLink(parent) {
		return nil, errdefs.Errorf(errdefs.ErrNotFound, "network %q: parent interface %s does not exist", n.Name, parent)
	}
	return m.Store.Create(n, o)
}

// RemoveNetwork removes a network (Store.Remove: refused while attached or
// in use, unless force) and then its bridge and firewall rules in
// hostNetNS. The caller stops or disconnects the containers first when
// forcing.
func (m *Manager) RemoveNetwork(ref string, attached []string, force bool, hostNetNS string) error {
	n, err := m.Store.Get(ref)
	if err != nil {
		return err
	}
	if err := m.Store.Remove(n.Name, attached, force); err != nil {
		return err
	}
	if n.Driver != DriverBridge {
		return nil
	}
	host, err := bridge.Open(hostNetNS)
	if err != nil {
		return err
	}
	defer host.Close()
	return errors.Join(host.RemoveNetworkRules(n.Name, n.Interface), host.DeleteBridge(n.Interface))
}

// Reconcile frees what dead containers left (their monitors were killed):
// veths whose container namespace is still held by something, addresses,
// endpoints, and port rules in hostNetNS. The rootless port driver's
// forwards are the PortForwarder's to reclaim.
func (m *Manager) Reconcile(ctx context.Context, hostNetNS string) error {
	nets, err := m.Store.List()
	if err != nil {
		return err
	}
	host, err := bridge.Open(hostNetNS)
	if err != nil {
		return err
	}
	defer host.Close()
	var errs []error
	for _, n := range nets {
		allocs, err := m.Store.Allocations(n.Name)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, owner := range allocs {
			if !m.Store.alive(owner) {
				errs = append(errs, host.DetachVeth(bridge.VethName(owner, n.Name)))
			}
		}
		if _, err := m.Store.Reclaim(n.Name, nil); err != nil {
			errs = append(errs, err)
		}
		errs = append(errs, m.Store.reclaimEndpoints(n.Name))
	}
	if _, err := host.Reconcile(m.Store.alive); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// undo is a stack of rollback steps.
type undo []func()

func (u *undo) add(f func()) { *u = append(*u, f) }

func (u undo) run() {
	for i := len(u) - 1; i >= 0; i-- {
		u[i]()
	}
}

func containerNS(pid int) string { return fmt.Sprintf("/proc/%d/ns/net", pid) }
