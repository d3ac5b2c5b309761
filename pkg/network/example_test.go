package network_test

import (
	"fmt"
	"net/netip"

	"github.com/hutchctr/hutch/pkg/network"
)

func ExampleParsePublish() {
	ports, err := network.ParsePublish("127.0.0.1:8000-8001:80-81/tcp,udp")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range ports {
		fmt.Println(p)
	}
	_, err = network.ParsePublish("8000-8010:80-90")
	fmt.Println(err)
	_, err = network.ParsePublish("8000-8009:80-90")
	fmt.Println(err)
	// Output:
	// 127.0.0.1:8000->80/tcp
	// 127.0.0.1:8001->81/tcp
	// 127.0.0.1:8000->80/udp
	// 127.0.0.1:8001->81/udp
	// <nil>
	// -p "8000-8009:80-90": host range 8000-8009 has 10 ports, container range 80-90 has 11: they must have the same length (format: [ip:][hostPort:]containerPort[/tcp|/udp], ports or ranges like 8000-8010)
}

func ExampleResolvConf() {
	p := &network.Plan{Attachments: []network.Attachment{
		{Network: "web", Gateway: netip.MustParseAddr("10.89.0.1"), DNSEnabled: true},
	}}
	fmt.Print(string(network.ResolvConf(p, []byte("nameserver 127.0.0.53\nsearch example.com\n"))))
	// Output:
	// search dns.hutch example.com
	// nameserver 10.89.0.1
}
