//go:build e2e

package e2e

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestNetPublish: host loopback → published port → a server in the
// container, TCP and UDP, on all addresses and on 127.0.0.1 only; `port`
// and `ps` show the mappings; removing the container closes the ports and
// frees them for another container.
func TestNetPublish(t *testing.T) {
	t.Parallel()
	n := newNetEnv(t, netToolsArchive(t))
	tcp, udp, local := n.freePort(t), n.freePort(t), n.freePort(t)
	n.runDetached(t, serverArgs("web", netToolsImage,
		"-p", fmt.Sprintf("%d:%d", tcp, replyPort),
		"-p", fmt.Sprintf("%d:%d/udp", udp, udpPort),
		"-p", fmt.Sprintf("127.0.0.1:%d:%d/tcp", local, peerPort))...)
	tcpAddr := fmt.Sprintf("127.0.0.1:%d", tcp)
	waitAnswer(t, "the published TCP port", 20*time.Second, func() (string, error) { return n.tcpAsk(tcpAddr) }, "reply-from-web")
	waitAnswer(t, "the published UDP port", 20*time.Second,
		func() (string, error) { return n.udpAsk(fmt.Sprintf("127.0.0.1:%d", udp)) }, "udp-from-")
	waitAnswer(t, "the port published on 127.0.0.1", 20*time.Second,
		func() (string, error) { return n.tcpAsk(fmt.Sprintf("127.0.0.1:%d", local)) }, "tcp")

	want := []string{
		fmt.Sprintf("%d/tcp -> 0.0.0.0:%d", replyPort, tcp),
		fmt.Sprintf("%d/tcp -> 127.0.0.1:%d", peerPort, local),
		fmt.Sprintf("%d/udp -> 0.0.0.0:%d", udpPort, udp),
	}
	if diff := cmp.Diff(sortedLines(n.ok(t, "port", "web")), want); diff != "" {
		t.Errorf("hutch port web (-got +want):\n%s", diff)
	}
	if got := n.ok(t, "port", "web", fmt.Sprintf("%d/tcp", replyPort)); got != fmt.Sprintf("0.0.0.0:%d", tcp) {
		t.Errorf("hutch port web %d/tcp = %q", replyPort, got)
	}
	if got := n.ok(t, "ps", "--format", "{{.Ports}}"); !strings.Contains(got, fmt.Sprintf("0.0.0.0:%d->%d/tcp", tcp, replyPort)) {
		t.Errorf("ps --format {{.Ports}} = %q, want it to show 0.0.0.0:%d->%d/tcp", got, tcp, replyPort)
	}
	n.ok(t, "rm", "-f", "-t", "0", "web")
	if _, err := n.tcpAsk(tcpAddr); err == nil {
		t.Errorf("port %d still answers after its container was removed", tcp)
	}
	// The port is free again.
	n.runDetached(t, serverArgs("web2", imageName, "-p", fmt.Sprintf("%d:%d", tcp, replyPort))...)
	waitAnswer(t, "the port, published again", 20*time.Second, func() (string, error) { return n.tcpAsk(tcpAddr) }, "reply-from-web2")
}

// sortedLines splits s into sorted, trimmed, non-empty lines.
func sortedLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	sort.Strings(out)
	return out
}

// TestNetPublishAll: -P publishes the image's EXPOSE ports on free host
// ports, which `port` names and which reach the container.
func TestNetPublishAll(t *testing.T) {
	t.Parallel()
	n := newNetEnv(t, exposedArchive(t))
	n.runDetached(t, serverArgs("exp", exposedImage, "-P")...)
	lines := sortedLines(n.ok(t, "port", "exp"))
	if len(lines) != 2 || !strings.HasPrefix(lines[0], fmt.Sprintf("%d/tcp -> ", replyPort)) ||
		!strings.HasPrefix(lines[1], fmt.Sprintf("%d/udp -> ", udpPort)) {
		t.Fatalf("hutch port exp = %q, want %d/tcp and %d/udp mapped", lines, replyPort, udpPort)
	}
	hostAddr := n.ok(t, "port", "exp", fmt.Sprintf("%d/tcp", replyPort))
	_, portText, _ := strings.Cut(hostAddr, ":")
	if p, err := strconv.Atoi(portText); err != nil || p <= 0 || p == replyPort {
		t.Fatalf("-P mapped %d/tcp to %q, want a free host port", replyPort, hostAddr)
	}
	waitAnswer(t, "the port -P chose", 20*time.Second,
		func() (string, error) { return n.tcpAsk("127.0.0.1:" + portText) }, "reply-from-exp")
}

