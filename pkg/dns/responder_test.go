package dns

import (
	"errors"
	"net"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	mdns "github.com/miekg/dns"

	"github.com/hutchctr/hutch/pkg/errdefs"
	"github.com/hutchctr/hutch/pkg/network"
	"github.com/hutchctr/hutch/pkg/state"
)

// TestResponderEndToEnd runs the role in a network namespace of its own,
// started through EnsureResponder (which joins it with nsenter), and asks
// it over UDP and TCP from inside that namespace.
func TestResponderEndToEnd(t *testing.T) {
	ns := newNetNS(t, "10.99.0.1/24", "fd99::1/64")
	w := newWorld(t, "10.99.0.0/24", "fd99::/64")
	w.stopResponders(t)
	var pc net.PacketConn
	var l net.Listener
	var err error
	ns.do(t, func() { pc, l, err = listenUpstream() }) // on the namespace's 127.0.0.1
	if err != nil {
		t.Fatal(err)
	}
	up := serveUpstream(t, pc, l)
	web := w.addContainer(t, "web", []string{"10.99.0.2/24", "fd99::2/64"}, "www")
	db := w.addContainer(t, "db", []string{"10.99.0.3/24"})
	if err := w.starter(up.addr).EnsureResponder(ctx(t), *w.net, ns.path); err != nil {
		t.Fatal(err)
	}
	if ok, err := Alive(w.dir()); !ok || err != nil {
		t.Fatalf("Alive: got %v, %v; want true", ok, err)
	}
	tests := []struct {
		name  string
		qtype uint16
		want  result
	}{
		{"web.", mdns.TypeA, result{"NOERROR", true, []string{"A 10.99.0.2"}}},
		{"WWW.dns.hutch.", mdns.TypeA, result{"NOERROR", true, []string{"A 10.99.0.2"}}},
		{"web.", mdns.TypeAAAA, result{"NOERROR", true, []string{"AAAA fd99::2"}}},
		{web.id[:12] + ".", mdns.TypeA, result{"NOERROR", true, []string{"A 10.99.0.2"}}},
		{"db.", mdns.TypeA, result{"NOERROR", true, []string{"A 10.99.0.3"}}},
		{"3.0.99.10.in-addr.arpa.", mdns.TypePTR, result{"NOERROR", true, []string{"PTR db.dns.hutch."}}},
		{"example.test.", mdns.TypeA, result{"NOERROR", false, []string{"A 192.0.2.1"}}},
		{"nowhere.test.", mdns.TypeA, result{"NXDOMAIN", false, nil}},
	}
	for _, server := range []string{"10.99.0.1", "fd99::1"} {
		for _, netw := range []string{"udp", "tcp"} {
			for _, tt := range tests {
				got, err := ns.ask(t, server, tt.name, tt.qtype, netw)
				if err != nil {
					t.Errorf("%s %s %s: %v", server, netw, tt.name, err)
					continue
				}
				if diff := cmp.Diff(got, tt.want); diff != "" {
					t.Errorf("%s %s %s (-got +want):\n%s", server, netw, tt.name, diff)
				}
			}
		}
	}

	// A container that stops stops resolving.
	w.setStatus(t, db, state.Exited)
	time.Sleep(defaultMaxAge)
	if got, err := ns.ask(t, "10.99.0.1", "db.", mdns.TypeA, "udp"); err != nil || got.Rcode != "NXDOMAIN" {
		t.Errorf("db after it stopped: got %+v, %v; want NXDOMAIN", got, err)
	}

	// busybox's resolver, as a container's would ask.
	out, err := exec.Command("nsenter", "--net="+ns.path, "busybox", "nslookup", "web", "10.99.0.1").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "10.99.0.2") {
		t.Errorf("busybox nslookup web: %v\n%s", err, out)
	}

	// It stays while a container is attached, and goes when none is.
	time.Sleep(500 * time.Millisecond)
	if ok, _ := Alive(w.dir()); !ok {
		t.Fatal("the responder exited while web was attached")
	}
	w.detach(t, web)
	w.detach(t, db)
	waitFor(t, 5*time.Second, "the idle responder to exit", func() bool {
		ok, _ := Alive(w.dir())
		return !ok && len(responderPids(w.dir())) == 0
	})
	if n := w.logCount("exiting"); n != 1 {
		t.Errorf("log has %d exits, want 1", n)
	}
}

