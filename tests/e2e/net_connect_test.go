//go:build e2e

package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// Subnets the tests give their networks. Each root test has a network
// namespace of its own and each rootless test a holder of its own, so tests
// reuse them freely; none overlaps the default 10.88.0.0/16 or the
// "outside" 192.0.2.0/24.
const (
	frontSubnet  = "10.201.0.0/24"
	frontGateway = "10.201.0.1"
	backSubnet   = "10.202.0.0/24"
	sealedSubnet = "10.203.0.0/24"
	defaultNet   = "10.88.0.0/16"
	defaultGW    = "10.88.0.1"
)

// TestNetUserNetworkByIPAndName: on a user-defined network containers reach
// each other by address, by name and by alias (hutch's DNS responder on the
// gateway, case-insensitive), and a name stops resolving when its container
// stops.
func TestNetUserNetworkByIPAndName(t *testing.T) {
	t.Parallel()
	n := newNetEnv(t)
	n.ok(t, "network", "create", "--subnet", frontSubnet, "front")
	n.runDetached(t, serverArgs("srv", imageName, "--network", "front", "--network-alias", "web")...)
	n.runDetached(t, sleeperArgs("cli", "--network", "front")...)
	ip := n.ipIn(t, "srv", frontSubnet)
	n.waitReach(t, "cli", ip, "srv")
	if resolv := n.ok(t, "exec", "cli", "cat", "/etc/resolv.conf"); !strings.Contains(resolv, "nameserver "+frontGateway) {
		t.Errorf("resolv.conf on a network with DNS does not name its gateway %s:\n%s", frontGateway, resolv)
	}
	for _, name := range []string{"srv", "web", "SRV"} {
		if got := n.lookup(t, "cli", name); !strings.Contains(got, ip) {
			t.Errorf("nslookup %s from cli: got %q, want %s", name, got, ip)
		}
	}
	// The C library's resolver (busybox nc), not only nslookup.
	n.waitReach(t, "cli", "srv", "srv")
	n.waitReach(t, "cli", "web", "srv")
	n.ok(t, "stop", "-t", "0", "srv")
	for _, name := range []string{"srv", "web"} {
		var r result
		eventually(t, 10*time.Second, func() bool {
			r = n.runWith(t, runOpts{Timeout: 30 * time.Second}, "exec", "cli", "busybox", "nslookup", "-type=a", name)
			return r.Code != 0 && !strings.Contains(r.Stdout, ip)
		}, func() string {
			return "the stopped container's name " + name + " to stop resolving; last: " + r.String()
		})
	}
}

// lookup returns the addresses nslookup (busybox's own resolver, which
// reads /etc/resolv.conf) finds for name in ctr, or "" if it fails.
func (n *netEnv) lookup(t testing.TB, ctr, name string) string {
	t.Helper()
	r := n.runWith(t, runOpts{Timeout: 30 * time.Second}, "exec", ctr, "busybox", "nslookup", "-type=a", name)
	if r.Code != 0 {
		return ""
	}
	// The answer follows "Name:"; the "Address:" before it is the server's.
	_, answer, _ := strings.Cut(r.Stdout, "Name:")
	var addrs []string
	for _, l := range strings.Split(answer, "\n") {
		if a, ok := strings.CutPrefix(strings.TrimSpace(l), "Address:"); ok {
			addrs = append(addrs, strings.TrimSpace(a))
		}
	}
	return strings.Join(addrs, " ")
}

