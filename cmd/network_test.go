package cmd

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/cobra"

	"github.com/hutchctr/hutch/pkg/engine"
	"github.com/hutchctr/hutch/pkg/errdefs"
)

// testNets are two networks as the engine describes them.
func testNets() []engine.NetworkInspect {
	created := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	return []engine.NetworkInspect{
		{Name: "hutch", ID: strings.Repeat("a1", 32), Driver: "bridge", NetworkInterface: "hutch0", Created: created,
			Subnets:     []engine.NetworkSubnet{{Subnet: "10.88.0.0/16", Gateway: "10.88.0.1"}},
			IPAMOptions: map[string]string{"driver": "host-local"}},
		{Name: "front", ID: strings.Repeat("b2", 32), Driver: "bridge", NetworkInterface: "hutch1", Created: created,
			Subnets: []engine.NetworkSubnet{{Subnet: "10.220.0.0/24", Gateway: "10.220.0.254",
				LeaseRange: &engine.LeaseRange{StartIP: "10.220.0.128", EndIP: "10.220.0.253"}}},
			DNSEnabled: true, Labels: map[string]string{"team": "net", "a": "b"}, Options: map[string]string{"mtu": "9000"},
			IPAMOptions: map[string]string{"driver": "host-local"}},
	}
}

func TestNewCmdNetworkCreate(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    *networkCreateOptions
		wantErr bool
	}{
		{"name only", []string{"net1"}, &networkCreateOptions{Create: engine.NetworkCreateOptions{Name: "net1", Driver: "bridge"}}, false},
		{"every flag", []string{"--subnet", "10.1.0.0/24", "--subnet", "fd00::/64", "--gateway", "10.1.0.254",
			"--ip-range", "10.1.0.128/25", "--internal", "--disable-dns", "--ipv6", "--interface-name", "br9",
			"-o", "mtu=9000", "--opt", "parent=eth0,mode=l2", "-d", "ipvlan", "--ipam-driver", "dhcp",
			"--label", "a=b", "--label", "c", "--ignore", "net1"},
			&networkCreateOptions{Create: engine.NetworkCreateOptions{
				Name: "net1", Driver: "ipvlan", Subnets: []string{"10.1.0.0/24", "fd00::/64"}, Gateways: []string{"10.1.0.254"},
				IPRanges: []string{"10.1.0.128/25"}, Internal: true, DisableDNS: true, IPv6: true, Interface: "br9",
				Options: []string{"mtu=9000", "parent=eth0,mode=l2"}, IPAMDriver: "dhcp",
				Labels: map[string]string{"a": "b", "c": ""}, Ignore: true,
			}}, false},
		{"no name", nil, nil, true},
		{"two names", []string{"a", "b"}, nil, true},
		{"empty label key", []string{"--label", "=x", "a"}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, _, _ := testIO()
			got, err := parse(t, newNetworkCreateCmd, ios, tt.args)
			checkParse(t, got, err, tt.want, tt.wantErr)
		})
	}
}

// netRun runs a verb's run function with fake as its engine and returns
// stdout, stderr and the exit code.
func netRun(t *testing.T, fake *fakeNetEngine, stdin string, run func(*IOStreams) error) (string, string, int) {
	t.Helper()
	ios, in, out, errOut := testIO()
	in.WriteString(stdin)
	err := run(ios)
	code := reportError(errOut, nil, err)
	return out.String(), errOut.String(), code
}

func TestNetworkCreateRun(t *testing.T) {
	exists := errdefs.Errorf(errdefs.ErrAlreadyExists, "network name %q is already used", "one")
	tests := []struct {
		name                string
		errs                map[string]error
		wantOut, wantErrOut string
		wantCode            int
	}{
		{"prints the name", nil, "one\n", "", 0},
		{"name in use", map[string]error{"CreateNetwork one": exists}, "", "Error: network name \"one\" is already used\n", 125},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &fakeNetEngine{errs: tt.errs}
			out, errOut, code := netRun(t, fake, "", func(ios *IOStreams) error {
				return runNetworkCreate(context.Background(), &networkCreateOptions{IO: ios, Engine: useNet[networkCreateEngine](fake),
					Create: engine.NetworkCreateOptions{Name: "one"}})
			})
			if diff := cmp.Diff([]any{out, errOut, code}, []any{tt.wantOut, tt.wantErrOut, tt.wantCode}); diff != "" {
				t.Errorf("stdout, stderr, code mismatch (-got +want):\n%s", diff)
			}
		})
	}
}

