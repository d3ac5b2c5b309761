package dns_test

import (
	"context"
	"fmt"
	"log"

	"github.com/hutchctr/hutch/pkg/dns"
	"github.com/hutchctr/hutch/pkg/network"
)

func ExampleUpstreams() {
	conf := []byte("search example.com\nnameserver 192.0.2.53\nnameserver 127.0.0.53\n")
	fmt.Println(dns.Upstreams(conf))
	// Output: [192.0.2.53 127.0.0.53]
}

// A rootless monitor, living in the namespace holder's user namespace,
// starts the responder of a network whose bridge is in the holder's
// network namespace; the responder forwards to slirp4netns's resolver.
func ExampleStarter_EnsureResponder() {
	s := &dns.Starter{
		DataDir:   "/home/user/.local/share/hutch",
		RunDir:    "/run/user/1000/hutch",
		Upstreams: []string{"10.0.2.3"},
	}
	nets, err := network.Open(s.DataDir, network.Options{})
	if err != nil {
		log.Fatal(err)
	}
	n, err := nets.Get("mynet")
	if err != nil {
		log.Fatal(err)
	}
	holderNetNS := "/proc/12345/ns/net" // the holder child's
	if err := s.EnsureResponder(context.Background(), *n, holderNetNS); err != nil {
		log.Fatal(err)
	}
}
