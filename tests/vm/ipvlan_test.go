//go:build vm

package vm

import (
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestIpvlan: the ipvlan driver, proven here because the development
// machine's kernel has no ipvlan (CONFIG_IPVLAN), where the e2e suite can
// only check its error. As root, two containers on an ipvlan network over a
// dummy parent reach each other, and the container's interface shares the
// parent's MAC address (which tells ipvlan from macvlan). Rootless, the
// network is refused as needing root.
func TestIpvlan(t *testing.T) {
	t.Parallel()
	h := newLoadedEnv(t)
	if rootless() {
		r := h.run(t, "network", "create", "-d", "ipvlan", "-o", "parent=lo", "--subnet", "192.168.91.0/24", "lan")
		if r.Code == 0 {
			r = h.run(t, "run", "--rm", "--network", "lan", imageName, "true")
		}
		wantCode(t, r, 125)
		if !strings.Contains(r.Stderr, "ipvlan") || !strings.Contains(r.Stderr, "root") {
			t.Errorf("the error should say that ipvlan needs root: %q", r.Stderr)
		}
		return
	}
	parent := "hvipv0"
	if out, err := exec.Command("ip", "link", "add", parent, "type", "dummy").CombinedOutput(); err != nil {
		t.Fatalf("dummy parent: %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("ip", "link", "del", parent).Run() })
	if out, err := exec.Command("ip", "link", "set", parent, "up").CombinedOutput(); err != nil {
		t.Fatalf("dummy parent up: %v: %s", err, out)
	}
	mac, err := os.ReadFile("/sys/class/net/" + parent + "/address")
	if err != nil {
		t.Fatal(err)
	}
	h.ok(t, "network", "create", "-d", "ipvlan", "-o", "parent="+parent, "--subnet", "192.168.91.0/24", "lan")
	h.ok(t, "run", "-d", "--name", "srv", "--network", "lan", "--ip", "192.168.91.10", imageName,
		"sh", "-c", "nc -ll -p 8080 -e echo ipvlan-ok")
	if got := h.ok(t, "exec", "srv", "cat", "/sys/class/net/eth0/address"); got != strings.TrimSpace(string(mac)) {
		t.Errorf("the container's MAC %s is not its ipvlan parent's %s", got, strings.TrimSpace(string(mac)))
	}
	var r result
	eventually(t, 20*time.Second, func() bool {
		r = h.run(t, "run", "--rm", "--network", "lan", imageName, "nc", "-w", "3", "192.168.91.10", "8080")
		return r.Code == 0 && strings.Contains(r.Stdout, "ipvlan-ok")
	}, func() string { return "a second container to reach srv over ipvlan; last: " + r.String() })
	h.ok(t, "rm", "-f", "srv")
	h.ok(t, "network", "rm", "lan")
	if out, _ := exec.Command("ip", "-o", "link", "show", "type", "ipvlan").CombinedOutput(); strings.TrimSpace(string(out)) != "" {
		t.Errorf("ipvlan links left after the containers:\n%s", out)
	}
}
