// Package netsetup assembles hutch's network manager: pkg/network's
// Manager with pkg/dns's responders and, rootless, pkg/slirp's port
// forwarding and network namespace. The engine and the monitor both use
// it, so they wire containers the same way.
package netsetup

import (
	"context"
	"fmt"

	"github.com/hutchctr/hutch/pkg/dns"
	"github.com/hutchctr/hutch/pkg/network"
	"github.com/hutchctr/hutch/pkg/slirp"
)

// Options describe the caller's hutch.
type Options struct {
	// DataDir and RunDir are hutch's directories. Required.
	DataDir, RunDir string
	// Rootless is set for an unprivileged user (the caller runs inside the
	// namespace holder).
	Rootless bool
	// LogLevel is passed on to DNS responders.
	LogLevel string
	// Alive reports whether a container's monitor lives; allocations of
	// dead containers are reclaimed. Required.
	Alive func(containerID string) bool
}

// New returns the network manager and the path of the network namespace
// the bridges live in ("" as root: the caller's; rootless: the holder's,
// which needs the caller to run inside the holder).
func New(o Options) (*network.Manager, string, error) {
	store, err := network.Open(o.DataDir, network.Options{Alive: o.Alive})
	if err != nil {
		return nil, "", err
	}
	starter := &dns.Starter{DataDir: o.DataDir, RunDir: o.RunDir, LogLevel: o.LogLevel}
	m := &network.Manager{Store: store, DNS: starter}
	if !o.Rootless {
		return m, "", nil
	}
	hostNS, err := slirp.NetNSPath(o.RunDir)
	if err != nil {
		return nil, "", fmt.Errorf("the namespace holder's network: %w", err)
	}
	// From the holder's namespace, the host's resolvers are reached
	// through slirp4netns.
	starter.Upstreams = []string{slirp.DNSIP}
	m.Ports = &slirpPorts{runDir: o.RunDir}
	return m, hostNS, nil
}

// slirpPorts publishes rootless containers' ports through the holder's
// rootlesskit port driver.
type slirpPorts struct{ runDir string }

func (s *slirpPorts) AddPorts(ctx context.Context, containerID string, ports []network.ForwardedPort) error {
	specs := make([]slirp.PortSpec, 0, len(ports))
	for _, p := range ports {
		spec := slirp.PortSpec{Proto: p.Protocol, HostPort: int(p.HostPort),
			ChildIP: p.ContainerIP.String(), ChildPort: int(p.ContainerPort)}
		if p.HostIP.IsValid() {
			spec.HostIP = p.HostIP.String()
		}
		specs = append(specs, spec)
	}
	_, err := slirp.AddPorts(ctx, s.runDir, containerID, specs)
	return err
}

func (s *slirpPorts) RemovePorts(ctx context.Context, containerID string) error {
	// Every port recorded for the container, by whichever process
	// published it.
	_, err := slirp.ReclaimPorts(ctx, s.runDir, func(id string) bool { return id != containerID })
	return err
}

// ReclaimPorts unpublishes, rootless, the ports of containers whose
// monitors died (root: the DNAT rules are Manager.Reconcile's).
func ReclaimPorts(ctx context.Context, o Options) error {
	if !o.Rootless {
		return nil
	}
	_, err := slirp.ReclaimPorts(ctx, o.RunDir, o.Alive)
	return err
}
