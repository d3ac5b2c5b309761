package slirp

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// link is what the tests check of a link in N.
type link struct {
	Up    bool
	MTU   int
	Addrs []string // IPv4, CIDR notation
}

// parseLinks summarises `ip -j addr show`.
func parseLinks(t testing.TB, js string) map[string]link {
	t.Helper()
	var raw []struct {
		Ifname   string
		Flags    []string
		MTU      int
		AddrInfo []struct {
			Family, Local string
			Prefixlen     int
		} `json:"addr_info"`
	}
	must(t, json.Unmarshal([]byte(js), &raw))
	links := map[string]link{}
	for _, r := range raw {
		l := link{Up: slices.Contains(r.Flags, "UP"), MTU: r.MTU}
		for _, a := range r.AddrInfo {
			if a.Family == "inet" {
				l.Addrs = append(l.Addrs, fmt.Sprintf("%s/%d", a.Local, a.Prefixlen))
			}
		}
		links[r.Ifname] = l
	}
	return links
}

// parseRoutes summarises `ip -j route show` as "DST [via GW] dev DEV".
func parseRoutes(t testing.TB, js string) []string {
	t.Helper()
	var raw []struct{ Dst, Gateway, Dev string }
	must(t, json.Unmarshal([]byte(js), &raw))
	var routes []string
	for _, r := range raw {
		s := r.Dst
		if r.Gateway != "" {
			s += " via " + r.Gateway
		}
		routes = append(routes, s+" dev "+r.Dev)
	}
	return routes
}

// TestHolderNetwork checks N: tap0 from slirp4netns, lo, the default route
// and forwarding; that only slirp4netns's side is in N (the holder's
// processes and joined commands keep the host's namespace); and that the
// host's loopback is reachable through 10.0.2.2 only when allowed.
func TestHolderNetwork(t *testing.T) {
	e := newNetEnv(t)
	var ln net.Listener
	must(t, e.inP(t, func() (err error) {
		ln, err = net.Listen("tcp", "127.0.0.1:0")
		return err
	}))
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			fmt.Fprintln(c, "hello-from-host-loopback")
			c.Close()
		}
	}()
	hostLoopback := net.JoinHostPort(GatewayIP, strconv.Itoa(ln.Addr().(*net.TCPAddr).Port))

	h := e.rpc(t, false)
	info := h.mustCall(t, rpcRequest{Op: "netinfo"})
	wantLinks := map[string]link{
		"lo":    {Up: true, MTU: 65536, Addrs: []string{"127.0.0.1/8"}},
		TapName: {Up: true, MTU: MTU, Addrs: []string{TapIP + "/24"}},
	}
	if diff := cmp.Diff(parseLinks(t, info.Addrs), wantLinks); diff != "" {
		t.Errorf("links in N (-got +want):\n%s", diff)
	}
	wantRoutes := []string{"default via " + GatewayIP + " dev " + TapName, "10.0.2.0/24 dev " + TapName}
	if diff := cmp.Diff(parseRoutes(t, info.Routes), wantRoutes); diff != "" {
		t.Errorf("routes in N (-got +want):\n%s", diff)
	}
	if info.IPForward != "1" {
		t.Errorf("got ip_forward %q in N, want 1", info.IPForward)
	}
	p, _ := os.Readlink(fmt.Sprintf("/proc/self/fd/%d", e.p.Fd()))
	inst, err := current(e.holderRoot())
	must(t, err)
	// Not the child's main thread, which may have been left in N (see
	// inNetNS), but the pause process it started.
	for what, ns := range map[string]string{
		"the joined command": info.NetNS, "the holder's parent": netnsOf(inst.rec.PID), "the pause process": netnsOf(childOf(t, inst.childPID)),
	} {
		if ns != p {
			t.Errorf("%s is in network namespace %s, want the host's %s", what, ns, p)
		}
	}
	if got := h.call(t, rpcRequest{Op: "dial", Addr: hostLoopback}); got.Err == "" {
		t.Errorf("reached the host's loopback at %s with host loopback not allowed (got %q)", hostLoopback, got.Data)
	}

	// A command asking for host loopback replaces the holder.
	h2 := e.rpc(t, true)
	got := h2.mustCall(t, rpcRequest{Op: "dial", Addr: hostLoopback})
	if got.Data != "hello-from-host-loopback\n" {
		t.Errorf("got %q from the host's loopback at %s, want the server's greeting", got.Data, hostLoopback)
	}
}

