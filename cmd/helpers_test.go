package cmd

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/spf13/cobra"

	"github.com/hutchctr/hutch/pkg/engine"
)

// testIO returns streams over buffers: stdin, stdout and stderr.
func testIO() (*IOStreams, *bytes.Buffer, *bytes.Buffer, *bytes.Buffer) {
	in, out, errOut := &bytes.Buffer{}, &bytes.Buffer{}, &bytes.Buffer{}
	return &IOStreams{In: in, Out: out, ErrOut: errOut}, in, out, errOut
}

// testFactory returns a factory whose engine cannot be opened: parsing
// tests must never reach it.
func testFactory(ios *IOStreams) *Factory {
	return &Factory{
		IO:     ios,
		Logger: newLogger(ios.ErrOut, new(slog.LevelVar)),
		Engine: func() (*engine.Engine, error) { return nil, errors.New("no engine in parsing tests") },
	}
}

// parse runs a verb's command on args with runF capturing its options,
// wired like the root command does (FlagErrors, no printing).
func parse[O any](t *testing.T, newCmd func(*Factory, func(context.Context, *O) error) *cobra.Command, ios *IOStreams, args []string) (*O, error) {
	t.Helper()
	var got *O
	c := newCmd(testFactory(ios), func(_ context.Context, o *O) error {
		got = o
		return nil
	})
	c.SetArgs(args)
	c.SetOut(io.Discard)
	c.SetErr(io.Discard)
	c.SilenceErrors, c.SilenceUsage = true, true
	c.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &FlagError{Err: err} })
	err := c.ExecuteContext(context.Background())
	return got, err
}

// ignoreDeps leaves the dependencies out of option comparisons.
var ignoreDeps = cmp.FilterPath(func(p cmp.Path) bool {
	sf, ok := p.Last().(cmp.StructField)
	if !ok {
		return false
	}
	switch sf.Name() {
	case "IO", "Engine", "Logger", "Now", "Details", "Location":
		return true
	}
	return false
}, cmp.Ignore())

// checkParse compares parsed options, or checks that parsing failed with a
// FlagError (exit 125) when wantFlagErr.
func checkParse[O any](t *testing.T, got *O, err error, want *O, wantFlagErr bool) {
	t.Helper()
	if wantFlagErr {
		var fe *FlagError
		if !errors.As(err, &fe) {
			t.Fatalf("error = %v, want a *FlagError", err)
		}
		if code := exitCode(err); code != 125 {
			t.Errorf("exit code = %d, want 125", code)
		}
		return
	}
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
	if diff := cmp.Diff(got, want, ignoreDeps, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("options mismatch (-got +want):\n%s", diff)
	}
}

func ptr[T any](v T) *T { return &v }

// errEngine is an engine getter that fails, for tests that must not reach
// the engine.
func errEngine[T any]() func() (T, error) {
	return func() (T, error) {
		var zero T
		return zero, errors.New("engine opened")
	}
}

// golden compares got with testdata/NAME.golden, or rewrites the file
// when the test runs with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run the test with -update to create it)", err)
	}
	if diff := cmp.Diff(string(got), string(want)); diff != "" {
		t.Errorf("%s mismatch (-got +want):\n%s", path, diff)
	}
}
