package engine

import (
	"context"
	"errors"
	"net/netip"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/gofrs/flock"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/hutchctr/hutch/pkg/errdefs"
	"github.com/hutchctr/hutch/pkg/network"
	"github.com/hutchctr/hutch/pkg/state"
)

// netnsTestEnv names the test that runs alone in a private network
// namespace (inPrivateNetNS).
const netnsTestEnv = "_ENGINE_TEST_NETNS"

// inPrivateNetNS re-runs the calling (top-level) test alone in a new
// network namespace, so that the bridges, veths and firewall rules it
// makes never touch the host's, and reports true in the parent, which
// must return at once. As a non-root user the namespace belongs to a new
// user namespace in which the user is root.
func inPrivateNetNS(t *testing.T) bool {
	t.Helper()
	if os.Getenv(netnsTestEnv) == t.Name() {
		if out, err := exec.Command("ip", "link", "set", "lo", "up").CombinedOutput(); err != nil {
			t.Fatalf("bring lo up in the test's network namespace: %v: %s", err, out)
		}
		return false
	}
	attr := &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET}
	if os.Geteuid() != 0 {
		attr.Cloneflags |= syscall.CLONE_NEWUSER
		attr.UidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getuid(), Size: 1}}
		attr.GidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getgid(), Size: 1}}
	}
	cmd := exec.Command("/proc/self/exe", "-test.run", "^"+regexp.QuoteMeta(t.Name())+"$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), netnsTestEnv+"="+t.Name())
	cmd.SysProcAttr = attr
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: "+t.Name()) {
		t.Fatalf("%s in a private network namespace (needs root, or unprivileged user namespaces): %v\n%s", t.Name(), err, out)
	}
	t.Logf("in a private network namespace:\n%s", out)
	return true
}

// newNetTestEngine is newTestEngine with a network manager over the
// test's data directory (no DNS responders, no rootless ports) whose
// bridges live in the caller's network namespace.
func newNetTestEngine(t *testing.T) *Engine {
	t.Helper()
	e, _, _ := newTestEngine(t)
	s, err := network.Open(e.paths.Data, network.Options{Alive: e.monitorAlive})
	if err != nil {
		t.Fatal(err)
	}
	e.netMgr = &network.Manager{Store: s}
	return e
}

func TestNetworkFromOptions(t *testing.T) {
	p := netip.MustParsePrefix
	a := netip.MustParseAddr
	tests := []struct {
		name    string
		o       NetworkCreateOptions
		want    network.Network
		wantErr error
	}{
		{"defaults", NetworkCreateOptions{Name: "n"},
			network.Network{Name: "n", Driver: "bridge", DNSEnabled: true, IPAMDriver: network.IPAMStatic}, nil},
		{"subnets paired by position", NetworkCreateOptions{Name: "n", Subnets: []string{"10.1.0.0/24", "fd00::/64"},
			Gateways: []string{"10.1.0.254"}, IPRanges: []string{"10.1.0.128/25"}, Internal: true, DisableDNS: true, IPv6: true,
			Options: []string{"mtu=9000", "a=b,c=d"}, IPAMDriver: "host-local", Labels: map[string]string{"k": "v"}},
			network.Network{Name: "n", Driver: "bridge", Internal: true, IPAMDriver: network.IPAMStatic, Labels: map[string]string{"k": "v"},
				Subnets: []network.Subnet{{Subnet: p("10.1.0.0/24"), Gateway: a("10.1.0.254"), IPRange: p("10.1.0.128/25")}, {Subnet: p("fd00::/64")}},
				Options: map[string]string{"mtu": "9000", "a": "b", "c": "d"}}, nil},
		{"macvlan has no DNS", NetworkCreateOptions{Name: "n", Driver: "macvlan", IPAMDriver: "dhcp", Options: []string{"parent=eth0"}},
			network.Network{Name: "n", Driver: "macvlan", IPAMDriver: network.IPAMDHCP, Options: map[string]string{"parent": "eth0"}}, nil},
		{"malformed subnet", NetworkCreateOptions{Name: "n", Subnets: []string{"10.213.0.0/33"}}, network.Network{}, errdefs.ErrInvalidArgument},
		{"malformed gateway", NetworkCreateOptions{Name: "n", Subnets: []string{"10.1.0.0/24"}, Gateways: []string{"x"}}, network.Network{}, errdefs.ErrInvalidArgument},
		{"gateway without subnet", NetworkCreateOptions{Name: "n", Gateways: []string{"10.1.0.1"}}, network.Network{}, errdefs.ErrInvalidArgument},
		{"range without subnet", NetworkCreateOptions{Name: "n", IPRanges: []string{"10.1.0.0/25"}}, network.Network{}, errdefs.ErrInvalidArgument},
		{"malformed range", NetworkCreateOptions{Name: "n", Subnets: []string{"10.1.0.0/24"}, IPRanges: []string{"10.1.0.1-10.1.0.9"}}, network.Network{}, errdefs.ErrInvalidArgument},
		{"ipv6 without an ipv6 subnet", NetworkCreateOptions{Name: "n", IPv6: true}, network.Network{}, errdefs.ErrInvalidArgument},
		{"unknown ipam driver", NetworkCreateOptions{Name: "n", IPAMDriver: "none"}, network.Network{}, errdefs.ErrInvalidArgument},
		{"malformed option", NetworkCreateOptions{Name: "n", Options: []string{"mtu"}}, network.Network{}, errdefs.ErrInvalidArgument},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := networkFromOptions(tt.o)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("error = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(got, tt.want, cmpopts.EquateComparable(netip.Prefix{}, netip.Addr{})); diff != "" {
				t.Errorf("network mismatch (-got +want):\n%s", diff)
			}
		})
	}
}

