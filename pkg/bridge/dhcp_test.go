package bridge

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/hutchctr/hutch/internal/testutil"
)

// startUDHCPD runs busybox udhcpd in the namespace, serving
// 10.212.0.100-150 on its eth0 (10.212.0.1/24), until the test ends.
func startUDHCPD(t *testing.T, ns string) {
	t.Helper()
	dir := t.TempDir()
	conf := filepath.Join(dir, "udhcpd.conf")
	cfg := fmt.Sprintf(`start 10.212.0.100
end 10.212.0.150
interface eth0
max_leases 51
lease_file %s/leases
pidfile %s/pid
option subnet 255.255.255.0
option router 10.212.0.1
option dns 10.212.0.53
option lease 120
`, dir, dir)
	if err := os.WriteFile(conf, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("nsenter", "--net="+ns, "--", testutil.BusyboxPath, "udhcpd", "-f", conf)
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("udhcpd:\n%s", out.String())
		}
	})
}

// TestDHCP: a macvlan container interface gets a lease from busybox's
// udhcpd in the LAN namespace, uses it, renews it and releases it.
func TestDHCP(t *testing.T) {
	requireNet(t)
	t.Parallel()
	n := openNS(t, newNetNS(t))
	lan := addPeer(t, n, "lan0", netip.Prefix{}, pfx("10.212.0.1/24"))
	startUDHCPD(t, lan)
	ctr := newNetNS(t)
	if _, err := n.AttachLower(Lower{Kind: KindMacvlan, Parent: "lan0"}, Iface{ContainerNS: ctr, Name: "eth0"}); err != nil {
		t.Fatal(err)
	}
	d, err := NewDHCPClient(ctr, "eth0")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	l, err := d.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	first, last := ip("10.212.0.100"), ip("10.212.0.150")
	if a := l.Addr.Addr(); l.Addr.Bits() != 24 || a.Less(first) || last.Less(a) {
		t.Errorf("lease address %s, want one of 10.212.0.100-150/24", l.Addr)
	}
	if l.Router != ip("10.212.0.1") || len(l.DNS) != 1 || l.DNS[0] != ip("10.212.0.53") || l.Server != ip("10.212.0.1") {
		t.Errorf("lease %+v, want router and server 10.212.0.1, DNS 10.212.0.53", l)
	}
	if got := l.Expiry.Sub(l.Renew); got < 55*time.Second || got > 65*time.Second {
		t.Errorf("renewal at %v before expiry, want half the 120 s lease", got)
	}
	if err := SetAddrs(ctr, "eth0", nil, []netip.Prefix{l.Addr}, []netip.Addr{l.Router}); err != nil {
		t.Fatal(err)
	}
	wantPing(t, ctr, "dhcp container", "10.212.0.1")
	wantPing(t, lan, "lan", l.Addr.Addr().String())

	r, err := d.Renew(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if r.Addr != l.Addr || !l.Expiry.Before(r.Expiry.Add(time.Millisecond)) {
		t.Errorf("renewed lease %v until %v, want %v extended past %v", r.Addr, r.Expiry, l.Addr, l.Expiry)
	}
	if err := d.Release(); err != nil {
		t.Errorf("Release: %v", err)
	}
	if err := d.Release(); err != nil {
		t.Errorf("Release without a lease: %v", err)
	}
}
