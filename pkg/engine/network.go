package engine

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/hutchctr/hutch/pkg/dns"
	"github.com/hutchctr/hutch/pkg/errdefs"
	"github.com/hutchctr/hutch/pkg/network"
)

// NetworkCreateOptions are the settings of `hutch network create`. The
// strings are the user's; CreateNetwork validates them.
type NetworkCreateOptions struct {
	// Name is required.
	Name string
	// Driver is bridge (the default), macvlan or ipvlan.
	Driver string
	// Subnets are CIDR prefixes; Gateways and IPRanges belong to the
	// subnet at the same position.
	Subnets, Gateways, IPRanges []string
	Internal                    bool
	DisableDNS                  bool
	// IPv6 asks for an IPv6 subnet (one must be given).
	IPv6 bool
	// Interface names the bridge (--interface-name); "" picks hutchN.
	Interface string
	// Options are -o values: KEY=VALUE, several separated by commas.
	Options []string
	// IPAMDriver is host-local (also "static", the default) or dhcp.
	IPAMDriver string
	Labels     map[string]string
	// Ignore makes an existing network of the same name no error.
	Ignore bool
}

// NetworkListOptions are the settings of `hutch network ls`.
type NetworkListOptions struct {
	// Filters maps name (regexp), id (prefix), driver and label (KEY or
	// KEY=VALUE) to values; values of one key are ORed, keys ANDed.
	Filters map[string][]string
}

// NetworkRemoveOptions are the settings of `hutch network rm`.
type NetworkRemoveOptions struct {
	// Force removes the containers that use the network first.
	Force bool
	// Timeout is the stop timeout Force uses for running containers.
	Timeout *uint
}

// NetworkInspect is a network as `network inspect` and `network ls
// --format json` show it: Podman 4's field names.
type NetworkInspect struct {
	Name             string            `json:"name"`
	ID               string            `json:"id"`
	Driver           string            `json:"driver"`
	NetworkInterface string            `json:"network_interface,omitempty"`
	Created          time.Time         `json:"created"`
	Subnets          []NetworkSubnet   `json:"subnets,omitempty"`
	IPv6Enabled      bool              `json:"ipv6_enabled"`
	Internal         bool              `json:"internal"`
	DNSEnabled       bool              `json:"dns_enabled"`
	Labels           map[string]string `json:"labels,omitempty"`
	Options          map[string]string `json:"options,omitempty"`
	IPAMOptions      map[string]string `json:"ipam_options,omitempty"`
}

// NetworkSubnet is one address range of a network.
type NetworkSubnet struct {
	Subnet  string `json:"subnet"`
	Gateway string `json:"gateway,omitempty"`
	// LeaseRange is set with --ip-range: the addresses containers get.
	LeaseRange *LeaseRange `json:"lease_range,omitempty"`
}

// LeaseRange is the first and last address given to containers.
type LeaseRange struct {
	StartIP string `json:"start_ip"`
	EndIP   string `json:"end_ip"`
}

// ipamHostLocal is Podman's name for hutch's static IPAM driver.
const ipamHostLocal = "host-local"

// CreateNetwork creates a network and returns its name.
func (e *Engine) CreateNetwork(ctx context.Context, o NetworkCreateOptions) (string, error) {
	n, err := networkFromOptions(o)
	if err != nil {
		return "", err
	}
	mgr, hostNS, err := e.networks(ctx)
	if err != nil {
		return "", err
	}
	// Subnets are checked against the default network's: make sure it
	// exists, as it does implicitly for the user.
	sub, err := e.defaultSubnet()
	if err != nil {
		return "", err
	}
	if _, err := mgr.Store.Default(sub); err != nil {
		return "", err
	}
	created, err := mgr.CreateNetwork(n, hostNS, e.paths.Rootless)
	if err != nil {
		if o.Ignore && errors.Is(err, errdefs.ErrAlreadyExists) {
			return n.Name, nil
		}
		return "", err
	}
	return created.Name, nil
}