// TestEnsureResponderParallel starts the responder from 10 goroutines at
// once: all succeed and exactly one responder runs. A container whose
// monitor dies (its lock is freed) lets it exit.
func TestEnsureResponderParallel(t *testing.T) {
	ns := newNetNS(t, "10.99.1.1/24")
	w := newWorld(t, "10.99.1.0/24")
	w.stopResponders(t)
	c := w.addContainer(t, "solo", []string{"10.99.1.2/24"})
	s := w.starter()
	var wg sync.WaitGroup
	errs := make([]error, 10)
	for i := range errs {
		wg.Go(func() { errs[i] = s.EnsureResponder(ctx(t), *w.net, ns.path) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if n := w.logCount("serving"); n != 1 {
		t.Errorf("%d responders started, want 1", n)
	}
	if pids := responderPids(w.dir()); len(pids) != 1 {
		t.Errorf("responder processes %v, want one", pids)
	}
	if got, err := ns.ask(t, "10.99.1.1", "solo.", mdns.TypeA, "udp"); err != nil || got.Rcode != "NOERROR" {
		t.Errorf("solo: got %+v, %v", got, err)
	}
	c.monitor.Unlock() // the monitor "dies" without tearing down
	waitFor(t, 5*time.Second, "the idle responder to exit", func() bool {
		ok, _ := Alive(w.dir())
		return !ok
	})
}

// TestEnsureResponderAgainstExit starts containers while the responder is
// deciding to exit: after every EnsureResponder, the name resolves.
func TestEnsureResponderAgainstExit(t *testing.T) {
	ns := newNetNS(t, "10.99.2.1/24")
	w := newWorld(t, "10.99.2.0/24")
	w.stopResponders(t)
	c := w.addContainer(t, "flap", []string{"10.99.2.2/24"})
	w.detach(t, c)
	s := w.starter()
	s.Grace, s.Interval = 20*time.Millisecond, 10*time.Millisecond
	for i := range 15 {
		w.attach(t, c, []string{"10.99.2.2/24"})
		if err := s.EnsureResponder(ctx(t), *w.net, ns.path); err != nil {
			t.Fatalf("round %d: %v", i, err)
		}
		time.Sleep(30 * time.Millisecond) // past the grace: it checks and stays
		if got, err := ns.ask(t, "10.99.2.1", "flap.", mdns.TypeA, "udp"); err != nil || got.Rcode != "NOERROR" {
			t.Fatalf("round %d: flap: got %+v, %v", i, got, err)
		}
		w.detach(t, c)
		time.Sleep(time.Duration(i%4) * 10 * time.Millisecond)
	}
	waitFor(t, 5*time.Second, "the idle responder to exit", func() bool {
		ok, _ := Alive(w.dir())
		return !ok
	})
	if started, exited := w.logCount("serving"), w.logCount("exiting"); started != exited {
		t.Errorf("%d responders started, %d exited", started, exited)
	}
}

func TestEnsureResponderErrors(t *testing.T) {
	ns := newNetNS(t, "10.99.3.1/24")
	w := newWorld(t, "10.99.3.0/24")
	w.stopResponders(t)
	w.addContainer(t, "c", []string{"10.99.3.2/24"})
	s := w.starter()

	noDNS := *w.net
	noDNS.DNSEnabled = false
	if err := s.EnsureResponder(ctx(t), noDNS, ns.path); err != nil {
		t.Errorf("network without dns: %v", err)
	}
	if ok, _ := Alive(w.dir()); ok {
		t.Error("a responder started for a network without dns")
	}

	gone := *w.net
	gone.Name = "gone"
	if err := s.EnsureResponder(ctx(t), gone, ns.path); !errors.Is(err, errdefs.ErrNotFound) {
		t.Errorf("missing network: got %v, want not found", err)
	}

	noGW := *w.net
	noGW.Subnets = nil
	if err := s.EnsureResponder(ctx(t), noGW, ns.path); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Errorf("no gateway: got %v, want invalid argument", err)
	}

	// A gateway the namespace does not have: the start fails with the
	// responder's reason, and nothing stays behind.
	elsewhere := *w.net
	elsewhere.Subnets = append(elsewhere.Subnets[:0:0], elsewhere.Subnets...)
	elsewhere.Subnets[0].Gateway = elsewhere.Subnets[0].Gateway.Next().Next().Next()
	err := s.EnsureResponder(ctx(t), elsewhere, ns.path)
	if err == nil || !strings.Contains(err.Error(), "cannot assign requested address") || !strings.Contains(err.Error(), filepath.Join(w.dir(), logFile)) {
		t.Errorf("unknown gateway: got %v, want a bind error naming the log", err)
	}
	if ok, _ := Alive(w.dir()); ok {
		t.Error("a failed responder holds the lock")
	}

	if err := s.EnsureResponder(ctx(t), *w.net, "/nonexistent/ns/net"); err == nil {
		t.Error("bad namespace path: no error")
	}
}

// TestResponderFollowsNamespace replaces a responder left in a namespace
// that is not the bridge's any more (a replaced namespace holder), and
// Stop ends one (network rm -f).
func TestResponderFollowsNamespace(t *testing.T) {
	old := newNetNS(t, "10.99.4.1/24")
	cur := newNetNS(t, "10.99.4.1/24")
	w := newWorld(t, "10.99.4.0/24")
	w.stopResponders(t)
	w.addContainer(t, "mover", []string{"10.99.4.2/24"})
	s := w.starter()
	if err := s.EnsureResponder(ctx(t), *w.net, old.path); err != nil {
		t.Fatal(err)
	}
	if err := s.EnsureResponder(ctx(t), *w.net, cur.path); err != nil {
		t.Fatal(err)
	}
	if got, err := cur.ask(t, "10.99.4.1", "mover.", mdns.TypeA, "udp"); err != nil || got.Rcode != "NOERROR" {
		t.Errorf("in the current namespace: got %+v, %v", got, err)
	}
	if _, err := old.ask(t, "10.99.4.1", "mover.", mdns.TypeA, "tcp"); err == nil {
		t.Error("the old namespace still has a responder")
	}
	// The old one let go of the lock; its process may take a moment more.
	waitFor(t, 2*time.Second, "one responder process", func() bool { return len(responderPids(w.dir())) == 1 })
	if err := Stop(ctx(t), w.dir()); err != nil {
		t.Fatal(err)
	}
	if ok, _ := Alive(w.dir()); ok {
		t.Error("alive after Stop")
	}
	if err := Stop(ctx(t), w.dir()); err != nil {
		t.Errorf("Stop without a responder: %v", err)
	}
}

// TestResponderOfReplacedNetwork removes the network under a running
// responder and creates it again under the same name: the old responder
// goes, a new one serves the new network's containers.
func TestResponderOfReplacedNetwork(t *testing.T) {
	ns := newNetNS(t, "10.99.5.1/24")
	w := newWorld(t, "10.99.5.0/24")
	w.stopResponders(t)
	w.addContainer(t, "before", []string{"10.99.5.2/24"})
	s := w.starter()
	if err := s.EnsureResponder(ctx(t), *w.net, ns.path); err != nil {
		t.Fatal(err)
	}
	old, err := readInfo(w.dir())
	if err != nil {
		t.Fatal(err)
	}
	if err := w.nets.Remove(w.net.Name, nil, true); err != nil {
		t.Fatal(err)
	}
	n, err := w.nets.Create(network.Network{Name: w.net.Name, DNSEnabled: true, Subnets: w.net.Subnets}, network.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	w.net = n
	w.addContainer(t, "after", []string{"10.99.5.3/24"})
	if err := s.EnsureResponder(ctx(t), *w.net, ns.path); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, want string }{{"after.", "NOERROR"}, {"before.", "SERVFAIL"}}
	for _, tt := range tests {
		if got, err := ns.ask(t, "10.99.5.1", tt.name, mdns.TypeA, "udp"); err != nil || got.Rcode != tt.want {
			t.Errorf("%s: got %+v, %v; want %s", tt.name, got, err, tt.want)
		}
	}
	waitFor(t, 2*time.Second, "the old responder to exit", func() bool {
		start, err := pidStart(old.Pid)
		return err != nil || start != old.Start || !slices.Contains(responderPids(w.dir()), old.Pid)
	})
	if pids := responderPids(w.dir()); len(pids) != 1 {
		t.Errorf("responder processes %v, want one", pids)
	}
}