func TestNetworkLsRun(t *testing.T) {
	tests := []struct {
		name        string
		opts        networkLsOptions
		wantOut     string
		wantFilters map[string][]string
		wantCode    int
	}{
		{"table", networkLsOptions{},
			"NETWORK ID    NAME        DRIVER\na1a1a1a1a1a1  hutch       bridge\nb2b2b2b2b2b2  front       bridge\n", nil, 0},
		{"quiet", networkLsOptions{Quiet: true}, "hutch\nfront\n", nil, 0},
		{"template", networkLsOptions{Format: "{{.Name}} {{.Driver}} {{.Subnets}} {{.Labels}} {{.DNSEnabled}}"},
			"hutch bridge 10.88.0.0/16  false\nfront bridge 10.220.0.0/24 a=b,team=net true\n", nil, 0},
		{"table template, full IDs", networkLsOptions{Format: "table {{.ID}}\t{{.Name}}", NoTrunc: true},
			"NETWORK ID                                                        NAME\n" +
				strings.Repeat("a1", 32) + "  hutch\n" + strings.Repeat("b2", 32) + "  front\n", nil, 0},
		{"filters", networkLsOptions{Filters: []string{"name=fr", "driver=bridge", "name=x"}, Quiet: true}, "front\n",
			map[string][]string{"name": {"fr", "x"}, "driver": {"bridge"}}, 0},
		{"malformed filter", networkLsOptions{Filters: []string{"name"}}, "", nil, 125},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &fakeNetEngine{nets: testNets()}
			opts := tt.opts
			out, _, code := netRun(t, fake, "", func(ios *IOStreams) error {
				opts.IO, opts.Engine = ios, useNet[networkLsEngine](fake)
				return runNetworkLs(context.Background(), &opts)
			})
			if diff := cmp.Diff(out, tt.wantOut); diff != "" {
				t.Errorf("stdout mismatch (-got +want):\n%s", diff)
			}
			if code != tt.wantCode {
				t.Errorf("exit code = %d, want %d", code, tt.wantCode)
			}
			if diff := cmp.Diff(fake.list.Filters, tt.wantFilters); diff != "" {
				t.Errorf("filters mismatch (-got +want):\n%s", diff)
			}
		})
	}
}

func TestNetworkLsEmptyJSON(t *testing.T) {
	for format, want := range map[string]string{"json": "[]\n", "yaml": "[]\n"} {
		fake := &fakeNetEngine{}
		out, _, _ := netRun(t, fake, "", func(ios *IOStreams) error {
			return runNetworkLs(context.Background(), &networkLsOptions{IO: ios, Engine: useNet[networkLsEngine](fake), Format: format})
		})
		if out != want {
			t.Errorf("--format %s of no networks = %q, want %q", format, out, want)
		}
	}
}

// TestNetworkInspectJSON checks `network inspect` against
// testdata/network_inspect.json.golden (Podman's keys) and `network ls
// --format json` against the same documents.
func TestNetworkInspectJSON(t *testing.T) {
	fake := &fakeNetEngine{nets: testNets()}
	out, errOut, code := netRun(t, fake, "", func(ios *IOStreams) error {
		return runNetworkInspect(context.Background(), &networkInspectOptions{IO: ios, Engine: useNet[networkInspectEngine](fake),
			Refs: []string{"hutch", "front"}})
	})
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	golden(t, "network_inspect.json", []byte(out))
	ls, _, _ := netRun(t, fake, "", func(ios *IOStreams) error {
		return runNetworkLs(context.Background(), &networkLsOptions{IO: ios, Engine: useNet[networkLsEngine](fake), Format: "json"})
	})
	if diff := cmp.Diff(ls, out); diff != "" {
		t.Errorf("network ls --format json differs from inspect (-ls +inspect):\n%s", diff)
	}
}

func TestNetworkInspectRun(t *testing.T) {
	tests := []struct {
		name                string
		opts                networkInspectOptions
		wantOut, wantErrOut string
		wantCode            int
	}{
		{"template", networkInspectOptions{Refs: []string{"front"}, Format: "{{.Name}} {{.Internal}} {{.DNSEnabled}} {{index .Labels \"team\"}}"},
			"front false true net\n", "", 0},
		{"by ID prefix", networkInspectOptions{Refs: []string{"b2b2"}, Format: "{{.Name}}"}, "front\n", "", 0},
		{"missing", networkInspectOptions{Refs: []string{"nosuch"}}, "[]\n", "Error: network \"nosuch\": not found\n", 125},
		{"found and missing", networkInspectOptions{Refs: []string{"nosuch", "hutch"}, Format: "{{.ID}}"},
			strings.Repeat("a1", 32) + "\n", "Error: network \"nosuch\": not found\n", 125},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &fakeNetEngine{nets: testNets()}
			opts := tt.opts
			out, errOut, code := netRun(t, fake, "", func(ios *IOStreams) error {
				opts.IO, opts.Engine = ios, useNet[networkInspectEngine](fake)
				return runNetworkInspect(context.Background(), &opts)
			})
			if diff := cmp.Diff([]any{out, errOut, code}, []any{tt.wantOut, tt.wantErrOut, tt.wantCode}); diff != "" {
				t.Errorf("stdout, stderr, code mismatch (-got +want):\n%s", diff)
			}
		})
	}
}

