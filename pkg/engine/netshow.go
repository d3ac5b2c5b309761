package engine

import (
	"strconv"

	"github.com/hutchctr/hutch/pkg/network"
	"github.com/hutchctr/hutch/pkg/state"
)

// netSettings fills inspect's NetworkSettings from the container's state:
// its attachments while it runs, else only the networks it is configured
// for.
func inspectNetworks(c *state.Container) InspectNetSettings {
	out := InspectNetSettings{Networks: map[string]InspectNetwork{}, Ports: map[string][]InspectPortBinding{}}
	atts := c.State.Networks
	if len(atts) == 0 && c.Config.Network != nil && c.Config.NetworkMode == netBridge {
		atts = c.Config.Network.Attachments
	}
	for _, a := range atts {
		n := InspectNetwork{Aliases: nonNil(a.Aliases), MacAddress: a.MAC}
		if a.Gateway.IsValid() {
			n.Gateway = a.Gateway.String()
		}
		if len(a.Addrs) > 0 {
			n.IPAddress, n.IPPrefixLen = a.Addrs[0].Addr().String(), a.Addrs[0].Bits()
		}
		out.Networks[a.Network] = n
		if a.Network == network.DefaultName {
			out.IPAddress, out.IPPrefixLen, out.Gateway, out.MacAddress = n.IPAddress, n.IPPrefixLen, n.Gateway, n.MacAddress
		}
	}
	for _, p := range c.State.Ports {
		key := strconv.Itoa(int(p.ContainerPort)) + "/" + p.Protocol
		b := InspectPortBinding{HostPort: strconv.Itoa(int(p.HostPort))}
		if p.HostIP.IsValid() {
			b.HostIP = p.HostIP.String()
		}
		out.Ports[key] = append(out.Ports[key], b)
	}
	return out
}

// summaryNetworks returns ps's Networks and Ports.
func summaryNetworks(c *state.Container) (nets []string, ports []any) {
	nets, ports = []string{}, []any{}
	if c.Config.NetworkMode == netBridge && c.Config.Network != nil {
		for _, a := range c.Config.Network.Attachments {
			nets = append(nets, a.Network)
		}
	}
	for _, p := range c.State.Ports {
		ports = append(ports, portSummary(p))
	}
	return nets, ports
}

// PortSummary is one published port in ps's JSON (Podman's field names).
type PortSummary struct {
	HostIP        string `json:"host_ip"`
	ContainerPort uint16 `json:"container_port"`
	HostPort      uint16 `json:"host_port"`
	Range         uint16 `json:"range"`
	Protocol      string `json:"protocol"`
}

func portSummary(p network.PortMapping) PortSummary {
	s := PortSummary{ContainerPort: p.ContainerPort, HostPort: p.HostPort, Range: 1, Protocol: p.Protocol}
	if p.HostIP.IsValid() {
		s.HostIP = p.HostIP.String()
	}
	return s
}

// String renders a port as ps's PORTS column does: "0.0.0.0:8080->80/tcp".
func (p PortSummary) String() string {
	ip := p.HostIP
	if ip == "" {
		ip = "0.0.0.0"
	}
	return ip + ":" + strconv.Itoa(int(p.HostPort)) + "->" + strconv.Itoa(int(p.ContainerPort)) + "/" + p.Protocol
}