func TestLeaseRange(t *testing.T) {
	p := netip.MustParsePrefix
	tests := []struct {
		sub  network.Subnet
		want *LeaseRange
	}{
		{network.Subnet{Subnet: p("10.1.0.0/24")}, nil},
		{network.Subnet{Subnet: p("10.1.0.0/24"), IPRange: p("10.1.0.128/25")}, &LeaseRange{"10.1.0.128", "10.1.0.254"}},
		{network.Subnet{Subnet: p("10.1.0.0/24"), IPRange: p("10.1.0.0/26")}, &LeaseRange{"10.1.0.1", "10.1.0.63"}},
		{network.Subnet{Subnet: p("10.0.0.0/8"), IPRange: p("10.4.0.0/16")}, &LeaseRange{"10.4.0.0", "10.4.255.255"}},
		{network.Subnet{Subnet: p("fd00::/64"), IPRange: p("fd00::/120")}, &LeaseRange{"fd00::1", "fd00::ff"}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(leaseRange(tt.sub), tt.want); diff != "" {
			t.Errorf("leaseRange(%v) mismatch (-got +want):\n%s", tt.sub, diff)
		}
	}
}

// TestNetworkVerbs: create, ls with filters, inspect, rm (refused while a
// container uses the network, unless forced), prune, and the default
// network, which always exists and cannot be removed.
func TestNetworkVerbs(t *testing.T) {
	if inPrivateNetNS(t) {
		return
	}
	e := newNetTestEngine(t)
	ctx := context.Background()
	name, err := e.CreateNetwork(ctx, NetworkCreateOptions{Name: "front", Subnets: []string{"10.220.0.0/24"},
		Gateways: []string{"10.220.0.254"}, IPRanges: []string{"10.220.0.128/25"}, Labels: map[string]string{"team": "net"}})
	if err != nil || name != "front" {
		t.Fatalf("create front: %q, %v", name, err)
	}
	for _, tt := range []struct {
		o    NetworkCreateOptions
		want error
	}{
		{NetworkCreateOptions{Name: "over", Subnets: []string{"10.88.5.0/24"}}, errdefs.ErrInvalidArgument},
		{NetworkCreateOptions{Name: "over", Subnets: []string{"10.220.0.128/25"}}, errdefs.ErrInvalidArgument},
		{NetworkCreateOptions{Name: "front"}, errdefs.ErrAlreadyExists},
		{NetworkCreateOptions{Name: "front", Ignore: true}, nil},
		{NetworkCreateOptions{Name: "bad name"}, errdefs.ErrInvalidArgument},
		{NetworkCreateOptions{Name: "drv", Driver: "nosuchdriver"}, errdefs.ErrInvalidArgument},
		{NetworkCreateOptions{Name: "mv", Driver: "macvlan", Subnets: []string{"10.230.0.0/24"}, Options: []string{"parent=nosuch0"}}, errdefs.ErrNotFound},
	} {
		if _, err := e.CreateNetwork(ctx, tt.o); !errors.Is(err, tt.want) && (tt.want != nil || err != nil) {
			t.Errorf("create %+v: got %v, want %v", tt.o, err, tt.want)
		}
	}
	if _, err := e.CreateNetwork(ctx, NetworkCreateOptions{Name: "two", Internal: true, DisableDNS: true}); err != nil {
		t.Fatal(err)
	}
	checkNetworkNames(t, e, nil, []string{"front", "hutch", "two"})
	checkNetworkNames(t, e, map[string][]string{"name": {"^t", "^f"}, "driver": {"bridge"}}, []string{"front", "two"})
	checkNetworkNames(t, e, map[string][]string{"label": {"team=net"}}, []string{"front"})
	checkNetworkNames(t, e, map[string][]string{"label": {"team=other"}}, []string{})
	if _, err := e.Networks(ctx, NetworkListOptions{Filters: map[string][]string{"colour": {"red"}}}); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Errorf("unknown filter: got %v, want ErrInvalidArgument", err)
	}

	doc, err := e.InspectNetwork(ctx, "front")
	if err != nil {
		t.Fatal(err)
	}
	want := &NetworkInspect{Name: "front", Driver: "bridge", NetworkInterface: "hutch1", DNSEnabled: true,
		Subnets:     []NetworkSubnet{{Subnet: "10.220.0.0/24", Gateway: "10.220.0.254", LeaseRange: &LeaseRange{"10.220.0.128", "10.220.0.253"}}},
		Labels:      map[string]string{"team": "net"},
		IPAMOptions: map[string]string{"driver": "host-local"}}
	if diff := cmp.Diff(doc, want, cmpopts.IgnoreFields(NetworkInspect{}, "ID", "Created")); diff != "" {
		t.Errorf("inspect front mismatch (-got +want):\n%s", diff)
	}
	if byID, err := e.InspectNetwork(ctx, doc.ID[:10]); err != nil || byID.Name != "front" {
		t.Errorf("inspect by ID prefix: %v, %v", byID, err)
	}
	if _, err := e.InspectNetwork(ctx, "nosuch"); !errors.Is(err, errdefs.ErrNotFound) {
		t.Errorf("inspect nosuch: got %v, want ErrNotFound", err)
	}

	id, err := e.Create(ctx, CreateOptions{Image: "busybox", Name: "user", Network: "front"})
	if err != nil {
		t.Fatal(err)
	}
	var inUse *network.InUseError
	if err := e.RemoveNetwork(ctx, "front", NetworkRemoveOptions{}); !errors.As(err, &inUse) || !errors.Is(err, errdefs.ErrConflict) ||
		!cmp.Equal(inUse.Containers, []string{id}) {
		t.Errorf("remove a network in use: got %v, want an InUseError naming the container", err)
	}
	if err := e.RemoveNetwork(ctx, "hutch", NetworkRemoveOptions{Force: true}); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Errorf("remove the default network: got %v, want ErrInvalidArgument", err)
	}
	pruned, err := e.PruneNetworks(ctx)
	if err != nil || !cmp.Equal(pruned, []string{"two"}) {
		t.Errorf("prune: %v, %v; want [two]", pruned, err)
	}
	if err := e.RemoveNetwork(ctx, "front", NetworkRemoveOptions{Force: true, Timeout: new(uint)}); err != nil {
		t.Fatalf("remove -f: %v", err)
	}
	if _, err := e.state.Get(id); !errors.Is(err, errdefs.ErrNotFound) {
		t.Errorf("remove -f left the container that used the network: %v", err)
	}
	checkNetworkNames(t, e, nil, []string{"hutch"})
	if err := e.RemoveNetwork(ctx, "front", NetworkRemoveOptions{}); !errors.Is(err, errdefs.ErrNotFound) {
		t.Errorf("remove a removed network: got %v, want ErrNotFound", err)
	}
}

