package cmd

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hutchctr/hutch/pkg/engine"
	"github.com/hutchctr/hutch/pkg/errdefs"
)

func TestNewCmdRm(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    *rmOptions
		wantErr bool
	}{
		{"several", []string{"a", "b"}, &rmOptions{Refs: []string{"a", "b"}}, false},
		{"force all", []string{"-fa"}, &rmOptions{Force: true, All: true}, false},
		{"force timeout", []string{"-f", "-t", "1", "a"}, &rmOptions{Refs: []string{"a"}, Force: true, Timeout: ptr[uint](1)}, false},
		{"nothing", nil, nil, true},
		{"all and names", []string{"--all", "a"}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, _, _ := testIO()
			got, err := parse(t, newRmCmd, ios, tt.args)
			checkParse(t, got, err, tt.want, tt.wantErr)
		})
	}
}

func TestRmRun(t *testing.T) {
	missing := fmt.Errorf("container %q: %w", "nosuch", errdefs.ErrNotFound)
	running := fmt.Errorf("container %q is running: stop it or use -f: %w", "web", errdefs.ErrConflict)
	tests := []struct {
		name                string
		opts                rmOptions
		errs                map[string]error
		wantOut, wantErrOut string
		wantCode            int
	}{
		{"prints each removed", rmOptions{Refs: []string{"a", "b"}}, nil, "a\nb\n", "", 0},
		{"missing is 1", rmOptions{Refs: []string{"a", "nosuch"}}, map[string]error{"Remove nosuch force=false": missing},
			"a\n", "Error: container \"nosuch\": not found\n", 1},
		{"running is 2", rmOptions{Refs: []string{"nosuch", "web"}},
			map[string]error{"Remove nosuch force=false": missing, "Remove web force=false": running},
			"", "Error: container \"nosuch\": not found\nError: container \"web\" is running: stop it or use -f: conflict\n", 2},
		{"other is 125", rmOptions{Refs: []string{"a"}}, map[string]error{"Remove a force=false": errDisk},
			"", "Error: disk on fire\n", 125},
		{"force ignores missing", rmOptions{Refs: []string{"nosuch", "a"}, Force: true},
			map[string]error{"Remove nosuch force=true": missing}, "a\n", "", 0},
		{"all removes every container", rmOptions{All: true}, nil, "id1\nid2\n", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, out, errOut := testIO()
			fake := &fakeEngine{errs: tt.errs, containers: []engine.ContainerSummary{
				{ID: "id1", State: "running"}, {ID: "id2", State: "exited"},
			}}
			opts := tt.opts
			opts.IO, opts.Engine = ios, use[rmEngine](fake)
			code := reportError(errOut, nil, runRm(context.Background(), &opts))
			checkOutput(t, code, out.String(), errOut.String(), tt.wantCode, tt.wantOut, tt.wantErrOut)
		})
	}
}

func TestNewCmdRmi(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    *rmiOptions
		wantErr bool
	}{
		{"several", []string{"-f", "a", "b"}, &rmiOptions{Refs: []string{"a", "b"}, Force: true}, false},
		{"all", []string{"-a"}, &rmiOptions{All: true}, false},
		{"nothing", nil, nil, true},
		{"all and names", []string{"-a", "x"}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, _, _ := testIO()
			got, err := parse(t, newRmiCmd, ios, tt.args)
			checkParse(t, got, err, tt.want, tt.wantErr)
		})
	}
}

func TestRmiRun(t *testing.T) {
	inUse := fmt.Errorf("image %q is used by container %q: %w", "img", "web", errdefs.ErrConflict)
	tests := []struct {
		name                string
		opts                rmiOptions
		errs                map[string]error
		wantOut, wantErrOut string
		wantCode            int
		wantCalls           []string
	}{
		{"prints the engine's lines", rmiOptions{Refs: []string{"img"}}, nil,
			"Untagged: localhost/img:latest\nDeleted: 0123\n", "", 0, []string{"RemoveImage img force=false"}},
		{"missing is 1", rmiOptions{Refs: []string{"nosuch"}}, nil, "", "Error: image \"nosuch\": not found\n", 1, nil},
		{"force ignores missing", rmiOptions{Refs: []string{"nosuch"}, Force: true}, nil, "", "", 0, nil},
		{"in use is 2", rmiOptions{Refs: []string{"img"}}, map[string]error{"RemoveImage img force=false": inUse},
			"Untagged: localhost/img:latest\nDeleted: 0123\n", "Error: image \"img\" is used by container \"web\": conflict\n", 2, nil},
		{"all", rmiOptions{All: true}, nil, "", "", 0, []string{"Images all=true", "RemoveImage i1 force=false", "RemoveImage i2 force=false"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, out, errOut := testIO()
			errs := map[string]error{
				"RemoveImage nosuch force=false": fmt.Errorf("image %q: %w", "nosuch", errdefs.ErrNotFound),
				"RemoveImage nosuch force=true":  fmt.Errorf("image %q: %w", "nosuch", errdefs.ErrNotFound),
			}
			for k, v := range tt.errs {
				errs[k] = v
			}
			fake := &fakeEngine{errs: errs, images: []engine.ImageSummary{{ID: "i1"}, {ID: "i2"}},
				rmiLines: map[string][]string{"img": {"Untagged: localhost/img:latest", "Deleted: 0123"}}}
			opts := tt.opts
			opts.IO, opts.Engine = ios, use[rmiEngine](fake)
			code := reportError(errOut, nil, runRmi(context.Background(), &opts))
			checkOutput(t, code, out.String(), errOut.String(), tt.wantCode, tt.wantOut, tt.wantErrOut)
			if tt.wantCalls != nil {
				if diff := cmp.Diff(fake.calls, tt.wantCalls); diff != "" {
					t.Errorf("calls mismatch (-got +want):\n%s", diff)
				}
			}
		})
	}
}
