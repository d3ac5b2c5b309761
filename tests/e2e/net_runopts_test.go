//go:build e2e

package e2e

import (
	"os"
	"strings"
	"testing"
)

// TestNetModes: --network none gives only loopback; host shares hutch's
// host namespace (rootless: the user's real one, not the holder's);
// container:NAME shares another container's namespace.
func TestNetModes(t *testing.T) {
	t.Parallel()
	n := newNetEnv(t)
	links := n.ok(t, "run", "--rm", "--network", "none", imageName, "ip", "-o", "link")
	if got := linkNames(links); len(got) != 1 || got[0] != "lo" {
		t.Errorf("--network none: links %v, want only lo", got)
	}
	hostLink, err := os.Readlink("/proc/self/ns/net")
	if n.ns != nil {
		hostLink, err = os.Readlink(n.ns.path)
	}
	if err != nil {
		t.Fatal(err)
	}
	if got := n.ok(t, "run", "--rm", "--network", "host", imageName, "readlink", "/proc/self/ns/net"); got != hostLink {
		t.Errorf("--network host: the container's netns is %s, want the host's %s", got, hostLink)
	}
	n.runDetached(t, sleeperArgs("first")...)
	first := n.ok(t, "exec", "first", "readlink", "/proc/self/ns/net")
	if got := n.ok(t, "run", "--rm", "--network", "container:first", imageName, "readlink", "/proc/self/ns/net"); got != first {
		t.Errorf("--network container:first: netns %s, want first's %s", got, first)
	}
	if first == hostLink {
		t.Errorf("a bridged container shares the host's network namespace %s", hostLink)
	}
	if !rootless() {
		return
	}
	// Rootless, bridges live in the holder's namespace, whose slirp4netns
	// MTU they take.
	if got := n.ok(t, "exec", "first", "cat", "/sys/class/net/eth0/mtu"); got != "65520" {
		t.Errorf("rootless eth0 MTU %s, want slirp4netns's 65520", got)
	}
}

// linkNames returns the interface names in `ip -o link` output.
func linkNames(out string) []string {
	var names []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Fields(l)
		if len(f) > 1 {
			name, _, _ := strings.Cut(strings.TrimSuffix(f[1], ":"), "@")
			names = append(names, name)
		}
	}
	return names
}

// TestNetRunOptions: --ip, --mac-address, --hostname, --add-host, --dns,
// --dns-search and --network-alias end up in the container's interface,
// /etc/hosts, /etc/resolv.conf and inspect.
func TestNetRunOptions(t *testing.T) {
	t.Parallel()
	n := newNetEnv(t)
	n.ok(t, "network", "create", "--subnet", "10.230.0.0/24", "lab")
	const ip, mac = "10.230.0.42", "02:42:0a:e6:00:2a"
	n.runDetached(t, "--name", "opts", "--network", "lab", "--ip", ip, "--mac-address", mac,
		"--hostname", "box", "--add-host", "db.test:192.0.2.7", "--dns", "192.0.2.53",
		"--dns-search", "example.test", "--network-alias", "alias1", imageName, "sleep", "1000")
	if got := n.ipIn(t, "opts", "10.230.0.0/24"); got != ip {
		t.Errorf("--ip %s: the container has %s", ip, got)
	}
	if got := n.ok(t, "exec", "opts", "cat", "/sys/class/net/eth0/address"); got != mac {
		t.Errorf("--mac-address %s: eth0 has %s", mac, got)
	}
	if got := n.ok(t, "exec", "opts", "hostname"); got != "box" {
		t.Errorf("hostname %q, want box", got)
	}
	hosts := n.ok(t, "exec", "opts", "cat", "/etc/hosts")
	for _, m := range [][2]string{{"127.0.0.1", "localhost"}, {ip, "box"}, {"192.0.2.7", "db.test"}} {
		if !hostsHas(hosts, m[0], m[1]) {
			t.Errorf("/etc/hosts lacks %s %s:\n%s", m[0], m[1], hosts)
		}
	}
	resolv := n.ok(t, "exec", "opts", "cat", "/etc/resolv.conf")
	for _, want := range []string{"nameserver 192.0.2.53", "search example.test"} {
		if !strings.Contains(resolv, want) {
			t.Errorf("resolv.conf lacks %q:\n%s", want, resolv)
		}
	}
	got := n.inspect(t, "opts", `{{with index .NetworkSettings.Networks "lab"}}{{.IPAddress}} {{.MacAddress}} {{.Gateway}}{{end}}`)
	if want := ip + " " + mac + " 10.230.0.1"; got != want {
		t.Errorf("inspect: network lab %q, want %q", got, want)
	}
	if got := n.inspect(t, "opts", `{{with index .NetworkSettings.Networks "lab"}}{{range .Aliases}}{{.}} {{end}}{{end}}`); !strings.Contains(got, "alias1") {
		t.Errorf("inspect: aliases %q lack alias1", got)
	}
}