func TestNetworkExistsRun(t *testing.T) {
	tests := []struct {
		ref      string
		errs     map[string]error
		wantCode int
	}{
		{"front", nil, 0},
		{"nosuch", nil, 1},
		{"front", map[string]error{"InspectNetwork front": errors.New("disk on fire")}, 125},
	}
	for _, tt := range tests {
		fake := &fakeNetEngine{nets: testNets(), errs: tt.errs}
		out, _, code := netRun(t, fake, "", func(ios *IOStreams) error {
			return runNetworkExists(context.Background(), &networkExistsOptions{IO: ios, Engine: useNet[networkInspectEngine](fake), Ref: tt.ref})
		})
		if code != tt.wantCode || out != "" {
			t.Errorf("exists %s: exit %d, stdout %q; want exit %d and nothing", tt.ref, code, out, tt.wantCode)
		}
	}
}

func TestNewCmdNetworkRm(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    *networkRmOptions
		wantErr bool
	}{
		{"several", []string{"a", "b"}, &networkRmOptions{Refs: []string{"a", "b"}}, false},
		{"force with a timeout", []string{"-f", "-t", "0", "a"}, &networkRmOptions{Refs: []string{"a"}, Force: true, Timeout: ptr[uint](0)}, false},
		{"alias remove", []string{"--force", "a"}, &networkRmOptions{Refs: []string{"a"}, Force: true}, false},
		{"nothing", nil, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, _, _ := testIO()
			got, err := parse(t, newNetworkRmCmd, ios, tt.args)
			checkParse(t, got, err, tt.want, tt.wantErr)
		})
	}
}

func TestNetworkRmRun(t *testing.T) {
	inUse := errdefs.Errorf(errdefs.ErrConflict, "network %q is used by container(s) 0123456789ab: remove them first, or use -f", "busy")
	missing := notFound("network", "nosuch")
	tests := []struct {
		name                string
		opts                networkRmOptions
		errs                map[string]error
		wantOut, wantErrOut string
		wantCode            int
	}{
		{"prints each removed", networkRmOptions{Refs: []string{"a", "b"}}, nil, "a\nb\n", "", 0},
		{"in use is 125", networkRmOptions{Refs: []string{"busy"}}, map[string]error{"RemoveNetwork busy force=false": inUse},
			"", "Error: network \"busy\" is used by container(s) 0123456789ab: remove them first, or use -f\n", 125},
		{"missing is 125, the others go on", networkRmOptions{Refs: []string{"nosuch", "a"}},
			map[string]error{"RemoveNetwork nosuch force=false": missing}, "a\n", "Error: network \"nosuch\": not found\n", 125},
		{"force", networkRmOptions{Refs: []string{"busy"}, Force: true, Timeout: ptr[uint](0)}, nil, "busy\n", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &fakeNetEngine{errs: tt.errs}
			opts := tt.opts
			out, errOut, code := netRun(t, fake, "", func(ios *IOStreams) error {
				opts.IO, opts.Engine = ios, useNet[networkRmEngine](fake)
				return runNetworkRm(context.Background(), &opts)
			})
			if diff := cmp.Diff([]any{out, errOut, code}, []any{tt.wantOut, tt.wantErrOut, tt.wantCode}); diff != "" {
				t.Errorf("stdout, stderr, code mismatch (-got +want):\n%s", diff)
			}
			if diff := cmp.Diff(fake.remove, engine.NetworkRemoveOptions{Force: opts.Force, Timeout: opts.Timeout}); diff != "" {
				t.Errorf("remove options mismatch (-got +want):\n%s", diff)
			}
		})
	}
}

