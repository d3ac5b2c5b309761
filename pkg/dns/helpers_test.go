package dns

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gofrs/flock"
	mdns "github.com/miekg/dns"
	"golang.org/x/sys/unix"

	"github.com/hutchctr/hutch/internal/testutil"
	"github.com/hutchctr/hutch/pkg/network"
	"github.com/hutchctr/hutch/pkg/state"
)

// testNetNS is a network namespace the test created (held by a sleeping
// `unshare --net`), with lo up and a bridge without ports carrying gateway
// addresses, as a network's bridge does (this kernel has no dummy driver).
// Nothing here touches the host's namespace.
type testNetNS struct {
	pid  int
	path string
}

func newNetNS(t *testing.T, gateways ...string) *testNetNS {
	t.Helper()
	testutil.Requires(t, testutil.Root())
	cmd := exec.Command("unshare", "--net", "sleep", "600")
	// No Pdeathsig: it fires when the forking thread ends, and do()
	// discards threads. The cleanup kills the holder.
	if err := cmd.Start(); err != nil {
		t.Fatalf("unshare: %v", err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	n := &testNetNS{pid: cmd.Process.Pid, path: fmt.Sprintf("/proc/%d/ns/net", cmd.Process.Pid)}
	own, _ := os.Readlink("/proc/self/ns/net")
	deadline := time.Now().Add(5 * time.Second)
	for {
		// unshare execs sleep once it has its namespace.
		comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", n.pid))
		link, _ := os.Readlink(n.path)
		if strings.TrimSpace(string(comm)) == "sleep" && link != own {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("unshare --net did not start")
		}
		time.Sleep(5 * time.Millisecond)
	}
	n.ip(t, "link", "set", "lo", "up")
	n.ip(t, "link", "add", "gw0", "type", "bridge")
	for _, gw := range gateways {
		args := []string{"addr", "add", gw, "dev", "gw0"}
		if strings.Contains(gw, ":") {
			args = append(args, "nodad")
		}
		n.ip(t, args...)
	}
	n.ip(t, "link", "set", "gw0", "up")
	return n
}

// ip runs ip(8) in the namespace.
func (n *testNetNS) ip(t *testing.T, args ...string) {
	t.Helper()
	out, err := exec.Command("nsenter", append([]string{"--net=" + n.path, "ip"}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
	}
}

// do runs fn on a thread moved into the namespace: sockets fn creates
// belong to it, and stay there. The thread never moves back (rootless, the
// test may not enter the host's namespace again): it stays locked, and Go
// discards it when its goroutine ends. fn must not call t.Fatal.
func (n *testNetNS) do(t *testing.T, fn func()) {
	t.Helper()
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		f, err := os.Open(n.path)
		if err == nil {
			err = unix.Setns(int(f.Fd()), unix.CLONE_NEWNET)
			f.Close()
		}
		if err == nil {
			fn()
		}
		errc <- err
	}()
	if err := <-errc; err != nil {
		t.Fatalf("enter %s: %v", n.path, err)
	}
}

// ask queries server (port 53) from inside the namespace.
func (n *testNetNS) ask(t *testing.T, server, name string, qtype uint16, netw string) (result, error) {
	t.Helper()
	var resp *mdns.Msg
	var err error
	n.do(t, func() {
		c := &mdns.Client{Net: netw, Timeout: 3 * time.Second}
		resp, _, err = c.Exchange(query(name, qtype), net.JoinHostPort(netip.MustParseAddr(server).String(), "53"))
	})
	if err != nil {
		return result{}, err
	}
	return summarize(resp), nil
}

// world is a data and run directory with one network and its containers.
type world struct {
	data, run string
	nets      *network.Store
	ctrs      *state.Store
	net       *network.Network
}

func newWorld(t *testing.T, subnets ...string) *world {
	t.Helper()
	root := t.TempDir()
	w := &world{data: filepath.Join(root, "data"), run: filepath.Join(root, "run")}
	var err error
	if w.ctrs, err = state.Open(w.data, w.run); err != nil {
		t.Fatal(err)
	}
	if w.nets, err = network.Open(w.data, network.Options{}); err != nil {
		t.Fatal(err)
	}
	n := network.Network{Name: "testnet", DNSEnabled: true}
	for _, s := range subnets {
		n.Subnets = append(n.Subnets, network.Subnet{Subnet: netip.MustParsePrefix(s)})
	}
	if w.net, err = w.nets.Create(n, network.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			log, _ := os.ReadFile(filepath.Join(w.dir(), logFile))
			t.Logf("%s:\n%s", logFile, log)
		}
	})
	return w
}

