package network

import (
	"context"
	"errors"
	"net/netip"
	"os"
	"strings"
	"testing"

	"github.com/hutchctr/hutch/internal/testutil"
	"github.com/hutchctr/hutch/pkg/errdefs"
)

// TestRootless runs TestRootlessInner as the unprivileged test user in a
// user namespace of its own (uid 0 ↦ the user), as a rootless monitor runs
// in the namespace holder: the Manager wires containers whose namespaces,
// like the bridges' namespace, belong to that user namespace, while the
// process itself stays in a network namespace it cannot change (the
// user's host namespace, where ports are checked).
func TestRootless(t *testing.T) {
	requireNet(t)
	testutil.RunRootlessInner(t, "network.test", usernsEnv, "TMPDIR=/tmp")
}

// TestRootlessInner is TestRootless's body; it runs only there.
func TestRootlessInner(t *testing.T) {
	if os.Getenv(usernsEnv) != "in" {
		t.Skip("runs inside TestRootless's user namespace")
	}
	w := newWorld(t) // w.hostNS plays the holder's network namespace
	ports := &fakePorts{}
	w.m.Ports = ports
	if _, err := w.m.Store.Default(netip.Prefix{}); err != nil {
		t.Fatal(err)
	}
	p1 := &Plan{ContainerID: ctrID(1), ContainerName: "c1", Rootless: true, Attachments: []Attachment{{Network: "hutch"}},
		Ports: []PortMapping{{HostPort: 8080, ContainerPort: 80, Protocol: "tcp"}, {ContainerPort: 53, Protocol: "udp"}}}
	p2 := &Plan{ContainerID: ctrID(2), ContainerName: "c2", Rootless: true, Attachments: []Attachment{{Network: "hutch"}}}
	c1, _ := w.setup(t, p1)
	c2, _ := w.setup(t, p2)
	wantPing(t, c1, "c1", "10.88.0.3")
	wantPing(t, c2, "c2", "10.88.0.2")
	if out := mustNS(t, c1, "ip", "link", "show", "eth0"); !strings.Contains(out, "mtu 65520") {
		t.Errorf("rootless eth0 without slirp4netns's MTU:\n%s", out)
	}
	fwd := ports.fwd[p1.ContainerID]
	if len(fwd) != 2 || fwd[0].HostPort != 8080 || fwd[1].HostPort == 0 || fwd[0].ContainerIP != addr("10.88.0.2") {
		t.Errorf("forwarded ports %+v, want 8080 and a picked port to 10.88.0.2", fwd)
	}
	if got := string(ResolvConf(p1, []byte("nameserver 127.0.0.53\n"))); got != "nameserver 10.0.2.3\n" {
		t.Errorf("rootless resolv.conf %q, want slirp4netns's DNS", got)
	}

	low := &Plan{ContainerID: ctrID(3), Rootless: true, HostNetNS: w.hostNS, Attachments: []Attachment{{Network: "hutch"}}, Ports: []PortMapping{{HostPort: 80, ContainerPort: 80, Protocol: "tcp"}}}
	w.setAlive(low.ContainerID, true)
	_, err := w.m.Setup(context.Background(), low, newInit(t))
	if !errors.Is(err, errdefs.ErrPermission) || !strings.Contains(err.Error(), "net.ipv4.ip_unprivileged_port_start") {
		t.Errorf("Setup(port 80) error = %v, want a permission error naming the sysctl", err)
	}
	w.checkCleanOf(t, low.ContainerID)

	for _, p := range []*Plan{p1, p2} {
		if err := w.m.Teardown(context.Background(), p); err != nil {
			t.Error(err)
		}
	}
	if len(ports.fwd) != 0 {
		t.Errorf("forwards left after teardown: %v", ports.fwd)
	}
	w.checkClean(t, "hutch")
}
