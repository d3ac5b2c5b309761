package engine

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/hutchctr/hutch/pkg/errdefs"
	"github.com/hutchctr/hutch/pkg/network"
	"github.com/hutchctr/hutch/pkg/state"
)

var equateAddrs = cmpopts.EquateComparable(netip.Prefix{}, netip.Addr{})

// templateNetworks returns the networks of the container's plan template.
func templateNetworks(t *testing.T, e *Engine, ref string) []network.Attachment {
	t.Helper()
	c, err := e.state.Get(ref)
	if err != nil {
		t.Fatal(err)
	}
	if c.Config.Network == nil {
		t.Fatalf("container %s has no network plan", ref)
	}
	return c.Config.Network.Attachments
}

// TestConnectStopped: connect and disconnect change a stopped container's
// configuration only, and check their input.
func TestConnectStopped(t *testing.T) {
	if inPrivateNetNS(t) {
		return
	}
	e := newNetTestEngine(t)
	ctx := context.Background()
	for _, o := range []NetworkCreateOptions{
		{Name: "front", Subnets: []string{"10.201.0.0/24"}},
		{Name: "quiet", Subnets: []string{"10.202.0.0/24"}, DisableDNS: true},
	} {
		if _, err := e.CreateNetwork(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.Create(ctx, CreateOptions{Image: "busybox", Name: "c"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Create(ctx, CreateOptions{Image: "busybox", Name: "iso", Network: "none"}); err != nil {
		t.Fatal(err)
	}
	o := NetworkConnectOptions{Aliases: []string{"web"}, IP: "10.201.0.7", MAC: "92:D0:C6:0A:29:33"}
	if err := e.ConnectNetwork(ctx, "front", "c", o); err != nil {
		t.Fatal(err)
	}
	want := []network.Attachment{{Network: "hutch"},
		{Network: "front", IP: netip.MustParseAddr("10.201.0.7"), MAC: "92:d0:c6:0a:29:33", Aliases: []string{"web"}}}
	if diff := cmp.Diff(templateNetworks(t, e, "c"), want, equateAddrs); diff != "" {
		t.Errorf("networks after connect (-got +want):\n%s", diff)
	}
	for _, tt := range []struct {
		name, net, ctr string
		o              NetworkConnectOptions
		want           error
	}{
		{"twice", "front", "c", NetworkConnectOptions{}, errdefs.ErrAlreadyExists},
		{"unknown network", "nosuch", "c", NetworkConnectOptions{}, errdefs.ErrNotFound},
		{"unknown container", "quiet", "nosuch", NetworkConnectOptions{}, errdefs.ErrNotFound},
		{"alias without DNS", "quiet", "c", NetworkConnectOptions{Aliases: []string{"x"}}, errdefs.ErrInvalidArgument},
		{"bad alias", "front", "iso", NetworkConnectOptions{Aliases: []string{"a b"}}, errdefs.ErrInvalidArgument},
		{"address outside the subnet", "quiet", "c", NetworkConnectOptions{IP: "10.99.0.5"}, errdefs.ErrInvalidArgument},
		{"malformed address", "quiet", "c", NetworkConnectOptions{IP: "10.202.0.300"}, errdefs.ErrInvalidArgument},
		{"malformed MAC", "quiet", "c", NetworkConnectOptions{MAC: "zz:zz"}, errdefs.ErrInvalidArgument},
		{"--network none", "quiet", "iso", NetworkConnectOptions{}, errdefs.ErrConflict},
	} {
		if err := e.ConnectNetwork(ctx, tt.net, tt.ctr, tt.o); !errors.Is(err, tt.want) {
			t.Errorf("connect %s: got %v, want %v", tt.name, err, tt.want)
		}
	}
	if diff := cmp.Diff(templateNetworks(t, e, "c"), want, equateAddrs); diff != "" {
		t.Errorf("failed connects changed the networks (-got +want):\n%s", diff)
	}
	if err := e.DisconnectNetwork(ctx, "front", "c", false); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(templateNetworks(t, e, "c"), want[:1], equateAddrs); diff != "" {
		t.Errorf("networks after disconnect (-got +want):\n%s", diff)
	}
	err := e.DisconnectNetwork(ctx, "front", "c", false)
	if !errors.Is(err, errdefs.ErrNotFound) || !strings.Contains(err.Error(), `"front"`) {
		t.Errorf("disconnect twice: got %v, want ErrNotFound naming the network", err)
	}
	if err := e.DisconnectNetwork(ctx, "quiet", "iso", false); !errors.Is(err, errdefs.ErrConflict) {
		t.Errorf("disconnect --network none: got %v, want ErrConflict", err)
	}
}

// TestDisconnectKeepsPorts: a container that publishes ports keeps a
// network to publish them from.
func TestDisconnectKeepsPorts(t *testing.T) {
	if inPrivateNetNS(t) {
		return
	}
	e := newNetTestEngine(t)
	ctx := context.Background()
	if _, err := e.CreateNetwork(ctx, NetworkCreateOptions{Name: "front", Subnets: []string{"10.201.0.0/24"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Create(ctx, CreateOptions{Image: "busybox", Name: "web", Publish: []string{"18080:80"}}); err != nil {
		t.Fatal(err)
	}
	if err := e.DisconnectNetwork(ctx, "hutch", "web", true); !errors.Is(err, errdefs.ErrConflict) {
		t.Errorf("disconnect the last network of a container with ports: got %v, want ErrConflict", err)
	}
	if err := e.ConnectNetwork(ctx, "front", "web", NetworkConnectOptions{}); err != nil {
		t.Fatal(err)
	}
	// Stopped, its ports move to front at the next start.
	if err := e.DisconnectNetwork(ctx, "hutch", "web", false); err != nil {
		t.Errorf("disconnect a stopped container's port network with another left: %v", err)
	}
}

// TestConnectRunning: a running container gets an interface on a network
// connected while it runs, with its address in the plan its monitor tears
// down, in its state and in its /etc/hosts and /etc/resolv.conf; a
// disconnect takes it all away, and the network's removal its bridge.
func TestConnectRunning(t *testing.T) {
	if inPrivateNetNS(t) {
		return
	}
	e := newNetTestEngine(t)
	ctx := context.Background()
	if _, err := e.CreateNetwork(ctx, NetworkCreateOptions{Name: "front", Subnets: []string{"10.201.0.0/24"}}); err != nil {
		t.Fatal(err)
	}
	id, err := e.Create(ctx, CreateOptions{Image: "busybox", Name: "c", Publish: []string{"18080:80"}})
	if err != nil {
		t.Fatal(err)
	}
	pid := startRunning(t, e, id)
	ctrNS := fmt.Sprintf("/proc/%d/ns/net", pid)

	if err := e.ConnectNetwork(ctx, "front", "c", NetworkConnectOptions{Aliases: []string{"web"}, IP: "10.201.0.7"}); err != nil {
		t.Fatal(err)
	}
	if out := nsRun(t, ctrNS, "ip", "-o", "-4", "addr", "show", "dev", "eth1"); !strings.Contains(out, "10.201.0.7/24") {
		t.Errorf("eth1 after connect:\n%s", out)
	}
	plan, err := network.ReadPlan(e.planPath(id))
	if err != nil {
		t.Fatal(err)
	}
	wantNets := []string{"hutch/eth0", "front/eth1 10.201.0.7/24"}
	if diff := cmp.Diff(attachmentSummary(plan.Attachments), wantNets); diff != "" {
		t.Errorf("the running plan (-got +want):\n%s", diff)
	}
	c, _ := e.state.Get(id)
	if diff := cmp.Diff(attachmentSummary(c.State.Networks), wantNets); diff != "" {
		t.Errorf("the state's networks (-got +want):\n%s", diff)
	}
	eps, err := e.netMgr.Store.Endpoints("front")
	if err != nil || len(eps) != 1 || eps[0].Name != "c" || !cmp.Equal(eps[0].Aliases, []string{"web"}) {
		t.Errorf("front's endpoints: %+v, %v", eps, err)
	}
	hosts, _ := os.ReadFile(filepath.Join(e.state.Dir(id), "hosts"))
	resolv, _ := os.ReadFile(filepath.Join(e.state.Dir(id), "resolv.conf"))
	if !strings.Contains(string(hosts), "10.201.0.7\t") || !strings.Contains(string(resolv), "nameserver 10.201.0.1") {
		t.Errorf("/etc/hosts or /etc/resolv.conf not updated:\n%s\n%s", hosts, resolv)
	}

	if err := e.DisconnectNetwork(ctx, "hutch", "c", true); !errors.Is(err, errdefs.ErrConflict) {
		t.Errorf("disconnect the network a running container's ports go through: got %v, want ErrConflict", err)
	}
	if err := e.DisconnectNetwork(ctx, "front", "c", false); err != nil {
		t.Fatal(err)
	}
	if out, err := nsTry(ctrNS, "ip", "link", "show", "eth1"); err == nil {
		t.Errorf("eth1 still exists after disconnect:\n%s", out)
	}
	if allocs, err := e.netMgr.Store.Allocations("front"); err != nil || len(allocs) != 0 {
		t.Errorf("front's allocations after disconnect: %v, %v", allocs, err)
	}
	plan, _ = network.ReadPlan(e.planPath(id))
	if diff := cmp.Diff(attachmentSummary(plan.Attachments), wantNets[:1]); diff != "" {
		t.Errorf("the running plan after disconnect (-got +want):\n%s", diff)
	}
	// Connected again, the container gets the free eth1 back.
	if err := e.ConnectNetwork(ctx, "front", "c", NetworkConnectOptions{}); err != nil {
		t.Fatal(err)
	}
	nsRun(t, ctrNS, "ip", "link", "show", "eth1")
	bridge := mustInspectNetwork(t, e, "front").NetworkInterface
	if err := e.RemoveNetwork(ctx, "front", NetworkRemoveOptions{}); !errors.Is(err, errdefs.ErrConflict) {
		t.Errorf("remove a network a running container uses: got %v, want ErrConflict", err)
	}
	if err := e.DisconnectNetwork(ctx, "front", "c", false); err != nil {
		t.Fatal(err)
	}
	if err := e.RemoveNetwork(ctx, "front", NetworkRemoveOptions{}); err != nil {
		t.Fatal(err)
	}
	if out, err := nsTry("/proc/self/ns/net", "ip", "link", "show", bridge); err == nil {
		t.Errorf("bridge %s of a removed network remains:\n%s", bridge, out)
	}
}

// startRunning wires a created container as its monitor would (Setup
// with its plan, in a process with its own network namespace) and
// records it as running. Its network is torn down at the end.
func startRunning(t *testing.T, e *Engine, id string) int {
	t.Helper()
	pid := startSleeper(t, syscall.CLONE_NEWNET)
	c, err := e.state.Get(id)
	if err != nil {
		t.Fatal(err)
	}
	plan := *c.Config.Network
	res, err := e.netMgr.Setup(context.Background(), &plan, pid)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if p, err := network.ReadPlan(e.planPath(id)); err == nil {
			e.netMgr.Teardown(context.Background(), p)
		}
		res.Close()
	})
	if _, err := e.state.MkRunDir(id); err != nil {
		t.Fatal(err)
	}
	if err := network.WritePlan(e.planPath(id), &plan); err != nil {
		t.Fatal(err)
	}
	fakeRunning(t, e, id, pid, func(s *state.State) { s.Networks, s.Ports = res.Attachments, res.Ports })
	return pid
}

func mustInspectNetwork(t *testing.T, e *Engine, name string) *NetworkInspect {
	t.Helper()
	n, err := e.InspectNetwork(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// attachmentSummary renders attachments as "network/interface addrs".
func attachmentSummary(as []network.Attachment) []string {
	var out []string
	for _, a := range as {
		s := a.Network + "/" + a.Interface
		if a.Network != network.DefaultName {
			for _, p := range a.Addrs {
				s += " " + p.String()
			}
		}
		out = append(out, s)
	}
	return out
}

func nsTry(ns string, args ...string) (string, error) {
	out, err := exec.Command("nsenter", append([]string{"--net=" + ns, "--"}, args...)...).CombinedOutput()
	return string(out), err
}

func nsRun(t *testing.T, ns string, args ...string) string {
	t.Helper()
	out, err := nsTry(ns, args...)
	if err != nil {
		t.Fatalf("%s in %s: %v: %s", strings.Join(args, " "), ns, err, out)
	}
	return out
}
