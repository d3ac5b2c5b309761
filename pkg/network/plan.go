package network

import (
	"fmt"
	"net/netip"

	"github.com/hutchctr/hutch/pkg/errdefs"
)

// Plan is what a container's monitor does to wire the container: the
// document the engine writes next to the container's spec (WritePlan) and
// the monitor hands to Manager.Setup and Manager.Teardown.
type Plan struct {
	// ContainerID (64 hex digits) owns addresses, rules and endpoints.
	// Required.
	ContainerID string `json:"container_id"`
	// ContainerName and Hostname go into /etc/hosts and the endpoints (the
	// DNS names).
	ContainerName string `json:"container_name"`
	Hostname      string `json:"hostname,omitempty"`
	// Attachments are the networks, in order: the first one that is not
	// internal carries the default route.
	Attachments []Attachment `json:"attachments,omitempty"`
	// Ports are published to the container's address on the first bridge
	// network. Host port 0 is picked by Setup.
	Ports []PortMapping `json:"ports,omitempty"`
	// DNS overrides the name servers, search domains and options.
	DNS DNSConfig `json:"dns"`
	// ExtraHosts are --add-host entries.
	ExtraHosts []HostEntry `json:"extra_hosts,omitempty"`
	// HostNetNS is the path of the network namespace the bridges live in:
	// "" is the caller's (root); rootless, the namespace holder's.
	HostNetNS string `json:"host_netns,omitempty"`
	// PortNetNS is the path of the namespace in which published ports are
	// checked ("" the caller's): rootless, the user's host namespace,
	// where rootlesskit's port driver listens; root, like HostNetNS.
	PortNetNS string `json:"port_netns,omitempty"`
	// Rootless publishes ports through Manager.Ports (rootlesskit) instead
	// of DNAT rules, refuses macvlan and ipvlan, and, on networks without
	// DNS, replaces loopback name servers by slirp4netns's.
	Rootless bool `json:"rootless,omitempty"`
	// MTU of the bridges created and of the containers' interfaces on
	// them; 0: the network's mtu option, else the kernel's 1500 (root) or
	// slirp4netns's 65520 (rootless).
	MTU int `json:"mtu,omitempty"`
	// AllowHostLoopback lets a rootless container reach the host's
	// loopback through slirp4netns's SlirpHost address
	// (--network-opt allow_host_loopback=true); without it the holder's
	// firewall drops that traffic.
	AllowHostLoopback bool `json:"allow_host_loopback,omitempty"`
}

// Attachment is the container on one network.
type Attachment struct {
	// Network is the network's name. Required.
	Network string `json:"network"`
	// Interface is the container's interface name; "" is eth<index>.
	Interface string `json:"interface,omitempty"`
	// IP is the requested address (--ip); invalid: the next free one.
	IP netip.Addr `json:"ip,omitempty"`
	// MAC is the requested MAC address (--mac-address); "": random.
	MAC string `json:"mac,omitempty"`
	// Aliases are --network-alias names on this network.
	Aliases []string `json:"aliases,omitempty"`

	// Filled in by Store.Resolve (and so by Setup), from the network:
	Gateway    netip.Addr `json:"gateway,omitempty"`
	DNSEnabled bool       `json:"dns_enabled,omitempty"`
	Internal   bool       `json:"internal,omitempty"`
	// Filled in by Setup: the container's addresses on the network (with
	// prefix lengths; DHCP-assigned ones too) and its MAC address.
	Addrs []netip.Prefix `json:"addresses,omitempty"`
}

// DNSConfig are the --dns, --dns-search and --dns-option values.
type DNSConfig struct {
	Servers []netip.Addr `json:"servers,omitempty"`
	// Search "." means no search domain at all.
	Search  []string `json:"search,omitempty"`
	Options []string `json:"options,omitempty"`
}

// IfName returns the i-th attachment's interface name.
func (p *Plan) IfName(i int) string {
	if p.Attachments[i].Interface != "" {
		return p.Attachments[i].Interface
	}
	return fmt.Sprintf("eth%d", i)
}

// Validate checks what can be checked without the networks.
func (p *Plan) Validate() error {
	if len(p.ContainerID) != 64 || !isHex(p.ContainerID) {
		return errdefs.Errorf(errdefs.ErrInvalidArgument, "network plan: container id %q: want 64 hex digits", p.ContainerID)
	}
	nets, ifs := map[string]bool{}, map[string]bool{}
	for i, a := range p.Attachments {
		if nets[a.Network] {
			return errdefs.Errorf(errdefs.ErrInvalidArgument, "network %q is given twice", a.Network)
		}
		nets[a.Network] = true
		name := p.IfName(i)
		if err := ValidateInterfaceName(name); err != nil {
			return err
		}
		if ifs[name] || name == "lo" {
			return errdefs.Errorf(errdefs.ErrInvalidArgument, "interface name %s is used twice", name)
		}
		ifs[name] = true
		if a.MAC != "" {
			if _, err := ParseMAC(a.MAC); err != nil {
				return err
			}
		}
		for _, al := range a.Aliases {
			if err := ValidateHostname("--network-alias", al); err != nil {
				return err
			}
		}
	}
	for _, m := range p.Ports {
		if m.ContainerPort == 0 || (m.Protocol != "tcp" && m.Protocol != "udp") {
			return errdefs.Errorf(errdefs.ErrInvalidArgument, "published port %s: bad container port or protocol", m)
		}
	}
	if len(p.Ports) > 0 && len(p.Attachments) == 0 {
		return errdefs.Errorf(errdefs.ErrInvalidArgument, "ports can only be published from a container on a network (not --network none or host)")
	}
	return CheckPortClashes(p.Ports)
}

// Resolve looks up the plan's networks, fills in each attachment's
// gateway, DNS and internal flags, and returns the networks in order. An
// unknown network is ErrNotFound.
func (s *Store) Resolve(p *Plan) ([]*Network, error) {
	nets := make([]*Network, len(p.Attachments))
	for i := range p.Attachments {
		a := &p.Attachments[i]
		n, err := s.Get(a.Network)
		if err != nil {
			return nil, err
		}
		a.Network = n.Name // an ID or prefix may have been given
		a.DNSEnabled, a.Internal = n.DNSEnabled, n.Internal
		if len(n.Subnets) > 0 {
			a.Gateway = n.Subnets[0].Gateway
		}
		nets[i] = n
	}
	return nets, nil
}

// WritePlan writes the plan atomically to path.
func WritePlan(path string, p *Plan) error {
	if err := writeJSON(path, p); err != nil {
		return fmt.Errorf("network plan: %w", err)
	}
	return nil
}

// ReadPlan reads a plan written by WritePlan.
func ReadPlan(path string) (*Plan, error) {
	var p Plan
	if err := readJSON(path, &p); err != nil {
		return nil, fmt.Errorf("network plan: %w", err)
	}
	return &p, nil
}
