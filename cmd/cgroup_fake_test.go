package cmd

import (
	"context"
	"strings"

	"github.com/hutchctr/hutch/pkg/engine"
)

// fakeCg is fakeEngine plus issue 5's verbs (update, pause, unpause,
// stats, top). It records calls in the embedded fake's list and fails them
// the same way.
type fakeCg struct {
	*fakeEngine

	// frames are what successive Stats calls return.
	frames    [][]engine.ContainerStats
	statsOpts []engine.StatsOptions
	top       *engine.TopResult
	psArgs    []string
	updates   []engine.ResourceOptions
}

func newFakeCg() *fakeCg { return &fakeCg{fakeEngine: &fakeEngine{}} }

func (f *fakeCg) Update(_ context.Context, ref string, ro engine.ResourceOptions) (string, error) {
	f.updates = append(f.updates, ro)
	return "id-of-" + ref, f.call("Update %s", ref)
}

func (f *fakeCg) Pause(_ context.Context, ref string) error { return f.call("Pause %s", ref) }

func (f *fakeCg) Unpause(_ context.Context, ref string) error { return f.call("Unpause %s", ref) }

func (f *fakeCg) Stats(_ context.Context, o engine.StatsOptions) ([]engine.ContainerStats, error) {
	f.statsOpts = append(f.statsOpts, o)
	var out []engine.ContainerStats
	if n := len(f.statsOpts) - 1; n < len(f.frames) {
		out = f.frames[n]
	}
	return out, f.call("Stats %s", strings.Join(o.Refs, " "))
}

func (f *fakeCg) Top(_ context.Context, ref string, psArgs []string) (*engine.TopResult, error) {
	f.psArgs = psArgs
	return f.top, f.call("Top %s", ref)
}

// useCg returns an engine getter for f, typed for the verb's interface.
func useCg[T any](f *fakeCg) func() (T, error) {
	return func() (T, error) { return any(f).(T), nil }
}