func checkNetworkNames(t *testing.T, e *Engine, filters map[string][]string, want []string) {
	t.Helper()
	nets, err := e.Networks(context.Background(), NetworkListOptions{Filters: filters})
	if err != nil {
		t.Fatal(err)
	}
	got := []string{}
	for _, n := range nets {
		got = append(got, n.Name)
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("networks with filters %v (-got +want):\n%s", filters, diff)
	}
	if filters == nil {
		names, err := e.NetworkNames(context.Background())
		if err != nil || !cmp.Equal(names, want) {
			t.Errorf("NetworkNames = %v, %v; want %v", names, err, want)
		}
	}
}

// startSleeper starts a stand-in for a container's init, in new
// namespaces of cloneflags, and returns its pid; it is killed at the end
// of the test.
func startSleeper(t *testing.T, cloneflags uintptr) int {
	t.Helper()
	cmd := exec.Command("sleep", "infinity")
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: cloneflags}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	return cmd.Process.Pid
}

// fakeRunning records a created container as running with init pid and
// holds its monitor lock until the test ends, as a live monitor would.
func fakeRunning(t *testing.T, e *Engine, id string, pid int, fn func(*state.State)) {
	t.Helper()
	lock := flock.New(e.state.MonitorLockPath(id))
	if ok, err := lock.TryLock(); !ok || err != nil {
		t.Fatalf("monitor lock: %v, %v", ok, err)
	}
	t.Cleanup(func() { lock.Unlock() })
	h, err := e.state.Lock(id)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Unlock()
	if err := h.Update(func(s *state.State) error {
		s.Status, s.Pid = state.Running, pid
		if fn != nil {
			fn(s)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

func TestPorts(t *testing.T) {
	e, _, _ := newTestEngine(t)
	ctx := context.Background()
	web, err := e.Create(ctx, CreateOptions{Image: "busybox", Name: "web", Network: "none"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Create(ctx, CreateOptions{Image: "busybox", Name: "idle", Network: "none"}); err != nil {
		t.Fatal(err)
	}
	fakeRunning(t, e, web, startSleeper(t, 0), func(s *state.State) {
		s.Ports = []network.PortMapping{
			{HostPort: 8080, ContainerPort: 80, Protocol: "udp"},
			{HostIP: netip.MustParseAddr("127.0.0.1"), HostPort: 8443, ContainerPort: 443, Protocol: "tcp"},
			{HostPort: 8081, ContainerPort: 80, Protocol: "tcp"},
		}
	})
	wantWeb := []PublishedPort{
		{HostPort: 8081, ContainerPort: 80, Protocol: "tcp"},
		{HostIP: "127.0.0.1", HostPort: 8443, ContainerPort: 443, Protocol: "tcp"},
		{HostPort: 8080, ContainerPort: 80, Protocol: "udp"},
	}
	got, err := e.Ports(ctx, "web")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(got, &ContainerPorts{ID: web, Name: "web", Ports: wantWeb}); diff != "" {
		t.Errorf("ports of web (-got +want):\n%s", diff)
	}
	if got, err := e.Ports(ctx, "idle"); err != nil || len(got.Ports) != 0 {
		t.Errorf("ports of a created container: %v, %v; want none", got, err)
	}
	if _, err := e.Ports(ctx, "nosuch"); !errors.Is(err, errdefs.ErrNotFound) {
		t.Errorf("ports of nosuch: got %v, want ErrNotFound", err)
	}
	all, err := e.AllPorts(ctx)
	if diff := cmp.Diff(all, []ContainerPorts{{ID: web, Name: "web", Ports: wantWeb}}); err != nil || diff != "" {
		t.Errorf("all ports (%v) (-got +want):\n%s", err, diff)
	}
	if got := wantWeb[1].HostAddr() + " " + wantWeb[0].HostAddr() + " " + wantWeb[2].Private(); got != "127.0.0.1:8443 0.0.0.0:8081 80/udp" {
		t.Errorf("HostAddr and Private render %q", got)
	}
}
