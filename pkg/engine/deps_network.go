package engine

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"

	"github.com/hutchctr/hutch/pkg/errdefs"
	"github.com/hutchctr/hutch/pkg/netsetup"
	"github.com/hutchctr/hutch/pkg/network"
	"github.com/hutchctr/hutch/pkg/state"
)

// networks returns the network manager and the path of the namespace the
// bridges live in ("" as root). Rootless, this joins the namespace holder
// first (through images()), which re-executes the process: call it before
// any side effect. The first call reconciles what killed monitors left.
func (e *Engine) networks(ctx context.Context) (*network.Manager, string, error) {
	if e.netMgr != nil {
		return e.netMgr, e.hostNetNS, nil
	}
	if _, err := e.images(ctx); err != nil {
		return nil, "", err
	}
	o := netsetup.Options{
		DataDir: e.paths.Data, RunDir: e.paths.Run, Rootless: e.paths.Rootless,
		LogLevel: e.opts.LogLevel, Alive: e.monitorAlive,
	}
	mgr, hostNS, err := netsetup.New(o)
	if err != nil {
		return nil, "", err
	}
	if err := mgr.Reconcile(ctx, hostNS); err != nil {
		logf(ctx, "network reconcile: %v", err)
	}
	if err := netsetup.ReclaimPorts(ctx, o); err != nil {
		logf(ctx, "reclaim ports: %v", err)
	}
	e.netMgr, e.hostNetNS = mgr, hostNS
	return mgr, hostNS, nil
}

// monitorAlive reports whether container id's monitor runs.
func (e *Engine) monitorAlive(id string) bool {
	ok, err := e.state.MonitorAlive(id)
	return err == nil && ok
}

// planPath is where a started container's network plan lives: written by
// the engine at start, rewritten by the monitor with the addresses and
// host ports it got, read by whoever tears the network down.
func (e *Engine) planPath(id string) string {
	return filepath.Join(e.state.RunDir(id), "network.json")
}

// prepareNetwork opens the network manager (joining the holder, rootless)
// for a container on networks, before prepareStart takes its lock.
func (e *Engine) prepareNetwork(ctx context.Context, id string) error {
	c, err := e.state.Get(id)
	if err != nil || c.Config.NetworkMode != netBridge {
		return err
	}
	_, _, err = e.networks(ctx)
	return err
}

// writePlan writes the network plan of a container on networks for its
// monitor, and returns its path ("" for other modes).
func (e *Engine) writePlan(h *state.Handle) (string, error) {
	if h.Config.NetworkMode != netBridge || h.Config.Network == nil {
		return "", nil
	}
	p := *h.Config.Network
	p.HostNetNS, p.Rootless = e.hostNetNS, e.paths.Rootless
	path := e.planPath(h.ID())
	if err := network.WritePlan(path, &p); err != nil {
		return "", fmt.Errorf("write the network plan of %s: %w", h.Config.Name, err)
	}
	return path, nil
}

// joinedNetNS returns the network namespace a container joins
// (--network container:NAME), which must be running; "" otherwise. The
// container also gets the other one's /etc/hosts and /etc/resolv.conf.
func (e *Engine) joinedNetNS(h *state.Handle) (string, error) {
	if h.Config.NetworkMode != netContainer {
		return "", nil
	}
	other, err := e.state.Get(h.Config.NetworkFrom)
	if err != nil {
		return "", errdefs.Errorf(errdefs.ErrNotFound, "container %s joins the network of a container that no longer exists", h.Config.Name)
	}
	if !other.State.Status.Active() || !e.monitorAlive(other.Config.ID) {
		return "", errdefs.Errorf(errdefs.ErrConflict, "container %s joins the network of %s, which is not running", h.Config.Name, other.Config.Name)
	}
	for _, f := range []string{"hosts", "resolv.conf"} {
		data, err := os.ReadFile(filepath.Join(e.state.Dir(other.Config.ID), f))
		if err == nil {
			err = os.WriteFile(filepath.Join(e.state.Dir(h.ID()), f), data, 0o644)
		}
		if err != nil {
			return "", fmt.Errorf("copy /etc/%s of %s: %w", f, other.Config.Name, err)
		}
	}
	return "/proc/" + strconv.Itoa(other.State.Pid) + "/ns/net", nil
}

// defaultSubnet is hutch.yaml's network.default-subnet; invalid means the
// built-in 10.88.0.0/16.
func (e *Engine) defaultSubnet() (netip.Prefix, error) {
	f, err := e.hutchConfig()
	if err != nil || f.Network.DefaultSubnet == "" {
		return netip.Prefix{}, err
	}
	return netip.ParsePrefix(f.Network.DefaultSubnet)
}
