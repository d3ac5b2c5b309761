package cmd

import (
	"context"
	"strings"

	"github.com/hutchctr/hutch/pkg/engine"
)

// fake3 is fakeEngine plus issue 3's verbs (images, registries, GC). It
// records calls in the embedded fake's list and fails them the same way.
type fake3 struct {
	*fakeEngine

	prune   *engine.ImagePruneReport
	sprune  *engine.SystemPruneReport
	df      *engine.DiskUsage
	history []engine.ImageHistoryEntry
	tree    *engine.ImageTree
	digest  string // returned by Push and SignImage

	pull   engine.PullOptions
	push   engine.PushOptions
	login  engine.LoginOptions
	logout engine.LogoutOptions
	sign   engine.SignOptions
}

func newFake3() *fake3 { return &fake3{fakeEngine: &fakeEngine{}} }

func (f *fake3) PruneImages(_ context.Context, all bool) (*engine.ImagePruneReport, error) {
	return f.prune, f.call("PruneImages all=%t", all)
}

func (f *fake3) SystemPrune(_ context.Context, all bool) (*engine.SystemPruneReport, error) {
	return f.sprune, f.call("SystemPrune all=%t", all)
}

func (f *fake3) DiskUsage(context.Context) (*engine.DiskUsage, error) {
	return f.df, f.call("DiskUsage")
}

func (f *fake3) ImageHistory(_ context.Context, ref string) ([]engine.ImageHistoryEntry, error) {
	return f.history, f.call("ImageHistory %s", ref)
}

func (f *fake3) ImageTree(_ context.Context, ref string) (*engine.ImageTree, error) {
	return f.tree, f.call("ImageTree %s", ref)
}

func (f *fake3) Tag(_ context.Context, ref string, names []string) error {
	return f.call("Tag %s %s", ref, strings.Join(names, " "))
}

func (f *fake3) Untag(_ context.Context, ref string, names []string) error {
	return f.call("Untag %s %s", ref, strings.Join(names, " "))
}

func (f *fake3) Pull(_ context.Context, ref string, o engine.PullOptions) (string, error) {
	f.pull = o
	return f.id, f.call("Pull %s", ref)
}

func (f *fake3) Push(_ context.Context, src, dest string, o engine.PushOptions) (string, error) {
	f.push = o
	return f.digest, f.call("Push %s %s", src, dest)
}

func (f *fake3) Login(_ context.Context, registry string, o engine.LoginOptions) error {
	f.login = o
	return f.call("Login %s", registry)
}

func (f *fake3) Logout(_ context.Context, registry string, o engine.LogoutOptions) error {
	f.logout = o
	return f.call("Logout %s all=%t", registry, o.All)
}

func (f *fake3) SignImage(_ context.Context, ref string, o engine.SignOptions) (string, error) {
	f.sign = o
	return f.digest, f.call("SignImage %s", ref)
}

// use3 returns an engine getter for f, typed for the verb's interface.
func use3[T any](f *fake3) func() (T, error) {
	return func() (T, error) { return any(f).(T), nil }
}
