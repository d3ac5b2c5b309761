//go:build e2e

package e2e

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestNetParallelRuns: 50 containers started at once on the default network
// get 50 distinct addresses, each recorded once in the IPAM directory under
// its container's ID; removing them frees every address (checked by the
// cleanup).
func TestNetParallelRuns(t *testing.T) {
	t.Parallel()
	n := newNetEnv(t)
	const count = 50
	ids := make([]string, count)
	var wg sync.WaitGroup
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := n.runWith(t, runOpts{Timeout: 4 * time.Minute}, "run", "-d", "--name", fmt.Sprintf("p%02d", i), imageName, "sleep", "1000")
			if r.Code != 0 || !fullIDRE.MatchString(r.Out()) {
				t.Errorf("run %d: %v", i, r)
				return
			}
			ids[i] = r.Out()
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	out := n.ok(t, append([]string{"inspect", "--format", "{{.Id}} {{.NetworkSettings.IPAddress}}"}, ids...)...)
	byIP := map[string]string{}
	_, pool, _ := net.ParseCIDR(defaultNet)
	for _, l := range strings.Split(out, "\n") {
		id, ip, _ := strings.Cut(l, " ")
		switch {
		case net.ParseIP(ip) == nil || !pool.Contains(net.ParseIP(ip)) || ip == defaultGW:
			t.Errorf("container %s has address %q, not one of %s's", id, ip, defaultNet)
		case byIP[ip] != "":
			t.Errorf("containers %s and %s share the address %s", byIP[ip][:12], id[:12], ip)
		}
		byIP[ip] = id
	}
	if len(byIP) != count {
		t.Errorf("%d distinct addresses for %d containers", len(byIP), count)
	}
	dir := filepath.Join(n.h.root, "networks", "hutch", "ipam")
	for ip, id := range byIP {
		data, err := os.ReadFile(filepath.Join(dir, ip))
		if err != nil || !strings.Contains(string(data), id) {
			t.Errorf("IPAM record %s/%s: %q, %v; want container %s", dir, ip, data, err, id[:12])
		}
	}
	if got := len(visibleEntries(dir)); got != count {
		t.Errorf("%s holds %d records, want %d", dir, got, count)
	}
}

// TestNetKillMonitors: after kill -9 of the monitors of containers with
// addresses, published ports and firewall rules, the next commands reclaim
// all of it: the address and the port can be taken again, and no rule, veth
// or record of the dead containers remains.
func TestNetKillMonitors(t *testing.T) {
	t.Parallel()
	n := newNetEnv(t)
	n.ok(t, "network", "create", "--subnet", frontSubnet, "front")
	port := n.freePort(t)
	victim := n.runDetached(t, serverArgs("victim", imageName, "--network", "front", "-p", fmt.Sprintf("%d:%d", port, replyPort))...)
	other := n.runDetached(t, sleeperArgs("other", "--network", "front")...)
	def := n.runDetached(t, sleeperArgs("ondefault")...)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	waitAnswer(t, "the published port", 20*time.Second, func() (string, error) { return n.tcpAsk(addr) }, "reply-from-victim")
	victimIP := n.ipIn(t, "victim", frontSubnet)
	if !rootless() {
		// The rules of a published port name their container, so that
		// teardown and reconcile remove exactly those.
		if rules := n.hostRun(t, "nft", "list", "ruleset"); !strings.Contains(rules, victim[:12]) {
			t.Errorf("no nftables rule names container %s, which publishes port %d:\n%s", victim[:12], port, rules)
		}
	}
	var pids []int
	for _, id := range []string{victim, other, def} {
		mon, _ := strconv.Atoi(n.inspect(t, id, "{{.State.ConmonPid}}"))
		pid, _ := strconv.Atoi(n.inspect(t, id, "{{.State.Pid}}"))
		if err := syscall.Kill(mon, syscall.SIGKILL); err != nil {
			t.Fatalf("kill monitor %d: %v", mon, err)
		}
		pids = append(pids, pid)
	}
	eventually(t, 10*time.Second, func() bool {
		for _, pid := range pids {
			if procAlive(pid) {
				return false
			}
		}
		return true
	}, func() string { return "the containers to die with their monitors" })
	if got := n.ok(t, "ps", "-a", "--format", "{{.Names}} {{.State}}"); len(sortedLines(got)) != 3 || strings.Contains(got, "running") {
		t.Errorf("ps -a after kill -9 of the monitors:\n%s", got)
	}
	// The dead containers' address and port are free for a new one.
	n.runDetached(t, serverArgs("heir", imageName, "--network", "front", "--ip", victimIP,
		"-p", fmt.Sprintf("%d:%d", port, replyPort))...)
	waitAnswer(t, "the port, published again", 20*time.Second, func() (string, error) { return n.tcpAsk(addr) }, "reply-from-heir")
	ipam := n.ipamEntries()
	sort.Strings(ipam)
	if len(ipam) != 1 || ipam[0] != "front/"+victimIP {
		t.Errorf("IPAM records after reclaim: %v, want only front/%s (heir's)", ipam, victimIP)
	}
	ns := n.bridgeNS(t)
	if rules, err := ns.run("nft", "list", "ruleset"); err != nil {
		t.Error(err)
	} else {
		for _, id := range []string{victim, other, def} {
			if strings.Contains(rules, id[:12]) {
				t.Errorf("nftables rules still name dead container %s:\n%s", id[:12], rules)
			}
		}
	}
	// Only heir's veth remains.
	if links := hutchVeths(ns); len(links) != 1 {
		t.Errorf("veths where the bridges live: %v, want only heir's", links)
	}
}