// TestNetDefaultNetwork: without --network a container is on the default
// bridge network (10.88.0.0/16, gateway 10.88.0.1): it reaches another by
// address, not by name (no DNS there, as in Podman), and resolv.conf does
// not point at the gateway nor at a loopback resolver.
func TestNetDefaultNetwork(t *testing.T) {
	t.Parallel()
	n := newNetEnv(t)
	n.runDetached(t, serverArgs("srv", imageName)...)
	n.runDetached(t, sleeperArgs("cli", "--network", "bridge")...)
	ip := n.ipIn(t, "srv", defaultNet)
	n.ipIn(t, "cli", defaultNet)
	n.waitReach(t, "cli", ip, "srv")
	if got := n.inspect(t, "srv", "{{.NetworkSettings.IPAddress}}"); got != ip {
		t.Errorf("inspect .NetworkSettings.IPAddress = %q, want %s", got, ip)
	}
	if got := n.inspect(t, "srv", "{{.HostConfig.NetworkMode}}"); got != "bridge" {
		t.Errorf("inspect .HostConfig.NetworkMode = %q, want bridge", got)
	}
	if routes := n.ok(t, "exec", "cli", "ip", "route"); !strings.Contains(routes, "default via "+defaultGW) {
		t.Errorf("no default route via %s:\n%s", defaultGW, routes)
	}
	if got := n.lookup(t, "cli", "srv"); got != "" {
		t.Errorf("the name srv resolved on the default network: %s", got)
	}
	n.wantNoReach(t, "cli", "srv", "no DNS on the default network")
	resolv := n.ok(t, "exec", "cli", "cat", "/etc/resolv.conf")
	for _, bad := range []string{"nameserver " + defaultGW, "nameserver 127."} {
		if strings.Contains(resolv, bad) {
			t.Errorf("resolv.conf on the default network has %q:\n%s", bad, resolv)
		}
	}
	if hosts := n.ok(t, "exec", "srv", "cat", "/etc/hosts"); !hostsHas(hosts, ip, "srv") {
		t.Errorf("/etc/hosts lacks %s srv:\n%s", ip, hosts)
	}
}

// hostsHas reports whether an /etc/hosts line maps ip to name.
func hostsHas(hosts, ip, name string) bool {
	for _, l := range strings.Split(hosts, "\n") {
		f := strings.Fields(l)
		if len(f) < 2 || f[0] != ip {
			continue
		}
		for _, n := range f[1:] {
			if n == name {
				return true
			}
		}
	}
	return false
}

// TestNetIsolation: two networks cannot reach each other, by address or
// name; a container on both reaches both, by address and name.
func TestNetIsolation(t *testing.T) {
	t.Parallel()
	n := newNetEnv(t)
	n.ok(t, "network", "create", "--subnet", frontSubnet, "front")
	n.ok(t, "network", "create", "--subnet", backSubnet, "back")
	n.runDetached(t, serverArgs("fsrv", imageName, "--network", "front")...)
	n.runDetached(t, serverArgs("bsrv", imageName, "--network", "back")...)
	n.runDetached(t, sleeperArgs("fcli", "--network", "front")...)
	n.runDetached(t, sleeperArgs("dual", "--network", "front,back")...)
	fip, bip := n.ipIn(t, "fsrv", frontSubnet), n.ipIn(t, "bsrv", backSubnet)
	if addrs := n.ipv4Addrs(t, "dual"); len(addrs) != 2 {
		t.Errorf("a container on two networks has addresses %v, want one on each", addrs)
	}
	n.ipIn(t, "dual", frontSubnet)
	n.ipIn(t, "dual", backSubnet)
	// Positive controls first: both servers answer.
	n.waitReach(t, "fcli", fip, "fsrv")
	n.waitReach(t, "dual", fip, "fsrv")
	n.waitReach(t, "dual", bip, "bsrv")
	n.waitReach(t, "dual", "fsrv", "fsrv")
	n.waitReach(t, "dual", "bsrv", "bsrv")
	n.wantNoReach(t, "fcli", bip, "front and back are isolated")
	n.wantNoReach(t, "bsrv", fip, "back and front are isolated")
	if got := n.lookup(t, "fcli", "bsrv"); got != "" {
		t.Errorf("fcli resolved bsrv, which is on another network: %s", got)
	}
}

