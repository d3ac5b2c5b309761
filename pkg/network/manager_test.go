package network

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hutchctr/hutch/pkg/bridge"
	"github.com/hutchctr/hutch/pkg/errdefs"
)

// fakeDNS records EnsureResponder calls.
type fakeDNS struct {
	mu    sync.Mutex
	calls []string
	err   error
}

func (f *fakeDNS) EnsureResponder(_ context.Context, n Network, _ string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, n.Name)
	return f.err
}

// fakePorts records a PortForwarder's state.
type fakePorts struct {
	mu  sync.Mutex
	fwd map[string][]ForwardedPort
}

func (f *fakePorts) AddPorts(_ context.Context, id string, ports []ForwardedPort) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fwd == nil {
		f.fwd = map[string][]ForwardedPort{}
	}
	f.fwd[id] = ports
	return nil
}

func (f *fakePorts) RemovePorts(_ context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.fwd, id)
	return nil
}

func ctrID(n int) string { return fmt.Sprintf("%064x", n) }

// world is a Manager over a fresh store, with a namespace for the bridges.
type world struct {
	m      *Manager
	dns    *fakeDNS
	hostNS string
	alive  map[string]bool
	mu     sync.Mutex
}

func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{dns: &fakeDNS{}, hostNS: newNetNS(t), alive: map[string]bool{}}
	s, err := Open(t.TempDir(), Options{Alive: func(id string) bool {
		w.mu.Lock()
		defer w.mu.Unlock()
		return w.alive[id]
	}})
	if err != nil {
		t.Fatal(err)
	}
	w.m = &Manager{Store: s, DNS: w.dns}
	return w
}

func (w *world) setAlive(id string, alive bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.alive[id] = alive
}

// setup runs Setup for a new container (alive from now on) and returns
// its namespace.
func (w *world) setup(t *testing.T, p *Plan) (string, *Result) {
	t.Helper()
	w.setAlive(p.ContainerID, true)
	pid := newInit(t)
	p.HostNetNS = w.hostNS
	res, err := w.m.Setup(context.Background(), p, pid)
	if err != nil {
		t.Fatalf("Setup(%s): %v", p.ContainerName, err)
	}
	return containerNS(pid), res
}

func addrsOf(as []Attachment) []string {
	var out []string
	for _, a := range as {
		for _, p := range a.Addrs {
			out = append(out, a.Network+"="+p.String())
		}
	}
	return out
}

