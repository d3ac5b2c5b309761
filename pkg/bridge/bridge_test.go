package bridge

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hutchctr/hutch/pkg/errdefs"
)

// TestBridgeTwoContainers: two containers on one bridge reach each other
// and the gateway; detaching leaves no veth behind.
func TestBridgeTwoContainers(t *testing.T) {
	requireNet(t)
	t.Parallel()
	n := openNS(t, newNetNS(t))
	nw := newNetwork("n1", "hutch-t1", "10.200.0.0/24")
	addNetwork(t, n, nw, false)
	addNetwork(t, n, nw, false) // idempotent
	c1, a1 := addContainer(t, n, nw, "c1", 2)
	c2, a2 := addContainer(t, n, nw, "c2", 3)

	wantPing(t, c1, "c1", a2.String())
	wantPing(t, c2, "c2", a1.String())
	wantPing(t, c1, "c1", nw.gw.String())
	if out := mustNS(t, c1, "ip", "route"); !strings.Contains(out, "default via 10.200.0.1 dev eth0") {
		t.Errorf("c1's routes lack the default route via the gateway:\n%s", out)
	}
	for key, want := range map[string]string{"net/ipv4/ip_forward": "1", "net/ipv4/conf/hutch-t1/route_localnet": "1"} {
		if got, err := n.Sysctl(key); err != nil || got != want {
			t.Errorf("sysctl %s = %q, %v; want %q", key, got, err, want)
		}
	}

	for _, id := range []string{"c1", "c2"} {
		if err := n.DetachVeth(VethName(id, nw.name)); err != nil {
			t.Errorf("DetachVeth(%s): %v", id, err)
		}
		if err := n.DetachVeth(VethName(id, nw.name)); err != nil {
			t.Errorf("DetachVeth(%s) again: %v", id, err)
		}
	}
	if out := mustNS(t, n.Path(), "ip", "-o", "link"); strings.Contains(out, "veth") {
		t.Errorf("veths left in the bridge namespace:\n%s", out)
	}
	if out := mustNS(t, c1, "ip", "-o", "link"); strings.Contains(out, "eth0") {
		t.Errorf("eth0 left in the container:\n%s", out)
	}
	if err := n.DeleteBridge(nw.bridge); err != nil {
		t.Errorf("DeleteBridge: %v", err)
	}
	if err := n.DeleteBridge(nw.bridge); err != nil {
		t.Errorf("DeleteBridge again: %v", err)
	}
}

// TestAttachFailureLeavesNothing: an address the container cannot take
// (its own interface clashes) undoes the veth.
func TestAttachFailureLeavesNothing(t *testing.T) {
	requireNet(t)
	t.Parallel()
	n := openNS(t, newNetNS(t))
	nw := newNetwork("n1", "hutch-t2", "10.200.1.0/24")
	addNetwork(t, n, nw, false)
	ctr := newNetNS(t)
	mustNS(t, ctr, "ip", "link", "add", "eth0", "type", "veth", "peer", "name", "x0")
	_, err := n.AttachVeth(nw.bridge, VethName("c", nw.name), Iface{ContainerNS: ctr, Name: "eth0"})
	if err == nil {
		t.Fatal("AttachVeth with a clashing name succeeded")
	}
	if out := mustNS(t, n.Path(), "ip", "-o", "link"); strings.Contains(out, "veth") {
		t.Errorf("veth left after a failed attach:\n%s", out)
	}
	if _, err := n.AttachVeth("nope", "vethx", Iface{ContainerNS: ctr, Name: "eth1"}); err == nil {
		t.Error("AttachVeth to a missing bridge succeeded")
	}
	if err := n.EnsureBridge(BridgeConfig{Name: "x0"}); err != nil {
		t.Errorf("EnsureBridge(x0) in the bridge namespace: %v", err)
	}
	mustNS(t, n.Path(), "ip", "link", "add", "notbr", "type", "veth", "peer", "name", "notbr1")
	if err := n.EnsureBridge(BridgeConfig{Name: "notbr"}); !errdefs.IsConflict(err) {
		t.Errorf("EnsureBridge(a veth) error = %v, want conflict", err)
	}
}

// TestPolicies: isolation between networks, a container on two networks
// reaching both, an internal network with no route out, and masquerade to
// the outside namespace (which sees the bridge namespace's address); with
// and without netfilter on bridged traffic (br_netfilter).
func TestPolicies(t *testing.T) {
	requireNet(t)
	for _, brnf := range []string{"1", "0"} {
		t.Run("bridge-nf-call-iptables="+brnf, func(t *testing.T) {
			t.Parallel()
			testPolicies(t, brnf)
		})
	}
}