// container builds, through h, a container network namespace C running
// argv, wired to N by a veth: N's end 10.99.0.1/24, C's 10.99.0.2/24.
func container(t testing.TB, h *rpcClient, argv []string, env ...string) {
	t.Helper()
	h.mustCall(t, rpcRequest{Op: "ctr", Argv: argv, Env: env, Veth: "vh0", HostCIDR: "10.99.0.1/24", CtrCIDR: "10.99.0.2/24"})
}

const ctrIP = "10.99.0.2"

// readEventually retries readFrom for a while: the server in C may not
// listen yet.
func (e *netEnv) readEventually(t testing.TB, proto, laddr, addr string) (string, error) {
	t.Helper()
	var got string
	var err error
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if got, err = e.readFrom(t, proto, laddr, addr); err == nil {
			break
		}
	}
	return got, err
}

// TestPublishPort publishes a port to a busybox nc in C, then unpublishes it.
func TestPublishPort(t *testing.T) {
	e := newNetEnv(t)
	h := e.rpc(t, false)
	container(t, h, []string{"busybox", "nc", "-ll", "-p", "8080", "-e", "echo", "hello-from-ctr"})
	port := e.freePort(t)
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	spec := PortSpec{Proto: "tcp", HostIP: "127.0.0.1", HostPort: port, ChildIP: ctrIP, ChildPort: 8080}
	add := h.mustCall(t, rpcRequest{Op: "add", ContainerID: "c1", Specs: []PortSpec{spec}})
	if len(add.IDs) != 1 {
		t.Fatalf("got port ids %v, want one", add.IDs)
	}
	for i := range 2 {
		if got, err := e.readEventually(t, "tcp", "", addr); err != nil || got != "hello-from-ctr" {
			t.Errorf("connection %d to %s: got %q, %v; want hello-from-ctr", i, addr, got, err)
		}
	}
	rec := portRecordPath(e.currentDir(t), "c1")
	want := portRecord{ContainerID: "c1", Ports: []publishedPort{{Spec: spec, ID: add.IDs[0]}}}
	if diff := cmp.Diff(readRecord(t, rec), want); diff != "" {
		t.Errorf("record (-got +want):\n%s", diff)
	}

	// c1 cannot unpublish c2's port.
	port2 := e.freePort(t)
	other := h.mustCall(t, rpcRequest{Op: "add", ContainerID: "c2", Specs: []PortSpec{
		{Proto: "tcp", HostIP: "127.0.0.1", HostPort: port2, ChildIP: ctrIP, ChildPort: 8080}}})
	h.mustCall(t, rpcRequest{Op: "remove", ContainerID: "c1", IDs: other.IDs})
	if !e.listening(t, port2) {
		t.Errorf("removing c2's port id %v as c1 unpublished it", other.IDs)
	}

	h.mustCall(t, rpcRequest{Op: "remove", ContainerID: "c1", IDs: add.IDs})
	if _, err := e.readFrom(t, "tcp", "", addr); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("after unpublishing, connecting to %s: got %v, want connection refused", addr, err)
	}
	if _, err := os.Stat(rec); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("record %s: got %v, want it removed", rec, err)
	}
}

