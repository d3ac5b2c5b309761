//go:build e2e

package e2e

import (
	"encoding/json"
	"net"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"
)

// netDoc is a network as `network inspect` and `network ls --format json`
// print it: Podman 4's (netavark's) field names.
type netDoc struct {
	Name             string            `json:"name" yaml:"name"`
	ID               string            `json:"id" yaml:"id"`
	Driver           string            `json:"driver" yaml:"driver"`
	NetworkInterface string            `json:"network_interface" yaml:"network_interface"`
	Subnets          []subnetDoc       `json:"subnets" yaml:"subnets"`
	Internal         bool              `json:"internal" yaml:"internal"`
	DNSEnabled       bool              `json:"dns_enabled" yaml:"dns_enabled"`
	Labels           map[string]string `json:"labels" yaml:"labels"`
	Options          map[string]string `json:"options" yaml:"options"`
	IPAMOptions      map[string]string `json:"ipam_options" yaml:"ipam_options"`
}

type subnetDoc struct {
	Subnet     string `json:"subnet" yaml:"subnet"`
	Gateway    string `json:"gateway" yaml:"gateway"`
	LeaseRange *struct {
		StartIP string `json:"start_ip" yaml:"start_ip"`
		EndIP   string `json:"end_ip" yaml:"end_ip"`
	} `json:"lease_range,omitempty" yaml:"lease_range,omitempty"`
}

// inspectNetwork returns `network inspect NAME` (a JSON array of one).
func (n *netEnv) inspectNetwork(t testing.TB, name string) netDoc {
	t.Helper()
	var docs []netDoc
	out := n.ok(t, "network", "inspect", name)
	if err := json.Unmarshal([]byte(out), &docs); err != nil || len(docs) != 1 {
		t.Fatalf("network inspect %s: want a JSON array of one network (%v):\n%s", name, err, out)
	}
	return docs[0]
}

// TestNetCommands: network create, ls, inspect, rm and prune, with their
// json, yaml and template formats, the default network included.
func TestNetCommands(t *testing.T) {
	t.Parallel()
	n := newNetEnv(t)
	if got := n.ok(t, "network", "create", "--subnet", "10.220.0.0/24", "--gateway", "10.220.0.254",
		"--ip-range", "10.220.0.128/25", "--label", "team=net", "one"); got != "one" {
		t.Errorf("network create printed %q, want the name", got)
	}
	n.ok(t, "network", "create", "--internal", "--disable-dns", "two")
	n.ok(t, "network", "create", "three")

	if diff := cmp.Diff(sortedLines(n.ok(t, "network", "ls", "--format", "{{.Name}} {{.Driver}}")),
		[]string{"hutch bridge", "one bridge", "three bridge", "two bridge"}); diff != "" {
		t.Errorf("network ls (-got +want):\n%s", diff)
	}
	if diff := cmp.Diff(sortedLines(n.ok(t, "network", "ls", "-q")), []string{"hutch", "one", "three", "two"}); diff != "" {
		t.Errorf("network ls -q (-got +want):\n%s", diff)
	}
	var listed []netDoc
	if err := json.Unmarshal([]byte(n.ok(t, "network", "ls", "--format", "json")), &listed); err != nil || len(listed) != 4 {
		t.Errorf("network ls --format json: %d networks, %v", len(listed), err)
	}
	var yamlListed []netDoc
	if err := yaml.Unmarshal([]byte(n.ok(t, "network", "ls", "--format", "yaml")), &yamlListed); err != nil || len(yamlListed) != 4 {
		t.Errorf("network ls --format yaml: %d networks, %v", len(yamlListed), err)
	}

	one := n.inspectNetwork(t, "one")
	if !fullIDRE.MatchString(one.ID) || one.Driver != "bridge" || one.Internal || !one.DNSEnabled ||
		one.Labels["team"] != "net" || len(one.Subnets) != 1 ||
		one.Subnets[0].Subnet != "10.220.0.0/24" || one.Subnets[0].Gateway != "10.220.0.254" {
		t.Errorf("network inspect one: %+v", one)
	}
	def := n.inspectNetwork(t, "hutch")
	if def.NetworkInterface != "hutch0" || def.DNSEnabled || len(def.Subnets) != 1 ||
		def.Subnets[0].Subnet != defaultNet || def.Subnets[0].Gateway != defaultGW {
		t.Errorf("the default network: %+v", def)
	}
	if one.NetworkInterface == "" || one.NetworkInterface == def.NetworkInterface {
		t.Errorf("network one's bridge is %q (the default's is %q)", one.NetworkInterface, def.NetworkInterface)
	}
	if got := n.ok(t, "network", "inspect", "--format", "{{.Name}} {{.Internal}} {{.DNSEnabled}}", "two"); got != "two true false" {
		t.Errorf("network inspect --format two = %q", got)
	}
	two := n.inspectNetwork(t, "two")
	if len(two.Subnets) != 1 || two.Subnets[0].Subnet == "" {
		t.Fatalf("network two got no subnet: %+v", two)
	}
	for _, other := range []string{defaultNet, "10.220.0.0/24"} {
		if overlaps(two.Subnets[0].Subnet, other) {
			t.Errorf("network two was given %s, which overlaps %s", two.Subnets[0].Subnet, other)
		}
	}

	// A container on "one" gets an address in its --ip-range, routes via its
	// gateway and resolves through it.
	n.runDetached(t, sleeperArgs("c", "--network", "one")...)
	ip := net.ParseIP(n.ipIn(t, "c", "10.220.0.128/25"))
	if ip.Equal(net.ParseIP("10.220.0.254")) {
		t.Errorf("the container got the gateway's address")
	}
	if routes := n.ok(t, "exec", "c", "ip", "route"); !strings.Contains(routes, "default via 10.220.0.254") {
		t.Errorf("routes on network one:\n%s", routes)
	}
	if got := n.ok(t, "network", "prune", "-f"); strings.TrimSpace(got) != "three\ntwo" && strings.TrimSpace(got) != "two\nthree" {
		t.Errorf("network prune -f printed %q, want the unused three and two", got)
	}
	if diff := cmp.Diff(sortedLines(n.ok(t, "network", "ls", "-q")), []string{"hutch", "one"}); diff != "" {
		t.Errorf("after prune, network ls -q (-got +want):\n%s", diff)
	}
	n.ok(t, "rm", "-f", "-t", "0", "c")
	if got := n.ok(t, "network", "rm", "one"); got != "one" {
		t.Errorf("network rm printed %q, want the name", got)
	}
	if diff := cmp.Diff(sortedLines(n.ok(t, "network", "ls", "-q")), []string{"hutch"}); diff != "" {
		t.Errorf("after rm, network ls -q (-got +want):\n%s", diff)
	}
}

