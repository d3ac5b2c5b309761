package engine

import (
	"context"
	"net/netip"
	"strconv"
	"strings"

	"github.com/hutchctr/hutch/pkg/errdefs"
	"github.com/hutchctr/hutch/pkg/network"
)

// Network modes of a container (state.Config.NetworkMode).
const (
	netNone      = "none"
	netHost      = "host"
	netContainer = "container"
	netBridge    = "bridge" // one or more networks, wired by the monitor
)

// netSettings is what --network and its companion flags decide.
type netSettings struct {
	mode string
	// plan is the plan template: attachments and ports (bridge mode), and
	// the DNS and --add-host settings that shape /etc/resolv.conf and
	// /etc/hosts in every mode.
	plan *network.Plan
	// from is the container whose network namespace this one joins.
	from string
}

// networkSettings parses --network (default: the default network) and
// the flags that go with it. It creates nothing but, on first use, the
// default network's record.
func (e *Engine) networkSettings(ctx context.Context, id, name, hostname string, o CreateOptions, img *imageMeta) (*netSettings, error) {
	ns := &netSettings{plan: &network.Plan{ContainerID: id, ContainerName: name, Hostname: hostname, Rootless: e.paths.Rootless}}
	if err := parseDNSAndHosts(ns.plan, o); err != nil {
		return nil, err
	}
	mode := o.Network
	switch {
	case mode == netNone || mode == netHost:
		ns.mode = mode
	case strings.HasPrefix(mode, netContainer+":"):
		ref := strings.TrimPrefix(mode, netContainer+":")
		c, err := e.state.Get(ref)
		if err != nil {
			return nil, errdefs.Errorf(errdefs.ErrNotFound, "--network container:%s: no such container", ref)
		}
		ns.mode, ns.from = netContainer, c.Config.ID
	default:
		ns.mode = netBridge
		if err := e.attachNetworks(ns.plan, mode, o); err != nil {
			return nil, err
		}
		if err := parsePorts(ns.plan, o, img); err != nil {
			return nil, err
		}
		if err := parseNetworkOpts(ns.plan, o.NetworkOpts); err != nil {
			return nil, err
		}
	}
	if ns.mode != netBridge {
		switch {
		case len(o.Publish) > 0 || o.PublishAll:
			return nil, errdefs.Errorf(errdefs.ErrInvalidArgument, "publishing ports needs a bridge network, not --network %s", mode)
		case len(o.NetworkOpts) > 0:
			return nil, errdefs.Errorf(errdefs.ErrInvalidArgument, "--network-opt needs a bridge network, not --network %s", mode)
		case o.IP != "" || o.MAC != "" || len(o.Aliases) > 0:
			return nil, errdefs.Errorf(errdefs.ErrInvalidArgument, "--ip, --mac-address and --network-alias need a bridge network, not --network %s", mode)
		}
	}
	return ns, nil
}

// attachNetworks fills the plan's attachments from a comma-separated list
// of networks ("" and "bridge" mean the default network).
func (e *Engine) attachNetworks(p *network.Plan, list string, o CreateOptions) error {
	store, err := network.Open(e.paths.Data, network.Options{Alive: e.monitorAlive})
	if err != nil {
		return err
	}
	if list == "" {
		list = netBridge
	}
	for i, name := range strings.Split(list, ",") {
		name = strings.TrimSpace(name)
		var n *network.Network
		if name == netBridge || name == network.DefaultName {
			var sub netip.Prefix
			if sub, err = e.defaultSubnet(); err == nil {
				n, err = store.Default(sub)
			}
		} else {
			n, err = store.Get(name)
		}
		if err != nil {
			return err
		}
		a := network.Attachment{Network: n.Name}
		if n.Name != network.DefaultName {
			a.Aliases = o.Aliases
		}
		if i == 0 {
			if o.IP != "" {
				if a.IP, err = network.ParseIP("ip", o.IP); err != nil {
					return err
				}
				if err := n.CheckAddress(a.IP); err != nil {
					return err
				}
			}
			if o.MAC != "" {
				mac, err := network.ParseMAC(o.MAC)
				if err != nil {
					return err
				}
				a.MAC = mac.String()
			}
		}
		p.Attachments = append(p.Attachments, a)
	}
	return p.Validate()
}

// parsePorts fills the plan's published ports from -p and -P.
func parsePorts(p *network.Plan, o CreateOptions, img *imageMeta) error {
	for _, spec := range o.Publish {
		ms, err := network.ParsePublish(spec)
		if err != nil {
			return err
		}
		p.Ports = append(p.Ports, ms...)
	}
	if o.PublishAll {
		exposed, err := network.ExposedPorts(img.Config.ExposedPorts, p.Ports)
		if err != nil {
			return err
		}
		p.Ports = append(p.Ports, exposed...)
	}
	return network.CheckPortClashes(p.Ports)
}

// parseDNSAndHosts fills the plan's DNS settings and extra hosts.
func parseDNSAndHosts(p *network.Plan, o CreateOptions) error {
	for _, s := range o.DNS {
		ip, err := network.ParseIP("dns", s)
		if err != nil {
			return err
		}
		p.DNS.Servers = append(p.DNS.Servers, ip)
	}
	for _, s := range o.DNSSearch {
		d, err := network.ParseDNSSearch(s)
		if err != nil {
			return err
		}
		p.DNS.Search = append(p.DNS.Search, d)
	}
	for _, s := range o.DNSOptions {
		opt, err := network.ParseDNSOption(s)
		if err != nil {
			return err
		}
		p.DNS.Options = append(p.DNS.Options, opt)
	}
	for _, s := range o.AddHosts {
		h, err := network.ParseAddHost(s)
		if err != nil {
			return err
		}
		p.ExtraHosts = append(p.ExtraHosts, h)
	}
	return nil
}

// parseNetworkOpts applies --network-opt KEY=VALUE settings to the plan.
func parseNetworkOpts(p *network.Plan, opts []string) error {
	for _, o := range opts {
		k, v, ok := strings.Cut(o, "=")
		if !ok {
			return errdefs.Errorf(errdefs.ErrInvalidArgument, "--network-opt %q: want KEY=VALUE", o)
		}
		switch k {
		case "allow_host_loopback":
			b, err := strconv.ParseBool(v)
			if err != nil {
				return errdefs.Errorf(errdefs.ErrInvalidArgument, "--network-opt %q: want true or false", o)
			}
			if b && !p.Rootless {
				return errdefs.Errorf(errdefs.ErrInvalidArgument, "--network-opt allow_host_loopback is for rootless containers, whose host is reached through slirp4netns; as root the host is the bridge's gateway")
			}
			p.AllowHostLoopback = b
		default:
			return errdefs.Errorf(errdefs.ErrInvalidArgument, "--network-opt %q: unknown option (allow_host_loopback)", o)
		}
	}
	return nil
}
