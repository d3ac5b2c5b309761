package network

import (
	"bufio"
	"bytes"
	"fmt"
	"net/netip"
	"strings"

	"github.com/hutchctr/hutch/pkg/slirp"
)

// SlirpDNS is slirp4netns's DNS forwarder, which rootless containers on
// networks without DNS use instead of the host's loopback resolvers.
var SlirpDNS = netip.MustParseAddr(slirp.DNSIP)

// SlirpHost is the host's loopback as slirp4netns lets rootless containers
// reach it (when allowed): what "host-gateway" means rootless.
var SlirpHost = netip.MustParseAddr(slirp.GatewayIP)

// fallbackDNS are the resolvers used when the host has none a container
// can reach (Podman's defaults).
var fallbackDNS = []netip.Addr{netip.MustParseAddr("8.8.8.8"), netip.MustParseAddr("8.8.4.4")}

// Hosts returns the container's /etc/hosts: localhost, the --add-host
// entries, and each of the container's first addresses on its networks
// with its host name and name (127.0.1.1 without any).
func Hosts(p *Plan) []byte {
	var b bytes.Buffer
	b.WriteString("127.0.0.1\tlocalhost localhost.localdomain localhost4 localhost4.localdomain4\n")
	b.WriteString("::1\tlocalhost localhost.localdomain localhost6 localhost6.localdomain6\n")
	for _, e := range p.ExtraHosts {
		ip := e.IP
		if e.HostGateway {
			ip = hostGateway(p)
		}
		if ip.IsValid() {
			fmt.Fprintf(&b, "%s\t%s\n", ip, strings.Join(e.Names, " "))
		}
	}
	var names []string
	for _, n := range []string{p.Hostname, p.ContainerName} {
		if n != "" && (len(names) == 0 || names[0] != n) {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return b.Bytes()
	}
	own := false
	for _, a := range p.Attachments {
		if len(a.Addrs) > 0 {
			fmt.Fprintf(&b, "%s\t%s\n", a.Addrs[0].Addr(), strings.Join(names, " "))
			own = true
		}
	}
	if !own {
		fmt.Fprintf(&b, "127.0.1.1\t%s\n", strings.Join(names, " "))
	}
	return b.Bytes()
}

// hostGateway is the host's address as the container reaches it.
func hostGateway(p *Plan) netip.Addr {
	if p.Rootless {
		return SlirpHost
	}
	for _, a := range p.Attachments {
		if a.Gateway.IsValid() {
			return a.Gateway
		}
	}
	return netip.Addr{}
}

// ResolvConf returns the container's /etc/resolv.conf, given the host's.
// Name servers: --dns if given; else the gateways of the container's
// networks with DNS (their responders forward the rest); else the host's,
// without loopback ones (unreachable from a container), which rootless
// become slirp4netns's forwarder, and Podman's public fallback if none is
// left. Search domains: --dns-search ("." for none), else DNSSearchDomain
// on networks with DNS and the host's. Options: --dns-option, else the
// host's.
func ResolvConf(p *Plan, hostResolv []byte) []byte {
	host := parseResolv(hostResolv)
	var dnsGateways []netip.Addr
	for _, a := range p.Attachments {
		if a.DNSEnabled && a.Gateway.IsValid() {
			dnsGateways = appendAddr(dnsGateways, a.Gateway)
		}
	}
	servers := p.DNS.Servers
	if len(servers) == 0 {
		servers = dnsGateways
	}
	if len(servers) == 0 {
		for _, s := range host.servers {
			switch {
			case !s.IsLoopback():
				servers = appendAddr(servers, s)
			case p.Rootless:
				servers = appendAddr(servers, SlirpDNS)
			}
		}
	}
	if len(servers) == 0 {
		servers = fallbackDNS
	}
	search := p.DNS.Search
	if len(search) == 0 {
		if len(dnsGateways) > 0 {
			search = append(search, DNSSearchDomain)
		}
		search = append(search, host.search...)
	}
	if len(search) == 1 && search[0] == "." {
		search = nil
	}
	options := p.DNS.Options
	if len(options) == 0 {
		options = host.options
	}
	var b bytes.Buffer
	if len(search) > 0 {
		fmt.Fprintf(&b, "search %s\n", strings.Join(search, " "))
	}
	for _, s := range servers {
		fmt.Fprintf(&b, "nameserver %s\n", s)
	}
	if len(options) > 0 {
		fmt.Fprintf(&b, "options %s\n", strings.Join(options, " "))
	}
	return b.Bytes()
}

func appendAddr(list []netip.Addr, a netip.Addr) []netip.Addr {
	for _, x := range list {
		if x == a {
			return list
		}
	}
	return append(list, a)
}

type resolv struct {
	servers         []netip.Addr
	search, options []string
}

// parseResolv reads the lines of a resolv.conf that matter here.
func parseResolv(data []byte) resolv {
	var r resolv
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 || strings.HasPrefix(f[0], "#") || strings.HasPrefix(f[0], ";") {
			continue
		}
		switch f[0] {
		case "nameserver":
			// A zone (fe80::1%eth0) names a host interface: useless inside.
			if a, err := netip.ParseAddr(f[1]); err == nil && a.Zone() == "" {
				r.servers = appendAddr(r.servers, a.Unmap())
			}
		case "search", "domain":
			r.search = f[1:]
		case "options":
			r.options = append(r.options, f[1:]...)
		}
	}
	return r
}