// overlaps reports whether two CIDR subnets share an address.
func overlaps(a, b string) bool {
	_, na, errA := net.ParseCIDR(a)
	_, nb, errB := net.ParseCIDR(b)
	return errA == nil && errB == nil && (na.Contains(nb.IP) || nb.Contains(na.IP))
}

// TestNetConnectDisconnect: network connect gives a running container an
// interface on another network, through which it reaches that network's
// containers; disconnect takes it away.
func TestNetConnectDisconnect(t *testing.T) {
	t.Parallel()
	n := newNetEnv(t)
	n.ok(t, "network", "create", "--subnet", frontSubnet, "front")
	n.ok(t, "network", "create", "--subnet", backSubnet, "back")
	n.runDetached(t, sleeperArgs("c", "--network", "front")...)
	n.runDetached(t, serverArgs("bsrv", imageName, "--network", "back")...)
	bip := n.ipIn(t, "bsrv", backSubnet)
	n.wantNoReach(t, "c", bip, "c is not on back yet")
	n.ok(t, "network", "connect", "back", "c")
	n.ipIn(t, "c", backSubnet)
	n.waitReach(t, "c", bip, "bsrv")
	n.waitReach(t, "c", "bsrv", "bsrv")
	if got := n.inspect(t, "c", `{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}`); strings.TrimSpace(got) != "back front" {
		t.Errorf("inspect c: networks %q, want back and front", got)
	}
	n.ok(t, "network", "disconnect", "back", "c")
	if addrs := n.ipv4Addrs(t, "c"); len(addrs) != 1 {
		t.Errorf("after disconnect, c has addresses %v, want only its front one", addrs)
	}
	n.ipIn(t, "c", frontSubnet)
	n.wantNoReach(t, "c", bip, "c was disconnected from back")
}

// TestNetRemoveInUse: network rm refuses a network a container uses; -f
// removes the container with it, and its address.
func TestNetRemoveInUse(t *testing.T) {
	t.Parallel()
	n := newNetEnv(t)
	n.ok(t, "network", "create", "--subnet", frontSubnet, "busy")
	n.runDetached(t, sleeperArgs("user", "--network", "busy")...)
	wantUserError(t, n.run(t, "network", "rm", "busy"), 125, "busy")
	if got := n.ok(t, "ps", "--format", "{{.Names}}"); got != "user" {
		t.Errorf("a refused network rm touched the container: ps shows %q", got)
	}
	n.ok(t, "network", "rm", "-f", "-t", "0", "busy")
	if got := n.ok(t, "ps", "-a", "--format", "{{.Names}}"); got != "" {
		t.Errorf("network rm -f left containers: %q", got)
	}
	if diff := cmp.Diff(sortedLines(n.ok(t, "network", "ls", "-q")), []string{"hutch"}); diff != "" {
		t.Errorf("after rm -f, network ls -q (-got +want):\n%s", diff)
	}
	if left := n.ipamEntries(); len(left) > 0 {
		t.Errorf("addresses left after network rm -f: %v", left)
	}
}