// container is a container record in the world.
type container struct {
	id, name string
	monitor  *flock.Flock // its "monitor lock", held by the test
}

// addContainer creates a running container attached to the network with
// addrs and aliases, its monitor lock held by the test.
func (w *world) addContainer(t *testing.T, name string, addrs []string, aliases ...string) *container {
	t.Helper()
	var b [32]byte
	rand.Read(b[:])
	c := &container{id: hex.EncodeToString(b[:]), name: name}
	h, err := w.ctrs.Create(state.Config{ID: c.id, Name: name})
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range []state.Status{state.Created, state.Running} {
		if err := h.Update(func(s *state.State) error { s.Status = st; return nil }); err != nil {
			t.Fatal(err)
		}
	}
	h.Unlock()
	c.monitor = flock.New(w.ctrs.MonitorLockPath(c.id))
	if err := c.monitor.Lock(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.monitor.Unlock() })
	w.attach(t, c, addrs, aliases...)
	return c
}

// attach records c's endpoint on the network.
func (w *world) attach(t *testing.T, c *container, addrs []string, aliases ...string) {
	t.Helper()
	ep := network.Endpoint{ContainerID: c.id, Name: c.name, Aliases: aliases, Interface: "eth0"}
	for _, a := range addrs {
		ep.Addrs = append(ep.Addrs, netip.MustParsePrefix(a))
	}
	if err := w.nets.WriteEndpoint(w.net.Name, ep); err != nil {
		t.Fatal(err)
	}
}

func (w *world) detach(t *testing.T, c *container) {
	t.Helper()
	if err := w.nets.RemoveEndpoint(w.net.Name, c.id); err != nil {
		t.Fatal(err)
	}
}

// setStatus moves c to st (Running → Exited stops it).
func (w *world) setStatus(t *testing.T, c *container, st state.Status) {
	t.Helper()
	h, err := w.ctrs.Lock(c.id)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Unlock()
	if err := h.Update(func(s *state.State) error { s.Status = st; return nil }); err != nil {
		t.Fatal(err)
	}
}

func (w *world) dir() string { return w.nets.Dir(w.net.Name) }

// starter returns a Starter for the world with quick idle checks. Without
// upstreams it gets a closed port on loopback: tests never send queries
// to the host's resolvers.
func (w *world) starter(upstreams ...string) *Starter {
	if len(upstreams) == 0 {
		upstreams = []string{"127.0.0.1:9"}
	}
	return &Starter{
		DataDir: w.data, RunDir: w.run, Upstreams: upstreams, LogLevel: "debug",
		Grace: 300 * time.Millisecond, Interval: 100 * time.Millisecond,
	}
}

// logCount counts the lines of the responder's log containing s.
func (w *world) logCount(s string) int {
	data, _ := os.ReadFile(filepath.Join(w.dir(), logFile))
	return strings.Count(string(data), s)
}

// stopResponders kills whatever responder still serves the world's network
// at the end of a test (normally none: they exit by themselves).
func (w *world) stopResponders(t *testing.T) {
	t.Cleanup(func() {
		for _, pid := range responderPids(w.dir()) {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	})
}

// responderPids lists the live responders serving the network in dir, by
// their environment.
func responderPids(dir string) []int {
	var pids []int
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		env, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if err != nil || !strings.Contains(string(env), roleEnv+"="+roleName) || !strings.Contains(string(env), strconv.Quote(dir)) {
			continue
		}
		if st, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "stat")); strings.Contains(string(st), ") Z ") {
			continue // exited, not yet reaped
		}
		pids = append(pids, pid)
	}
	return pids
}

// waitFor polls cond until it holds or d passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}
