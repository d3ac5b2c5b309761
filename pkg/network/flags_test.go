package network

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hutchctr/hutch/pkg/errdefs"
)

func TestParseAddHost(t *testing.T) {
	tests := []struct {
		in   string
		want HostEntry
		err  string
	}{
		{"db:10.0.0.5", HostEntry{Names: []string{"db"}, IP: addr("10.0.0.5")}, ""},
		{"db=10.0.0.5", HostEntry{Names: []string{"db"}, IP: addr("10.0.0.5")}, ""},
		{"a.example;b:10.0.0.5", HostEntry{Names: []string{"a.example", "b"}, IP: addr("10.0.0.5")}, ""},
		{"v6:[fd00::1]", HostEntry{Names: []string{"v6"}, IP: addr("fd00::1")}, ""},
		{"v6:fd00::1", HostEntry{Names: []string{"v6"}, IP: addr("fd00::1")}, ""},
		{"gw:host-gateway", HostEntry{Names: []string{"gw"}, HostGateway: true}, ""},
		{"db", HostEntry{}, "want NAME:IP"},
		{":10.0.0.5", HostEntry{}, "want NAME:IP"},
		{"db:nope", HostEntry{}, "not an IP address"},
		{"bad name:10.0.0.5", HostEntry{}, "not a valid host name"},
		{"-x:10.0.0.5", HostEntry{}, "not a valid host name"},
	}
	for _, tt := range tests {
		got, err := ParseAddHost(tt.in)
		if tt.err != "" {
			if !errors.Is(err, errdefs.ErrInvalidArgument) || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseAddHost(%q) error = %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseAddHost(%q) error = %v", tt.in, err)
			continue
		}
		if diff := cmp.Diff(got, tt.want, cmpAddr); diff != "" {
			t.Errorf("ParseAddHost(%q) (-got +want):\n%s", tt.in, diff)
		}
	}
}

func FuzzParseAddHost(f *testing.F) {
	for _, s := range []string{"db:10.0.0.5", "a;b=fd00::1", "x:host-gateway", "v6:[::1]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := ParseAddHost(s)
		if err != nil {
			if !errors.Is(err, errdefs.ErrInvalidArgument) {
				t.Fatalf("ParseAddHost(%q) error %v has no class", s, err)
			}
			return
		}
		if len(e.Names) == 0 || (!e.IP.IsValid() && !e.HostGateway) {
			t.Fatalf("ParseAddHost(%q) = %+v", s, e)
		}
		for _, n := range e.Names {
			if strings.ContainsAny(n, " \t\n:;") {
				t.Fatalf("ParseAddHost(%q) accepted name %q", s, n)
			}
		}
	})
}

func TestParseFlags(t *testing.T) {
	tests := []struct {
		name string
		fn   func() (string, error)
		want string // "" with an error
	}{
		{"ip", func() (string, error) { a, err := ParseIP("--ip", "10.88.0.9"); return a.String(), err }, "10.88.0.9"},
		{"ip6", func() (string, error) { a, err := ParseIP("--ip", "fd00::9"); return a.String(), err }, "fd00::9"},
		{"ip mapped", func() (string, error) { a, err := ParseIP("--ip", "::ffff:10.0.0.1"); return a.String(), err }, "10.0.0.1"},
		{"ip bad", func() (string, error) { _, err := ParseIP("--ip", "10.88.0"); return "", err }, ""},
		{"ip any", func() (string, error) { _, err := ParseIP("--dns", "0.0.0.0"); return "", err }, ""},
		{"mac", func() (string, error) { m, err := ParseMAC("92:D0:c6:0a:29:33"); return m.String(), err }, "92:d0:c6:0a:29:33"},
		{"mac multicast", func() (string, error) { _, err := ParseMAC("01:00:5e:00:00:01"); return "", err }, ""},
		{"mac zero", func() (string, error) { _, err := ParseMAC("00:00:00:00:00:00"); return "", err }, ""},
		{"mac long", func() (string, error) {
			_, err := ParseMAC("00:00:00:00:fe:80:00:00:00:00:00:00:02:00:5e:10:00:00:00:01")
			return "", err
		}, ""},
		{"search", func() (string, error) { return ParseDNSSearch("example.com.") }, "example.com"},
		{"search none", func() (string, error) { return ParseDNSSearch(".") }, "."},
		{"search bad", func() (string, error) { return ParseDNSSearch("a b") }, ""},
		{"option", func() (string, error) { return ParseDNSOption("ndots:2") }, "ndots:2"},
		{"option bad", func() (string, error) { return ParseDNSOption("ndots 2") }, ""},
	}
	for _, tt := range tests {
		got, err := tt.fn()
		if tt.want == "" {
			if !errors.Is(err, errdefs.ErrInvalidArgument) {
				t.Errorf("%s: error = %v, want invalid argument", tt.name, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%s: got %q, %v; want %q", tt.name, got, err, tt.want)
		}
	}
}