// networkFromOptions turns the user's strings into a network to create.
func networkFromOptions(o NetworkCreateOptions) (network.Network, error) {
	n := network.Network{
		Name: o.Name, Driver: o.Driver, Interface: o.Interface, Internal: o.Internal, Labels: o.Labels,
	}
	if n.Driver == "" {
		n.Driver = network.DriverBridge
	}
	n.DNSEnabled = n.Driver == network.DriverBridge && !o.DisableDNS
	switch o.IPAMDriver {
	case "", ipamHostLocal, network.IPAMStatic:
		n.IPAMDriver = network.IPAMStatic
	case network.IPAMDHCP:
		n.IPAMDriver = network.IPAMDHCP
	default:
		return n, errdefs.Errorf(errdefs.ErrInvalidArgument, "--ipam-driver %q: use host-local or dhcp", o.IPAMDriver)
	}
	subnets, err := parseSubnets(o.Subnets, o.Gateways, o.IPRanges)
	if err != nil {
		return n, err
	}
	n.Subnets = subnets
	if o.IPv6 && !slices.ContainsFunc(subnets, func(s network.Subnet) bool { return s.Subnet.Addr().Is6() }) {
		return n, errdefs.Errorf(errdefs.ErrInvalidArgument, "--ipv6 needs an IPv6 --subnet: hutch does not pick IPv6 subnets itself")
	}
	if n.Options, err = parseNetworkOptions(o.Options); err != nil {
		return n, err
	}
	return n, nil
}

// parseSubnets pairs --subnet, --gateway and --ip-range by position.
func parseSubnets(subnets, gateways, ranges []string) ([]network.Subnet, error) {
	if len(gateways) > len(subnets) {
		return nil, errdefs.Errorf(errdefs.ErrInvalidArgument, "--gateway %s has no --subnet: give one --subnet per --gateway, in the same order", gateways[len(subnets)])
	}
	if len(ranges) > len(subnets) {
		return nil, errdefs.Errorf(errdefs.ErrInvalidArgument, "--ip-range %s has no --subnet: give one --subnet per --ip-range, in the same order", ranges[len(subnets)])
	}
	if len(subnets) == 0 {
		return nil, nil
	}
	out := make([]network.Subnet, len(subnets))
	for i, s := range subnets {
		p, err := netip.ParsePrefix(strings.TrimSpace(s))
		if err != nil {
			return nil, errdefs.Errorf(errdefs.ErrInvalidArgument, "--subnet %q: not a subnet like 10.89.1.0/24", s)
		}
		out[i].Subnet = p
		if i < len(gateways) && gateways[i] != "" {
			gw, err := netip.ParseAddr(strings.TrimSpace(gateways[i]))
			if err != nil {
				return nil, errdefs.Errorf(errdefs.ErrInvalidArgument, "--gateway %q: not an IP address", gateways[i])
			}
			out[i].Gateway = gw
		}
		if i < len(ranges) && ranges[i] != "" {
			r, err := netip.ParsePrefix(strings.TrimSpace(ranges[i]))
			if err != nil {
				return nil, errdefs.Errorf(errdefs.ErrInvalidArgument, "--ip-range %q: not a range like 10.89.1.128/25", ranges[i])
			}
			out[i].IPRange = r
		}
	}
	return out, nil
}

// parseNetworkOptions parses -o values: KEY=VALUE, or several separated
// by commas (parent=eth0,mode=bridge). The network checks the keys.
func parseNetworkOptions(in []string) (map[string]string, error) {
	if len(in) == 0 {
		return nil, nil
	}
	out := map[string]string{}
	for _, v := range in {
		for _, kv := range strings.Split(v, ",") {
			k, val, ok := strings.Cut(strings.TrimSpace(kv), "=")
			if !ok || k == "" {
				return nil, errdefs.Errorf(errdefs.ErrInvalidArgument, "-o %q: want KEY=VALUE (parent=IF, mode=MODE, mtu=N)", v)
			}
			out[k] = val
		}
	}
	return out, nil
}

// networkStore opens the network records without joining anything
// (listing and inspecting need no namespace), with the default network
// written on first use.
func (e *Engine) networkStore() (*network.Store, error) {
	s, err := e.openNetworkStore()
	if err != nil {
		return nil, err
	}
	sub, err := e.defaultSubnet()
	if err != nil {
		return nil, err
	}
	if _, err := s.Default(sub); err != nil {
		return nil, err
	}
	return s, nil
}

func (e *Engine) openNetworkStore() (*network.Store, error) {
	if e.netMgr != nil {
		return e.netMgr.Store, nil
	}
	return network.Open(e.paths.Data, network.Options{Alive: e.monitorAlive})
}

