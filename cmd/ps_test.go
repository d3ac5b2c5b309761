package cmd

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hutchctr/hutch/pkg/engine"
	"github.com/hutchctr/hutch/pkg/errdefs"
)

var testNow = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)

func testContainers() []engine.ContainerSummary {
	ago := func(d time.Duration) int64 { return testNow.Add(-d).Unix() }
	return []engine.ContainerSummary{
		{ID: "2455260fa90bf5cd2180328cdbb296fa0f19ddb26ee6edaa25922ca5d5143895", Names: []string{"web"},
			Image: "localhost/bb:latest", Command: []string{"sh", "-c", "echo hi there this is long"},
			Created: ago(5 * time.Second), State: "running", StartedAt: ago(3 * time.Second),
			Labels: map[string]string{"a": "b"}, Mounts: []string{"/data"}},
		{ID: "7c8c17b8c46b740f544d45828e70b9d478ab8f93dbb667de8040490aba46a42f", Names: []string{"old"},
			Image: "localhost/bb:latest", Command: []string{"true"}, Created: ago(2 * time.Hour),
			State: "exited", Exited: true, ExitCode: 1, ExitedAt: ago(10 * time.Minute)},
		{ID: "5a79f1a08ecaab6778be549534f96969e10c457462423cc6c3bc1071980b092f", Names: []string{"fresh"},
			Image: "localhost/bb:latest", Created: ago(time.Second), State: "created"},
	}
}

func TestNewCmdPs(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    *psOptions
		wantErr bool
	}{
		{"defaults", nil, &psOptions{Last: -1}, false},
		{"everything", []string{"-aq", "--no-trunc", "-n", "2", "--filter", "name=web", "-f", "status=running", "--format", "json"},
			&psOptions{All: true, Quiet: true, NoTrunc: true, Last: 2, Filters: []string{"name=web", "status=running"}, Format: "json"}, false},
		{"arguments", []string{"web"}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, _, _ := testIO()
			got, err := parse(t, newPsCmd, ios, tt.args)
			checkParse(t, got, err, tt.want, tt.wantErr)
		})
	}
}