func TestNetworkPruneRun(t *testing.T) {
	tests := []struct {
		name      string
		force     bool
		stdin     string
		wantOut   string
		wantCalls []string
	}{
		{"forced", true, "", "three\ntwo\n", []string{"PruneNetworks"}},
		{"confirmed", false, "y\n", "three\ntwo\n", []string{"PruneNetworks"}},
		{"declined", false, "n\n", "", nil},
		{"no answer", false, "", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &fakeNetEngine{pruned: []string{"three", "two"}}
			out, errOut, code := netRun(t, fake, tt.stdin, func(ios *IOStreams) error {
				return runNetworkPrune(context.Background(), &networkPruneOptions{IO: ios, Engine: useNet[networkPruneEngine](fake), Force: tt.force})
			})
			if code != 0 || out != tt.wantOut {
				t.Errorf("exit %d, stdout %q; want 0 and %q", code, out, tt.wantOut)
			}
			if diff := cmp.Diff(fake.calls, tt.wantCalls); diff != "" {
				t.Errorf("calls mismatch (-got +want):\n%s", diff)
			}
			if asked := strings.Contains(errOut, "[y/N]"); asked == tt.force {
				t.Errorf("asked for confirmation: %t, stderr %q", asked, errOut)
			}
		})
	}
}

func TestNewCmdNetworkConnect(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    *networkConnectOptions
		wantErr bool
	}{
		{"plain", []string{"back", "c"}, &networkConnectOptions{Network: "back", Container: "c"}, false},
		{"every flag", []string{"--alias", "web,www", "--alias", "w", "--ip", "10.1.0.9", "--mac-address", "92:d0:c6:0a:29:33", "back", "c"},
			&networkConnectOptions{Network: "back", Container: "c", Connect: engine.NetworkConnectOptions{
				Aliases: []string{"web", "www", "w"}, IP: "10.1.0.9", MAC: "92:d0:c6:0a:29:33"}}, false},
		{"no container", []string{"back"}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, _, _ := testIO()
			got, err := parse(t, newNetworkConnectCmd, ios, tt.args)
			checkParse(t, got, err, tt.want, tt.wantErr)
		})
	}
}

func TestNewCmdNetworkDisconnect(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    *networkDisconnectOptions
		wantErr bool
	}{
		{"plain", []string{"back", "c"}, &networkDisconnectOptions{Network: "back", Container: "c"}, false},
		{"force", []string{"-f", "back", "c"}, &networkDisconnectOptions{Network: "back", Container: "c", Force: true}, false},
		{"three arguments", []string{"a", "b", "c"}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, _, _ := testIO()
			got, err := parse(t, newNetworkDisconnectCmd, ios, tt.args)
			checkParse(t, got, err, tt.want, tt.wantErr)
		})
	}
}

func TestNetworkConnectDisconnectRun(t *testing.T) {
	notJoined := errdefs.Errorf(errdefs.ErrNotFound, "container c is not connected to network %q", "other")
	fake := &fakeNetEngine{errs: map[string]error{"DisconnectNetwork other c force=false": notJoined}}
	o := engine.NetworkConnectOptions{Aliases: []string{"w"}, IP: "10.1.0.9"}
	out, errOut, code := netRun(t, fake, "", func(ios *IOStreams) error {
		return runNetworkConnect(context.Background(), &networkConnectOptions{IO: ios, Engine: useNet[networkConnectEngine](fake),
			Network: "back", Container: "c", Connect: o})
	})
	if out != "" || errOut != "" || code != 0 {
		t.Errorf("connect: stdout %q, stderr %q, exit %d; want nothing and 0", out, errOut, code)
	}
	if diff := cmp.Diff(fake.connect, o); diff != "" {
		t.Errorf("connect options mismatch (-got +want):\n%s", diff)
	}
	_, errOut, code = netRun(t, fake, "", func(ios *IOStreams) error {
		return runNetworkDisconnect(context.Background(), &networkDisconnectOptions{IO: ios, Engine: useNet[networkDisconnectEngine](fake),
			Network: "other", Container: "c"})
	})
	if want := "Error: container c is not connected to network \"other\"\n"; errOut != want || code != 125 {
		t.Errorf("disconnect: stderr %q, exit %d; want %q and 125", errOut, code, want)
	}
	if diff := cmp.Diff(fake.calls, []string{"ConnectNetwork back c", "DisconnectNetwork other c force=false"}); diff != "" {
		t.Errorf("calls mismatch (-got +want):\n%s", diff)
	}
}

// TestNetworkCommandTree: `hutch network` holds every verb, and `ls` has
// Podman's alias.
func TestNetworkCommandTree(t *testing.T) {
	ios, _, _, _ := testIO()
	c := newNetworkCmd(testFactory(ios))
	var got []string
	for _, sub := range c.Commands() {
		got = append(got, sub.Name())
	}
	want := []string{"connect", "create", "disconnect", "exists", "inspect", "ls", "prune", "rm"}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("subcommands mismatch (-got +want):\n%s", diff)
	}
	if sub, _, err := c.Find([]string{"list"}); err != nil || sub.Name() != "ls" {
		t.Errorf("network list does not find ls: %v", err)
	}
}

