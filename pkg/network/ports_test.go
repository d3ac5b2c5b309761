package network

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hutchctr/hutch/pkg/errdefs"
)

var cmpAddr = cmp.Comparer(func(a, b netip.Addr) bool { return a == b })

func TestParsePublish(t *testing.T) {
	tcp := func(ip string, host, ctr uint16) PortMapping {
		m := PortMapping{HostPort: host, ContainerPort: ctr, Protocol: "tcp"}
		if ip != "" {
			m.HostIP = addr(ip)
		}
		return m
	}
	udp := func(host, ctr uint16) PortMapping {
		return PortMapping{HostPort: host, ContainerPort: ctr, Protocol: "udp"}
	}
	tests := []struct {
		spec string
		want []PortMapping
	}{
		{"80", []PortMapping{tcp("", 0, 80)}},
		{"8080:80", []PortMapping{tcp("", 8080, 80)}},
		{"0:80", []PortMapping{tcp("", 0, 80)}},
		{"127.0.0.1:8080:80", []PortMapping{tcp("127.0.0.1", 8080, 80)}},
		{"0.0.0.0:8080:80", []PortMapping{tcp("", 8080, 80)}},
		{"127.0.0.1::80", []PortMapping{tcp("127.0.0.1", 0, 80)}},
		{"[::1]:8080:80", []PortMapping{tcp("::1", 8080, 80)}},
		{"[::1]::80/udp", []PortMapping{{HostIP: addr("::1"), ContainerPort: 80, Protocol: "udp"}}},
		{"53:53/udp", []PortMapping{udp(53, 53)}},
		{"53:53/tcp,udp", []PortMapping{tcp("", 53, 53), udp(53, 53)}},
		{"8000-8002:80-82", []PortMapping{tcp("", 8000, 80), tcp("", 8001, 81), tcp("", 8002, 82)}},
		{"80-81", []PortMapping{tcp("", 0, 80), tcp("", 0, 81)}},
		{"1:65535", []PortMapping{tcp("", 1, 65535)}},
	}
	for _, tt := range tests {
		got, err := ParsePublish(tt.spec)
		if err != nil {
			t.Errorf("ParsePublish(%q) error = %v", tt.spec, err)
			continue
		}
		if diff := cmp.Diff(got, tt.want, cmpAddr); diff != "" {
			t.Errorf("ParsePublish(%q) (-got +want):\n%s", tt.spec, diff)
		}
	}
}

func TestParsePublishErrors(t *testing.T) {
	tests := []struct {
		spec  string
		class error
		msg   string
	}{
		{"", errdefs.ErrInvalidArgument, "container port"},
		{"x", errdefs.ErrInvalidArgument, `"x" is not a port number`},
		{"0", errdefs.ErrInvalidArgument, "not a port number"},
		{"65536", errdefs.ErrInvalidArgument, "not a port number"},
		{"8080:", errdefs.ErrInvalidArgument, "container port"},
		{"8000-8009:80-90", errdefs.ErrInvalidArgument, "host range 8000-8009 has 10 ports, container range 80-90 has 11: they must have the same length"},
		{"8000-8010:80", errdefs.ErrInvalidArgument, "has 11 ports, container range 80 has 1"},
		{"90-80", errdefs.ErrInvalidArgument, "ends before it starts"},
		{"80/icmp", errdefs.ErrInvalidArgument, `unknown protocol "icmp"`},
		{"80/sctp", errdefs.ErrNotImplemented, "sctp"},
		{"1.2.3:80:80", errdefs.ErrInvalidArgument, "not an IP address"},
		{"::1:80:80", errdefs.ErrInvalidArgument, "brackets"},
		{"[::1]80", errdefs.ErrInvalidArgument, "brackets"},
		{"[::1]:80", errdefs.ErrInvalidArgument, "needs hostPort:containerPort"},
		{"a:b:c:d", errdefs.ErrInvalidArgument, "too many colons"},
	}
	for _, tt := range tests {
		_, err := ParsePublish(tt.spec)
		if !errors.Is(err, tt.class) || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("ParsePublish(%q) error = %v, want %v containing %q", tt.spec, err, tt.class, tt.msg)
		}
	}
	// The equal-length case is fine: only different lengths fail.
	if _, err := ParsePublish("8000-8010:80-90"); err != nil {
		t.Errorf("ParsePublish(equal ranges) = %v", err)
	}
}

