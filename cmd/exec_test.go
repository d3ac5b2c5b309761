package cmd

import (
	"context"
	"errors"
	"testing"

	"github.com/hutchctr/hutch/pkg/engine"
)

func TestNewCmdExec(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    *execOptions
		wantErr bool
	}{
		{"command with its flags", []string{"-it", "web", "ls", "-la"},
			&execOptions{Ref: "web", Exec: engine.ExecOptions{Command: []string{"ls", "-la"}, Interactive: true, Terminal: true}}, false},
		{"all flags", []string{"-d", "-e", "A=1", "--env-file", "e", "-w", "/tmp", "-u", "nobody", "--privileged", "web", "true"},
			&execOptions{Ref: "web", Exec: engine.ExecOptions{Command: []string{"true"}, Detach: true, Env: []string{"A=1"},
				EnvFiles: []string{"e"}, Workdir: "/tmp", User: "nobody", Privileged: true}}, false},
		{"no command", []string{"web"}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, _, _ := testIO()
			got, err := parse(t, newExecCmd, ios, tt.args)
			checkParse(t, got, err, tt.want, tt.wantErr)
		})
	}
}

func TestExecRun(t *testing.T) {
	tests := []struct {
		name       string
		exec       engine.ExecOptions
		err        error
		wantCode   int
		wantErrOut string
		wantStdin  bool
		wantOut    bool
	}{
		{"success", engine.ExecOptions{Command: []string{"true"}}, nil, 0, "", false, true},
		{"stdin", engine.ExecOptions{Command: []string{"cat"}, Interactive: true}, nil, 0, "", true, true},
		{"detached has no streams", engine.ExecOptions{Command: []string{"sleep"}, Detach: true, Interactive: true}, nil, 0, "", false, false},
		{"exit code", engine.ExecOptions{Command: []string{"false"}}, &engine.ExitError{Code: 1}, 1, "", false, true},
		{"not found", engine.ExecOptions{Command: []string{"nope"}},
			&engine.ExitError{Code: 127, Err: errors.New(`executable file "nope" not found in $PATH: not found`)},
			127, "Error: executable file \"nope\" not found in $PATH: not found\n", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, out, errOut := testIO()
			fake := &fakeEngine{}
			if tt.err != nil {
				fake.errs = map[string]error{"Exec web " + tt.exec.Command[0]: tt.err}
			}
			opts := &execOptions{IO: ios, Engine: use[execEngine](fake), Ref: "web", Exec: tt.exec}
			code := reportError(errOut, nil, runExec(context.Background(), opts))
			checkOutput(t, code, out.String(), errOut.String(), tt.wantCode, "", tt.wantErrOut)
			if got := fake.exec.Streams.In != nil; got != tt.wantStdin {
				t.Errorf("stdin attached = %t, want %t", got, tt.wantStdin)
			}
			if got := fake.exec.Streams.Out != nil; got != tt.wantOut {
				t.Errorf("stdout attached = %t, want %t", got, tt.wantOut)
			}
		})
	}
}

func TestNewCmdAttach(t *testing.T) {
	ios, _, _, _ := testIO()
	got, err := parse(t, newAttachCmd, ios, []string{"web"})
	checkParse(t, got, err, &attachOptions{Ref: "web", SigProxy: true}, false)
	got, err = parse(t, newAttachCmd, ios, []string{"--no-stdin", "--sig-proxy=false", "web"})
	checkParse(t, got, err, &attachOptions{Ref: "web", NoStdin: true}, false)
	_, err = parse(t, newAttachCmd, ios, nil)
	checkParse[attachOptions](t, nil, err, nil, true)
}

func TestAttachRun(t *testing.T) {
	for _, noStdin := range []bool{false, true} {
		ios, _, out, errOut := testIO()
		fake := &fakeEngine{errs: map[string]error{"Attach web sigproxy=true": &engine.ExitError{Code: 130}}}
		opts := &attachOptions{IO: ios, Engine: use[attachEngine](fake), Ref: "web", NoStdin: noStdin, SigProxy: true}
		code := reportError(errOut, nil, runAttach(context.Background(), opts))
		checkOutput(t, code, out.String(), errOut.String(), 130, "", "")
		if got := fake.streams.In != nil; got == noStdin {
			t.Errorf("--no-stdin=%t: stdin attached = %t", noStdin, got)
		}
	}
}
