package bridge

import (
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// hostLoopComments lists the comments of the hostloop chain, in order.
func hostLoopComments(t *testing.T, n *Namespace) []string {
	t.Helper()
	c, err := n.nft()
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseLasting()
	st, err := existingState(c)
	if err != nil || st == nil {
		t.Fatalf("hutch's table: %v", err)
	}
	rules, err := rulesTagged(c, st, []string{chainHostLoop}, func(string) bool { return true })
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range rules {
		out = append(out, ruleComment(r))
	}
	return out
}

// TestHostLoopback: the guard stays last, exceptions go ahead of it, one
// group per container, and go with Disallow or Reconcile.
func TestHostLoopback(t *testing.T) {
	requireNet(t)
	t.Parallel()
	n := openNS(t, newNetNS(t))
	gw := netip.MustParseAddr("10.0.2.2")
	for range 2 { // idempotent
		if err := n.GuardHostLoopback(gw); err != nil {
			t.Fatal(err)
		}
	}
	a1, a2 := netip.MustParseAddr("10.88.0.2"), netip.MustParseAddr("10.88.0.3")
	if err := n.AllowHostLoopback("c1", []netip.Addr{a1, netip.MustParseAddr("fd00::2")}, gw); err != nil {
		t.Fatal(err)
	}
	if err := n.AllowHostLoopback("c2", []netip.Addr{a2}, gw); err != nil {
		t.Fatal(err)
	}
	want := []string{"ctr:c2 hostloop", "ctr:c1 hostloop", "guard"} // IPv6 addresses get no rule
	if diff := cmp.Diff(hostLoopComments(t, n), want); diff != "" {
		t.Errorf("hostloop chain (-got +want):\n%s", diff)
	}
	if _, err := n.Reconcile(func(id string) bool { return id == "c1" }); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(hostLoopComments(t, n), []string{"ctr:c1 hostloop", "guard"}); diff != "" {
		t.Errorf("after Reconcile with c2 dead (-got +want):\n%s", diff)
	}
	for range 2 { // a missing exception is no error
		if err := n.DisallowHostLoopback("c1"); err != nil {
			t.Fatal(err)
		}
	}
	if diff := cmp.Diff(hostLoopComments(t, n), []string{"guard"}); diff != "" {
		t.Errorf("after Disallow (-got +want):\n%s", diff)
	}
}
