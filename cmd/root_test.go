package cmd

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/hutchctr/hutch/pkg/version"
)

// TestRoot runs whole command lines that never open the engine.
func TestRoot(t *testing.T) {
	tests := []struct {
		name        string
		args        []string
		wantCode    int
		wantOut     string // prefix of stdout
		wantErrLine string // first line of stderr
		wantUsage   bool
	}{
		{"help", []string{"--help"}, 0, "hutch runs OCI containers", "", false},
		{"help command", []string{"help", "ps"}, 0, "Ps lists running containers", "", false},
		{"verb help", []string{"run", "--help"}, 0, "Run creates a container", "", false},
		{"version flag", []string{"--version"}, 0, "hutch version " + version.Version + "\n", "", false},
		{"version", []string{"version"}, 0, "Version:     " + version.Version + "\n", "", false},
		{"version template", []string{"version", "--format", "{{.Client.Version}}"}, 0, version.Version + "\n", "", false},
		{"no command", nil, 125, "", "Error: missing command 'hutch COMMAND'", true},
		{"unknown command", []string{"frobnicate"}, 125, "", "Error: unrecognized command `hutch frobnicate`", true},
		{"unknown subcommand", []string{"container", "frobnicate"}, 125, "", "Error: unrecognized command `hutch container frobnicate`", true},
		{"unknown flag", []string{"ps", "--bogus"}, 125, "", "Error: unknown flag: --bogus", true},
		{"missing argument", []string{"rename", "a"}, 125, "", `Error: "hutch rename" requires exactly 2 arguments, got 1`, true},
		{"bad log level", []string{"--log-level", "loud", "version"}, 125, "", `Error: log-level "loud" is invalid, valid levels: trace, debug, info, warn, error, fatal, panic`, true},
		{"bad completion shell", []string{"completion", "tcsh"}, 125, "", `Error: unsupported shell "tcsh": use bash, zsh or fish`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, out, errOut := testIO()
			code := run(context.Background(), ios, tt.args)
			if code != tt.wantCode {
				t.Errorf("exit code = %d, want %d (stderr %q)", code, tt.wantCode, errOut)
			}
			if !strings.HasPrefix(out.String(), tt.wantOut) {
				t.Errorf("stdout = %q, want prefix %q", out.String(), tt.wantOut)
			}
			first, rest, _ := strings.Cut(errOut.String(), "\n")
			if first != tt.wantErrLine {
				t.Errorf("stderr first line = %q, want %q", first, tt.wantErrLine)
			}
			if got := strings.Contains(rest, "Usage:"); got != tt.wantUsage {
				t.Errorf("usage printed = %t, want %t; stderr:\n%s", got, tt.wantUsage, errOut)
			}
			if strings.Count(errOut.String(), "Error:") > 1 {
				t.Errorf("stderr has more than one error line:\n%s", errOut)
			}
		})
	}
}

// TestCommandTree checks that every verb is reachable under the names
// Podman users type.
func TestCommandTree(t *testing.T) {
	ios, _, _, _ := testIO()
	root := newRootCmd(testFactory(ios), &globalOptions{}, new(slog.LevelVar))
	paths := []string{
		"run", "create", "start", "stop", "kill", "restart", "rm", "ps", "logs", "exec", "attach", "wait",
		"inspect", "rename", "version", "info", "load", "import", "save", "images", "rmi", "completion",
		"container run", "container create", "container start", "container stop", "container kill",
		"container restart", "container rm", "container ls", "container list", "container ps", "container logs",
		"container exec", "container attach", "container wait", "container inspect", "container rename",
		"image ls", "image list", "image rm", "image inspect", "image load", "image import", "image save",
	}
	for _, p := range paths {
		c, rest, err := root.Find(strings.Fields(p))
		if err != nil || len(rest) != 0 {
			t.Errorf("%q: not found (%v, rest %v)", p, err, rest)
			continue
		}
		last := p[strings.LastIndex(p, " ")+1:]
		if c.Name() != last && !c.HasAlias(last) {
			t.Errorf("%q resolves to %q", p, c.CommandPath())
		}
	}
}

// TestVerbsStayOffTheEngine checks that commands which must work without
// storage never open the engine: the factory's engine fails loudly.
func TestVerbsStayOffTheEngine(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"completion", "bash"}, {"help"}, {"run", "--help"}} {
		ios, _, _, errOut := testIO()
		f := testFactory(ios)
		root := newRootCmd(f, &globalOptions{LogLevel: "warn"}, new(slog.LevelVar))
		root.SetArgs(args)
		if _, err := root.ExecuteC(); err != nil {
			t.Errorf("%v: %v (stderr %q)", args, err, errOut)
		}
	}
}
