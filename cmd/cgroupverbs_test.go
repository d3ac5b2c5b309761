package cmd

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hutchctr/hutch/pkg/engine"
	"github.com/hutchctr/hutch/pkg/errdefs"
)

func TestNewCmdPause(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		unpause bool
		want    *pauseOptions
		wantErr bool
	}{
		{"names", []string{"a", "b"}, false, &pauseOptions{Refs: []string{"a", "b"}}, false},
		{"all", []string{"--all"}, false, &pauseOptions{All: true}, false},
		{"unpause", []string{"-a"}, true, &pauseOptions{All: true, Unpause: true}, false},
		{"all and names", []string{"-a", "x"}, false, nil, true},
		{"nothing", nil, true, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, _, _ := testIO()
			newCmd := newPauseCmd
			if tt.unpause {
				newCmd = newUnpauseCmd
			}
			got, err := parse(t, newCmd, ios, tt.args)
			checkParse(t, got, err, tt.want, tt.wantErr)
		})
	}
}

func TestPauseRun(t *testing.T) {
	conflict := errdefs.Errorf(errdefs.ErrConflict, "container b is exited, not running: cannot pause it")
	containers := []engine.ContainerSummary{{ID: "id1", State: "running"}, {ID: "id2", State: "paused"}, {ID: "id3", State: "exited"}}
	tests := []struct {
		name                string
		opts                pauseOptions
		errs                map[string]error
		wantOut, wantErrOut string
		wantCode            int
		wantCalls           []string
	}{
		{"names", pauseOptions{Refs: []string{"a", "b", "c"}}, map[string]error{"Pause b": conflict},
			"a\nc\n", "Error: container b is exited, not running: cannot pause it\n", 125, []string{"Pause a", "Pause b", "Pause c"}},
		{"all pauses the running", pauseOptions{All: true}, nil, "id1\n", "", 0, []string{"List all=true", "Pause id1"}},
		{"all unpauses the paused", pauseOptions{All: true, Unpause: true}, nil, "id2\n", "", 0, []string{"List all=true", "Unpause id2"}},
		{"unpause names", pauseOptions{Refs: []string{"x"}, Unpause: true}, nil, "x\n", "", 0, []string{"Unpause x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFakeCg()
			fake.errs, fake.containers = tt.errs, containers
			ios, _, out, errOut := testIO()
			opts := tt.opts
			opts.IO, opts.Engine = ios, useCg[pauseEngine](fake)
			code := reportError(errOut, nil, runPause(context.Background(), &opts))
			checkOutput(t, code, out.String(), errOut.String(), tt.wantCode, tt.wantOut, tt.wantErrOut)
			if diff := cmp.Diff(fake.calls, tt.wantCalls); diff != "" {
				t.Errorf("calls (-got +want):\n%s", diff)
			}
		})
	}
}

func TestNewCmdStats(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    *statsOptions
		wantErr bool
	}{
		{"defaults", []string{}, &statsOptions{Interval: time.Second}, false},
		{"everything", []string{"--no-stream", "--no-reset", "--no-trunc", "-i", "3", "--format", "json", "a", "b"},
			&statsOptions{Refs: []string{"a", "b"}, NoStream: true, NoReset: true, NoTrunc: true, Format: "json", Interval: 3 * time.Second}, false},
		{"all", []string{"-a"}, &statsOptions{All: true, Interval: time.Second}, false},
		{"all and names", []string{"-a", "x"}, nil, true},
		{"zero interval", []string{"-i", "0"}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, _, _ := testIO()
			got, err := parse(t, newStatsCmd, ios, tt.args)
			checkParse(t, got, err, tt.want, tt.wantErr)
		})
	}
}

