package network

import (
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"

	"github.com/hutchctr/hutch/pkg/errdefs"
)

// PortMapping publishes one host port to one container port.
type PortMapping struct {
	// HostIP limits the mapping to one host address; invalid: all.
	HostIP netip.Addr `json:"host_ip,omitempty"`
	// HostPort is the host's port; 0 until a free one is picked
	// (AssignHostPorts).
	HostPort uint16 `json:"host_port"`
	// ContainerPort is the container's port. Required.
	ContainerPort uint16 `json:"container_port"`
	// Protocol is tcp or udp.
	Protocol string `json:"protocol"`
}

// String formats m as `hutch port` and `ps` show it:
// "0.0.0.0:8080->80/tcp".
func (m PortMapping) String() string {
	ip := m.HostIP
	if !ip.IsValid() {
		ip = netip.IPv4Unspecified()
	}
	return fmt.Sprintf("%s->%d/%s", netip.AddrPortFrom(ip, m.HostPort), m.ContainerPort, m.Protocol)
}

func badPublish(spec, why string, args ...any) error {
	return errdefs.Errorf(errdefs.ErrInvalidArgument, "-p %q: %s (format: [ip:][hostPort:]containerPort[/tcp|/udp], ports or ranges like 8000-8010)", spec, fmt.Sprintf(why, args...))
}

// ParsePublish parses one -p value, [ip:][hostPort:]containerPort[/proto],
// where the ports may be ranges of equal length (8000-8010:80-90) and the
// protocol tcp, udp or both (tcp,udp). A missing host port (80, ip::80)
// is 0: AssignHostPorts picks a free one. Ranges are expanded to one
// mapping per port and protocol.
func ParsePublish(spec string) ([]PortMapping, error) {
	rest, protoList, hasProto := strings.Cut(spec, "/")
	protos := []string{"tcp"}
	if hasProto {
		protos = strings.Split(protoList, ",")
		for _, p := range protos {
			switch p {
			case "tcp", "udp":
			case "sctp":
				return nil, errdefs.Errorf(errdefs.ErrNotImplemented, "-p %q: sctp ports are not supported", spec)
			default:
				return nil, badPublish(spec, "unknown protocol %q", p)
			}
		}
	}
	hostIP, hostPart, ctrPart, err := splitPublish(spec, rest)
	if err != nil {
		return nil, err
	}
	cLo, cHi, err := parsePortRange(ctrPart)
	if err != nil {
		return nil, badPublish(spec, "container port: %v", err)
	}
	hLo, hHi := uint16(0), uint16(0)
	if hostPart == "0" {
		hostPart = "" // as Docker: port 0 is "pick one"
	}
	if hostPart != "" {
		if hLo, hHi, err = parsePortRange(hostPart); err != nil {
			return nil, badPublish(spec, "host port: %v", err)
		}
		if hHi-hLo != cHi-cLo {
			return nil, badPublish(spec, "host range %s has %d ports, container range %s has %d: they must have the same length", hostPart, hHi-hLo+1, ctrPart, cHi-cLo+1)
		}
	}
	var out []PortMapping
	for _, proto := range protos {
		for i := 0; i <= int(cHi-cLo); i++ {
			m := PortMapping{HostIP: hostIP, ContainerPort: cLo + uint16(i), Protocol: proto}
			if hostPart != "" {
				m.HostPort = hLo + uint16(i)
			}
			out = append(out, m)
		}
	}
	return out, nil
}