func testPolicies(t *testing.T, brnf string) {
	n := openNS(t, newNetNS(t))
	if err := n.SetSysctl("net/bridge/bridge-nf-call-iptables", brnf); err != nil {
		t.Fatal(err)
	}
	outside := addOutside(t, n)
	a := newNetwork("a", "hutch-a", "10.201.0.0/24")
	b := newNetwork("b", "hutch-b", "10.202.0.0/24")
	in := newNetwork("in", "hutch-in", "10.203.0.0/24")
	addNetwork(t, n, a, false)
	addNetwork(t, n, b, false)
	addNetwork(t, n, in, true)
	a1, aIP := addContainer(t, n, a, "a1", 2)
	b1, bIP := addContainer(t, n, b, "b1", 2)
	i1, _ := addContainer(t, n, in, "i1", 2)
	ab, _ := addContainer(t, n, a, "ab", 3)
	attach(t, n, b, "ab", ab, "eth1", ip("10.202.0.3"), false)

	wantNoPing(t, a1, "a1", bIP.String())
	wantNoPing(t, b1, "b1", aIP.String())
	wantPing(t, ab, "ab (on a and b)", aIP.String())
	wantPing(t, ab, "ab (on a and b)", bIP.String())
	wantPing(t, a1, "a1", outsideAddr.Addr().String())
	wantNoPing(t, i1, "i1 (internal)", outsideAddr.Addr().String())
	wantNoPing(t, outside, "outside", "10.203.0.2")

	o := openNS(t, outside)
	peers := serve(t, o, "tcp", "0.0.0.0:9000")
	if err := dial(openNS(t, a1), "tcp", "203.0.113.2:9000"); err != nil {
		t.Fatalf("a1 → outside: %v", err)
	}
	if got, want := peer(t, peers), hostOutside.Addr().String(); got != want {
		t.Errorf("outside saw a1's connection from %s, want %s (masqueraded)", got, want)
	}
}

// TestNetworkRules: rules are idempotent and removed exactly.
func TestNetworkRules(t *testing.T) {
	requireNet(t)
	t.Parallel()
	n := openNS(t, newNetNS(t))
	a := newNetwork("a", "hutch-a", "10.201.0.0/24")
	b := newNetwork("b", "hutch-b", "10.202.0.0/24")
	addNetwork(t, n, a, false)
	addNetwork(t, n, b, true)
	before := ruleset(t, n)
	addNetwork(t, n, a, false)
	if diff := cmp.Diff(ruleset(t, n), before); diff != "" {
		t.Errorf("ruleset changed by a second EnsureNetworkRules (-got +want):\n%s", diff)
	}
	if err := n.RemoveNetworkRules("a", a.bridge); err != nil {
		t.Fatal(err)
	}
	if err := n.RemoveNetworkRules("a", a.bridge); err != nil {
		t.Errorf("RemoveNetworkRules again: %v", err)
	}
	rs := ruleset(t, n)
	if strings.Contains(rs, `"net:a"`) || strings.Contains(rs, `"hutch-a"`) {
		t.Errorf("rules of network a left:\n%s", rs)
	}
	if !strings.Contains(rs, `"net:b"`) {
		t.Errorf("rules of network b gone:\n%s", rs)
	}
	if err := n.RemoveFirewall(); err != nil {
		t.Fatal(err)
	}
	if err := n.RemoveFirewall(); err != nil {
		t.Errorf("RemoveFirewall again: %v", err)
	}
	if rs := ruleset(t, n); strings.Contains(rs, "hutch") {
		t.Errorf("table left after RemoveFirewall:\n%s", rs)
	}
}

// ruleset is the namespace's ruleset as nft prints it.
func ruleset(t *testing.T, n *Namespace) string {
	t.Helper()
	return mustNS(t, n.Path(), "nft", "list", "ruleset")
}

func TestRoutes(t *testing.T) {
	requireNet(t)
	t.Parallel()
	n := openNS(t, newNetNS(t))
	addOutside(t, n)
	addNetwork(t, n, newNetwork("a", "hutch-a", "10.201.0.0/24"), false)
	got, err := n.Routes()
	if err != nil {
		t.Fatal(err)
	}
	want := []Route{{pfx("0.0.0.0/0"), "uplink"}, {pfx("10.201.0.0/24"), "hutch-a"}, {pfx("203.0.113.0/24"), "uplink"}}
	if diff := cmp.Diff(got, want, cmp.Comparer(func(a, b Route) bool { return a == b })); diff != "" {
		t.Errorf("Routes() (-got +want):\n%s", diff)
	}
}

func TestOpenMissing(t *testing.T) {
	requireNet(t)
	if _, err := Open("/proc/999999999/ns/net"); !errors.Is(err, errdefs.ErrNotFound) {
		t.Errorf("Open(missing) error = %v, want not found", err)
	}
}