// statsFrames are two frames of two containers: one limited and busy,
// one unlimited and idle.
func statsFrames() [][]engine.ContainerStats {
	web := engine.ContainerStats{ID: strings.Repeat("ab", 32), Name: "web", CPU: 12.3456, AvgCPU: 7.5, CPUNano: 1_500_000_000,
		MemUsage: 3_145_728, MemLimit: 33_554_432, MemPerc: 9.375, NetInput: 1234, NetOutput: 56789,
		BlockInput: 4096, BlockOutput: 2_000_000, PIDs: 3}
	idle := engine.ContainerStats{ID: strings.Repeat("cd", 32), Name: "idle", MemLimit: 2_000_000_000}
	second := web
	second.CPU = 100
	return [][]engine.ContainerStats{{web, idle}, {second}}
}

func TestStatsRun(t *testing.T) {
	table := "ID            NAME        CPU %       MEM USAGE / LIMIT  MEM %       NET IO             BLOCK IO       PIDS        CPU TIME    AVG CPU %\n" +
		"abababababab  web         12.35%      3.146MB / 33.55MB  9.38%       1.234kB / 56.79kB  4.096kB / 2MB  3           1.5s        7.50%\n" +
		"cdcdcdcdcdcd  idle        --          0B / 2GB           --          0B / 0B            0B / 0B        --          0s          --\n"
	tests := []struct {
		name    string
		opts    statsOptions
		tty     bool
		wantOut string
	}{
		{"no stream", statsOptions{NoStream: true}, false, table},
		{"template", statsOptions{NoStream: true, Format: "{{.Name}} {{.CPUPerc}} {{.MemUsageBytes}} {{.PIDs}}"}, false,
			"web 12.35% 3MiB / 32MiB 3\nidle -- 0B / 1.863GiB 0\n"},
		{"table template", statsOptions{NoStream: true, NoTrunc: true, Format: "table {{.ID}}\t{{.MemPerc}}"}, false,
			"ID                                                                MEM %\n" +
				strings.Repeat("ab", 32) + "  9.38%\n" + strings.Repeat("cd", 32) + "  --\n"},
		{"stream redraws on a terminal", statsOptions{Frames: 2}, true,
			clearScreen + table + clearScreen +
				"ID            NAME        CPU %       MEM USAGE / LIMIT  MEM %       NET IO             BLOCK IO       PIDS        CPU TIME    AVG CPU %\n" +
				"abababababab  web         100.00%     3.146MB / 33.55MB  9.38%       1.234kB / 56.79kB  4.096kB / 2MB  3           1.5s        7.50%\n"},
		{"no reset", statsOptions{Frames: 2, NoReset: true, Format: "{{.Name}}"}, true, "web\nidle\nweb\n"},
		{"not a terminal: no reset", statsOptions{Frames: 2, Format: "{{.Name}}"}, false, "web\nidle\nweb\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFakeCg()
			fake.frames = statsFrames()
			ios, _, out, errOut := testIO()
			ios.SetStdoutTTY(tt.tty)
			opts := tt.opts
			opts.IO, opts.Engine, opts.Interval = ios, useCg[statsEngine](fake), time.Millisecond
			code := reportError(errOut, nil, runStats(context.Background(), &opts))
			checkOutput(t, code, out.String(), errOut.String(), 0, tt.wantOut, "")
		})
	}
}