// splitPublish splits spec's address part (rest, without the protocol)
// into the host IP, the host ports and the container ports.
func splitPublish(spec, rest string) (netip.Addr, string, string, error) {
	var ipPart string
	if strings.HasPrefix(rest, "[") {
		end := strings.Index(rest, "]:")
		if end < 0 {
			return netip.Addr{}, "", "", badPublish(spec, "an IPv6 address in brackets must be followed by :hostPort:containerPort")
		}
		ipPart, rest = rest[1:end], rest[end+2:]
		if !strings.Contains(rest, ":") {
			return netip.Addr{}, "", "", badPublish(spec, "an address needs hostPort:containerPort after it")
		}
	}
	parts := strings.Split(rest, ":")
	var hostPart, ctrPart string
	switch {
	case len(parts) == 1:
		ctrPart = parts[0]
	case len(parts) == 2:
		hostPart, ctrPart = parts[0], parts[1]
	case len(parts) == 3 && ipPart == "":
		ipPart, hostPart, ctrPart = parts[0], parts[1], parts[2]
	default:
		return netip.Addr{}, "", "", badPublish(spec, "too many colons (put IPv6 addresses in brackets)")
	}
	var hostIP netip.Addr
	if ipPart != "" || len(parts) == 3 {
		a, err := netip.ParseAddr(ipPart)
		if err != nil || a.Zone() != "" {
			return netip.Addr{}, "", "", badPublish(spec, "host address %q is not an IP address", ipPart)
		}
		hostIP = a.Unmap()
	}
	if hostIP.IsValid() && hostIP.IsUnspecified() {
		hostIP = netip.Addr{} // 0.0.0.0 and :: mean every address
	}
	return hostIP, hostPart, ctrPart, nil
}

// parsePortRange parses "80" or "80-90".
func parsePortRange(s string) (lo, hi uint16, err error) {
	loS, hiS, isRange := strings.Cut(s, "-")
	if lo, err = parsePort(loS); err != nil {
		return 0, 0, err
	}
	hi = lo
	if isRange {
		if hi, err = parsePort(hiS); err != nil {
			return 0, 0, err
		}
		if hi < lo {
			return 0, 0, fmt.Errorf("range %s ends before it starts", s)
		}
	}
	return lo, hi, nil
}

func parsePort(s string) (uint16, error) {
	n, err := strconv.ParseUint(s, 10, 16)
	if err != nil || n == 0 {
		return 0, fmt.Errorf("%q is not a port number (1-65535)", s)
	}
	return uint16(n), nil
}

// ExposedPorts returns the mappings of -P: every port the image exposes
// (keys like "80/tcp", "53/udp", "8000-8010/tcp", as in an image config's
// ExposedPorts) on a free host port, except the container ports explicit
// already publishes. Sorted by protocol and port.
func ExposedPorts(exposed map[string]struct{}, explicit []PortMapping) ([]PortMapping, error) {
	taken := map[string]bool{}
	for _, m := range explicit {
		taken[fmt.Sprintf("%d/%s", m.ContainerPort, m.Protocol)] = true
	}
	var out []PortMapping
	for key := range exposed {
		ports, proto, _ := strings.Cut(key, "/")
		if proto == "" {
			proto = "tcp"
		}
		if proto != "tcp" && proto != "udp" {
			continue // sctp: not supported, and not worth failing -P for
		}
		lo, hi, err := parsePortRange(ports)
		if err != nil {
			return nil, errdefs.Errorf(errdefs.ErrInvalidArgument, "image exposes %q: %v", key, err)
		}
		for p := int(lo); p <= int(hi); p++ {
			if !taken[fmt.Sprintf("%d/%s", p, proto)] {
				out = append(out, PortMapping{ContainerPort: uint16(p), Protocol: proto})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Protocol != out[j].Protocol {
			return out[i].Protocol < out[j].Protocol
		}
		return out[i].ContainerPort < out[j].ContainerPort
	})
	return out, nil
}

// CheckPortClashes refuses two mappings of one host port (and protocol)
// that overlap: the same address, or one of them on every address.
func CheckPortClashes(ports []PortMapping) error {
	for i, a := range ports {
		if a.HostPort == 0 {
			continue
		}
		for _, b := range ports[i+1:] {
			if a.HostPort == b.HostPort && a.Protocol == b.Protocol && (!a.HostIP.IsValid() || !b.HostIP.IsValid() || a.HostIP == b.HostIP) {
				return errdefs.Errorf(errdefs.ErrInvalidArgument, "host port %d/%s is published twice (%s and %s)", a.HostPort, a.Protocol, a, b)
			}
		}
	}
	return nil
}
