package engine

import (
	"context"
	"fmt"
	"net/netip"
	"sort"

	"github.com/hutchctr/hutch/pkg/network"
)

// PublishedPort is a host port forwarded to a container's port.
type PublishedPort struct {
	// HostIP is the host address the port is published on; "" is every
	// address.
	HostIP        string `json:"host_ip"`
	HostPort      uint16 `json:"host_port"`
	ContainerPort uint16 `json:"container_port"`
	Protocol      string `json:"protocol"`
}

// HostAddr is the host side as `port` prints it: "0.0.0.0:8080" for
// every address, "[::1]:8080" for an IPv6 one.
func (p PublishedPort) HostAddr() string {
	ip, err := netip.ParseAddr(p.HostIP)
	if err != nil {
		ip = netip.IPv4Unspecified()
	}
	return netip.AddrPortFrom(ip, p.HostPort).String()
}

// Private is the container side, as in "80/tcp".
func (p PublishedPort) Private() string {
	return fmt.Sprintf("%d/%s", p.ContainerPort, p.Protocol)
}

// ContainerPorts are a container's published ports.
type ContainerPorts struct {
	ID, Name string
	// Ports are those of the running container, sorted by protocol and
	// container port; none when it does not run.
	Ports []PublishedPort
}

// Ports returns the ports the container publishes while it runs.
func (e *Engine) Ports(ctx context.Context, ref string) (*ContainerPorts, error) {
	c, err := e.state.Get(ref)
	if err != nil {
		return nil, err
	}
	c = e.reconcile(ctx, c)
	cp := &ContainerPorts{ID: c.Config.ID, Name: c.Config.Name, Ports: []PublishedPort{}}
	if c.State.Status.Active() {
		cp.Ports = publishedPorts(c.State.Ports)
	}
	return cp, nil
}

// AllPorts returns the published ports of every running container that
// has some, ordered by name.
func (e *Engine) AllPorts(ctx context.Context) ([]ContainerPorts, error) {
	records, err := e.state.List()
	if err != nil {
		return nil, err
	}
	out := []ContainerPorts{}
	for _, c := range records {
		c = e.reconcile(ctx, c)
		if c.State.Status.Active() && len(c.State.Ports) > 0 {
			out = append(out, ContainerPorts{ID: c.Config.ID, Name: c.Config.Name, Ports: publishedPorts(c.State.Ports)})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func publishedPorts(in []network.PortMapping) []PublishedPort {
	out := make([]PublishedPort, 0, len(in))
	for _, m := range in {
		p := PublishedPort{HostPort: m.HostPort, ContainerPort: m.ContainerPort, Protocol: m.Protocol}
		if m.HostIP.IsValid() {
			p.HostIP = m.HostIP.String()
		}
		out = append(out, p)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Protocol != out[j].Protocol {
			return out[i].Protocol < out[j].Protocol
		}
		return out[i].ContainerPort < out[j].ContainerPort
	})
	return out
}
