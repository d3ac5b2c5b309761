package bridge

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/hutchctr/hutch/pkg/errdefs"
)

// TestMacvlan: two containers with macvlan links on a veth parent reach
// each other and the LAN (a namespace at the veth's other end); detaching
// removes the link.
func TestMacvlan(t *testing.T) {
	requireNet(t)
	t.Parallel()
	n := openNS(t, newNetNS(t))
	lan := addPeer(t, n, "lan0", netip.Prefix{}, pfx("10.210.0.1/24"))
	lw := Lower{Kind: KindMacvlan, Parent: "lan0"}
	var ctrs []string
	for i, a := range []string{"10.210.0.2/24", "10.210.0.3/24"} {
		ctr := newNetNS(t)
		mac, err := n.AttachLower(lw, Iface{ContainerNS: ctr, Name: "eth0", Addrs: []netip.Prefix{pfx(a)}, Gateways: []netip.Addr{ip("10.210.0.1")}})
		if err != nil {
			t.Fatalf("AttachLower(macvlan %d): %v", i, err)
		}
		if mac == nil || mac[0]&2 == 0 {
			t.Errorf("macvlan MAC %s, want a locally administered one", mac)
		}
		ctrs = append(ctrs, ctr)
	}
	wantPing(t, ctrs[0], "macvlan c1", "10.210.0.1")
	wantPing(t, ctrs[0], "macvlan c1", "10.210.0.3")
	wantPing(t, lan, "lan", "10.210.0.2")
	if err := DetachIface(ctrs[0], "eth0"); err != nil {
		t.Fatal(err)
	}
	if out := mustNS(t, ctrs[0], "ip", "-o", "link"); strings.Contains(out, "eth0") {
		t.Errorf("eth0 left after DetachIface:\n%s", out)
	}
	if err := DetachIface(ctrs[0], "eth0"); err != nil {
		t.Errorf("DetachIface again: %v", err)
	}
	if _, err := n.AttachLower(Lower{Kind: KindMacvlan, Parent: "nope"}, Iface{ContainerNS: ctrs[0], Name: "eth0"}); !errdefs.IsNotFound(err) {
		t.Errorf("AttachLower(missing parent) error = %v, want not found", err)
	}
	if _, err := n.AttachLower(Lower{Kind: KindMacvlan, Parent: "lan0", Mode: "l3"}, Iface{ContainerNS: ctrs[0], Name: "eth0"}); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Errorf("AttachLower(bad mode) error = %v, want invalid argument", err)
	}
}

// TestIPVlan: an ipvlan link on a veth parent reaches the LAN, or, on a
// kernel without ipvlan (CONFIG_IPVLAN unset, as this CI kernel), the
// error says so.
func TestIPVlan(t *testing.T) {
	requireNet(t)
	t.Parallel()
	n := openNS(t, newNetNS(t))
	lan := addPeer(t, n, "lan0", netip.Prefix{}, pfx("10.211.0.1/24"))
	ctr := newNetNS(t)
	_, err := n.AttachLower(Lower{Kind: KindIPVlan, Parent: "lan0", Mode: "l2"}, Iface{ContainerNS: ctr, Name: "eth0", Addrs: []netip.Prefix{pfx("10.211.0.2/24")}})
	if errors.Is(err, errdefs.ErrNotImplemented) {
		if !strings.Contains(err.Error(), "this kernel has no ipvlan support (CONFIG_IPVLAN)") {
			t.Errorf("error %q does not say the kernel lacks ipvlan", err)
		}
		t.Logf("kernel without ipvlan: %v", err)
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	wantPing(t, ctr, "ipvlan c1", "10.211.0.1")
	wantPing(t, lan, "lan", "10.211.0.2")
}