// TestNetPortRange: -p 3 host ports to 3 container ports maps each to its
// partner.
func TestNetPortRange(t *testing.T) {
	t.Parallel()
	n := newNetEnv(t)
	const first = 8090
	host := n.freeRange(t, 3)
	script := ""
	for i := range 3 {
		script += fmt.Sprintf("nc -ll -p %d -e echo reply-%d & ", first+i, first+i)
	}
	n.runDetached(t, "--name", "ranged", "-p", fmt.Sprintf("%d-%d:%d-%d", host, host+2, first, first+2),
		imageName, "sh", "-c", script+"wait")
	var want []string
	for i := range 3 {
		want = append(want, fmt.Sprintf("%d/tcp -> 0.0.0.0:%d", first+i, host+i))
		waitAnswer(t, fmt.Sprintf("host port %d", host+i), 20*time.Second,
			func() (string, error) { return n.tcpAsk(fmt.Sprintf("127.0.0.1:%d", host+i)) }, fmt.Sprintf("reply-%d", first+i))
	}
	if diff := cmp.Diff(sortedLines(n.ok(t, "port", "ranged")), want); diff != "" {
		t.Errorf("hutch port ranged (-got +want):\n%s", diff)
	}
}

// TestNetClientAddress records which client address a server in the
// container sees through a published port. Root, from another host (a
// namespace joined by a veth), the address must be the client's own:
// DNAT keeps it. From the host's loopback (root) and through rootlesskit's
// port driver (rootless) the kernel cannot keep 127.0.0.1; the test logs
// what the server saw, for the report.
func TestNetClientAddress(t *testing.T) {
	t.Parallel()
	n := newNetEnv(t, netToolsArchive(t))
	peer, udp := n.freePort(t), n.freePort(t)
	n.runDetached(t, serverArgs("srv", netToolsImage,
		"-p", fmt.Sprintf("%d:%d", peer, peerPort), "-p", fmt.Sprintf("%d:%d/udp", udp, udpPort))...)
	table := waitAnswer(t, "the peer server from loopback", 20*time.Second,
		func() (string, error) { return n.tcpAsk(fmt.Sprintf("127.0.0.1:%d", peer)) }, "tcp")
	seen := peerFrom(table, peerPort)
	if seen == "" {
		t.Errorf("no connection to port %d in the server's table:\n%s", peerPort, table)
	}
	answer := waitAnswer(t, "the UDP server from loopback", 20*time.Second,
		func() (string, error) { return n.udpAsk(fmt.Sprintf("127.0.0.1:%d", udp)) }, "udp-from-")
	mode := "root"
	if rootless() {
		mode = "rootless (port driver)"
	}
	t.Logf("client address seen by the container, %s, client on host loopback: TCP %s, UDP %s", mode, seen, udpPeer(answer))
	if rootless() {
		return
	}
	remote := newNetNS(t, "remote")
	connectVeth(t, n.ns, testLinkPrefix+"r0", "192.0.2.1/24", remote, testLinkPrefix+"r1", "192.0.2.2/24")
	var got string
	err := remote.do(func() error {
		var err error
		got, err = tcpAskDirect(fmt.Sprintf("192.0.2.1:%d", peer))
		return err
	})
	if err != nil {
		t.Fatalf("from another host to the published port: %v", err)
	}
	if p := peerFrom(got, peerPort); p != "192.0.2.2" {
		t.Errorf("the server saw a client on another host as %q, want its own address 192.0.2.2:\n%s", p, got)
	}
	t.Logf("client address seen by the container, root, client on another host: %s", peerFrom(got, peerPort))
}