func FuzzParsePublish(f *testing.F) {
	for _, s := range []string{"80", "8080:80", "127.0.0.1:8080:80/udp", "[::1]::80", "8000-8010:80-90/tcp,udp", "a:b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		got, err := ParsePublish(spec)
		if err != nil {
			if !errors.Is(err, errdefs.ErrInvalidArgument) && !errors.Is(err, errdefs.ErrNotImplemented) {
				t.Fatalf("ParsePublish(%q) error %v has no class", spec, err)
			}
			return
		}
		if len(got) == 0 {
			t.Fatalf("ParsePublish(%q) = no mapping and no error", spec)
		}
		for _, m := range got {
			if m.ContainerPort == 0 || (m.Protocol != "tcp" && m.Protocol != "udp") {
				t.Fatalf("ParsePublish(%q) gave %+v", spec, m)
			}
		}
	})
}

func TestExposedPorts(t *testing.T) {
	exposed := map[string]struct{}{"80/tcp": {}, "53/udp": {}, "8000-8001/tcp": {}, "9": {}, "5000/sctp": {}}
	got, err := ExposedPorts(exposed, []PortMapping{{HostPort: 1080, ContainerPort: 80, Protocol: "tcp"}})
	if err != nil {
		t.Fatal(err)
	}
	var s []string
	for _, m := range got {
		s = append(s, fmt.Sprintf("%d/%s->%d", m.ContainerPort, m.Protocol, m.HostPort))
	}
	if diff := cmp.Diff(s, []string{"9/tcp->0", "8000/tcp->0", "8001/tcp->0", "53/udp->0"}); diff != "" {
		t.Errorf("ExposedPorts() (-got +want):\n%s", diff)
	}
	if _, err := ExposedPorts(map[string]struct{}{"x/tcp": {}}, nil); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Errorf("ExposedPorts(bad) error = %v, want invalid argument", err)
	}
}

func TestCheckPortClashes(t *testing.T) {
	m := func(ip string, port uint16, proto string) PortMapping {
		p := PortMapping{HostPort: port, ContainerPort: 1, Protocol: proto}
		if ip != "" {
			p.HostIP = addr(ip)
		}
		return p
	}
	tests := []struct {
		ports []PortMapping
		ok    bool
	}{
		{[]PortMapping{m("", 80, "tcp"), m("", 80, "udp")}, true},
		{[]PortMapping{m("127.0.0.1", 80, "tcp"), m("10.0.0.1", 80, "tcp")}, true},
		{[]PortMapping{m("", 0, "tcp"), m("", 0, "tcp")}, true},
		{[]PortMapping{m("", 80, "tcp"), m("", 80, "tcp")}, false},
		{[]PortMapping{m("127.0.0.1", 80, "tcp"), m("", 80, "tcp")}, false},
	}
	for _, tt := range tests {
		if err := CheckPortClashes(tt.ports); (err == nil) != tt.ok {
			t.Errorf("CheckPortClashes(%v) = %v, want ok=%v", tt.ports, err, tt.ok)
		}
	}
}

func TestPortMappingString(t *testing.T) {
	got := []string{
		PortMapping{HostPort: 8080, ContainerPort: 80, Protocol: "tcp"}.String(),
		PortMapping{HostIP: addr("::1"), HostPort: 53, ContainerPort: 53, Protocol: "udp"}.String(),
	}
	if diff := cmp.Diff(got, []string{"0.0.0.0:8080->80/tcp", "[::1]:53->53/udp"}); diff != "" {
		t.Errorf("String() (-got +want):\n%s", diff)
	}
}
