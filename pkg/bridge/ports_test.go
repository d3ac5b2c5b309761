package bridge

import (
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hutchctr/hutch/internal/procnet"

	"github.com/google/go-cmp/cmp"

	"github.com/hutchctr/hutch/internal/testutil"
	"github.com/hutchctr/hutch/pkg/errdefs"
)

// TestPublish: DNAT of published ports, TCP and UDP, from the bridge
// namespace's loopback and own address, from the outside namespace and
// from a container of the same network (hairpin), and the client address
// the server sees on each path; conflicts; removal. Bridged traffic goes
// through netfilter (br_netfilter) on some hosts and not on others: both.
func TestPublish(t *testing.T) {
	requireNet(t)
	for _, brnf := range []string{"1", "0"} {
		t.Run("bridge-nf-call-iptables="+brnf, func(t *testing.T) {
			t.Parallel()
			testPublish(t, brnf)
		})
	}
}

func testPublish(t *testing.T, brnf string) {
	n := openNS(t, newNetNS(t))
	if err := n.SetSysctl("net/bridge/bridge-nf-call-iptables", brnf); err != nil {
		t.Fatal(err)
	}
	outside := openNS(t, addOutside(t, n))
	nw := newNetwork("n1", "hutch-p", "10.204.0.0/24")
	addNetwork(t, n, nw, false)
	c1, a1 := addContainer(t, n, nw, "c1", 2)
	c2, _ := addContainer(t, n, nw, "c2", 3)
	tcp := serve(t, openNS(t, c1), "tcp", "0.0.0.0:80")
	udp := serve(t, openNS(t, c1), "udp", "0.0.0.0:81")
	rules := []PortRule{
		{Proto: "tcp", HostPort: 8080, ContainerIP: a1, ContainerPort: 80},
		{Proto: "udp", HostPort: 8081, ContainerIP: a1, ContainerPort: 81},
		{Proto: "tcp", HostIP: ip("127.0.0.1"), HostPort: 8082, ContainerIP: a1, ContainerPort: 80},
	}
	if err := n.Publish("c1", rules); err != nil {
		t.Fatal(err)
	}
	if err := n.Publish("c1", rules); err != nil {
		t.Fatalf("Publish again (replacing): %v", err)
	}
	paths := []struct {
		name, proto, addr string
		from              *Namespace
		peer              string // the client address the server sees
	}{
		{"host loopback tcp", "tcp", "127.0.0.1:8080", n, nw.gw.String()},
		{"host loopback udp", "udp", "127.0.0.1:8081", n, nw.gw.String()},
		{"host loopback only", "tcp", "127.0.0.1:8082", n, nw.gw.String()},
		{"host address tcp", "tcp", "203.0.113.1:8080", n, "203.0.113.1"},
		{"outside tcp", "tcp", "203.0.113.1:8080", outside, "203.0.113.2"},
		{"outside udp", "udp", "203.0.113.1:8081", outside, "203.0.113.2"},
		{"hairpin from c2", "tcp", "203.0.113.1:8080", openNS(t, c2), nw.gw.String()},
		{"hairpin from c2 again", "tcp", "203.0.113.1:8080", openNS(t, c2), nw.gw.String()},
		{"hairpin to itself", "tcp", "203.0.113.1:8080", openNS(t, c1), nw.gw.String()},
		{"hairpin to itself again", "tcp", "203.0.113.1:8080", openNS(t, c1), nw.gw.String()},
	}
	for _, p := range paths {
		if err := dial(p.from, p.proto, p.addr); err != nil {
			t.Errorf("%s: %s %s: %v", p.name, p.proto, p.addr, err)
			continue
		}
		peers := tcp
		if p.proto == "udp" {
			peers = udp
		}
		if got := peer(t, peers); got != p.peer {
			t.Errorf("%s: server saw client %s, want %s", p.name, got, p.peer)
		}
	}
	if err := dial(outside, "tcp", "203.0.113.1:8082"); err == nil {
		t.Error("a port published on 127.0.0.1 is reachable from outside")
	}

	checkPublishedAndRemoval(t, n, a1)
}

// checkPublishedAndRemoval: conflicts with c1's ports, the listing, and
// removal by Reconcile and Unpublish.
func checkPublishedAndRemoval(t *testing.T, n *Namespace, a1 netip.Addr) {
	var conflict *PortConflictError
	err := n.Publish("c2", []PortRule{{Proto: "tcp", HostIP: ip("127.0.0.1"), HostPort: 8080, ContainerIP: a1, ContainerPort: 1}})
	if !errors.As(err, &conflict) || conflict.ContainerID != "c1" || !errdefs.IsConflict(err) {
		t.Errorf("Publish(taken port) error = %v, want a conflict with c1", err)
	}
	if err := n.Publish("c2", []PortRule{{Proto: "udp", HostPort: 8080, ContainerIP: a1, ContainerPort: 1}}); err != nil {
		t.Errorf("Publish(8080/udp) = %v: only 8080/tcp is taken", err)
	}
	got, err := n.Published()
	if err != nil {
		t.Fatal(err)
	}
	want := []Published{{"c1", "tcp", netip.Addr{}, 8080}, {"c1", "udp", netip.Addr{}, 8081}, {"c1", "tcp", ip("127.0.0.1"), 8082}, {"c2", "udp", netip.Addr{}, 8080}}
	if diff := cmp.Diff(got, want, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
		t.Errorf("Published() (-got +want):\n%s", diff)
	}

	if gone, err := n.Reconcile(func(id string) bool { return id == "c1" }); err != nil || !cmp.Equal(gone, []string{"c2"}) {
		t.Errorf("Reconcile() = %v, %v; want [c2]", gone, err)
	}
	if err := n.Unpublish("c1"); err != nil {
		t.Fatal(err)
	}
	if err := n.Unpublish("c1"); err != nil {
		t.Errorf("Unpublish again: %v", err)
	}
	if got, err := n.Published(); err != nil || len(got) != 0 {
		t.Errorf("Published() after Unpublish = %v, %v; want none", got, err)
	}
	if err := dial(n, "tcp", "127.0.0.1:8080"); err == nil {
		t.Error("port still reachable after Unpublish")
	}
	if rs := ruleset(t, n); strings.Contains(rs, "ctr:") || strings.Contains(rs, "dnat ip to") {
		t.Errorf("port rules left:\n%s", rs)
	}
}

