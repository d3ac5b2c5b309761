package cmd

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hutchctr/hutch/pkg/engine"
)

func TestNewCmdRun(t *testing.T) {
	base := func(o engine.CreateOptions) *runOptions {
		if o.Pull == "" {
			o.Pull = engine.PullMissing
		}
		return &runOptions{Create: o, SigProxy: true}
	}
	tests := []struct {
		name    string
		args    []string
		want    *runOptions
		wantErr bool
	}{
		{"image only", []string{"alpine"}, base(engine.CreateOptions{Image: "alpine"}), false},
		{"command and its flags", []string{"-it", "--rm", "alpine", "ls", "-l", "--", "-x"},
			base(engine.CreateOptions{Image: "alpine", Command: []string{"ls", "-l", "--", "-x"}, Stdin: true, Terminal: true, AutoRemove: true}), false},
		{"dash dash before image", []string{"-d", "--", "alpine", "sh"},
			&runOptions{Create: engine.CreateOptions{Image: "alpine", Command: []string{"sh"}, Pull: "missing"}, Detach: true, SigProxy: true}, false},
		{"all create flags", []string{
			"--name", "web", "-e", "A=1,2", "--env", "B", "--env-file", "f.env", "-w", "/srv", "-u", "1000:1000",
			"-h", "box", "--entrypoint", "", "-l", "a=b", "--label", "c", "--net", "host", "--read-only",
			"-v", "/a:/b:ro", "--tmpfs", "/tmp:size=1m", "--mount", "type=bind,src=/x,dst=/y", "--init",
			"--stop-signal", "SIGINT", "--stop-timeout", "0", "--sig-proxy=false", "--pull", "never",
			"--platform", "linux/arm64", "--tls-verify=false", "--creds", "u:p", "--authfile", "a.json", "-q", "img", "true"},
			&runOptions{Create: engine.CreateOptions{
				Image: "img", Command: []string{"true"}, Entrypoint: ptr(""), Name: "web", Env: []string{"A=1,2", "B"},
				EnvFiles: []string{"f.env"}, Workdir: "/srv", User: "1000:1000", Hostname: "box",
				Labels: map[string]string{"a": "b", "c": ""}, Network: "host", ReadOnly: true,
				Volumes: []string{"/a:/b:ro"}, Tmpfs: []string{"/tmp:size=1m"}, Mounts: []string{"type=bind,src=/x,dst=/y"},
				Init: true, StopSignal: "SIGINT", StopTimeout: ptr[uint](0), Pull: "never",
				PullOptions: engine.PullOptions{Platform: "linux/arm64", TLSVerify: ptr(false), Creds: "u:p", AuthFile: "a.json"},
			}}, false},
		{"pull always", []string{"--pull=always", "img"}, base(engine.CreateOptions{Image: "img", Pull: "always"}), false},
		{"pull newer", []string{"--pull", "newer", "img"}, base(engine.CreateOptions{Image: "img", Pull: "newer"}), false},
		{"no image", []string{"-d"}, nil, true},
		{"unknown flag", []string{"--bogus", "img"}, nil, true},
		{"bad pull", []string{"--pull", "sometimes", "img"}, nil, true},
		{"empty label key", []string{"-l", "=x", "img"}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, _, _ := testIO()
			got, err := parse(t, newRunCmd, ios, tt.args)
			checkParse(t, got, err, tt.want, tt.wantErr)
		})
	}
}

func TestRunRun(t *testing.T) {
	tests := []struct {
		name       string
		opts       runOptions
		stdinTTY   bool
		fake       fakeEngine
		wantOut    string
		wantErrOut string
		wantCode   int
		wantIn     bool
	}{
		{"detached prints the ID", runOptions{Detach: true, Create: engine.CreateOptions{Image: "img"}},
			false, fakeEngine{id: "0123456789abcdef"}, "0123456789abcdef\n", "", 0, false},
		{"attached prints nothing", runOptions{Create: engine.CreateOptions{Image: "img", Stdin: true}},
			false, fakeEngine{id: "x"}, "", "", 0, true},
		{"container exit code", runOptions{Create: engine.CreateOptions{Image: "img"}},
			false, fakeEngine{errs: map[string]error{"Run img": &engine.ExitError{Code: 42}}}, "", "", 42, false},
		{"it without a terminal warns", runOptions{Create: engine.CreateOptions{Image: "img", Stdin: true, Terminal: true}},
			false, fakeEngine{}, "",
			"level=WARN msg=\"The input device is not a TTY. The --tty and --interactive flags might not work properly\"\n", 0, true},
		{"t alone without a terminal is quiet", runOptions{Create: engine.CreateOptions{Image: "img", Terminal: true}},
			false, fakeEngine{}, "", "", 0, false},
		{"it with a terminal is quiet", runOptions{Create: engine.CreateOptions{Image: "img", Stdin: true, Terminal: true}},
			true, fakeEngine{}, "", "", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, out, errOut := testIO()
			ios.SetStdinTTY(tt.stdinTTY)
			opts := tt.opts
			opts.IO, opts.Logger = ios, testFactory(ios).Logger
			fake := tt.fake
			opts.Engine = use[runEngine](&fake)
			err := runRun(context.Background(), &opts)
			if code := reportError(errOut, nil, err); code != tt.wantCode {
				t.Errorf("exit code = %d, want %d", code, tt.wantCode)
			}
			if diff := cmp.Diff(out.String(), tt.wantOut); diff != "" {
				t.Errorf("stdout mismatch (-got +want):\n%s", diff)
			}
			if diff := cmp.Diff(errOut.String(), tt.wantErrOut); diff != "" {
				t.Errorf("stderr mismatch (-got +want):\n%s", diff)
			}
			if got := fake.run.Streams.In != nil; got != tt.wantIn {
				t.Errorf("stdin attached = %t, want %t", got, tt.wantIn)
			}
			if fake.run.Detach != opts.Detach {
				t.Errorf("engine got Detach %t, want %t", fake.run.Detach, opts.Detach)
			}
		})
	}
}

func TestNewCmdCreate(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    *createOptions
		wantErr bool
	}{
		{"image and command", []string{"--name", "c1", "img", "sh", "-c", "echo hi"},
			&createOptions{Create: engine.CreateOptions{Image: "img", Name: "c1", Command: []string{"sh", "-c", "echo hi"}, Pull: "missing"}}, false},
		{"no detach flag", []string{"-d", "img"}, nil, true},
		{"no image", nil, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, _, _ := testIO()
			got, err := parse(t, newCreateCmd, ios, tt.args)
			checkParse(t, got, err, tt.want, tt.wantErr)
		})
	}
}

func TestCreateRun(t *testing.T) {
	ios, _, out, errOut := testIO()
	fake := &fakeEngine{id: strings.Repeat("ab", 32)}
	opts := &createOptions{IO: ios, Engine: use[createEngine](fake), Create: engine.CreateOptions{Image: "img"}}
	if err := runCreate(context.Background(), opts); err != nil {
		t.Fatalf("runCreate: %v", err)
	}
	if got, want := out.String(), strings.Repeat("ab", 32)+"\n"; got != want {
		t.Errorf("stdout = %q, want %q", got, want)
	}
	if errOut.Len() != 0 {
		t.Errorf("stderr = %q, want nothing", errOut.String())
	}
}
