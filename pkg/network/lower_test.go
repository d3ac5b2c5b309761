package network

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hutchctr/hutch/internal/testutil"
	"github.com/hutchctr/hutch/pkg/errdefs"
)

// addLAN makes a namespace linked to the bridge namespace by a veth pair
// (parent there, eth0 with addr in the LAN) and returns its path.
func addLAN(t *testing.T, hostNS, parent, addr string) string {
	t.Helper()
	pid := newInit(t)
	lan := containerNS(pid)
	mustNS(t, hostNS, "ip", "link", "add", parent, "type", "veth", "peer", "name", "eth0", "netns", strconv.Itoa(pid))
	mustNS(t, hostNS, "ip", "link", "set", parent, "up")
	mustNS(t, lan, "ip", "addr", "add", addr, "dev", "eth0")
	mustNS(t, lan, "ip", "link", "set", "eth0", "up")
	mustNS(t, lan, "ip", "link", "set", "lo", "up")
	return lan
}

// startUDHCPD serves 10.212.0.100-150 from the LAN's eth0 (10.212.0.1).
func startUDHCPD(t *testing.T, lan string) {
	t.Helper()
	dir := t.TempDir()
	conf := filepath.Join(dir, "udhcpd.conf")
	cfg := fmt.Sprintf("start 10.212.0.100\nend 10.212.0.150\ninterface eth0\nmax_leases 51\nlease_file %s/leases\npidfile %s/pid\noption subnet 255.255.255.0\noption router 10.212.0.1\noption lease 120\n", dir, dir)
	if err := os.WriteFile(conf, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("nsenter", "--net="+lan, "--", testutil.BusyboxPath, "udhcpd", "-f", conf)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
}

// TestSetupLower: macvlan with static addresses and with DHCP (busybox
// udhcpd in a LAN namespace): addresses, connectivity, lease renewal and
// release; rootless plans are refused.
func TestSetupLower(t *testing.T) {
	requireNet(t)
	w := newWorld(t)
	lanA := addLAN(t, w.hostNS, "lan0", "10.213.0.1/24")
	lanB := addLAN(t, w.hostNS, "lan1", "10.212.0.1/24")
	startUDHCPD(t, lanB)
	mv := Network{Name: "mv", Driver: DriverMacvlan, Options: map[string]string{OptParent: "lan0"}, Subnets: []Subnet{{Subnet: pfx("10.213.0.0/24")}}}
	dh := Network{Name: "dh", Driver: DriverMacvlan, IPAMDriver: IPAMDHCP, Options: map[string]string{OptParent: "lan1", OptMode: "bridge"}}
	for _, n := range []Network{mv, dh} {
		if _, err := w.m.CreateNetwork(n, w.hostNS, false); err != nil {
			t.Fatal(err)
		}
	}
	c1, res1 := w.setup(t, &Plan{ContainerID: ctrID(1), ContainerName: "static", Attachments: []Attachment{{Network: "mv", MAC: "02:42:00:00:00:07"}}})
	if got := addrsOf(res1.Attachments); len(got) != 1 || got[0] != "mv=10.213.0.2/24" || res1.Attachments[0].MAC != "02:42:00:00:00:07" {
		t.Errorf("static macvlan attachment %+v", res1.Attachments)
	}
	wantPing(t, c1, "static macvlan container", "10.213.0.1")
	wantPing(t, lanA, "LAN A", "10.213.0.2")

	p2 := &Plan{ContainerID: ctrID(2), ContainerName: "dhcp", Attachments: []Attachment{{Network: "dh"}}}
	c2, res2 := w.setup(t, p2)
	a := res2.Attachments[0]
	if len(a.Addrs) != 1 || !strings.HasPrefix(a.Addrs[0].String(), "10.212.0.1") || a.Addrs[0].Bits() != 24 || a.Gateway != addr("10.212.0.1") {
		t.Errorf("dhcp attachment %+v, want a lease from 10.212.0.100-150 via 10.212.0.1", a)
	}
	wantPing(t, c2, "dhcp container", "10.212.0.1")
	if out := mustNS(t, c2, "ip", "route"); !strings.Contains(out, "default via 10.212.0.1") {
		t.Errorf("dhcp container routes lack the lease's router:\n%s", out)
	}
	if !res2.HasLeases() {
		t.Fatal("Result has no lease to maintain")
	}
	before := res2.leases[0].lease.Expiry
	res2.leases[0].lease.Renew = time.Now().Add(-time.Second)
	res2.renewDue(context.Background())
	if after := res2.leases[0].lease.Expiry; !after.After(before) || !res2.leases[0].retry.IsZero() {
		t.Errorf("renewal: expiry %v → %v (retry %v), want it extended", before, after, res2.leases[0].retry)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- res2.Maintain(ctx) }()
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Maintain() = %v", err)
	}
	if err := res2.Close(); err != nil {
		t.Errorf("Close() (release) = %v", err)
	}
	if err := w.m.Teardown(context.Background(), p2); err != nil {
		t.Error(err)
	}

	_, err := w.m.Setup(context.Background(), &Plan{ContainerID: ctrID(3), Rootless: true, HostNetNS: w.hostNS, Attachments: []Attachment{{Network: "mv"}}}, newInit(t))
	if !errors.Is(err, errdefs.ErrPermission) || !strings.Contains(err.Error(), "macvlan networks need root") {
		t.Errorf("rootless macvlan Setup() error = %v, want a permission error", err)
	}
	w.checkCleanOf(t, ctrID(3))
}
