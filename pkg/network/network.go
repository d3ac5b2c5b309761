package network

import (
	"crypto/rand"
	"encoding/hex"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/hutchctr/hutch/pkg/errdefs"
)

// Network drivers.
const (
	DriverBridge  = "bridge"
	DriverMacvlan = "macvlan"
	DriverIPVlan  = "ipvlan"
)

// IPAM drivers: static allocates from the network's subnets (files under
// ipam/); dhcp asks a DHCP server on the parent's link (macvlan and ipvlan
// only).
const (
	IPAMStatic = "static"
	IPAMDHCP   = "dhcp"
)

// The default network, as Podman's "podman" network.
const (
	DefaultName      = "hutch"
	DefaultInterface = "hutch0"
	DefaultSubnet    = "10.88.0.0/16"
)

// DNSSearchDomain is the search domain of containers on networks with DNS
// (pkg/dns answers names under it; Podman uses "dns.podman").
const DNSSearchDomain = "dns.hutch"

// Options a network accepts (-o KEY=VALUE).
const (
	OptParent = "parent" // macvlan, ipvlan: the host interface
	OptMode   = "mode"   // macvlan: bridge|private|vepa|passthru; ipvlan: l2|l3|l3s
	OptMTU    = "mtu"    // all drivers
)

// Network is a network's configuration, as stored in network.json.
type Network struct {
	// Name is unique among networks; required.
	Name string `json:"name"`
	// ID is 64 hex digits, assigned by Create.
	ID string `json:"id"`
	// Driver is bridge (the default), macvlan or ipvlan.
	Driver string `json:"driver"`
	// Interface is the bridge's name (hutch0 for the default network,
	// hutch1, hutch2… allocated by Create); empty for macvlan and ipvlan,
	// whose parent is Options["parent"].
	Interface string `json:"network_interface,omitempty"`
	// Subnets are the address ranges; empty only with IPAMDriver dhcp.
	// Create picks a free 10.89.x.0/24 for a bridge network without one.
	Subnets []Subnet `json:"subnets,omitempty"`
	// Internal networks have no route out (no masquerade, no forwarding
	// out of the bridge).
	Internal bool `json:"internal"`
	// DNSEnabled networks get a DNS responder on their gateway.
	DNSEnabled bool `json:"dns_enabled"`
	// Options are the driver's options (OptParent, OptMode, OptMTU).
	Options map[string]string `json:"options,omitempty"`
	// IPAMDriver is static (the default) or dhcp.
	IPAMDriver string `json:"ipam_driver"`
	// Labels are the user's.
	Labels map[string]string `json:"labels,omitempty"`
	// Created is set by Create.
	Created time.Time `json:"created"`
}

// Subnet is one address range of a network.
type Subnet struct {
	// Subnet is the network's prefix (canonical: no host bits).
	Subnet netip.Prefix `json:"subnet"`
	// Gateway is the bridge's address; Create sets the first host address
	// when it is not given.
	Gateway netip.Addr `json:"gateway,omitempty"`
	// IPRange, when valid, limits dynamic allocation to a part of Subnet
	// (Docker's --ip-range); requested addresses may lie anywhere in Subnet.
	IPRange netip.Prefix `json:"ip_range,omitempty"`
}

// Gateways returns the network's gateway addresses with their subnets'
// prefix lengths (the bridge's addresses).
func (n *Network) Gateways() []netip.Prefix {
	var gws []netip.Prefix
	for _, s := range n.Subnets {
		if s.Gateway.IsValid() {
			gws = append(gws, netip.PrefixFrom(s.Gateway, s.Subnet.Bits()))
		}
	}
	return gws
}

// MTU returns the MTU set by OptMTU, or 0.
func (n *Network) MTU() int {
	m, _ := strconv.Atoi(n.Options[OptMTU])
	return m
}

