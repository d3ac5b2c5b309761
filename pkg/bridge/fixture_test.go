package bridge

import (
	"net"
	"net/netip"
	"testing"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"

	"github.com/hutchctr/hutch/internal/testutil"
)

// requireNet fails the test unless it can build namespaces and run
// busybox in them.
func requireNet(t *testing.T) {
	t.Helper()
	testutil.Requires(t, testutil.Root(), testutil.Busybox())
}

// network is a test network: a bridge with its rules in a namespace.
type network struct {
	name, bridge string
	subnet       netip.Prefix
	gw           netip.Addr
}

func newNetwork(name, bridge, subnet string) network {
	p := pfx(subnet)
	return network{name: name, bridge: bridge, subnet: p, gw: p.Addr().Next()}
}

// addNetwork creates the network's bridge and rules in n.
func addNetwork(t *testing.T, n *Namespace, nw network, internal bool) {
	t.Helper()
	if err := n.EnsureBridge(BridgeConfig{Name: nw.bridge, Addrs: []netip.Prefix{netip.PrefixFrom(nw.gw, nw.subnet.Bits())}}); err != nil {
		t.Fatalf("EnsureBridge(%s): %v", nw.bridge, err)
	}
	if err := n.EnsureNetworkRules(NetworkRules{Network: nw.name, Bridge: nw.bridge, Subnets: []netip.Prefix{nw.subnet}, Internal: internal}); err != nil {
		t.Fatalf("EnsureNetworkRules(%s): %v", nw.name, err)
	}
}

// addContainer makes a container namespace attached to nw as eth0 with
// address host (the host part, e.g. 2 for .2), routed through the gateway.
func addContainer(t *testing.T, n *Namespace, nw network, id string, host byte) (string, netip.Addr) {
	t.Helper()
	ns := newNetNS(t)
	a := nw.subnet.Addr().As4()
	a[3] = host
	addr := netip.AddrFrom4(a)
	attach(t, n, nw, id, ns, "eth0", addr, true)
	return ns, addr
}

func attach(t *testing.T, n *Namespace, nw network, id, ns, ifname string, addr netip.Addr, route bool) {
	t.Helper()
	c := Iface{ContainerNS: ns, Name: ifname, Addrs: []netip.Prefix{netip.PrefixFrom(addr, nw.subnet.Bits())}}
	if route {
		c.Gateways = []netip.Addr{nw.gw}
	}
	if _, err := n.AttachVeth(nw.bridge, VethName(id, nw.name), c); err != nil {
		t.Fatalf("AttachVeth(%s on %s): %v", id, nw.name, err)
	}
}

// Addresses of the "outside world": a namespace connected to the bridge
// namespace by a veth, which routes everything through it.
var (
	hostOutside = pfx("203.0.113.1/24")
	outsideAddr = pfx("203.0.113.2/24")
)

// addOutside creates the outside namespace and returns its path.
func addOutside(t *testing.T, n *Namespace) string {
	t.Helper()
	out := addPeer(t, n, "uplink", hostOutside, outsideAddr)
	up, err := n.nl.LinkByName("uplink")
	if err != nil {
		t.Fatal(err)
	}
	def := &netlink.Route{LinkIndex: up.Attrs().Index, Dst: &net.IPNet{IP: net.IPv4zero.To4(), Mask: net.CIDRMask(0, 32)}, Gw: outsideAddr.Addr().AsSlice()}
	if err := n.nl.RouteAdd(def); err != nil {
		t.Fatalf("default route to the outside: %v", err)
	}
	return out
}

// addPeer creates a namespace linked to n by a veth pair: name in n (with
// address local, if valid), eth0 there (with address remote). It returns
// the new namespace's path.
func addPeer(t *testing.T, n *Namespace, name string, local, remote netip.Prefix) string {
	t.Helper()
	peer := newNetNS(t)
	h, err := netns.GetFromPath(peer)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: name}, PeerName: "eth0", PeerNamespace: netlink.NsFd(int(h))}
	if err := n.nl.LinkAdd(veth); err != nil {
		t.Fatalf("veth %s: %v", name, err)
	}
	l, err := n.nl.LinkByName(name)
	if err != nil {
		t.Fatal(err)
	}
	if local.IsValid() {
		if err := n.nl.AddrAdd(l, nlAddr(local)); err != nil {
			t.Fatal(err)
		}
	}
	if err := n.nl.LinkSetUp(l); err != nil {
		t.Fatal(err)
	}
	o := openNS(t, peer)
	eth, err := o.nl.LinkByName("eth0")
	if err != nil {
		t.Fatal(err)
	}
	if err := o.nl.AddrAdd(eth, nlAddr(remote)); err != nil {
		t.Fatal(err)
	}
	if err := o.nl.LinkSetUp(eth); err != nil {
		t.Fatal(err)
	}
	return peer
}
