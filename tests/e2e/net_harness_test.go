//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The networking tests keep every packet inside namespaces they made
// (DESIGN.md §6, network safety). As root, each test runs hutch in a network
// namespace of its own, created inside the lane's: root hutch puts its
// bridges, addresses and nftables tables in the namespace it runs in, and
// two tests sharing the lane's namespace would share the bridge hutch0, the
// subnet 10.88.0.0/16 and the table "inet hutch" (each test's reconcile
// would remove the other's rules). Rootless, each test already has its own
// namespace holder, whose network namespace holds the bridges; published
// ports listen in the lane's namespace, the rootless user's "host".

// netNS is a network namespace a test works in: one it made (root), or the
// rootless namespace holder's, entered together with its user namespace.
type netNS struct {
	name string
	// pid holds the namespace: a sleeper the test started, or the holder.
	pid int
	// path is /proc/PID/ns/net.
	path string
	// userns: enter the pid's user namespace too (the holder's, which owns
	// the network namespace); such a namespace cannot be entered by this
	// (multi-threaded) process, only by the commands it runs.
	userns bool
}

// newNetNS makes a network namespace with loopback up, held by a sleeper
// that the cleanup kills. Register it before anything that must be torn
// down inside it (cleanups run last-in, first-out).
func newNetNS(t *testing.T, name string) *netNS {
	t.Helper()
	if rootless() {
		t.Fatalf("netns %s: only root makes network namespaces in this suite", name)
	}
	cmd := exec.Command("unshare", "--net", "--", "sleep", "infinity")
	if err := cmd.Start(); err != nil {
		t.Fatalf("netns %s: start unshare (util-linux): %v", name, err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	ns := &netNS{name: name, pid: cmd.Process.Pid, path: fmt.Sprintf("/proc/%d/ns/net", cmd.Process.Pid)}
	self := hostNS(t, "net")
	// unshare has switched once the sleeper's namespace differs from ours
	// and it has become sleep.
	eventually(t, 10*time.Second, func() bool {
		link, err := os.Readlink(ns.path)
		comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", ns.pid))
		return err == nil && link != self && strings.TrimSpace(string(comm)) == "sleep"
	}, func() string { return "unshare --net to make netns " + name })
	ns.mustRun(t, "ip", "link", "set", "lo", "up")
	return ns
}

// holderNetNS returns the rootless namespace holder's network namespace:
// the holder process whose network namespace is not this process's.
func holderNetNS(t testing.TB, h *hutchEnv) *netNS {
	t.Helper()
	self := hostNS(t, "net")
	for pid := range holderPids(h) {
		link, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/net", pid))
		if err == nil && link != self {
			return &netNS{name: "holder", pid: pid, path: fmt.Sprintf("/proc/%d/ns/net", pid), userns: true}
		}
	}
	t.Fatalf("no process of the namespace holder under %s has a network namespace of its own "+
		"(rootless bridges live in the holder's namespace)", h.runroot)
	return nil
}

// enterArgs is the nsenter prefix that runs a command in the namespace.
func (ns *netNS) enterArgs() []string {
	if ns.userns {
		// Root in the holder's user namespace, which owns its network
		// namespace: enough to list links and nftables there.
		return []string{"nsenter", "-t", fmt.Sprint(ns.pid), "-U", "-n", "--"}
	}
	return []string{"nsenter", "--net=" + ns.path, "--"}
}

// command returns args to run inside the namespace.
func (ns *netNS) command(ctx context.Context, args ...string) *exec.Cmd {
	full := append(ns.enterArgs(), args...)
	c := exec.CommandContext(ctx, full[0], full[1:]...)
	c.Env = []string{"PATH=" + hostPath, "LANG=C.UTF-8"}
	c.WaitDelay = 5 * time.Second
	return c
}

// run runs args in the namespace and returns combined output and error.
func (ns *netNS) run(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), defaultTimeout)
	defer cancel()
	out, err := ns.command(ctx, args...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("in netns %s: %s: %w: %s", ns.name, strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// mustRun is run that fails the test on error.
func (ns *netNS) mustRun(t testing.TB, args ...string) string {
	t.Helper()
	out, err := ns.run(args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// do runs fn on an OS thread switched into the namespace, so that the
// sockets fn creates belong to it. The thread is never unlocked: it exits
// with the goroutine instead of returning to Go's pool in a foreign
// namespace. Sockets keep their namespace when used from other threads.
func (ns *netNS) do(fn func() error) error {
	if ns == nil {
		return fn()
	}
	if ns.userns {
		return fmt.Errorf("netns %s: a user namespace cannot be joined by a multi-threaded process", ns.name)
	}
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		f, err := os.Open(ns.path)
		if err != nil {
			errc <- err
			return
		}
		defer f.Close()
		if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("setns %s: %w", ns.name, err)
			return
		}
		errc <- fn()
	}()
	return <-errc
}

// connectVeth links a and b with a veth pair named aName (in a) and bName
// (in b) and gives the ends the addresses aCIDR and bCIDR (either may be
// empty), both up.
func connectVeth(t testing.TB, a *netNS, aName, aCIDR string, b *netNS, bName, bCIDR string) {
	t.Helper()
	a.mustRun(t, "ip", "link", "add", aName, "type", "veth", "peer", "name", bName, "netns", fmt.Sprint(b.pid))
	for _, end := range []struct {
		ns         *netNS
		name, cidr string
	}{{a, aName, aCIDR}, {b, bName, bCIDR}} {
		if end.cidr != "" {
			end.ns.mustRun(t, "ip", "addr", "add", end.cidr, "dev", end.name)
		}
		end.ns.mustRun(t, "ip", "link", "set", end.name, "up")
	}
}

// netEnv is a test's hutch installation whose commands run in the test's
// network namespace (root) or plainly (rootless: hutch's namespace holder
// is per test already). Every container it starts is remembered, so that
// the cleanup can check that no firewall rule still names one.
type netEnv struct {
	h  *hutchEnv
	ns *netNS // nil rootless

	mu  sync.Mutex
	ids []string
}

// newNetEnv prepares a hutch installation with the busybox fixture and the
// archives given (loaded first, so that the leak check's storage baseline
// includes them), in a network namespace of its own when root. The cleanup,
// which runs before the installation's own, removes every container from
// inside that namespace and checks that the network is clean (see
// checkNetClean).
func newNetEnv(t *testing.T, archives ...string) *netEnv {
	t.Helper()
	n := &netEnv{}
	n.h = newEnv(t)
	n.ns = n.h.ns
	for _, a := range archives {
		n.h.ok(t, "load", "-i", a)
	}
	n.h.load(t)
	t.Cleanup(func() { n.cleanup(t) })
	return n
}

// command is hutchEnv.command inside the test's namespace.
func (n *netEnv) command(ctx context.Context, args ...string) *exec.Cmd {
	return n.h.command(ctx, args...)
}

func (n *netEnv) runWith(t testing.TB, o runOpts, args ...string) result {
	t.Helper()
	r := execute(t, o, args, n.command)
	n.remember(r)
	return r
}

func (n *netEnv) run(t testing.TB, args ...string) result {
	t.Helper()
	return n.runWith(t, runOpts{}, args...)
}

// ok runs hutch, fails the test unless it exits 0, and returns stdout
// without its trailing newline.
func (n *netEnv) ok(t testing.TB, args ...string) string {
	t.Helper()
	r := n.run(t, args...)
	if r.Code != 0 {
		t.Fatalf("want exit 0: %v", r)
	}
	return r.Out()
}

// runDetached starts `hutch run -d ARGS` and returns the container's ID.
func (n *netEnv) runDetached(t testing.TB, args ...string) string {
	t.Helper()
	id := n.ok(t, append([]string{"run", "-d"}, args...)...)
	if !fullIDRE.MatchString(id) {
		t.Fatalf("run -d printed %q, want a 64-hex container ID", id)
	}
	return id
}

// remember records the container IDs that a run or create printed.
func (n *netEnv) remember(r result) {
	if len(r.Args) == 0 || (r.Args[0] != "run" && r.Args[0] != "create") {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, f := range strings.Fields(r.Stdout) {
		if fullIDRE.MatchString(f) {
			n.ids = append(n.ids, f)
		}
	}
}

func (n *netEnv) containerIDs() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]string(nil), n.ids...)
}

// inspect returns `hutch inspect --format TMPL REF`.
func (n *netEnv) inspect(t testing.TB, ref, tmpl string) string {
	t.Helper()
	return n.ok(t, "inspect", "--format", tmpl, ref)
}

// hostRun runs a command where hutch's bridges live: the test's namespace
// (root) or the holder's (rootless).
func (n *netEnv) hostRun(t testing.TB, args ...string) string {
	t.Helper()
	return n.bridgeNS(t).mustRun(t, args...)
}

// bridgeNS is the namespace where hutch's bridges and firewall live.
func (n *netEnv) bridgeNS(t testing.TB) *netNS {
	t.Helper()
	if n.ns != nil {
		return n.ns
	}
	return holderNetNS(t, n.h)
}

// cleanup removes every container from inside the namespace, then checks
// that the network side is clean.
func (n *netEnv) cleanup(t *testing.T) {
	for _, args := range [][]string{{"stop", "--all", "-t", "0"}, {"rm", "-fa"}} {
		if r := n.runWith(t, runOpts{Timeout: 2 * time.Minute}, args...); r.Code != 0 {
			t.Errorf("cleanup: %v", r)
		}
	}
	n.checkNetClean(t)
}

// dnsStopTimeout bounds how long a DNS responder may outlive the last
// container attached to its network (it checks every few seconds).
const dnsStopTimeout = 30 * time.Second

// vethGoneTimeout bounds how long a container's veth may outlive it.
const vethGoneTimeout = 5 * time.Second

// checkNetClean fails the test unless, with no container left: no DNS
// responder runs, no address is allocated, no veth of hutch's remains where
// the bridges live, and no nftables rule names a container of the test.
func (n *netEnv) checkNetClean(t testing.TB) {
	t.Helper()
	deadline := time.Now().Add(dnsStopTimeout)
	for len(n.dnsResponders()) > 0 && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
	}
	for pid := range n.dnsResponders() {
		t.Errorf("DNS responder %d (%s) still runs %v after the last container was removed",
			pid, cmdline(pid), dnsStopTimeout)
	}
	if left := n.ipamEntries(); len(left) > 0 {
		t.Errorf("addresses still allocated with no container left: %v", left)
	}
	ns := n.ns
	if ns == nil {
		ns = n.maybeHolderNS()
		if ns == nil {
			return // no holder was started: nothing was wired
		}
	}
	t.Logf("network leak checks in netns %s (held by pid %d)", ns.name, ns.pid)
	// Monitors delete veths just after reporting the exit: a --rm
	// container's may still be going.
	for deadline := time.Now().Add(vethGoneTimeout); len(hutchVeths(ns)) > 0 && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	if links := hutchVeths(ns); len(links) > 0 {
		t.Errorf("veth interfaces left in netns %s: %v", ns.name, links)
	}
	if rules, err := ns.run("nft", "list", "ruleset"); err == nil {
		for _, id := range n.containerIDs() {
			if strings.Contains(rules, id[:12]) {
				t.Errorf("nftables rules in netns %s still name removed container %s:\n%s", ns.name, id[:12], rules)
			}
		}
	} else {
		t.Errorf("list nftables rules: %v", err)
	}
}