// TestClientAddress reports the client address a container sees through
// the port driver: for TCP from a non-loopback host address, the real one
// (source IP transparency); from the host's loopback, and for UDP, N's
// address on the container's link.
func TestClientAddress(t *testing.T) {
	e := newNetEnv(t)
	h := e.rpc(t, false)
	container(t, h, []string{"/proc/self/exe"}, helperServe+"=tcp:8080,udp:8081")
	tcpPort, udpPort := e.freePort(t), e.freePort(t)
	h.mustCall(t, rpcRequest{Op: "add", ContainerID: "c1", Specs: []PortSpec{
		{Proto: "tcp", HostPort: tcpPort, ChildIP: ctrIP, ChildPort: 8080},
		{Proto: "udp", HostPort: udpPort, ChildIP: ctrIP, ChildPort: 8081},
	}})
	// A non-loopback address on the "host", in P only (TEST-NET-1), on a
	// veth (this kernel has no dummy links).
	e.ipInP(t, "link", "add", "vx0", "type", "veth", "peer", "name", "vx1")
	e.ipInP(t, "addr", "add", "192.0.2.1/24", "dev", "vx0")
	e.ipInP(t, "link", "set", "vx0", "up")
	e.ipInP(t, "link", "set", "vx1", "up")
	tests := []struct {
		name, proto, from, to string
		want                  string // the address the server sees, without the port
	}{
		{name: "tcp from loopback", proto: "tcp", to: "127.0.0.1", want: "10.99.0.1"},
		{name: "tcp from a host address", proto: "tcp", from: "192.0.2.1", to: "192.0.2.1", want: "192.0.2.1"},
		{name: "udp from loopback", proto: "udp", to: "127.0.0.1", want: "10.99.0.1"},
		{name: "udp from a host address", proto: "udp", from: "192.0.2.1", to: "192.0.2.1", want: "10.99.0.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			port := tcpPort
			if tt.proto == "udp" {
				port = udpPort
			}
			laddr := ""
			if tt.from != "" {
				laddr = net.JoinHostPort(tt.from, "0")
			}
			got, err := e.readEventually(t, tt.proto, laddr, net.JoinHostPort(tt.to, strconv.Itoa(port)))
			if err != nil {
				t.Fatal(err)
			}
			host, _, _ := net.SplitHostPort(strings.TrimPrefix(got, "from "))
			if host != tt.want {
				t.Errorf("server saw %q, want %s", got, tt.want)
			}
		})
	}
}

// TestPortErrors: a privileged host port, a port in use and bad specs are
// refused before anything is published.
func TestPortErrors(t *testing.T) {
	e := newNetEnv(t)
	h := e.rpc(t, false)
	busy := e.freePort(t)
	h.mustCall(t, rpcRequest{Op: "listen", Proto: "tcp", Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(busy))})
	spec := func(proto, ip string, port int) PortSpec {
		return PortSpec{Proto: proto, HostIP: ip, HostPort: port, ChildIP: ctrIP, ChildPort: 80}
	}
	tests := []struct {
		name string
		spec PortSpec
		want string
	}{
		{name: "privileged", spec: spec("tcp", "", 80),
			want: "host port 80 is privileged: rootless containers can publish host ports from net.ipv4.ip_unprivileged_port_start (1024) up; " +
				"use a higher host port, or let users bind from 80 (as root: sysctl -w net.ipv4.ip_unprivileged_port_start=80, " +
				"and add it to /etc/sysctl.d/ to keep it): permission denied"},
		{name: "in use", spec: spec("tcp", "127.0.0.1", busy),
			want: fmt.Sprintf("host port 127.0.0.1:%d/tcp is already in use by process %d (slirp.test): conflict", busy, h.cmd.Process.Pid)},
		{name: "in use, all addresses", spec: spec("tcp", "", busy),
			want: fmt.Sprintf("host port %d/tcp is already in use by process %d (slirp.test): conflict", busy, h.cmd.Process.Pid)},
		{name: "bad protocol", spec: spec("sctp", "", 8080),
			want: "port :8080/sctp -> 10.99.0.2:80: protocol must be tcp or udp: invalid argument"},
		{name: "no container address", spec: PortSpec{Proto: "tcp", HostPort: 8080, ChildPort: 80},
			want: `port :8080/tcp -> :80: container address "" is not an IP address: invalid argument`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := h.call(t, rpcRequest{Op: "add", ContainerID: "c1", Specs: []PortSpec{tt.spec}})
			if got.Err != tt.want {
				t.Errorf("got error %q,\nwant %q", got.Err, tt.want)
			}
		})
	}
	if recs, _ := listPorts(e.currentDir(t)); len(recs) != 0 {
		t.Errorf("got records %v after failed publications, want none", recs)
	}
}