func TestPsRun(t *testing.T) {
	tests := []struct {
		name     string
		opts     psOptions
		want     string
		wantList engine.ListOptions
	}{
		{"default table, running", psOptions{Last: -1}, "" +
			"CONTAINER ID  IMAGE                COMMAND               CREATED        STATUS        PORTS       NAMES\n" +
			"2455260fa90b  localhost/bb:latest  sh -c echo hi the...  5 seconds ago  Up 3 seconds              web\n",
			engine.ListOptions{}},
		{"all, newest first", psOptions{All: true, Last: -1}, "" +
			"CONTAINER ID  IMAGE                COMMAND               CREATED        STATUS                     PORTS       NAMES\n" +
			"5a79f1a08eca  localhost/bb:latest                        1 second ago   Created                                fresh\n" +
			"2455260fa90b  localhost/bb:latest  sh -c echo hi the...  5 seconds ago  Up 3 seconds                           web\n" +
			"7c8c17b8c46b  localhost/bb:latest  true                  2 hours ago    Exited (1) 10 minutes ago              old\n",
			engine.ListOptions{All: true}},
		{"quiet", psOptions{All: true, Quiet: true, Last: -1}, "5a79f1a08eca\n2455260fa90b\n7c8c17b8c46b\n", engine.ListOptions{All: true}},
		{"quiet no-trunc last 1", psOptions{Quiet: true, NoTrunc: true, Last: 1},
			"5a79f1a08ecaab6778be549534f96969e10c457462423cc6c3bc1071980b092f\n", engine.ListOptions{All: true}},
		{"template", psOptions{Format: "{{.Names}} {{.Status}}", Last: -1}, "web Up 3 seconds\n", engine.ListOptions{}},
		{"template fields", psOptions{All: true, Last: 1, NoTrunc: true,
			Format: "{{.ID}}|{{.State}}|{{.RunningFor}}|{{.CreatedAt}}|{{.Labels}}|{{.Mounts}}|{{.Ports}}"},
			"5a79f1a08ecaab6778be549534f96969e10c457462423cc6c3bc1071980b092f|created|1 second ago|2024-01-02 03:04:04 +0000 UTC|map[]|[]|\n",
			engine.ListOptions{All: true}},
		{"no-trunc command", psOptions{Format: "{{.Command}}", NoTrunc: true, Last: -1}, "sh -c echo hi there this is long\n", engine.ListOptions{}},
		{"table template", psOptions{All: true, Last: -1, Format: `table {{.ID}}\t{{.Names}}\t{{.Labels}}`}, "" +
			"CONTAINER ID  NAMES       LABELS\n" +
			"5a79f1a08eca  fresh       map[]\n" +
			"2455260fa90b  web         map[a:b]\n" +
			"7c8c17b8c46b  old         map[]\n",
			engine.ListOptions{All: true}},
		{"filters go to the engine", psOptions{Filters: []string{"name=web", "name=db", "label=a=b", "status=running"}, Last: -1, Format: "{{.Names}}"},
			"web\n", engine.ListOptions{Filters: map[string][]string{"name": {"web", "db"}, "label": {"a=b"}, "status": {"running"}}}},
		{"json empty", psOptions{Format: "json", Last: -1, Filters: []string{"name=nothing"}}, "[]\n",
			engine.ListOptions{Filters: map[string][]string{"name": {"nothing"}}}},
		{"yaml", psOptions{Format: "yaml", Last: -1, Filters: []string{"name=nothing"}}, "[]\n",
			engine.ListOptions{Filters: map[string][]string{"name": {"nothing"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, out, errOut := testIO()
			cs := testContainers()
			if tt.opts.Filters != nil && tt.opts.Filters[0] == "name=nothing" {
				cs = nil
			}
			fake := &fakeEngine{containers: cs}
			opts := tt.opts
			opts.IO, opts.Engine, opts.Now = ios, use[psEngine](fake), func() time.Time { return testNow }
			code := reportError(errOut, nil, runPs(context.Background(), &opts))
			checkOutput(t, code, out.String(), errOut.String(), 0, tt.want, "")
			if diff := cmp.Diff(fake.list, tt.wantList); diff != "" {
				t.Errorf("list options mismatch (-got +want):\n%s", diff)
			}
		})
	}
}

// TestPsJSON checks `ps --format json` against testdata/ps.json.golden
// (-update rewrites it): the engine's summaries, Podman's field names.
func TestPsJSON(t *testing.T) {
	ios, _, out, errOut := testIO()
	fake := &fakeEngine{containers: testContainers()}
	opts := &psOptions{IO: ios, Engine: use[psEngine](fake), Now: func() time.Time { return testNow }, All: true, Last: -1, Format: "json"}
	code := reportError(errOut, nil, runPs(context.Background(), opts))
	checkOutput(t, code, "", errOut.String(), 0, "", "")
	golden(t, "ps.json", out.Bytes())
}

func TestPsYAML(t *testing.T) {
	ios, _, out, errOut := testIO()
	c := testContainers()[1]
	fake := &fakeEngine{containers: []engine.ContainerSummary{c}}
	opts := &psOptions{IO: ios, Engine: use[psEngine](fake), Now: func() time.Time { return testNow }, All: true, Last: -1, Format: "yaml"}
	code := reportError(errOut, nil, runPs(context.Background(), opts))
	want := `- Id: 7c8c17b8c46b740f544d45828e70b9d478ab8f93dbb667de8040490aba46a42f
  Names:
    - old
  Image: localhost/bb:latest
  ImageID: ""
  Command:
    - "true"
  Created: 1704157445
  CreatedAt: ""
  State: exited
  Status: ""
  Exited: true
  ExitCode: 1
  ExitedAt: 1704164045
  StartedAt: 0
  Labels: null
  Pid: 0
  AutoRemove: false
  Mounts: null
  Networks: null
  Ports: null
`
	checkOutput(t, code, out.String(), errOut.String(), 0, want, "")
}

func TestPsErrors(t *testing.T) {
	tests := []struct {
		name    string
		opts    psOptions
		wantErr string
	}{
		{"unknown filter", psOptions{Filters: []string{"foo=bar"}}, "Error: foo is an invalid filter: invalid argument\n"},
		{"bad status", psOptions{Filters: []string{"status=bogus"}}, "Error: unknown container state: bogus: invalid argument\n"},
		{"no value", psOptions{Filters: []string{"name"}}, "Error: filter \"name\": want KEY=VALUE: invalid argument\n"},
		{"bad template", psOptions{Format: "{{.Nope}}"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, _, errOut := testIO()
			opts := tt.opts
			opts.Last = -1
			opts.IO, opts.Engine, opts.Now = ios, use[psEngine](&fakeEngine{containers: testContainers()}), time.Now
			err := runPs(context.Background(), &opts)
			if code := reportError(errOut, nil, err); code != 125 {
				t.Errorf("exit code = %d, want 125", code)
			}
			if tt.wantErr != "" && errOut.String() != tt.wantErr {
				t.Errorf("stderr = %q, want %q", errOut.String(), tt.wantErr)
			}
			if tt.name != "bad template" && !errors.Is(err, errdefs.ErrInvalidArgument) {
				t.Errorf("error %v is not an invalid argument", err)
			}
		})
	}
}

func TestPsStatus(t *testing.T) {
	ago := func(d time.Duration) int64 { return testNow.Add(-d).Unix() }
	tests := []struct {
		in   engine.ContainerSummary
		want string
	}{
		{engine.ContainerSummary{State: "running", StartedAt: ago(5 * time.Second)}, "Up 5 seconds"},
		{engine.ContainerSummary{State: "running"}, "Up"},
		{engine.ContainerSummary{State: "exited", ExitCode: 137, ExitedAt: ago(2 * time.Second)}, "Exited (137) 2 seconds ago"},
		{engine.ContainerSummary{State: "exited"}, "Exited (0)"},
		{engine.ContainerSummary{State: "created"}, "Created"},
		{engine.ContainerSummary{State: "configured"}, "Created"},
		{engine.ContainerSummary{State: "paused"}, "Paused"},
		{engine.ContainerSummary{State: "stopping"}, "Stopping"},
		{engine.ContainerSummary{Status: "Weird"}, "Weird"},
	}
	for _, tt := range tests {
		if got := psStatus(tt.in, testNow); got != tt.want {
			t.Errorf("psStatus(%+v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestPortsString(t *testing.T) {
	tests := []struct {
		in   []any
		want string
	}{
		{nil, ""},
		{[]any{"0.0.0.0:8080->80/tcp"}, "0.0.0.0:8080->80/tcp"},
		{[]any{map[string]any{"host_port": float64(8080), "container_port": float64(80)},
			map[string]any{"host_ip": "127.0.0.1", "host_port": float64(53), "container_port": float64(53), "protocol": "udp"}},
			"0.0.0.0:8080->80/tcp, 127.0.0.1:53->53/udp"},
	}
	for _, tt := range tests {
		if got := portsString(tt.in); got != tt.want {
			t.Errorf("portsString(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
