package network

import (
	"bytes"
	"net"
	"net/netip"
	"regexp"
	"strings"

	"github.com/hutchctr/hutch/pkg/errdefs"
)

// HostGatewayName is --add-host's special address: the host as the
// container reaches it (the gateway of its first network).
const HostGatewayName = "host-gateway"

// HostEntry is an /etc/hosts line added with --add-host.
type HostEntry struct {
	Names []string   `json:"names"`
	IP    netip.Addr `json:"ip,omitempty"`
	// HostGateway stands for the address of the host (HostGatewayName).
	HostGateway bool `json:"host_gateway,omitempty"`
}

// hostnameRE accepts host names and aliases: letters, digits, '-', '_'
// and dots between labels.
var hostnameRE = regexp.MustCompile(`^[a-zA-Z0-9_]([a-zA-Z0-9_-]*[a-zA-Z0-9_])?(\.[a-zA-Z0-9_]([a-zA-Z0-9_-]*[a-zA-Z0-9_])?)*$`)

// ValidateHostname returns an ErrInvalidArgument error unless name can be
// a host name, alias or search domain.
func ValidateHostname(what, name string) error {
	if len(name) > 253 || !hostnameRE.MatchString(name) {
		return errdefs.Errorf(errdefs.ErrInvalidArgument, "%s %q: not a valid host name", what, name)
	}
	return nil
}

// ParseAddHost parses --add-host NAME:IP (also NAME=IP, NAME:[IPv6],
// several names as NAME1;NAME2:IP, and IP host-gateway).
func ParseAddHost(s string) (HostEntry, error) {
	sep := strings.IndexAny(s, ":=")
	if sep <= 0 {
		return HostEntry{}, errdefs.Errorf(errdefs.ErrInvalidArgument, "--add-host %q: want NAME:IP", s)
	}
	names, ipPart := s[:sep], s[sep+1:]
	var e HostEntry
	for _, n := range strings.Split(names, ";") {
		if err := ValidateHostname("--add-host name", n); err != nil {
			return HostEntry{}, err
		}
		e.Names = append(e.Names, n)
	}
	if ipPart == HostGatewayName {
		e.HostGateway = true
		return e, nil
	}
	ipPart = strings.TrimSuffix(strings.TrimPrefix(ipPart, "["), "]")
	a, err := netip.ParseAddr(ipPart)
	if err != nil || a.Zone() != "" {
		return HostEntry{}, errdefs.Errorf(errdefs.ErrInvalidArgument, "--add-host %q: %q is not an IP address (or %s)", s, ipPart, HostGatewayName)
	}
	e.IP = a.Unmap()
	return e, nil
}

// ParseIP parses --ip (and --dns): an IPv4 or IPv6 address.
func ParseIP(flag, s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, errdefs.Errorf(errdefs.ErrInvalidArgument, "%s %q: not an IP address", flag, s)
	}
	if a.IsUnspecified() || a.IsMulticast() {
		return netip.Addr{}, errdefs.Errorf(errdefs.ErrInvalidArgument, "%s %q: not a unicast address", flag, s)
	}
	return a.Unmap(), nil
}

// ParseMAC parses --mac-address: a unicast Ethernet address.
func ParseMAC(s string) (net.HardwareAddr, error) {
	m, err := net.ParseMAC(s)
	if err != nil || len(m) != 6 {
		return nil, errdefs.Errorf(errdefs.ErrInvalidArgument, "--mac-address %q: not an Ethernet address like 92:d0:c6:0a:29:33", s)
	}
	if m[0]&1 == 1 {
		return nil, errdefs.Errorf(errdefs.ErrInvalidArgument, "--mac-address %q: a multicast address cannot be an interface's", s)
	}
	if bytes.Equal(m, make(net.HardwareAddr, 6)) {
		return nil, errdefs.Errorf(errdefs.ErrInvalidArgument, "--mac-address %q: the zero address cannot be an interface's", s)
	}
	return m, nil
}

// ParseDNSSearch parses --dns-search: a domain, or "." for none.
func ParseDNSSearch(s string) (string, error) {
	if s == "." {
		return s, nil
	}
	if err := ValidateHostname("--dns-search", strings.TrimSuffix(s, ".")); err != nil {
		return "", err
	}
	return strings.TrimSuffix(s, "."), nil
}

// ParseDNSOption parses --dns-option: a resolv.conf option (ndots:2,
// edns0…).
func ParseDNSOption(s string) (string, error) {
	if s == "" || strings.ContainsAny(s, " \t\n#;") {
		return "", errdefs.Errorf(errdefs.ErrInvalidArgument, "--dns-option %q: a resolv.conf option like ndots:2", s)
	}
	return s, nil
}