// TestStatsPrevious: each frame's CPU % is computed from the last frame's
// samples, which the command hands back to the engine.
func TestStatsPrevious(t *testing.T) {
	fake := newFakeCg()
	fake.frames = statsFrames()
	ios, _, _, _ := testIO()
	opts := &statsOptions{IO: ios, Engine: useCg[statsEngine](fake), Refs: []string{"web"}, Interval: time.Millisecond, Frames: 2}
	if err := runStats(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	if len(fake.statsOpts) != 2 || len(fake.statsOpts[0].Previous) != 0 {
		t.Fatalf("stats calls %+v: want two, the first without previous samples", fake.statsOpts)
	}
	prev := fake.statsOpts[1].Previous
	if len(prev) != 2 || prev[strings.Repeat("ab", 32)].CPUNano != 1_500_000_000 {
		t.Errorf("second call's previous samples: %+v", prev)
	}
	if diff := cmp.Diff(fake.statsOpts[1].Refs, []string{"web"}); diff != "" {
		t.Errorf("refs (-got +want):\n%s", diff)
	}
}

func TestStatsJSON(t *testing.T) {
	fake := newFakeCg()
	fake.frames = statsFrames()
	ios, _, out, _ := testIO()
	opts := &statsOptions{IO: ios, Engine: useCg[statsEngine](fake), NoStream: true, Format: "json"}
	if err := runStats(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	golden(t, "stats.json", out.Bytes())
}

func TestStatsErrors(t *testing.T) {
	fake := newFakeCg()
	fake.errs = map[string]error{"Stats gone": errdefs.Errorf(errdefs.ErrConflict, "container gone is exited: only running containers have stats")}
	ios, _, out, errOut := testIO()
	opts := &statsOptions{IO: ios, Engine: useCg[statsEngine](fake), Refs: []string{"gone"}, NoStream: true}
	code := reportError(errOut, nil, runStats(context.Background(), opts))
	checkOutput(t, code, out.String(), errOut.String(), 125, "", "Error: container gone is exited: only running containers have stats\n")
	opts = &statsOptions{IO: ios, Engine: useCg[statsEngine](newFakeCg()), NoStream: true, Format: "{{.Nope}}"}
	if err := runStats(context.Background(), opts); err != nil {
		t.Errorf("a template on no containers: %v", err)
	}
}

func TestStatsStopsWithTheContext(t *testing.T) {
	fake := newFakeCg()
	ios, _, _, _ := testIO()
	ctx, cancel := context.WithCancel(context.Background())
	opts := &statsOptions{IO: ios, Engine: useCg[statsEngine](fake), Interval: time.Hour}
	done := make(chan error)
	go func() { done <- runStats(ctx, opts) }()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("got %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("stats did not stop when its context ended")
	}
}

func TestNewCmdTop(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    *topOptions
		wantErr bool
	}{
		{"container", []string{"web"}, &topOptions{Ref: "web", PsArgs: []string{}}, false},
		{"ps options are not hutch's", []string{"web", "-eo", "pid,user,args"}, &topOptions{Ref: "web", PsArgs: []string{"-eo", "pid,user,args"}}, false},
		{"nothing", nil, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, _, _ := testIO()
			got, err := parse(t, newTopCmd, ios, tt.args)
			checkParse(t, got, err, tt.want, tt.wantErr)
		})
	}
}

func TestTopRun(t *testing.T) {
	fake := newFakeCg()
	fake.top = &engine.TopResult{
		Titles:    []string{"UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"},
		Processes: [][]string{{"root", "4242", "4200", "0", "10:01", "?", "00:00:00", "sleep 1000"}},
	}
	ios, _, out, errOut := testIO()
	opts := &topOptions{IO: ios, Engine: useCg[topEngine](fake), Ref: "web", PsArgs: []string{"-ef"}}
	code := reportError(errOut, nil, runTop(context.Background(), opts))
	checkOutput(t, code, out.String(), errOut.String(), 0,
		"UID         PID         PPID        C           STIME       TTY         TIME        CMD\n"+
			"root        4242        4200        0           10:01       ?           00:00:00    sleep 1000\n", "")
	if diff := cmp.Diff(fake.psArgs, []string{"-ef"}); diff != "" {
		t.Errorf("ps args (-got +want):\n%s", diff)
	}
	fake.errs = map[string]error{"Top web": fmt.Errorf("container web is not running: %w", errdefs.ErrConflict)}
	ios, _, out, errOut = testIO()
	opts.IO = ios
	code = reportError(errOut, nil, runTop(context.Background(), opts))
	checkOutput(t, code, out.String(), errOut.String(), 125, "", "Error: container web is not running: conflict\n")
}