// TestSetupTeardown: two containers on a user network with DNS (one also
// on the default network, with published ports) reach each other, get the
// expected addresses, interfaces, endpoints and ports; teardown leaves
// nothing of them behind.
func TestSetupTeardown(t *testing.T) {
	requireNet(t)
	w := newWorld(t)
	if _, err := w.m.CreateNetwork(Network{Name: "web", DNSEnabled: true}, w.hostNS, false); err != nil {
		t.Fatal(err)
	}
	if _, err := w.m.Store.Default(netip.Prefix{}); err != nil {
		t.Fatal(err)
	}
	p1 := &Plan{ContainerID: ctrID(1), ContainerName: "c1", Hostname: "c1",
		Attachments: []Attachment{{Network: "web", Aliases: []string{"www"}}, {Network: "hutch"}},
		Ports:       []PortMapping{{HostPort: 8080, ContainerPort: 80, Protocol: "tcp"}, {ContainerPort: 81, Protocol: "udp"}}}
	p2 := &Plan{ContainerID: ctrID(2), ContainerName: "c2", Attachments: []Attachment{{Network: "web", IP: addr("10.89.0.50")}}}
	c1, res1 := w.setup(t, p1)
	c2, res2 := w.setup(t, p2)

	if diff := cmp.Diff(addrsOf(res1.Attachments), []string{"web=10.89.0.2/24", "hutch=10.88.0.2/16"}); diff != "" {
		t.Errorf("c1 addresses (-got +want):\n%s", diff)
	}
	if diff := cmp.Diff(addrsOf(res2.Attachments), []string{"web=10.89.0.50/24"}); diff != "" {
		t.Errorf("c2 addresses (-got +want):\n%s", diff)
	}
	if res1.Ports[1].HostPort == 0 || res1.Ports[0].HostPort != 8080 {
		t.Errorf("c1 ports %v, want 8080 and a picked one", res1.Ports)
	}
	routes := mustNS(t, c1, "ip", "route")
	if !strings.Contains(routes, "default via 10.89.0.1 dev eth0") || strings.Count(routes, "default") != 1 {
		t.Errorf("c1 routes, want one default route via web's gateway on eth0:\n%s", routes)
	}
	if out := mustNS(t, c1, "ip", "-o", "-4", "addr"); !strings.Contains(out, "eth1    inet 10.88.0.2/16") {
		t.Errorf("c1 addresses, want 10.88.0.2 on eth1:\n%s", out)
	}
	wantPing(t, c1, "c1", "10.89.0.50")
	wantPing(t, c2, "c2", "10.89.0.2")
	wantNoPing(t, c2, "c2 (web only)", "10.88.0.2")
	if diff := cmp.Diff(w.dns.calls, []string{"web", "web"}); diff != "" {
		t.Errorf("DNS responders started (-got +want):\n%s", diff)
	}
	eps, err := w.m.Store.Endpoints("web")
	if err != nil || len(eps) != 2 || eps[0].Name != "c1" || eps[0].Aliases[0] != "www" || eps[0].Addrs[0] != pfx("10.89.0.2/24") {
		t.Errorf("web endpoints = %+v, %v", eps, err)
	}
	if got := string(ResolvConf(p1, []byte("nameserver 192.0.2.1\n"))); got != "search dns.hutch\nnameserver 10.89.0.1\n" {
		t.Errorf("c1 resolv.conf = %q", got)
	}
	if got := string(Hosts(p2)); !strings.HasSuffix(got, "10.89.0.50\tc2\n") {
		t.Errorf("c2 hosts = %q", got)
	}
	listen(t, c1, "0.0.0.0:80")
	if err := dial(t, w.hostNS, "127.0.0.1:8080"); err != nil {
		t.Errorf("published port 8080: %v", err)
	}

	for _, p := range []*Plan{p1, p2, p2} {
		if err := w.m.Teardown(context.Background(), p); err != nil {
			t.Errorf("Teardown(%s): %v", p.ContainerName, err)
		}
	}
	w.checkClean(t, "web", "hutch")
	if err := w.m.RemoveNetwork("web", nil, false, w.hostNS); err != nil {
		t.Fatal(err)
	}
	if out := mustNS(t, w.hostNS, "ip", "-o", "link"); strings.Contains(out, "hutch1") {
		t.Errorf("bridge of a removed network left:\n%s", out)
	}
	if out := mustNS(t, w.hostNS, "nft", "list", "ruleset"); strings.Contains(out, "net:web") {
		t.Errorf("rules of a removed network left:\n%s", out)
	}
}

// checkClean fails if the networks have allocations or endpoints, or the
// bridge namespace has veths or container rules.
func (w *world) checkClean(t *testing.T, networks ...string) {
	t.Helper()
	for _, n := range networks {
		if a, err := w.m.Store.Allocations(n); err != nil || len(a) > 0 {
			t.Errorf("network %s: allocations left: %v, %v", n, a, err)
		}
		if files, _ := os.ReadDir(w.m.Store.Dir(n) + "/endpoints"); len(files) > 0 {
			t.Errorf("network %s: endpoints left: %v", n, files)
		}
	}
	if out := mustNS(t, w.hostNS, "ip", "-o", "link"); strings.Contains(out, "veth") {
		t.Errorf("veths left:\n%s", out)
	}
	if out := mustNS(t, w.hostNS, "nft", "list", "ruleset"); strings.Contains(out, "ctr:") {
		t.Errorf("container rules left:\n%s", out)
	}
}

// TestSetupRollback: a failure part-way (a taken address on the second
// network; a host port in use, named with its holder; a DNS responder
// that fails) leaves nothing behind.
func TestSetupRollback(t *testing.T) {
	requireNet(t)
	w := newWorld(t)
	for _, n := range []Network{{Name: "a"}, {Name: "b"}, {Name: "d", DNSEnabled: true}} {
		if _, err := w.m.CreateNetwork(n, w.hostNS, false); err != nil {
			t.Fatal(err)
		}
	}
	w.setup(t, &Plan{ContainerID: ctrID(9), ContainerName: "holder", Attachments: []Attachment{{Network: "b", IP: addr("10.89.1.9")}}})
	var held net.Listener
	if err := openNS(t, w.hostNS).Do(func() (err error) { held, err = net.Listen("tcp4", "127.0.0.1:9090"); return err }); err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	tests := []struct {
		name    string
		p       Plan
		dnsFail bool
		check   func(error) bool
		msg     string
	}{
		{"address taken", Plan{Attachments: []Attachment{{Network: "a"}, {Network: "b", IP: addr("10.89.1.9")}}},
			false, func(err error) bool { var e *AddressInUseError; return errors.As(err, &e) }, "address 10.89.1.9 on network \"b\" is already used by container 000000000000"},
		{"port in use", Plan{Attachments: []Attachment{{Network: "a"}}, Ports: []PortMapping{{HostPort: 9090, ContainerPort: 80, Protocol: "tcp"}}},
			false, errdefs.IsConflict, "host port 9090/tcp is already in use by process " + strconv.Itoa(os.Getpid())},
		{"dns fails", Plan{Attachments: []Attachment{{Network: "a"}, {Network: "d"}}, Ports: []PortMapping{{HostPort: 9091, ContainerPort: 80, Protocol: "tcp"}}},
			true, func(err error) bool { return err != nil }, "dns: no"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.p
			p.ContainerID, p.ContainerName, p.HostNetNS = ctrID(i+1), "victim", w.hostNS
			w.setAlive(p.ContainerID, true)
			if tt.dnsFail {
				w.dns.err = errors.New("no")
				defer func() { w.dns.err = nil }()
			}
			_, err := w.m.Setup(context.Background(), &p, newInit(t))
			if !tt.check(err) || !strings.Contains(fmt.Sprint(err), tt.msg) {
				t.Fatalf("Setup() error = %v, want one containing %q", err, tt.msg)
			}
			w.checkCleanOf(t, p.ContainerID)
		})
	}
}

