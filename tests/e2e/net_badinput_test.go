//go:build e2e

package e2e

import (
	"fmt"
	"net"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// netState is what the bad-input rows must leave as they found it.
type netState struct {
	Containers string
	Networks   []string
	IPAM       []string
}

func (n *netEnv) netState(t testing.TB) netState {
	t.Helper()
	ipam := n.ipamEntries()
	sort.Strings(ipam)
	return netState{
		Containers: n.ok(t, "ps", "-a", "--format", "{{.Names}}"),
		Networks:   sortedLines(n.ok(t, "network", "ls", "-q")),
		IPAM:       ipam,
	}
}

// TestNetBadInput: bad networking input gets exit 125 with one line on
// stderr naming the culprit, and changes nothing: no container, network or
// address appears or goes.
func TestNetBadInput(t *testing.T) {
	t.Parallel()
	n := newNetEnv(t)
	n.ok(t, "network", "create", "--subnet", "10.210.0.0/24", "used")
	n.ok(t, "network", "create", "--subnet", "10.216.0.0/24", "other")
	taken := n.freePort(t)
	n.runDetached(t, "--name", "holder", "--network", "used", "--ip", "10.210.0.5",
		"-p", fmt.Sprintf("%d:%d", taken, replyPort), imageName, "sleep", "1000")
	// A port something else listens on, where hutch publishes.
	busy := n.freePort(t)
	var l net.Listener
	if err := n.ns.do(func() error {
		var err error
		l, err = net.Listen("tcp4", fmt.Sprintf("0.0.0.0:%d", busy))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	before := n.netState(t)

	run := func(extra ...string) []string {
		return append(append([]string{"run", "--rm"}, extra...), imageName, "true")
	}
	rows := []badRow{
		{"overlapping subnets", []string{"network", "create", "--subnet", "10.210.0.128/25", "over"}, 125, "10.210.0.128/25"},
		{"overlapping the default network", []string{"network", "create", "--subnet", "10.88.5.0/24", "over"}, 125, "10.88.5.0/24"},
		{"gateway outside the subnet", []string{"network", "create", "--subnet", "10.211.0.0/24", "--gateway", "10.212.0.1", "gw"}, 125, "10.212.0.1"},
		{"malformed subnet", []string{"network", "create", "--subnet", "10.213.0.0/33", "bad"}, 125, "10.213.0.0/33"},
		{"ip range outside the subnet", []string{"network", "create", "--subnet", "10.214.0.0/24", "--ip-range", "10.215.0.0/25", "rng"}, 125, "10.215.0.0/25"},
		{"network name in use", []string{"network", "create", "used"}, 125, "used"},
		{"invalid network name", []string{"network", "create", "bad name"}, 125, "bad name"},
		{"unknown driver", []string{"network", "create", "-d", "nosuchdriver", "drv"}, 125, "nosuchdriver"},
		{"address outside the subnet", run("--network", "used", "--ip", "10.99.0.5"), 125, "10.99.0.5"},
		{"address taken", run("--network", "used", "--ip", "10.210.0.5"), 125, "10.210.0.5"},
		{"malformed address", run("--network", "used", "--ip", "10.210.0.300"), 125, "10.210.0.300"},
		{"malformed MAC address", run("--network", "used", "--mac-address", "zz:zz"), 125, "zz:zz"},
		{"unknown network", run("--network", "nosuch"), 125, "nosuch"},
		{"unknown --network-opt", run("--network-opt", "bogus=1"), 125, "bogus"},
		{"--network-opt without a bridge", run("--network", "none", "--network-opt", "allow_host_loopback=true"), 125, "--network-opt"},
		{"unknown container network", run("--network", "container:nosuch"), 125, "nosuch"},
		{"malformed -p", run("-p", "abc"), 125, "abc"},
		{"-p without a container port", run("-p", "8080:"), 125, "8080:"},
		{"-p out of range", run("-p", "70000:80"), 125, "70000"},
		{"-p ranges of different lengths", run("-p", "8000-8002:80-81"), 125, "8000-8002:80-81"},
		{"-p unknown protocol", run("-p", "8080:80/bogus"), 125, "bogus"},
		{"-p port in use", run("-p", fmt.Sprintf("%d:%d", busy, replyPort)), 125, fmt.Sprint(busy)},
		{"-p port published by a container", run("-p", fmt.Sprintf("%d:%d", taken, replyPort)), 125, fmt.Sprint(taken)},
		{"connect to an unknown network", []string{"network", "connect", "nosuch", "holder"}, 125, "nosuch"},
		{"disconnect from a network not joined", []string{"network", "disconnect", "other", "holder"}, 125, "other"},
		{"inspect an unknown network", []string{"network", "inspect", "nosuch"}, 125, "nosuch"},
		{"remove an unknown network", []string{"network", "rm", "nosuch"}, 125, "nosuch"},
		{"remove the default network", []string{"network", "rm", "hutch"}, 125, "hutch"},
	}
	if rootless() {
		rows = append(rows, badRow{"privileged host port rootless", run("-p", "80:8080"), 125, "ip_unprivileged_port_start"})
	} else {
		rows = append(rows, badRow{"allow_host_loopback as root", run("--network-opt", "allow_host_loopback=true"), 125, "rootless"})
	}
	for _, tt := range rows {
		t.Run(tt.name, func(t *testing.T) {
			wantUserError(t, n.run(t, tt.args...), tt.code, tt.mention)
			if diff := cmp.Diff(n.netState(t), before); diff != "" {
				t.Errorf("the installation changed (-got +want):\n%s", diff)
			}
		})
	}
}