// Networks lists the networks matching o, sorted by name.
func (e *Engine) Networks(ctx context.Context, o NetworkListOptions) ([]NetworkInspect, error) {
	match, err := networkFilter(o.Filters)
	if err != nil {
		return nil, err
	}
	s, err := e.networkStore()
	if err != nil {
		return nil, err
	}
	all, err := s.List()
	if err != nil {
		return nil, err
	}
	out := []NetworkInspect{}
	for _, n := range all {
		if match(n) {
			out = append(out, inspectNetwork(n))
		}
	}
	return out, nil
}

// NetworkNames lists the networks' names, sorted (shell completion). It
// writes nothing: the default network is listed whether or not its
// record exists yet.
func (e *Engine) NetworkNames(ctx context.Context) ([]string, error) {
	s, err := e.openNetworkStore()
	if err != nil {
		return nil, err
	}
	all, err := s.List()
	if err != nil {
		return nil, err
	}
	names := []string{network.DefaultName}
	for _, n := range all {
		if n.Name != network.DefaultName {
			names = append(names, n.Name)
		}
	}
	slices.Sort(names)
	return names, nil
}

// InspectNetwork describes the network named ref (or with that ID or ID
// prefix).
func (e *Engine) InspectNetwork(ctx context.Context, ref string) (*NetworkInspect, error) {
	s, err := e.networkStore()
	if err != nil {
		return nil, err
	}
	n, err := s.Get(ref)
	if err != nil {
		return nil, err
	}
	doc := inspectNetwork(n)
	return &doc, nil
}

func inspectNetwork(n *network.Network) NetworkInspect {
	d := NetworkInspect{
		Name: n.Name, ID: n.ID, Driver: n.Driver, NetworkInterface: n.Interface, Created: n.Created,
		Internal: n.Internal, DNSEnabled: n.DNSEnabled, Labels: n.Labels, Options: n.Options,
		IPAMOptions: map[string]string{"driver": ipamHostLocal},
	}
	if n.IPAMDriver == network.IPAMDHCP {
		d.IPAMOptions["driver"] = network.IPAMDHCP
	}
	if n.Driver != network.DriverBridge {
		d.NetworkInterface = n.Options[network.OptParent] // as Podman shows it
	}
	for _, s := range n.Subnets {
		sub := NetworkSubnet{Subnet: s.Subnet.String(), LeaseRange: leaseRange(s)}
		if s.Gateway.IsValid() {
			sub.Gateway = s.Gateway.String()
		}
		d.IPv6Enabled = d.IPv6Enabled || s.Subnet.Addr().Is6()
		d.Subnets = append(d.Subnets, sub)
	}
	return d
}

// leaseRange is the part of an --ip-range containers get: without the
// subnet's network and (IPv4) broadcast addresses, as the IPAM allocates,
// nor the gateway at either end.
func leaseRange(s network.Subnet) *LeaseRange {
	if !s.IPRange.IsValid() {
		return nil
	}
	first, last := s.IPRange.Masked().Addr(), lastAddr(s.IPRange)
	if first == s.Subnet.Masked().Addr() || first == s.Gateway {
		first = first.Next()
	}
	if first.Is4() && last == lastAddr(s.Subnet) {
		last = last.Prev()
	}
	if last == s.Gateway {
		last = last.Prev()
	}
	return &LeaseRange{StartIP: first.String(), EndIP: last.String()}
}

// lastAddr is the last address of p (IPv4: its broadcast address).
func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// networkFilter compiles `network ls --filter` keys.
func networkFilter(filters map[string][]string) (func(*network.Network) bool, error) {
	var preds []func(*network.Network) bool
	for key, values := range filters {
		var one []func(*network.Network) bool
		for _, v := range values {
			p, err := networkPredicate(key, v)
			if err != nil {
				return nil, err
			}
			one = append(one, p)
		}
		preds = append(preds, func(n *network.Network) bool {
			return len(one) == 0 || slices.ContainsFunc(one, func(p func(*network.Network) bool) bool { return p(n) })
		})
	}
	return func(n *network.Network) bool {
		for _, p := range preds {
			if !p(n) {
				return false
			}
		}
		return true
	}, nil
}