// checkCleanOf fails if anything of the container is left.
func (w *world) checkCleanOf(t *testing.T, id string) {
	t.Helper()
	nets, _ := w.m.Store.List()
	for _, n := range nets {
		allocs, _ := w.m.Store.Allocations(n.Name)
		for a, owner := range allocs {
			if owner == id {
				t.Errorf("address %s left on %s", a, n.Name)
			}
		}
		if _, err := os.Stat(w.m.Store.endpointPath(n.Name, id)); err == nil {
			t.Errorf("endpoint left on %s", n.Name)
		}
		if out := mustNS(t, w.hostNS, "ip", "-o", "link"); strings.Contains(out, bridge.VethName(id, n.Name)) {
			t.Errorf("veth left on %s:\n%s", n.Name, out)
		}
	}
	if out := mustNS(t, w.hostNS, "nft", "list", "ruleset"); strings.Contains(out, "ctr:"+id) {
		t.Errorf("port rules left:\n%s", out)
	}
}

// TestReconcile: what a killed monitor left (addresses, endpoints, port
// rules) goes away with Reconcile once the container is not alive.
func TestReconcile(t *testing.T) {
	requireNet(t)
	w := newWorld(t)
	if _, err := w.m.Store.Default(netip.Prefix{}); err != nil {
		t.Fatal(err)
	}
	p := &Plan{ContainerID: ctrID(5), ContainerName: "crash", Attachments: []Attachment{{Network: "hutch"}}, Ports: []PortMapping{{HostPort: 7070, ContainerPort: 80, Protocol: "tcp"}}}
	w.setup(t, p)
	if err := w.m.Reconcile(context.Background(), w.hostNS); err != nil {
		t.Fatal(err)
	}
	if a, _ := w.m.Store.Allocations("hutch"); len(a) != 1 {
		t.Errorf("Reconcile freed a live container's address: %v", a)
	}
	w.setAlive(p.ContainerID, false)
	if err := w.m.Reconcile(context.Background(), w.hostNS); err != nil {
		t.Fatal(err)
	}
	w.checkCleanOf(t, p.ContainerID)
}

// TestCreateNetworkChecks: the bridge namespace's routes and interfaces
// are checked.
func TestCreateNetworkChecks(t *testing.T) {
	requireNet(t)
	w := newWorld(t)
	mustNS(t, w.hostNS, "ip", "link", "add", "up0", "type", "veth", "peer", "name", "up1")
	mustNS(t, w.hostNS, "ip", "addr", "add", "10.89.0.1/16", "dev", "up0")
	mustNS(t, w.hostNS, "ip", "link", "set", "up0", "up")
	_, err := w.m.CreateNetwork(Network{Name: "x", Subnets: []Subnet{{Subnet: pfx("10.89.5.0/24")}}}, w.hostNS, false)
	if !errors.Is(err, errdefs.ErrInvalidArgument) || !strings.Contains(err.Error(), "overlaps the route to 10.89.0.0/16 (dev up0)") {
		t.Errorf("CreateNetwork(overlapping a route) error = %v", err)
	}
	n, err := w.m.CreateNetwork(Network{Name: "y"}, w.hostNS, false)
	if err != nil || n.Subnets[0].Subnet != pfx("10.90.0.0/24") {
		t.Errorf("CreateNetwork(auto subnet) = %+v, %v; want 10.90.0.0/24 (10.89/16 is routed)", n, err)
	}
	if _, err := w.m.CreateNetwork(Network{Name: "m", Driver: DriverMacvlan, Options: map[string]string{OptParent: "nope"}, Subnets: []Subnet{{Subnet: pfx("192.168.9.0/24")}}}, w.hostNS, false); !errdefs.IsNotFound(err) {
		t.Errorf("CreateNetwork(missing parent) error = %v, want not found", err)
	}
}

