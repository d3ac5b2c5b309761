package network

import (
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const hostResolv = `# generated
nameserver 127.0.0.53
nameserver 192.0.2.53
nameserver fe80::1%eth0
search corp.example lab.example
options edns0 trust-ad
`

func TestResolvConf(t *testing.T) {
	onDefault := []Attachment{{Network: "hutch", Gateway: addr("10.88.0.1")}}
	onDNS := []Attachment{{Network: "web", Gateway: addr("10.89.0.1"), DNSEnabled: true}, {Network: "db", Gateway: addr("10.89.1.1"), DNSEnabled: true}}
	tests := []struct {
		name string
		p    Plan
		host string
		want string
	}{
		{"default network, root: loopback dropped", Plan{Attachments: onDefault}, hostResolv,
			"search corp.example lab.example\nnameserver 192.0.2.53\noptions edns0 trust-ad\n"},
		{"default network, rootless: loopback to slirp", Plan{Attachments: onDefault, Rootless: true}, hostResolv,
			"search corp.example lab.example\nnameserver 10.0.2.3\nnameserver 192.0.2.53\noptions edns0 trust-ad\n"},
		{"only loopback, root: fallback", Plan{Attachments: onDefault}, "nameserver 127.0.0.1\n",
			"nameserver 8.8.8.8\nnameserver 8.8.4.4\n"},
		{"networks with DNS", Plan{Attachments: onDNS}, hostResolv,
			"search dns.hutch corp.example lab.example\nnameserver 10.89.0.1\nnameserver 10.89.1.1\noptions edns0 trust-ad\n"},
		{"--dns and --dns-search and --dns-option", Plan{Attachments: onDNS, DNS: DNSConfig{Servers: []netip.Addr{addr("9.9.9.9")}, Search: []string{"x.example"}, Options: []string{"ndots:3"}}}, hostResolv,
			"search x.example\nnameserver 9.9.9.9\noptions ndots:3\n"},
		{"--dns-search .", Plan{DNS: DNSConfig{Search: []string{"."}}}, hostResolv,
			"nameserver 192.0.2.53\noptions edns0 trust-ad\n"},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(string(ResolvConf(&tt.p, []byte(tt.host))), tt.want); diff != "" {
			t.Errorf("%s: ResolvConf() (-got +want):\n%s", tt.name, diff)
		}
	}
}

func TestHosts(t *testing.T) {
	base := "127.0.0.1\tlocalhost localhost.localdomain localhost4 localhost4.localdomain4\n::1\tlocalhost localhost.localdomain localhost6 localhost6.localdomain6\n"
	extra := []HostEntry{{Names: []string{"db", "db.example"}, IP: addr("192.0.2.7")}, {Names: []string{"host.docker.internal"}, HostGateway: true}}
	two := []Attachment{
		{Network: "a", Gateway: addr("10.89.0.1"), Addrs: []netip.Prefix{pfx("10.89.0.5/24")}},
		{Network: "b", Gateway: addr("10.89.1.1"), Addrs: []netip.Prefix{pfx("10.89.1.5/24"), pfx("fd00::5/64")}},
	}
	tests := []struct {
		name string
		p    Plan
		want string
	}{
		{"two networks", Plan{ContainerName: "web", Hostname: "w1", Attachments: two, ExtraHosts: extra},
			base + "192.0.2.7\tdb db.example\n10.89.0.1\thost.docker.internal\n10.89.0.5\tw1 web\n10.89.1.5\tw1 web\n"},
		{"rootless host-gateway", Plan{ContainerName: "web", Hostname: "web", Attachments: two[:1], ExtraHosts: extra[1:], Rootless: true},
			base + "10.0.2.2\thost.docker.internal\n10.89.0.5\tweb\n"},
		{"no network", Plan{ContainerName: "web", Hostname: "abc"},
			base + "127.0.1.1\tabc web\n"},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(string(Hosts(&tt.p)), tt.want); diff != "" {
			t.Errorf("%s: Hosts() (-got +want):\n%s", tt.name, diff)
		}
	}
}

func TestPlanValidate(t *testing.T) {
	id := "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	tests := []struct {
		name string
		p    Plan
		ok   bool
	}{
		{"ok", Plan{ContainerID: id, Attachments: []Attachment{{Network: "a"}, {Network: "b", Interface: "net1", MAC: "02:00:00:00:00:01", Aliases: []string{"x"}}}, Ports: []PortMapping{{HostPort: 80, ContainerPort: 80, Protocol: "tcp"}}}, true},
		{"short id", Plan{ContainerID: "abc"}, false},
		{"network twice", Plan{ContainerID: id, Attachments: []Attachment{{Network: "a"}, {Network: "a"}}}, false},
		{"interface twice", Plan{ContainerID: id, Attachments: []Attachment{{Network: "a"}, {Network: "b", Interface: "eth0"}}}, false},
		{"bad mac", Plan{ContainerID: id, Attachments: []Attachment{{Network: "a", MAC: "zz"}}}, false},
		{"bad alias", Plan{ContainerID: id, Attachments: []Attachment{{Network: "a", Aliases: []string{"a b"}}}}, false},
		{"ports without network", Plan{ContainerID: id, Ports: []PortMapping{{ContainerPort: 80, Protocol: "tcp"}}}, false},
		{"port twice", Plan{ContainerID: id, Attachments: []Attachment{{Network: "a"}}, Ports: []PortMapping{{HostPort: 80, ContainerPort: 80, Protocol: "tcp"}, {HostPort: 80, ContainerPort: 81, Protocol: "tcp"}}}, false},
	}
	for _, tt := range tests {
		if err := tt.p.Validate(); (err == nil) != tt.ok {
			t.Errorf("%s: Validate() = %v, want ok=%v", tt.name, err, tt.ok)
		}
	}
}

func TestPlanRoundTrip(t *testing.T) {
	p := &Plan{ContainerID: "c", Attachments: []Attachment{{Network: "a", IP: addr("10.0.0.2"), Addrs: []netip.Prefix{pfx("10.0.0.2/24")}}},
		Ports: []PortMapping{{HostIP: addr("127.0.0.1"), HostPort: 1, ContainerPort: 2, Protocol: "udp"}}, DNS: DNSConfig{Servers: []netip.Addr{addr("1.1.1.1")}}}
	path := t.TempDir() + "/plan.json"
	if err := WritePlan(path, p); err != nil {
		t.Fatal(err)
	}
	got, err := ReadPlan(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(got, p, cmpAddr, cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })); diff != "" {
		t.Errorf("ReadPlan(WritePlan()) (-got +want):\n%s", diff)
	}
}
