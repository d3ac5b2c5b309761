package bridge

import (
	"os"
	"strings"
	"testing"

	"github.com/hutchctr/hutch/internal/testutil"
)

// TestRootless runs TestRootlessInner as the unprivileged test user inside
// a user namespace of its own (uid 0 ↦ the user), the way a rootless
// monitor runs in the namespace holder: the bridge's namespace and the
// containers' are owned by that user namespace, and the process is root
// only there.
func TestRootless(t *testing.T) {
	requireNet(t)
	testutil.RunRootlessInner(t, "bridge.test", usernsEnv)
}

// TestRootlessInner is TestRootless's body; it runs only there.
func TestRootlessInner(t *testing.T) {
	if os.Getenv(usernsEnv) != "in" {
		t.Skip("runs inside TestRootless's user namespace")
	}
	if m, _ := os.ReadFile("/proc/self/uid_map"); strings.Fields(string(m))[1] == "0" {
		t.Fatalf("not in a user namespace of an unprivileged user: uid_map %q", m)
	}
	holder := openNS(t, newNetNS(t)) // the holder's network namespace N
	nw := newNetwork("n1", "hutch0", "10.88.0.0/16")
	addNetwork(t, holder, nw, false)
	c1, a1 := addContainer(t, holder, nw, "c1", 2)
	c2, a2 := addContainer(t, holder, nw, "c2", 3)
	wantPing(t, c1, "c1", a2.String())
	wantPing(t, c2, "c2", a1.String())
	wantPing(t, c1, "c1", nw.gw.String())
	if got, err := holder.Sysctl("net/ipv4/ip_forward"); err != nil || got != "1" {
		t.Errorf("ip_forward in the holder's namespace = %q, %v; want 1", got, err)
	}

	// Ports (rootless hutch publishes through rootlesskit, but the rules
	// work in N too).
	peers := serve(t, openNS(t, c1), "tcp", "0.0.0.0:80")
	if err := holder.Publish("c1", []PortRule{{Proto: "tcp", HostPort: 8080, ContainerIP: a1, ContainerPort: 80}}); err != nil {
		t.Fatal(err)
	}
	if err := dial(holder, "tcp", "127.0.0.1:8080"); err != nil {
		t.Fatalf("N's loopback → published port: %v", err)
	}
	if got := peer(t, peers); got != nw.gw.String() {
		t.Errorf("server saw %s, want the gateway %s", got, nw.gw)
	}
	if err := holder.CheckPortFree("tcp", ip("127.0.0.1"), 8080); err != nil {
		t.Errorf("CheckPortFree(8080) = %v: a DNAT rule holds no socket", err)
	}
	if err := holder.Unpublish("c1"); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"c1", "c2"} {
		if err := holder.DetachVeth(VethName(id, nw.name)); err != nil {
			t.Errorf("DetachVeth(%s): %v", id, err)
		}
	}
	if err := holder.RemoveNetworkRules(nw.name, nw.bridge); err != nil {
		t.Error(err)
	}
	if err := holder.DeleteBridge(nw.bridge); err != nil {
		t.Error(err)
	}
}