// TestNetInternal: an --internal network has no route out: its containers
// reach each other but not the world, where a normal network's containers
// do (as root, the world is a namespace joined by a veth, reached through
// NAT; rootless, nothing outside is reachable in the lane, so only the
// routes are checked).
func TestNetInternal(t *testing.T) {
	t.Parallel()
	n := newNetEnv(t)
	n.ok(t, "network", "create", "--subnet", frontSubnet, "open")
	n.ok(t, "network", "create", "--internal", "--subnet", sealedSubnet, "sealed")
	if got := n.ok(t, "network", "inspect", "--format", "{{.Internal}}", "sealed"); got != "true" {
		t.Errorf("network inspect sealed: internal %q", got)
	}
	n.runDetached(t, sleeperArgs("out", "--network", "open")...)
	n.runDetached(t, sleeperArgs("in", "--network", "sealed")...)
	n.runDetached(t, serverArgs("insrv", imageName, "--network", "sealed")...)
	n.waitReach(t, "in", n.ipIn(t, "insrv", sealedSubnet), "insrv")
	n.waitReach(t, "in", "insrv", "insrv")
	if routes := n.ok(t, "exec", "in", "ip", "route"); strings.Contains(routes, "default") {
		t.Errorf("a container on an internal network has a default route:\n%s", routes)
	}
	if routes := n.ok(t, "exec", "out", "ip", "route"); !strings.Contains(routes, "default via "+frontGateway) {
		t.Errorf("a container on a normal network has no default route via %s:\n%s", frontGateway, routes)
	}
	if rootless() {
		return
	}
	world := newNetNS(t, "world")
	connectVeth(t, n.ns, testLinkPrefix+"w0", "192.0.2.1/24", world, testLinkPrefix+"w1", "192.0.2.2/24")
	n.ns.mustRun(t, "ip", "route", "add", "default", "via", "192.0.2.2")
	outsideServer(t, world, "192.0.2.2:7000")
	var r result
	eventually(t, 20*time.Second, func() bool {
		r = n.fromContainer(t, "out", "192.0.2.2", 7000)
		return r.Code == 0 && strings.Contains(r.Stdout, "from 192.0.2.1:")
	}, func() string {
		return "a container on a normal network to reach the world, masqueraded as 192.0.2.1; last: " + r.String()
	})
	if r := n.fromContainer(t, "in", "192.0.2.2", 7000); r.Code == 0 || strings.Contains(r.Stdout, "from ") {
		t.Errorf("a container on an internal network reached the world: %v", r)
	}
}

// TestNetRootlessHostLoopback (rootless): slirp4netns keeps the host's
// loopback out of reach by default: a container cannot reach a server on
// the user's 127.0.0.1 through 10.0.2.2.
func TestNetRootlessHostLoopback(t *testing.T) {
	if !rootless() {
		t.Skip("slirp4netns's host loopback exists only rootless")
	}
	t.Parallel()
	n := newNetEnv(t)
	port := n.freePort(t)
	outsideServer(t, nil, fmt.Sprintf("127.0.0.1:%d", port))
	n.runDetached(t, sleeperArgs("c")...)
	n.ipIn(t, "c", defaultNet)
	if r := n.fromContainer(t, "c", "10.0.2.2", port); r.Code == 0 || strings.Contains(r.Stdout, "from ") {
		t.Errorf("a container reached the host's loopback through 10.0.2.2 without allow_host_loopback: %v", r)
	}
	// The exception is per container: one that asks reaches the host's
	// 127.0.0.1 (slirp4netns connects from there), the other still not.
	n.runDetached(t, sleeperArgs("open", "--network-opt", "allow_host_loopback=true")...)
	n.ipIn(t, "open", defaultNet)
	if r := n.fromContainer(t, "open", "10.0.2.2", port); r.Code != 0 || !strings.Contains(r.Stdout, "from 127.0.0.1:") {
		t.Errorf("with allow_host_loopback=true the container should reach the host's loopback: %v", r)
	}
	if r := n.fromContainer(t, "c", "10.0.2.2", port); r.Code == 0 || strings.Contains(r.Stdout, "from ") {
		t.Errorf("another container's allow_host_loopback opened the host's loopback to all: %v", r)
	}
	// Gone with the container: its address, reused, gets no exception.
	n.ok(t, "rm", "-f", "-t", "0", "open")
	n.runDetached(t, sleeperArgs("after")...)
	if r := n.fromContainer(t, "after", "10.0.2.2", port); r.Code == 0 || strings.Contains(r.Stdout, "from ") {
		t.Errorf("the exception outlived its container: %v", r)
	}
}