// TestSetupParallel: containers wired at the same time on a new network
// (whose bridge and rules the first ones create) all work, with distinct
// addresses and published ports.
func TestSetupParallel(t *testing.T) {
	requireNet(t)
	w := newWorld(t)
	if _, err := w.m.CreateNetwork(Network{Name: "par"}, w.hostNS, false); err != nil {
		t.Fatal(err)
	}
	const n = 20
	plans := make([]*Plan, n)
	pids := make([]int, n)
	for i := range plans {
		plans[i] = &Plan{ContainerID: ctrID(100 + i), ContainerName: fmt.Sprintf("p%d", i), HostNetNS: w.hostNS,
			Attachments: []Attachment{{Network: "par"}}, Ports: []PortMapping{{ContainerPort: 80, Protocol: "tcp"}}}
		w.setAlive(plans[i].ContainerID, true)
		pids[i] = newInit(t)
	}
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range plans {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = w.m.Setup(context.Background(), plans[i], pids[i])
		}()
	}
	wg.Wait()
	addrs, ports := map[string]bool{}, map[uint16]bool{}
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Setup(%d): %v", i, err)
		}
		addrs[plans[i].Attachments[0].Addrs[0].String()] = true
		ports[plans[i].Ports[0].HostPort] = true
	}
	if len(addrs) != n || len(ports) != n {
		t.Errorf("%d distinct addresses and %d distinct host ports for %d containers", len(addrs), len(ports), n)
	}
	wantPing(t, containerNS(pids[0]), "p0", plans[n-1].Attachments[0].Addrs[0].Addr().String())
	for _, p := range plans {
		if err := w.m.Teardown(context.Background(), p); err != nil {
			t.Error(err)
		}
	}
	w.checkClean(t, "par")
}

// TestConnectDisconnect: a running container joins a second network (as
// eth1, keeping its default route) and leaves it.
func TestConnectDisconnect(t *testing.T) {
	requireNet(t)
	w := newWorld(t)
	for _, n := range []string{"a", "b"} {
		if _, err := w.m.CreateNetwork(Network{Name: n}, w.hostNS, false); err != nil {
			t.Fatal(err)
		}
	}
	other, _ := w.setup(t, &Plan{ContainerID: ctrID(2), ContainerName: "other", Attachments: []Attachment{{Network: "b"}}})
	p := &Plan{ContainerID: ctrID(1), ContainerName: "c", Attachments: []Attachment{{Network: "a"}}}
	w.setAlive(p.ContainerID, true)
	pid := newInit(t)
	p.HostNetNS = w.hostNS
	if _, err := w.m.Setup(context.Background(), p, pid); err != nil {
		t.Fatal(err)
	}
	c := containerNS(pid)
	wantNoPing(t, c, "c (on a)", "10.89.1.2")
	p.Attachments = append(p.Attachments, Attachment{Network: "b", Aliases: []string{"cb"}})
	if _, err := w.m.Connect(context.Background(), p, 1, pid); err != nil {
		t.Fatal(err)
	}
	if got := addrsOf(p.Attachments); !cmp.Equal(got, []string{"a=10.89.0.2/24", "b=10.89.1.3/24"}) {
		t.Errorf("addresses after Connect: %v", got)
	}
	wantPing(t, c, "c (on a and b)", "10.89.1.2")
	wantPing(t, other, "other (on b)", "10.89.1.3")
	if routes := mustNS(t, c, "ip", "route"); !strings.Contains(routes, "default via 10.89.0.1 dev eth0") || strings.Count(routes, "default") != 1 {
		t.Errorf("routes after Connect, want the default route kept on eth0:\n%s", routes)
	}
	if err := w.m.Disconnect(context.Background(), p, "b", pid); err != nil {
		t.Fatal(err)
	}
	if out := mustNS(t, c, "ip", "-o", "link"); strings.Contains(out, "eth1") {
		t.Errorf("eth1 left after Disconnect:\n%s", out)
	}
	if a, _ := w.m.Store.Allocations("b"); len(a) != 1 {
		t.Errorf("b's allocations after Disconnect: %v, want only other's", a)
	}
	if err := w.m.Disconnect(context.Background(), p, "nope", pid); !errdefs.IsNotFound(err) {
		t.Errorf("Disconnect(unknown network) error = %v, want not found", err)
	}
}