func networkPredicate(key, v string) (func(*network.Network) bool, error) {
	switch key {
	case "name":
		re, err := regexp.Compile(v)
		if err != nil {
			return nil, errdefs.Errorf(errdefs.ErrInvalidArgument, "filter name=%s: %v", v, err)
		}
		return func(n *network.Network) bool { return re.MatchString(n.Name) }, nil
	case "id":
		return func(n *network.Network) bool { return strings.HasPrefix(n.ID, v) }, nil
	case "driver":
		return func(n *network.Network) bool { return n.Driver == v }, nil
	case "label":
		k, val, hasVal := strings.Cut(v, "=")
		return func(n *network.Network) bool {
			got, ok := n.Labels[k]
			return ok && (!hasVal || got == val)
		}, nil
	}
	return nil, errdefs.Errorf(errdefs.ErrInvalidArgument, "network filter %q: use name, id, driver or label", key)
}

// RemoveNetwork removes a network, its bridge and firewall rules. A
// network that containers use is refused (a Conflict naming them) unless
// o.Force, which removes those containers first. The default network
// cannot be removed.
func (e *Engine) RemoveNetwork(ctx context.Context, ref string, o NetworkRemoveOptions) error {
	mgr, hostNS, err := e.networks(ctx)
	if err != nil {
		return err
	}
	n, err := mgr.Store.Get(ref)
	if err != nil {
		return err
	}
	if n.Name == network.DefaultName {
		return errdefs.Errorf(errdefs.ErrInvalidArgument, "network %q is the default network: it cannot be removed", n.Name)
	}
	users, err := e.networkUsers(mgr.Store, n.Name)
	if err != nil {
		return err
	}
	if len(users) > 0 && !o.Force {
		return &network.InUseError{Network: n.Name, Containers: users}
	}
	for _, id := range users {
		err := e.Remove(ctx, id, RemoveOptions{Force: true, Timeout: o.Timeout})
		if err != nil && !errors.Is(err, errdefs.ErrNotFound) {
			return fmt.Errorf("network %q: remove its container %.12s: %w", n.Name, id, err)
		}
	}
	return e.dropNetwork(ctx, mgr, n.Name, o.Force, hostNS)
}

// dropNetwork stops the network's DNS responder (nothing is attached any
// more) and removes the network.
func (e *Engine) dropNetwork(ctx context.Context, mgr *network.Manager, name string, force bool, hostNS string) error {
	if err := dns.Stop(ctx, mgr.Store.Dir(name)); err != nil {
		logf(ctx, "network %s: %v", name, err)
	}
	return mgr.RemoveNetwork(name, nil, force, hostNS)
}

// networkUsers returns the IDs of the containers configured on the
// network (in any state) or holding an address on it, sorted.
func (e *Engine) networkUsers(s *network.Store, name string) ([]string, error) {
	ids, err := s.Users(name)
	if err != nil {
		return nil, err
	}
	records, err := e.state.List()
	if err != nil {
		return nil, err
	}
	for _, c := range records {
		if onNetwork(c.Config.Network, name) && !slices.Contains(ids, c.Config.ID) {
			ids = append(ids, c.Config.ID)
		}
	}
	slices.Sort(ids)
	return ids, nil
}

// onNetwork reports whether plan attaches to the network.
func onNetwork(plan *network.Plan, name string) bool {
	return plan != nil && slices.ContainsFunc(plan.Attachments, func(a network.Attachment) bool { return a.Network == name })
}

// PruneNetworks removes every network no container uses, except the
// default one, and returns their names.
func (e *Engine) PruneNetworks(ctx context.Context) ([]string, error) {
	mgr, hostNS, err := e.networks(ctx)
	if err != nil {
		return nil, err
	}
	all, err := mgr.Store.List()
	if err != nil {
		return nil, err
	}
	var removed []string
	var errs []error
	for _, n := range all {
		if n.Name == network.DefaultName {
			continue
		}
		users, err := e.networkUsers(mgr.Store, n.Name)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if len(users) > 0 {
			continue
		}
		err = e.dropNetwork(ctx, mgr, n.Name, false, hostNS)
		switch {
		case err == nil:
			removed = append(removed, n.Name)
		case !errors.Is(err, errdefs.ErrConflict) && !errors.Is(err, errdefs.ErrNotFound):
			// In use or removed meanwhile: not prunable after all.
			errs = append(errs, err)
		}
	}
	return removed, errors.Join(errs...)
}