// TestReclaimPorts kills a "monitor" that published ports: the next
// command's ReclaimPorts unpublishes those of dead containers, including
// one whose id was never recorded, and keeps those of live ones.
func TestReclaimPorts(t *testing.T) {
	e := newNetEnv(t)
	h := e.rpc(t, false)
	ports := map[string]int{}
	for _, c := range []string{"dead1", "pending1", "alive1"} {
		ports[c] = e.freePort(t)
		h.mustCall(t, rpcRequest{Op: "add", ContainerID: c, Specs: []PortSpec{
			{Proto: "tcp", HostIP: "127.0.0.1", HostPort: ports[c], ChildIP: ctrIP, ChildPort: 80}}})
	}
	h.kill()
	// pending1's monitor died between publishing and recording the id.
	path := portRecordPath(e.currentDir(t), "pending1")
	rec := readRecord(t, path)
	rec.Ports[0].ID = 0
	b, err := json.Marshal(rec)
	must(t, err)
	must(t, os.WriteFile(path, b, 0o600))
	for c, p := range ports {
		if !e.listening(t, p) {
			t.Fatalf("port %d of %s is not published after the kill", p, c)
		}
	}

	h2 := e.rpc(t, false)
	got := h2.mustCall(t, rpcRequest{Op: "reclaim", Dead: []string{"dead1", "pending1"}})
	slices.Sort(got.Reclaimed)
	if diff := cmp.Diff(got.Reclaimed, []string{"dead1", "pending1"}); diff != "" {
		t.Errorf("reclaimed (-got +want):\n%s", diff)
	}
	for c, p := range ports {
		if got, want := e.listening(t, p), c == "alive1"; got != want {
			t.Errorf("port %d of %s: got published %v, want %v", p, c, got, want)
		}
	}
	recs, err := listPorts(e.currentDir(t))
	must(t, err)
	if len(recs) != 1 || recs[0].ContainerID != "alive1" {
		t.Errorf("got records %v, want alive1's only", recs)
	}
}

// listening reports whether a TCP connection to 127.0.0.1:port in P is
// accepted.
func (e *netEnv) listening(t testing.TB, port int) bool {
	t.Helper()
	err := e.inP(t, func() error {
		c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), 2*time.Second)
		if err == nil {
			c.Close()
		}
		return err
	})
	if err != nil && !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatal(err)
	}
	return err == nil
}

// currentDir is the live holder's instance directory.
func (e *netEnv) currentDir(t testing.TB) string {
	t.Helper()
	name, err := os.Readlink(filepath.Join(e.holderRoot(), currentName))
	must(t, err)
	return filepath.Join(e.holderRoot(), name)
}

func readRecord(t testing.TB, path string) portRecord {
	t.Helper()
	b, err := os.ReadFile(path)
	must(t, err)
	var rec portRecord
	must(t, json.Unmarshal(b, &rec))
	return rec
}

// childOf returns pid's only child.
func childOf(t testing.TB, pid int) int {
	t.Helper()
	// Each thread lists the children it forked.
	files, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	must(t, err)
	var f []string
	for _, file := range files {
		b, _ := os.ReadFile(file)
		f = append(f, strings.Fields(string(b))...)
	}
	if len(f) != 1 {
		t.Fatalf("process %d has children %q, want one", pid, f)
	}
	c, err := strconv.Atoi(f[0])
	must(t, err)
	return c
}
