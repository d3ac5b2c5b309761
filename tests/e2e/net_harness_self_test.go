//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestNetHarness checks the networking tests' own machinery with what hutch
// has always had (--network host): the test's namespace and an "outside"
// one joined by a veth, a Go server there, the container-side servers
// (busybox nc, netstat, socat from the nettools image) and the Go clients
// that reach them in the right namespace. If this fails, the other Net
// tests' failures say nothing about hutch.
func TestNetHarness(t *testing.T) {
	t.Parallel()
	n := newNetEnv(t, netToolsArchive(t))
	port := n.freePort(t)
	udp := n.freePort(t)
	script := fmt.Sprintf("nc -ll -p %d -e echo reply-from-hostsrv & nc -ll -p %d -e busybox netstat -tn & "+
		"socat UDP4-RECVFROM:%d,fork SYSTEM:'echo udp-from-$SOCAT_PEERADDR' & wait", port, port+1, udp)
	if rootless() {
		// The peer server takes port+1, which freePort did not check.
		script = strings.Replace(script, fmt.Sprintf("-p %d -e busybox", port+1), fmt.Sprintf("-p %d -e busybox", n.freePort(t)), 1)
	}
	n.runDetached(t, "--name", "hostsrv", "--network", "host", netToolsImage, "sh", "-c", script)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	waitAnswer(t, "a busybox nc server in a --network host container", 20*time.Second,
		func() (string, error) { return n.tcpAsk(addr) }, "reply-from-hostsrv")
	udpAddr := fmt.Sprintf("127.0.0.1:%d", udp)
	got := waitAnswer(t, "a socat UDP server in a --network host container", 20*time.Second,
		func() (string, error) { return n.udpAsk(udpAddr) }, "udp-from-")
	if p := udpPeer(got); p != "127.0.0.1" {
		t.Errorf("the UDP server saw the client as %q, want 127.0.0.1", p)
	}
	if !rootless() {
		peer := waitAnswer(t, "the netstat server", 20*time.Second,
			func() (string, error) { return n.tcpAsk(fmt.Sprintf("127.0.0.1:%d", port+1)) }, "tcp")
		if p := peerFrom(peer, port+1); p != "127.0.0.1" {
			t.Errorf("peerFrom read %q from:\n%s", p, peer)
		}
		outside := newNetNS(t, "outside")
		connectVeth(t, n.ns, testLinkPrefix+"o0", "192.0.2.1/24", outside, testLinkPrefix+"o1", "192.0.2.2/24")
		outsideServer(t, outside, "192.0.2.2:7000")
		got := waitAnswer(t, "the outside server from the test's namespace", 10*time.Second,
			func() (string, error) { return n.tcpAsk("192.0.2.2:7000") }, "from 192.0.2.1:")
		t.Logf("outside server: %s", strings.TrimSpace(got))
		r := n.fromContainer(t, "hostsrv", "192.0.2.2", 7000)
		if r.Code != 0 || !strings.Contains(r.Stdout, "from 192.0.2.1:") {
			t.Errorf("a --network host container did not reach the outside server: %v", r)
		}
	}
	n.ok(t, "rm", "-f", "-t", "0", "hostsrv")
	eventually(t, 10*time.Second, func() bool {
		_, err := n.tcpAsk(addr)
		return err != nil
	}, func() string { return "the server to go away with its container" })
}

// TestNetHarnessDHCP checks the DHCP test's LAN (root): busybox udhcpd in
// one namespace leases to busybox udhcpc in another, and the sniffer sees
// the client's REQUEST and, on SIGUSR2, its RELEASE.
func TestNetHarnessDHCP(t *testing.T) {
	if rootless() {
		t.Skip("the DHCP LAN is made by root; the rootless lane has no DHCP test")
	}
	t.Parallel()
	lan := newNetNS(t, "dhcp")
	client := newNetNS(t, "client")
	connectVeth(t, lan, testLinkPrefix+"d1", dhcpServer+"/24", client, testLinkPrefix+"c0", "")
	sniff := sniffDHCP(t, lan, testLinkPrefix+"d1")
	startUdhcpd(t, lan, testLinkPrefix+"d1")
	script := filepath.Join(t.TempDir(), "udhcpc.script")
	body := "#!/bin/sh\ncase \"$1\" in bound) busybox ip addr add \"$ip/$mask\" dev \"$interface\";; " +
		"deconfig) busybox ip addr flush dev \"$interface\";; esac\nexit 0\n"
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := client.command(t.Context(), "busybox", "udhcpc", "-f", "-i", testLinkPrefix+"c0", "-s", script, "-t", "5", "-T", "1")
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
	}()
	// Not /sys/class/net: sysfs shows the namespace it was mounted in.
	link := strings.Fields(client.mustRun(t, "ip", "-o", "link", "show", testLinkPrefix+"c0"))
	mac := ""
	for i := 0; i+1 < len(link); i++ {
		if link[i] == "link/ether" {
			mac = link[i+1]
		}
	}
	sniff.wait(t, 15*time.Second, "udhcpc's REQUEST", func(m dhcpMsg) bool { return m.chaddr == mac && m.typ == dhcpRequest })
	eventually(t, 10*time.Second, func() bool {
		return strings.Contains(client.mustRun(t, "ip", "-o", "-4", "addr"), "192.168.78.1")
	}, func() string { return "udhcpc to configure its lease; output:\n" + out.String() })
	cmd.Process.Signal(syscall.SIGUSR2)
	sniff.wait(t, 10*time.Second, "udhcpc's RELEASE", func(m dhcpMsg) bool { return m.chaddr == mac && m.typ == dhcpRelease })
}
