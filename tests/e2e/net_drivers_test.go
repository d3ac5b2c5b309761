//go:build e2e

package e2e

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The "LAN" of the macvlan, ipvlan and DHCP tests is a namespace joined to
// hutch's by a veth: hutch's end is the parent interface, the other end has
// the LAN's gateway address and a server.
const (
	lanSubnet  = "192.168.77.0/24"
	lanGateway = "192.168.77.2"
	dhcpServer = "192.168.78.1"
	lanPort    = 7000
)

// TestNetMacvlanIpvlan (root): containers on a macvlan or ipvlan network
// over a veth parent reach each other and the LAN, which sees their own
// addresses (no NAT).
func TestNetMacvlanIpvlan(t *testing.T) {
	if rootless() {
		t.Skip("macvlan and ipvlan need root; TestNetMacvlanRootless covers the rootless error")
	}
	t.Parallel()
	n := newNetEnv(t)
	lan := newNetNS(t, "lan")
	parent := testLinkPrefix + "l0"
	connectVeth(t, n.ns, parent, "", lan, testLinkPrefix+"l1", lanGateway+"/24")
	outsideServer(t, lan, fmt.Sprintf("%s:%d", lanGateway, lanPort))
	// One driver at a time: a parent carries either macvlan or ipvlan
	// children, not both.
	for _, driver := range []string{"macvlan", "ipvlan"} {
		t.Run(driver, func(t *testing.T) {
			name := "lan-" + driver
			n.ok(t, "network", "create", "-d", driver, "-o", "parent="+parent,
				"--subnet", lanSubnet, "--gateway", lanGateway, name)
			// Podman names the parent as network_interface; options may repeat it.
			if doc := n.inspectNetwork(t, name); doc.Driver != driver || doc.NetworkInterface != parent {
				t.Errorf("network inspect %s: driver %q, network_interface %q, want %s and %s",
					name, doc.Driver, doc.NetworkInterface, driver, parent)
			}
			if !kernelHasLinkType(t, n.ns, parent, driver) {
				// Kernels built without it (this project's machine lacks
				// CONFIG_IPVLAN): the user gets a clear error and nothing
				// is left behind. Connectivity is then unproven, which
				// the log says.
				r := n.run(t, "run", "-d", "--name", "srv-"+driver, "--network", name, imageName, "true")
				wantUserError(t, r, 125, "no "+driver+" support")
				if got := n.ok(t, "ps", "-a", "-q"); got != "" {
					t.Errorf("containers left after the failed run: %q", got)
				}
				n.ok(t, "network", "rm", name)
				t.Logf("UNPROVEN: this kernel has no %s links; only the error path was tested", driver)
				return
			}
			n.runDetached(t, serverArgs("srv-"+driver, imageName, "--network", name)...)
			n.runDetached(t, sleeperArgs("cli-"+driver, "--network", name)...)
			sip, cip := n.ipIn(t, "srv-"+driver, lanSubnet), n.ipIn(t, "cli-"+driver, lanSubnet)
			n.waitReach(t, "cli-"+driver, sip, "srv-"+driver)
			r := n.fromContainer(t, "cli-"+driver, lanGateway, lanPort)
			if want := "from " + cip + ":"; r.Code != 0 || !strings.Contains(r.Stdout, want) {
				t.Errorf("the LAN server should see the container as %s: %v", cip, r)
			}
			n.ok(t, "rm", "-f", "-t", "0", "srv-"+driver, "cli-"+driver)
			n.ok(t, "network", "rm", name)
			if left := n.ns.mustRun(t, "ip", "-o", "link", "show", "type", driver); strings.TrimSpace(left) != "" {
				t.Errorf("%s links left in hutch's namespace after its containers:\n%s", driver, left)
			}
		})
	}
}

// TestNetMacvlanRootless: macvlan and ipvlan need root; rootless hutch says
// so, when the network is created or at the latest when a container joins.
func TestNetMacvlanRootless(t *testing.T) {
	if !rootless() {
		t.Skip("the rootless error; the root lane runs TestNetMacvlanIpvlan")
	}
	t.Parallel()
	n := newNetEnv(t)
	for _, driver := range []string{"macvlan", "ipvlan"} {
		name := "lan-" + driver
		r := n.run(t, "network", "create", "-d", driver, "-o", "parent=lo", "--subnet", lanSubnet, name)
		if r.Code == 0 {
			r = n.run(t, "run", "--rm", "--network", name, imageName, "true")
		}
		wantUserError(t, r, 125, driver)
		if !strings.Contains(r.Stderr, "root") {
			t.Errorf("the error does not say that %s needs root: %q", driver, r.Stderr)
		}
	}
	if got := n.ok(t, "ps", "-a", "-q"); got != "" {
		t.Errorf("containers left: %q", got)
	}
}