// maybeHolderNS is holderNetNS without failing when there is none.
func (n *netEnv) maybeHolderNS() *netNS {
	self, err := os.Readlink("/proc/self/ns/net")
	if err != nil {
		return nil
	}
	for pid := range holderPids(n.h) {
		link, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/net", pid))
		if err == nil && link != self {
			return &netNS{name: "holder", pid: pid, path: fmt.Sprintf("/proc/%d/ns/net", pid), userns: true}
		}
	}
	return nil
}

// dnsResponders returns this test's processes in hutch's "dns" role.
func (n *netEnv) dnsResponders() map[int]string {
	out := map[int]string{}
	for pid, role := range testProcesses(n.h.dir) {
		if role == "dns" && procAlive(pid) {
			out[pid] = role
		}
	}
	return out
}

// ipamEntries lists the allocated addresses of every network, as
// NETWORK/ADDRESS (<root>/networks/<name>/ipam/<address>).
func (n *netEnv) ipamEntries() []string {
	var out []string
	nets, _ := os.ReadDir(filepath.Join(n.h.root, "networks"))
	for _, d := range nets {
		for _, a := range visibleEntries(filepath.Join(n.h.root, "networks", d.Name(), "ipam")) {
			out = append(out, d.Name()+"/"+a)
		}
	}
	return out
}

// testLinkPrefix starts the names of the interfaces tests make themselves,
// which the leak check leaves alone.
const testLinkPrefix = "xt"

// hutchVeths lists the veth interfaces in ns that the test did not make.
func hutchVeths(ns *netNS) []string {
	out, err := ns.run("ip", "-o", "link", "show", "type", "veth")
	if err != nil {
		return []string{err.Error()}
	}
	var links []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Fields(l)
		if len(f) < 2 {
			continue
		}
		name, _, _ := strings.Cut(strings.TrimSuffix(f[1], ":"), "@")
		if !strings.HasPrefix(name, testLinkPrefix) {
			links = append(links, name)
		}
	}
	return links
}