// nameRE is Podman's rule for network names.
var nameRE = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`)

// ValidateName returns an ErrInvalidArgument error if name cannot be a
// network name.
func ValidateName(name string) error {
	if len(name) > 200 || !nameRE.MatchString(name) {
		return errdefs.Errorf(errdefs.ErrInvalidArgument, "network name %q: must match [a-zA-Z0-9][a-zA-Z0-9_.-]*", name)
	}
	return nil
}

// ValidateInterfaceName returns an ErrInvalidArgument error if name cannot
// be a Linux interface name.
func ValidateInterfaceName(name string) error {
	if name == "" || len(name) > 15 || name == "." || name == ".." || strings.ContainsAny(name, "/: \t\n") {
		return errdefs.Errorf(errdefs.ErrInvalidArgument, "interface name %q: must be 1 to 15 characters without '/', ':' or spaces", name)
	}
	return nil
}

// normalize fills in defaults and checks everything that does not depend
// on other networks. It does not allocate an interface or a subnet.
func (n *Network) normalize() error {
	if err := ValidateName(n.Name); err != nil {
		return err
	}
	if n.Driver == "" {
		n.Driver = DriverBridge
	}
	if n.IPAMDriver == "" {
		n.IPAMDriver = IPAMStatic
	}
	if err := n.checkDriver(); err != nil {
		return err
	}
	if err := n.checkOptions(); err != nil {
		return err
	}
	for i := range n.Subnets {
		if err := n.Subnets[i].normalize(); err != nil {
			return errdefs.Errorf(errdefs.ErrInvalidArgument, "network %q: %w", n.Name, err)
		}
	}
	for i, a := range n.Subnets {
		for _, b := range n.Subnets[i+1:] {
			if a.Subnet.Overlaps(b.Subnet) {
				return errdefs.Errorf(errdefs.ErrInvalidArgument, "network %q: subnets %s and %s overlap", n.Name, a.Subnet, b.Subnet)
			}
		}
	}
	return nil
}

func (n *Network) checkDriver() error {
	switch n.Driver {
	case DriverBridge:
		if n.IPAMDriver != IPAMStatic {
			return errdefs.Errorf(errdefs.ErrInvalidArgument, "network %q: ipam driver %q: bridge networks allocate addresses themselves (static)", n.Name, n.IPAMDriver)
		}
		if n.Interface != "" {
			return ValidateInterfaceName(n.Interface)
		}
	case DriverMacvlan, DriverIPVlan:
		if n.Options[OptParent] == "" {
			return errdefs.Errorf(errdefs.ErrInvalidArgument, "network %q: %s needs a parent interface: -o parent=IF", n.Name, n.Driver)
		}
		if err := ValidateInterfaceName(n.Options[OptParent]); err != nil {
			return err
		}
		if n.Interface != "" {
			return errdefs.Errorf(errdefs.ErrInvalidArgument, "network %q: a %s network has no interface of its own (its parent is -o parent=%s)", n.Name, n.Driver, n.Options[OptParent])
		}
		switch n.IPAMDriver {
		case IPAMStatic:
			if len(n.Subnets) == 0 {
				return errdefs.Errorf(errdefs.ErrInvalidArgument, "network %q: a %s network needs --subnet (or --ipam-driver dhcp)", n.Name, n.Driver)
			}
		case IPAMDHCP:
			if len(n.Subnets) > 0 {
				return errdefs.Errorf(errdefs.ErrInvalidArgument, "network %q: --subnet cannot be used with --ipam-driver dhcp: the DHCP server assigns addresses", n.Name)
			}
			if n.DNSEnabled {
				return errdefs.Errorf(errdefs.ErrInvalidArgument, "network %q: DNS is not available with --ipam-driver dhcp", n.Name)
			}
		default:
			return errdefs.Errorf(errdefs.ErrInvalidArgument, "network %q: unknown ipam driver %q (static or dhcp)", n.Name, n.IPAMDriver)
		}
		if n.DNSEnabled {
			return errdefs.Errorf(errdefs.ErrInvalidArgument, "network %q: DNS is only available on bridge networks (use --disable-dns)", n.Name)
		}
	default:
		return errdefs.Errorf(errdefs.ErrInvalidArgument, "network %q: unknown driver %q (bridge, macvlan or ipvlan)", n.Name, n.Driver)
	}
	return nil
}

// modes are the accepted values of OptMode per driver.
var modes = map[string][]string{
	DriverMacvlan: {"bridge", "private", "vepa", "passthru"},
	DriverIPVlan:  {"l2", "l3", "l3s"},
}

func (n *Network) checkOptions() error {
	for k, v := range n.Options {
		switch k {
		case OptMTU:
			if m, err := strconv.Atoi(v); err != nil || m < 68 || m > 65535 {
				return errdefs.Errorf(errdefs.ErrInvalidArgument, "network %q: mtu %q: must be a number from 68 to 65535", n.Name, v)
			}
		case OptParent:
			if n.Driver == DriverBridge {
				return errdefs.Errorf(errdefs.ErrInvalidArgument, "network %q: option parent is for macvlan and ipvlan networks", n.Name)
			}
		case OptMode:
			ok := false
			for _, m := range modes[n.Driver] {
				ok = ok || m == v
			}
			if !ok {
				return errdefs.Errorf(errdefs.ErrInvalidArgument, "network %q: mode %q: a %s network accepts %s", n.Name, v, n.Driver, strings.Join(modes[n.Driver], ", "))
			}
		default:
			return errdefs.Errorf(errdefs.ErrInvalidArgument, "network %q: unknown option %q (mtu, parent, mode)", n.Name, k)
		}
	}
	return nil
}

// normalize checks the subnet, its gateway and its range, and sets the
// default gateway.
func (s *Subnet) normalize() error {
	p := s.Subnet
	if !p.IsValid() {
		return errdefs.Errorf(errdefs.ErrInvalidArgument, "subnet is missing or invalid")
	}
	if p.Masked() != p {
		return errdefs.Errorf(errdefs.ErrInvalidArgument, "subnet %s has host bits set: did you mean %s?", p, p.Masked())
	}
	max := 30
	if p.Addr().Is6() {
		max = 126
	}
	if p.Bits() > max {
		return errdefs.Errorf(errdefs.ErrInvalidArgument, "subnet %s is too small: at most /%d, for a gateway and a container", p, max)
	}
	if !s.Gateway.IsValid() {
		s.Gateway = p.Addr().Next()
	}
	s.Gateway = s.Gateway.Unmap()
	if !p.Contains(s.Gateway) || s.Gateway == p.Addr() || s.Gateway == lastAddr(p) && p.Addr().Is4() {
		return errdefs.Errorf(errdefs.ErrInvalidArgument, "gateway %s is not a host address of subnet %s", s.Gateway, p)
	}
	if r := s.IPRange; r.IsValid() {
		if r.Masked() != r {
			return errdefs.Errorf(errdefs.ErrInvalidArgument, "ip range %s has host bits set: did you mean %s?", r, r.Masked())
		}
		if r.Bits() < p.Bits() || !p.Contains(r.Addr()) {
			return errdefs.Errorf(errdefs.ErrInvalidArgument, "ip range %s is not inside subnet %s", r, p)
		}
		if first, _ := hostRange(*s); !first.IsValid() {
			return errdefs.Errorf(errdefs.ErrInvalidArgument, "ip range %s of subnet %s holds no address for containers", r, p)
		}
	}
	return nil
}

// newID returns 64 random hex digits.
func newID() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on Linux
	return hex.EncodeToString(b[:])
}

func timeNow() time.Time { return time.Now().UTC().Truncate(time.Second) }