// TestNetDHCP (root): a macvlan network with --ipam-driver dhcp leases the
// container's address from busybox udhcpd on the LAN, renews it and
// releases it when the container stops.
func TestNetDHCP(t *testing.T) {
	if rootless() {
		t.Skip("macvlan needs root")
	}
	t.Parallel()
	n := newNetEnv(t)
	lan := newNetNS(t, "dhcp")
	parent, serverIf := testLinkPrefix+"d0", testLinkPrefix+"d1"
	connectVeth(t, n.ns, parent, "", lan, serverIf, dhcpServer+"/24")
	sniff := sniffDHCP(t, lan, serverIf)
	startUdhcpd(t, lan, serverIf)
	outsideServer(t, lan, fmt.Sprintf("%s:%d", dhcpServer, lanPort))

	n.ok(t, "network", "create", "-d", "macvlan", "-o", "parent="+parent, "--ipam-driver", "dhcp", "dhnet")
	if doc := n.inspectNetwork(t, "dhnet"); doc.IPAMOptions["driver"] != "dhcp" {
		t.Errorf("network inspect dhnet: ipam_options %v, want driver dhcp", doc.IPAMOptions)
	}
	n.runDetached(t, sleeperArgs("leased", "--network", "dhnet")...)
	ip := n.ipIn(t, "leased", "192.168.78.0/24")
	if last := net.ParseIP(ip).To4()[3]; last < 100 || last > 110 {
		t.Errorf("the container has %s, not an address of udhcpd's pool .100-.110", ip)
	}
	mac := n.ok(t, "exec", "leased", "cat", "/sys/class/net/eth0/address")
	r := n.fromContainer(t, "leased", dhcpServer, lanPort)
	if r.Code != 0 || !strings.Contains(r.Stdout, "from "+ip+":") {
		t.Errorf("the LAN server should see the leased address %s: %v", ip, r)
	}
	if got := n.inspect(t, "leased", `{{with index .NetworkSettings.Networks "dhnet"}}{{.IPAddress}}{{end}}`); got != ip {
		t.Errorf("inspect shows %q, want the leased %s", got, ip)
	}
	// The lease lasts 10 s (udhcpd's minimum is configured down to that):
	// the monitor renews at half of it.
	sniff.wait(t, 20*time.Second, "a renewal (REQUEST with ciaddr) from "+mac, func(m dhcpMsg) bool {
		return m.chaddr == mac && m.typ == dhcpRequest && m.ciaddr == ip
	})
	n.ok(t, "stop", "-t", "0", "leased")
	sniff.wait(t, 10*time.Second, "a RELEASE from "+mac+" when the container stopped", func(m dhcpMsg) bool {
		return m.chaddr == mac && m.typ == dhcpRelease
	})
}

// startUdhcpd runs busybox udhcpd in ns on ifname, serving .100-.110 of
// 192.168.78.0/24 with 10-second leases; the cleanup stops it.
func startUdhcpd(t *testing.T, ns *netNS, ifname string) {
	t.Helper()
	dir := t.TempDir()
	leases := filepath.Join(dir, "leases")
	conf := fmt.Sprintf("start 192.168.78.100\nend 192.168.78.110\ninterface %s\nlease_file %s\n"+
		"min_lease 10\noption lease 10\noption subnet 255.255.255.0\noption router %s\n",
		ifname, leases, dhcpServer)
	confPath := filepath.Join(dir, "udhcpd.conf")
	for p, body := range map[string]string{leases: "", confPath: conf} {
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := ns.command(t.Context(), "busybox", "udhcpd", "-f", confPath)
	logFile, err := os.Create(filepath.Join(dir, "udhcpd.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatalf("start udhcpd: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		logFile.Close()
		if t.Failed() {
			log, _ := os.ReadFile(logFile.Name())
			t.Logf("udhcpd's log:\n%s", log)
		}
	})
}

// kernelHasLinkType says whether the kernel can create a link of type kind
// over parent, by creating and deleting one in ns.
func kernelHasLinkType(t *testing.T, ns *netNS, parent, kind string) bool {
	t.Helper()
	probe := testLinkPrefix + "probe"
	out, err := ns.run("ip", "link", "add", "link", parent, "name", probe, "type", kind)
	if err != nil {
		t.Logf("ip link add type %s: %v: %s", kind, err, out)
		return false
	}
	ns.mustRun(t, "ip", "link", "del", probe)
	return true
}
