package cmd

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hutchctr/hutch/pkg/engine"
	"github.com/hutchctr/hutch/pkg/errdefs"
)

func TestNewCmdStart(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    *startOptions
		wantErr bool
	}{
		{"several", []string{"a", "b"}, &startOptions{Refs: []string{"a", "b"}, SigProxy: true}, false},
		{"attach", []string{"-a", "--sig-proxy=false", "a"}, &startOptions{Refs: []string{"a"}, Attach: true}, false},
		{"interactive implies attach", []string{"-i", "a"}, &startOptions{Refs: []string{"a"}, Attach: true, Interactive: true, SigProxy: true}, false},
		{"attach to several", []string{"-a", "a", "b"}, nil, true},
		{"none", nil, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, _, _ := testIO()
			got, err := parse(t, newStartCmd, ios, tt.args)
			checkParse(t, got, err, tt.want, tt.wantErr)
		})
	}
}

func TestStartRun(t *testing.T) {
	missing := fmt.Errorf("container %q: %w", "b", errdefs.ErrNotFound)
	tests := []struct {
		name                  string
		opts                  startOptions
		errs                  map[string]error
		wantOut, wantErrOut   string
		wantCode              int
		wantAttach, wantStdin bool
	}{
		{"prints each started", startOptions{Refs: []string{"a", "c"}}, nil, "a\nc\n", "", 0, false, false},
		{"partial failure", startOptions{Refs: []string{"a", "b", "c"}}, map[string]error{"Start b": missing},
			"a\nc\n", "Error: container \"b\": not found\n", 125, false, false},
		{"attached exit code", startOptions{Refs: []string{"a"}, Attach: true, Interactive: true},
			map[string]error{"Start a": &engine.ExitError{Code: 3}}, "", "", 3, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, out, errOut := testIO()
			fake := &fakeEngine{errs: tt.errs}
			opts := tt.opts
			opts.IO, opts.Engine = ios, use[startEngine](fake)
			code := reportError(errOut, nil, runStart(context.Background(), &opts))
			checkOutput(t, code, out.String(), errOut.String(), tt.wantCode, tt.wantOut, tt.wantErrOut)
			if fake.start.Attach != tt.wantAttach || (fake.start.Streams.In != nil) != tt.wantStdin {
				t.Errorf("engine got %+v, want attach %t stdin %t", fake.start, tt.wantAttach, tt.wantStdin)
			}
		})
	}
}

func TestNewCmdStop(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    *stopOptions
		wantErr bool
	}{
		{"default timeout is the container's", []string{"a"}, &stopOptions{Refs: []string{"a"}}, false},
		{"timeout", []string{"-t", "0", "a", "b"}, &stopOptions{Refs: []string{"a", "b"}, Timeout: ptr[uint](0)}, false},
		{"all", []string{"--all", "--time=3"}, &stopOptions{All: true, Timeout: ptr[uint](3)}, false},
		{"all and names", []string{"-a", "x"}, nil, true},
		{"nothing", nil, nil, true},
		{"bad timeout", []string{"-t", "soon", "a"}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, _, _ := testIO()
			got, err := parse(t, newStopCmd, ios, tt.args)
			checkParse(t, got, err, tt.want, tt.wantErr)
		})
	}
}

func TestStopRun(t *testing.T) {
	fake := &fakeEngine{containers: []engine.ContainerSummary{
		{ID: "id1", State: "running"}, {ID: "id2", State: "exited"}, {ID: "id3", State: "running"},
	}}
	ios, _, out, errOut := testIO()
	opts := &stopOptions{IO: ios, Engine: use[stopEngine](fake), All: true, Timeout: ptr[uint](5)}
	code := reportError(errOut, nil, runStop(context.Background(), opts))
	checkOutput(t, code, out.String(), errOut.String(), 0, "id1\nid3\n", "")
	if diff := cmp.Diff(fake.calls, []string{"List all=false", "Stop id1", "Stop id3"}); diff != "" {
		t.Errorf("calls mismatch (-got +want):\n%s", diff)
	}
	if fake.timeout == nil || *fake.timeout != 5 {
		t.Errorf("timeout = %v, want 5", fake.timeout)
	}
}

func TestNewCmdKill(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    *killOptions
		wantErr bool
	}{
		{"default KILL", []string{"a"}, &killOptions{Refs: []string{"a"}, Signal: "KILL"}, false},
		{"signal", []string{"-s", "TERM", "a", "b"}, &killOptions{Refs: []string{"a", "b"}, Signal: "TERM"}, false},
		{"empty signal", []string{"--signal=", "a"}, nil, true},
		{"nothing", nil, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, _, _ := testIO()
			got, err := parse(t, newKillCmd, ios, tt.args)
			checkParse(t, got, err, tt.want, tt.wantErr)
		})
	}
}

func TestKillRun(t *testing.T) {
	fake := &fakeEngine{errs: map[string]error{"Kill b HUP": fmt.Errorf("container %q is not running: %w", "b", errdefs.ErrConflict)}}
	ios, _, out, errOut := testIO()
	opts := &killOptions{IO: ios, Engine: use[killEngine](fake), Refs: []string{"a", "b"}, Signal: "HUP"}
	code := reportError(errOut, nil, runKill(context.Background(), opts))
	checkOutput(t, code, out.String(), errOut.String(), 125, "a\n", "Error: container \"b\" is not running: conflict\n")
}

func TestNewCmdRestart(t *testing.T) {
	ios, _, _, _ := testIO()
	got, err := parse(t, newRestartCmd, ios, []string{"-t", "2", "a"})
	checkParse(t, got, err, &restartOptions{Refs: []string{"a"}, Timeout: ptr[uint](2)}, false)
	_, err = parse(t, newRestartCmd, ios, nil)
	checkParse[restartOptions](t, nil, err, nil, true)
}

func TestRestartRun(t *testing.T) {
	fake := &fakeEngine{}
	ios, _, out, errOut := testIO()
	opts := &restartOptions{IO: ios, Engine: use[restartEngine](fake), Refs: []string{"a", "b"}}
	code := reportError(errOut, nil, runRestart(context.Background(), opts))
	checkOutput(t, code, out.String(), errOut.String(), 0, "a\nb\n", "")
}

func TestEngineOpenFailure(t *testing.T) {
	ios, _, out, errOut := testIO()
	opts := &restartOptions{IO: ios, Refs: []string{"a"}, Engine: func() (restartEngine, error) {
		return nil, fmt.Errorf("open storage: %w", errdefs.ErrPermission)
	}}
	code := reportError(errOut, nil, runRestart(context.Background(), opts))
	checkOutput(t, code, out.String(), errOut.String(), 125, "", "Error: open storage: permission denied\n")
}

// checkOutput compares a command's exit code and output.
func checkOutput(t *testing.T, code int, out, errOut string, wantCode int, wantOut, wantErrOut string) {
	t.Helper()
	if code != wantCode {
		t.Errorf("exit code = %d, want %d", code, wantCode)
	}
	if diff := cmp.Diff(out, wantOut); diff != "" {
		t.Errorf("stdout mismatch (-got +want):\n%s", diff)
	}
	if diff := cmp.Diff(errOut, wantErrOut); diff != "" {
		t.Errorf("stderr mismatch (-got +want):\n%s", diff)
	}
}

var errDisk = errors.New("disk on fire")
