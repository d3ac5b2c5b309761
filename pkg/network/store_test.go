package network

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hutchctr/hutch/pkg/errdefs"
)

func pfx(s string) netip.Prefix { return netip.MustParsePrefix(s) }
func addr(s string) netip.Addr  { return netip.MustParseAddr(s) }

func newStore(t *testing.T, alive func(string) bool) *Store {
	t.Helper()
	s, err := Open(t.TempDir(), Options{Alive: alive})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mustCreate(t *testing.T, s *Store, n Network) *Network {
	t.Helper()
	got, err := s.Create(n, CreateOptions{})
	if err != nil {
		t.Fatalf("create %s: %v", n.Name, err)
	}
	return got
}

func TestCreateValidation(t *testing.T) {
	routes := []Route{{Dst: pfx("0.0.0.0/0"), Dev: "eth0"}, {Dst: pfx("192.168.7.0/24"), Dev: "eth0"}, {Dst: pfx("10.77.0.0/16"), Dev: "hutch5"}}
	tests := []struct {
		name    string
		n       Network
		rootles bool
		class   error
		msg     string // a part of the error
	}{
		{"bad name", Network{Name: "-x"}, false, errdefs.ErrInvalidArgument, "must match"},
		{"duplicate", Network{Name: "taken"}, false, errdefs.ErrAlreadyExists, `"taken" is already used`},
		{"host bits", Network{Name: "a", Subnets: []Subnet{{Subnet: pfx("10.1.0.5/16")}}}, false, errdefs.ErrInvalidArgument, "did you mean 10.1.0.0/16"},
		{"too small", Network{Name: "a", Subnets: []Subnet{{Subnet: pfx("10.1.0.0/31")}}}, false, errdefs.ErrInvalidArgument, "too small"},
		{"gateway outside", Network{Name: "a", Subnets: []Subnet{{Subnet: pfx("10.1.0.0/24"), Gateway: addr("10.2.0.1")}}}, false, errdefs.ErrInvalidArgument, "not a host address"},
		{"gateway broadcast", Network{Name: "a", Subnets: []Subnet{{Subnet: pfx("10.1.0.0/24"), Gateway: addr("10.1.0.255")}}}, false, errdefs.ErrInvalidArgument, "not a host address"},
		{"range outside", Network{Name: "a", Subnets: []Subnet{{Subnet: pfx("10.1.0.0/24"), IPRange: pfx("10.1.1.0/28")}}}, false, errdefs.ErrInvalidArgument, "not inside subnet"},
		{"range wider", Network{Name: "a", Subnets: []Subnet{{Subnet: pfx("10.1.0.0/24"), IPRange: pfx("10.1.0.0/23")}}}, false, errdefs.ErrInvalidArgument, "not inside subnet"},
		{"overlap network", Network{Name: "a", Subnets: []Subnet{{Subnet: pfx("10.50.1.0/24")}}}, false, errdefs.ErrInvalidArgument, `overlaps subnet 10.50.0.0/16 of network "taken"`},
		{"overlap route", Network{Name: "a", Subnets: []Subnet{{Subnet: pfx("192.168.0.0/16")}}}, false, errdefs.ErrInvalidArgument, "overlaps the route to 192.168.7.0/24 (dev eth0)"},
		{"own subnets overlap", Network{Name: "a", Subnets: []Subnet{{Subnet: pfx("10.3.0.0/16")}, {Subnet: pfx("10.3.4.0/24")}}}, false, errdefs.ErrInvalidArgument, "overlap"},
		{"unknown driver", Network{Name: "a", Driver: "overlay"}, false, errdefs.ErrInvalidArgument, "unknown driver"},
		{"macvlan without parent", Network{Name: "a", Driver: DriverMacvlan, Subnets: []Subnet{{Subnet: pfx("10.3.0.0/16")}}}, false, errdefs.ErrInvalidArgument, "-o parent=IF"},
		{"macvlan without subnet", Network{Name: "a", Driver: DriverMacvlan, Options: map[string]string{"parent": "eth0"}}, false, errdefs.ErrInvalidArgument, "needs --subnet"},
		{"dhcp with subnet", Network{Name: "a", Driver: DriverMacvlan, IPAMDriver: IPAMDHCP, Options: map[string]string{"parent": "eth0"}, Subnets: []Subnet{{Subnet: pfx("10.3.0.0/16")}}}, false, errdefs.ErrInvalidArgument, "cannot be used with --ipam-driver dhcp"},
		{"dhcp on bridge", Network{Name: "a", IPAMDriver: IPAMDHCP}, false, errdefs.ErrInvalidArgument, "ipam driver"},
		{"bad mode", Network{Name: "a", Driver: DriverIPVlan, Options: map[string]string{"parent": "eth0", "mode": "bridge"}, Subnets: []Subnet{{Subnet: pfx("10.3.0.0/16")}}}, false, errdefs.ErrInvalidArgument, "accepts l2, l3, l3s"},
		{"unknown option", Network{Name: "a", Options: map[string]string{"vlan": "3"}}, false, errdefs.ErrInvalidArgument, "unknown option"},
		{"bad mtu", Network{Name: "a", Options: map[string]string{"mtu": "9"}}, false, errdefs.ErrInvalidArgument, "mtu"},
		{"macvlan rootless", Network{Name: "a", Driver: DriverMacvlan, Options: map[string]string{"parent": "eth0"}, Subnets: []Subnet{{Subnet: pfx("10.3.0.0/16")}}}, true, errdefs.ErrPermission, "need root"},
		{"interface of host", Network{Name: "a", Interface: "eth0"}, false, errdefs.ErrAlreadyExists, "interface eth0 is already used by an interface of the host"},
		{"interface of network", Network{Name: "a", Interface: "hutch1"}, false, errdefs.ErrAlreadyExists, `used by network "taken"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore(t, nil)
			mustCreate(t, s, Network{Name: "taken", Subnets: []Subnet{{Subnet: pfx("10.50.0.0/16")}}})
			_, err := s.Create(tt.n, CreateOptions{Routes: routes, Rootless: tt.rootles})
			if !errors.Is(err, tt.class) || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("Create() error = %v, want %v containing %q", err, tt.class, tt.msg)
			}
		})
	}
}

func TestCreateDefaults(t *testing.T) {
	s := newStore(t, nil)
	routes := []Route{{Dst: pfx("10.89.0.0/24"), Dev: "eth1"}, {Dst: pfx("10.77.0.0/16"), Dev: "hutch1"}}
	first, err := s.Create(Network{Name: "one"}, CreateOptions{Routes: routes})
	if err != nil {
		t.Fatal(err)
	}
	second, err := s.Create(Network{Name: "two", DNSEnabled: true}, CreateOptions{Routes: routes})
	if err != nil {
		t.Fatal(err)
	}
	type summary struct {
		Driver, Interface, IPAM string
		Subnets                 []Subnet
		IDLen                   int
	}
	sum := func(n *Network) summary {
		return summary{n.Driver, n.Interface, n.IPAMDriver, n.Subnets, len(n.ID)}
	}
	// eth1 has 10.89.0.0/24; hutch1 is taken by a route of a device that is
	// not a hutch network's.
	want := []summary{
		{"bridge", "hutch2", "static", []Subnet{{Subnet: pfx("10.89.1.0/24"), Gateway: addr("10.89.1.1")}}, 64},
		{"bridge", "hutch3", "static", []Subnet{{Subnet: pfx("10.89.2.0/24"), Gateway: addr("10.89.2.1")}}, 64},
	}
	if diff := cmp.Diff([]summary{sum(first), sum(second)}, want, cmp.Comparer(func(a, b netip.Addr) bool { return a == b }), cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })); diff != "" {
		t.Errorf("created networks (-got +want):\n%s", diff)
	}
	got, err := s.Get(second.ID[:10])
	if err != nil || got.Name != "two" || !got.DNSEnabled {
		t.Errorf("Get(id prefix) = %+v, %v; want network two", got, err)
	}
	if _, err := s.Get("nope"); !errdefs.IsNotFound(err) {
		t.Errorf("Get(nope) error = %v, want not found", err)
	}
	list, err := s.List()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, n := range list {
		names = append(names, n.Name)
	}
	if diff := cmp.Diff(names, []string{"one", "two"}); diff != "" {
		t.Errorf("List() names (-got +want):\n%s", diff)
	}
}

func TestRemoveAndPrune(t *testing.T) {
	alive := map[string]bool{"live": true}
	s := newStore(t, func(id string) bool { return alive[id] })
	used := mustCreate(t, s, Network{Name: "used"})
	mustCreate(t, s, Network{Name: "known"})
	mustCreate(t, s, Network{Name: "idle"})
	mustCreate(t, s, Network{Name: "stale"})
	if _, err := s.Default(netip.Prefix{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Allocate(used, "live", netip.Addr{}); err != nil {
		t.Fatal(err)
	}
	stale, _ := s.Get("stale")
	if _, err := s.Allocate(stale, "dead", netip.Addr{}); err != nil {
		t.Fatal(err)
	}

	var inUse *InUseError
	if err := s.Remove("used", nil, false); !errors.As(err, &inUse) || !errdefs.IsConflict(err) || inUse.Containers[0] != "live" {
		t.Errorf("Remove(used) error = %v, want an InUseError naming live", err)
	}
	if err := s.Remove("known", []string{"c1"}, false); !errdefs.IsConflict(err) {
		t.Errorf("Remove(known, attached) error = %v, want conflict", err)
	}
	if err := s.Remove(DefaultName, nil, true); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Errorf("Remove(default) error = %v, want invalid argument", err)
	}
	if err := s.Remove("used", nil, true); err != nil {
		t.Errorf("Remove(used, force) error = %v", err)
	}
	removed, err := s.Prune(func(name string) bool { return name == "known" })
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, n := range removed {
		names = append(names, n.Name)
	}
	if diff := cmp.Diff(names, []string{"idle", "stale"}); diff != "" {
		t.Errorf("Prune() removed (-got +want):\n%s", diff)
	}
	if _, err := s.Get("used"); !errdefs.IsNotFound(err) {
		t.Errorf("Get(removed) error = %v, want not found", err)
	}
}

func TestDefault(t *testing.T) {
	alive := map[string]bool{}
	s := newStore(t, func(id string) bool { return alive[id] })
	d, err := s.Default(netip.Prefix{})
	if err != nil {
		t.Fatal(err)
	}
	if d.Interface != DefaultInterface || d.Subnets[0].Subnet != pfx(DefaultSubnet) || d.Subnets[0].Gateway != addr("10.88.0.1") || d.DNSEnabled {
		t.Errorf("Default() = %+v, want hutch0 on 10.88.0.0/16 via 10.88.0.1 without DNS", d)
	}
	again, err := s.Default(pfx(DefaultSubnet))
	if err != nil || again.ID != d.ID {
		t.Errorf("Default() again = %v, %v; want the same network", again, err)
	}
	// A new configured subnet replaces the old one while nobody uses it…
	moved, err := s.Default(pfx("10.99.0.0/16"))
	if err != nil || moved.Subnets[0].Subnet != pfx("10.99.0.0/16") || moved.ID != d.ID {
		t.Errorf("Default(10.99.0.0/16) = %+v, %v; want the subnet replaced", moved, err)
	}
	// …and not while a container holds an address on it.
	alive["c"] = true
	if _, err := s.Allocate(moved, "c", netip.Addr{}); err != nil {
		t.Fatal(err)
	}
	kept, err := s.Default(pfx("10.88.0.0/16"))
	if err != nil || kept.Subnets[0].Subnet != pfx("10.99.0.0/16") {
		t.Errorf("Default() in use = %+v, %v; want the old subnet kept", kept, err)
	}
}
