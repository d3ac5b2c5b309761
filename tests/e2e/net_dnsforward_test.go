//go:build e2e

package e2e

import (
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// TestNetDNSForwarding (root): names that are not containers of the
// network are forwarded to the resolvers of the host's /etc/resolv.conf.
// The host here is the test's: hutch runs with an /etc whose resolv.conf
// names a DNS server the test runs on its namespace's loopback, so no
// query leaves the test.
func TestNetDNSForwarding(t *testing.T) {
	if rootless() {
		t.Skip("rootless hutch reads the real /etc/resolv.conf, whose servers the test must not query; the root lane runs this test")
	}
	t.Parallel()
	e := newConfigEnv(t, true)
	e.load(t)
	writeFile(t, filepath.Join(e.stub, "resolv.conf"), []byte("nameserver 127.0.0.1\n"), 0o644)
	var pc net.PacketConn
	if err := e.ns.do(func() error {
		var err error
		pc, err = net.ListenPacket("udp4", "127.0.0.1:53")
		return err
	}); err != nil {
		t.Fatalf("test DNS server: %v", err)
	}
	queries := make(chan string, 16)
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, q *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(q)
		if len(q.Question) == 1 {
			queries <- q.Question[0].Name
			if q.Question[0].Qtype == dns.TypeA && strings.EqualFold(q.Question[0].Name, "outside.example.") {
				rr, _ := dns.NewRR("outside.example. 60 IN A 192.0.2.77")
				m.Answer = append(m.Answer, rr)
			}
		}
		w.WriteMsg(m)
	})}
	go srv.ActivateAndServe()
	t.Cleanup(func() { srv.Shutdown() })

	e.ok(t, "network", "create", "--subnet", frontSubnet, "front")
	e.ok(t, "run", "-d", "--name", "cli", "--network", "front", imageName, "sleep", "1000")
	// Removing the network stops its responder at once (the leak check
	// would otherwise wait for it to notice it is idle).
	t.Cleanup(func() {
		e.run(t, "rm", "-f", "-t", "0", "cli")
		e.run(t, "network", "rm", "front")
	})
	var r result
	eventually(t, 15*time.Second, func() bool {
		r = e.runWith(t, runOpts{Timeout: 30 * time.Second}, "exec", "cli", "busybox", "nslookup", "-type=a", "outside.example")
		return r.Code == 0 && strings.Contains(r.Stdout, "192.0.2.77")
	}, func() string { return "outside.example to resolve through the host's resolver; last: " + r.String() })
	select {
	case name := <-queries:
		if !strings.EqualFold(name, "outside.example.") {
			t.Errorf("the host's resolver was asked %q", name)
		}
	default:
		t.Error("the host's resolver was never asked")
	}
}
