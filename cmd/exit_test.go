package cmd

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/cobra"

	"github.com/hutchctr/hutch/pkg/engine"
	"github.com/hutchctr/hutch/pkg/errdefs"
)

func TestReportError(t *testing.T) {
	usageCmd := &cobra.Command{Use: "stop [flags] CONTAINER"}
	usageCmd.Flags().Bool("all", false, "stop all")
	tests := []struct {
		name     string
		err      error
		wantCode int
		wantErr  string
	}{
		{"nil", nil, 0, ""},
		{"container exit code", &engine.ExitError{Code: 42}, 42, ""},
		{"wrapped container exit code", fmt.Errorf("run: %w", &engine.ExitError{Code: 137}), 137, ""},
		{"command not found", &engine.ExitError{Code: 127, Err: errors.New(`executable file "nope" not found in $PATH`)},
			127, "Error: executable file \"nope\" not found in $PATH\n"},
		{"cannot execute", &engine.ExitError{Code: 126, Err: errors.New(`"/etc" cannot be executed`)},
			126, "Error: \"/etc\" cannot be executed\n"},
		{"not found", fmt.Errorf("container %q: %w", "web", errdefs.ErrNotFound), 125, "Error: container \"web\": not found\n"},
		{"not implemented", fmt.Errorf("create: %w", errdefs.ErrNotImplemented), 125, "Error: create: not implemented\n"},
		{"out of range code", &engine.ExitError{Code: 0}, 125, ""},
		{"several errors, last decides", errorList{errors.New("a"), &engine.ExitError{Code: 3, Err: errors.New("b")}},
			3, "Error: a\nError: b\n"},
		{"exit error around a list", &engine.ExitError{Code: 1, Err: errorList{errors.New("a"), errors.New("b")}},
			1, "Error: a\nError: b\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			got := reportError(&b, usageCmd, tt.err)
			if got != tt.wantCode {
				t.Errorf("code = %d, want %d", got, tt.wantCode)
			}
			if diff := cmp.Diff(b.String(), tt.wantErr); diff != "" {
				t.Errorf("stderr mismatch (-got +want):\n%s", diff)
			}
		})
	}
}

func TestReportFlagErrorPrintsUsage(t *testing.T) {
	c := &cobra.Command{Use: "stop [flags] CONTAINER", RunE: func(*cobra.Command, []string) error { return nil }}
	c.Flags().Bool("all", false, "stop all running containers")
	var b bytes.Buffer
	code := reportError(&b, c, flagErrorf("unknown flag: --bogus"))
	if code != 125 {
		t.Errorf("code = %d, want 125", code)
	}
	got := b.String()
	for _, want := range []string{"Error: unknown flag: --bogus\n\nUsage:\n  stop [flags] CONTAINER\n", "--all", "stop all running containers"} {
		if !strings.Contains(got, want) {
			t.Errorf("stderr %q lacks %q", got, want)
		}
	}
	if strings.Count(got, "Error:") != 1 {
		t.Errorf("stderr %q: want exactly one error line", got)
	}
}

func TestRemovalError(t *testing.T) {
	nf := fmt.Errorf("container %q: %w", "a", errdefs.ErrNotFound)
	busy := fmt.Errorf("container %q is running: %w", "b", errdefs.ErrConflict)
	other := errors.New("disk on fire")
	tests := []struct {
		name string
		errs []error
		want int
	}{
		{"none", nil, 0},
		{"missing", []error{nf}, 1},
		{"in use", []error{nf, busy}, 2},
		{"other", []error{busy, other, nf}, 125},
	}
	for _, tt := range tests {
		if got := exitCode(removalError(tt.errs)); got != tt.want {
			t.Errorf("%s: exit code = %d, want %d", tt.name, got, tt.want)
		}
	}
}