func TestNetCompleter(t *testing.T) {
	fake := &fakeNetEngine{nets: testNets(), containers: []string{"web", "db"}}
	c := netCompleter{names: useNet[netNamer](fake)}
	none := netCompleter{}
	noFiles := cobra.ShellCompDirectiveNoFileComp
	tests := []struct {
		name       string
		fn         cobra.CompletionFunc
		args       []string
		toComplete string
		want       []string
		wantDir    cobra.ShellCompDirective
	}{
		{"modes and names", c.mode, nil, "", []string{"none", "host", "bridge", "container:", "hutch", "front"}, noFiles},
		{"prefix", c.mode, nil, "h", []string{"host", "hutch"}, noFiles},
		{"container: takes no space", c.mode, nil, "cont", []string{"container:"}, noFiles | cobra.ShellCompDirectiveNoSpace},
		{"container names", c.mode, nil, "container:w", []string{"container:web"}, noFiles},
		{"after a comma, names only", c.mode, nil, "front,", []string{"front,hutch", "front,front"}, noFiles},
		{"without an engine, the modes", none.mode, nil, "", []string{"none", "host", "bridge", "container:"}, noFiles},
		{"networks repeat", c.networks(thenNetworks), []string{"front"}, "", []string{"hutch"}, noFiles},
		{"then a container", c.networks(thenContainers), []string{"front"}, "d", []string{"db"}, noFiles},
		{"then nothing", c.networks(thenNothing), []string{"front"}, "", nil, noFiles},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, dir := tt.fn(&cobra.Command{}, tt.args, tt.toComplete)
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("completions mismatch (-got +want):\n%s", diff)
			}
			if dir != tt.wantDir {
				t.Errorf("directive = %v, want %v", dir, tt.wantDir)
			}
		})
	}
}

// TestNewCmdRunNetworkFlags: run (and create, which shares the flags)
// passes every networking flag to the engine unparsed.
func TestNewCmdRunNetworkFlags(t *testing.T) {
	base := engine.CreateOptions{Image: "img", Pull: engine.PullMissing}
	with := func(f func(*engine.CreateOptions)) *runOptions {
		o := base
		f(&o)
		return &runOptions{Create: o, SigProxy: true}
	}
	tests := []struct {
		name    string
		args    []string
		want    *runOptions
		wantErr bool
	}{
		{"defaults: the engine picks the default network", []string{"img"}, with(func(*engine.CreateOptions) {}), false},
		{"every network flag", []string{"--network", "front,back", "--ip", "10.1.0.5", "--mac-address", "92:d0:c6:0a:29:33",
			"--network-alias", "web", "--network-alias", "www,w3", "--dns", "1.1.1.1", "--dns", "9.9.9.9,8.8.8.8",
			"--dns-search", "example.com", "--dns-option", "ndots:2", "--add-host", "db:10.0.0.9", "--add-host", "gw:host-gateway",
			"-p", "8080:80", "--publish", "127.0.0.1:53:53/udp", "-p", "9000-9001:90-91/tcp,udp", "-P", "img"},
			with(func(o *engine.CreateOptions) {
				o.Network, o.IP, o.MAC = "front,back", "10.1.0.5", "92:d0:c6:0a:29:33"
				o.Aliases = []string{"web", "www", "w3"}
				o.DNS, o.DNSSearch, o.DNSOptions = []string{"1.1.1.1", "9.9.9.9", "8.8.8.8"}, []string{"example.com"}, []string{"ndots:2"}
				o.AddHosts = []string{"db:10.0.0.9", "gw:host-gateway"}
				o.Publish = []string{"8080:80", "127.0.0.1:53:53/udp", "9000-9001:90-91/tcp,udp"}
				o.PublishAll = true
			}), false},
		{"--net", []string{"--net", "container:db", "img"}, with(func(o *engine.CreateOptions) { o.Network = "container:db" }), false},
		{"long publish-all", []string{"--publish-all", "img"}, with(func(o *engine.CreateOptions) { o.PublishAll = true }), false},
		{"-p needs a value", []string{"img", "-p"}, with(func(o *engine.CreateOptions) { o.Command = []string{"-p"} }), false},
		{"--ip needs a value", []string{"--ip"}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, _, _ := testIO()
			got, err := parse(t, newRunCmd, ios, tt.args)
			checkParse(t, got, err, tt.want, tt.wantErr)
		})
	}
}