// TestPublishBusybox: a busybox nc server in the container gets the data
// sent to the published port from host loopback and from the outside
// namespace. (Debian's busybox nc has no UDP mode: TestPublish covers UDP
// with a Go server.)
func TestPublishBusybox(t *testing.T) {
	requireNet(t)
	t.Parallel()
	n := openNS(t, newNetNS(t))
	outside := addOutside(t, n)
	nw := newNetwork("n1", "hutch-q", "10.205.0.0/24")
	addNetwork(t, n, nw, false)
	c1, a1 := addContainer(t, n, nw, "c1", 2)
	if err := n.Publish("c1", []PortRule{{Proto: "tcp", HostPort: 9080, ContainerIP: a1, ContainerPort: 80}}); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, from, server, client string
	}{
		{"tcp from loopback", n.Path(), "nc -l -p 80", "nc -w 2 127.0.0.1 9080"},
		{"tcp from outside", outside, "nc -l -p 80", "nc -w 2 203.0.113.1 9080"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := exec.Command("nsenter", append([]string{"--net=" + c1, "--", testutil.BusyboxPath}, strings.Fields(tt.server)...)...)
			var out syncBuffer
			srv.Stdout, srv.Stderr = &out, &out
			// A stdin that stays open: at its end nc would half-close the
			// connection, and the client could quit before sending.
			stdin, hold := io.Pipe()
			srv.Stdin = stdin
			if err := srv.Start(); err != nil {
				t.Fatal(err)
			}
			defer func() { hold.Close(); srv.Process.Kill(); srv.Wait() }()
			waitListening(t, srv.Process.Pid, 80)
			cl := exec.Command("nsenter", append([]string{"--net=" + tt.from, "--", testutil.BusyboxPath}, strings.Fields(tt.client)...)...)
			cl.Stdin = strings.NewReader("hello " + tt.name + "\n")
			if o, err := cl.CombinedOutput(); err != nil {
				t.Fatalf("client: %v: %s", err, o)
			}
			deadline := time.Now().Add(3 * time.Second)
			for !strings.Contains(out.String(), "hello "+tt.name) && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
			}
			if !strings.Contains(out.String(), "hello "+tt.name) {
				t.Errorf("server got %q", out.String())
			}
		})
	}
}

// TestPortChecks: a port something listens on is refused naming its
// holder; a free port is found.
func TestPortChecks(t *testing.T) {
	requireNet(t)
	t.Parallel()
	n := openNS(t, newNetNS(t))
	var l net.Listener
	if err := n.Do(func() (err error) { l, err = net.Listen("tcp4", "127.0.0.1:7000"); return err }); err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	err := n.CheckPortFree("tcp", netip.Addr{}, 7000)
	var inUse *PortInUseError
	if !errors.As(err, &inUse) || !errdefs.IsConflict(err) {
		t.Fatalf("CheckPortFree(7000) error = %v, want a PortInUseError", err)
	}
	wantHolder := "process " + strconv.Itoa(os.Getpid()) + " ("
	if !strings.HasPrefix(inUse.Holder, wantHolder) || !strings.Contains(err.Error(), "host port 7000/tcp is already in use by process") {
		t.Errorf("error %q, want the holder %s…", err, wantHolder)
	}
	if err := n.CheckPortFree("udp", ip("127.0.0.1"), 7000); err != nil {
		t.Errorf("CheckPortFree(7000/udp) = %v, want free", err)
	}
	if err := n.CheckPortFree("tcp", ip("10.9.9.9"), 7001); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Errorf("CheckPortFree(foreign address) = %v, want invalid argument", err)
	}
	p, err := n.FreePort("tcp", ip("127.0.0.1"))
	if err != nil || p == 0 {
		t.Errorf("FreePort() = %d, %v", p, err)
	}
	if start, err := n.UnprivilegedPortStart(); err != nil || start != 1024 {
		t.Errorf("UnprivilegedPortStart() = %d, %v; want the kernel's 1024", start, err)
	}
}

// waitListening waits until the process (through nsenter's exec, the
// same pid) listens on the TCP port.
func waitListening(t *testing.T, pid int, port uint16) {
	t.Helper()
	// busybox nc listens on a dual-stack socket: in the tcp6 table,
	// which Holder reads too.
	dir := "/proc/" + strconv.Itoa(pid) + "/net"
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if procnet.Holder(dir, "tcp", port) != "" {
			return
		}
	}
	t.Fatalf("nothing listens on port %d in the namespace of pid %d", port, pid)
}

// syncBuffer is a strings.Builder safe for a writer and a reader.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
