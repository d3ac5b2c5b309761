package cmd

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/hutchctr/hutch/pkg/engine"
	"github.com/hutchctr/hutch/pkg/errdefs"
)

// fakeEngine implements every verb's engine interface. It records calls as
// "Verb arg..." and fails a call whose record is a key of errs.
type fakeEngine struct {
	calls []string
	errs  map[string]error

	id           string // returned by Run, Create, Import
	containers   []engine.ContainerSummary
	images       []engine.ImageSummary
	inspects     map[string]*engine.ContainerInspect
	imgInspects  map[string]*engine.ImageInspect
	exitCodes    map[string]int
	rmiLines     map[string][]string
	loaded       []string
	saved        string // written by Save
	names        []string
	runningNames []string
	imageNames   []string
	info         *engine.Info

	// Last options seen, for the attach-like verbs.
	create  engine.CreateOptions
	run     engine.RunOptions
	start   engine.StartOptions
	exec    engine.ExecOptions
	streams engine.Streams
	logs    engine.LogsOptions
	list    engine.ListOptions
	timeout *uint
}

func (f *fakeEngine) call(format string, a ...any) error {
	c := fmt.Sprintf(format, a...)
	f.calls = append(f.calls, c)
	return f.errs[c]
}

func notFound(kind, ref string) error {
	return fmt.Errorf("%s %q: %w", kind, ref, errdefs.ErrNotFound)
}

func (f *fakeEngine) Create(_ context.Context, o engine.CreateOptions) (string, error) {
	f.create = o
	return f.id, f.call("Create %s", o.Image)
}

func (f *fakeEngine) Run(_ context.Context, o engine.CreateOptions, r engine.RunOptions) (string, error) {
	f.create, f.run = o, r
	return f.id, f.call("Run %s", o.Image)
}

func (f *fakeEngine) Start(_ context.Context, ref string, o engine.StartOptions) error {
	f.start = o
	return f.call("Start %s", ref)
}

func (f *fakeEngine) Stop(_ context.Context, ref string, timeout *uint) error {
	f.timeout = timeout
	return f.call("Stop %s", ref)
}

func (f *fakeEngine) Kill(_ context.Context, ref, sig string) error {
	return f.call("Kill %s %s", ref, sig)
}

func (f *fakeEngine) Restart(_ context.Context, ref string, timeout *uint) error {
	f.timeout = timeout
	return f.call("Restart %s", ref)
}

func (f *fakeEngine) Remove(_ context.Context, ref string, o engine.RemoveOptions) error {
	f.timeout = o.Timeout
	return f.call("Remove %s force=%t", ref, o.Force)
}

func (f *fakeEngine) List(_ context.Context, o engine.ListOptions) ([]engine.ContainerSummary, error) {
	f.list = o
	var out []engine.ContainerSummary
	for _, c := range f.containers {
		if o.All || c.State == "running" {
			out = append(out, c)
		}
	}
	return out, f.call("List all=%t", o.All)
}

func (f *fakeEngine) Inspect(_ context.Context, ref string) (*engine.ContainerInspect, error) {
	if err := f.call("Inspect %s", ref); err != nil {
		return nil, err
	}
	if c, ok := f.inspects[ref]; ok {
		return c, nil
	}
	return nil, notFound("container", ref)
}

func (f *fakeEngine) InspectImage(_ context.Context, ref string) (*engine.ImageInspect, error) {
	if err := f.call("InspectImage %s", ref); err != nil {
		return nil, err
	}
	if i, ok := f.imgInspects[ref]; ok {
		return i, nil
	}
	return nil, notFound("image", ref)
}

func (f *fakeEngine) Logs(_ context.Context, ref string, o engine.LogsOptions, stdout, stderr io.Writer) error {
	f.logs = o
	fmt.Fprintln(stdout, "out line")
	fmt.Fprintln(stderr, "err line")
	return f.call("Logs %s", ref)
}

func (f *fakeEngine) Exec(_ context.Context, ref string, o engine.ExecOptions) error {
	f.exec = o
	return f.call("Exec %s %s", ref, strings.Join(o.Command, " "))
}

func (f *fakeEngine) Attach(_ context.Context, ref string, s engine.Streams, sigProxy bool) error {
	f.streams = s
	return f.call("Attach %s sigproxy=%t", ref, sigProxy)
}

func (f *fakeEngine) Wait(_ context.Context, ref string) (int, error) {
	return f.exitCodes[ref], f.call("Wait %s", ref)
}

func (f *fakeEngine) Rename(_ context.Context, ref, name string) error {
	return f.call("Rename %s %s", ref, name)
}

func (f *fakeEngine) ContainerNames(_ context.Context, all bool) ([]string, error) {
	if all {
		return f.names, f.call("ContainerNames all")
	}
	return f.runningNames, f.call("ContainerNames running")
}

func (f *fakeEngine) Load(_ context.Context, path string) ([]string, error) {
	b, _ := os.ReadFile(path)
	return f.loaded, f.call("Load %s", b)
}

func (f *fakeEngine) Import(_ context.Context, path, ref string) (string, error) {
	b, _ := os.ReadFile(path)
	return f.id, f.call("Import %s %s", b, ref)
}

func (f *fakeEngine) Save(_ context.Context, path, format string, refs []string) error {
	if err := os.WriteFile(path, []byte(f.saved), 0o600); err != nil {
		return err
	}
	return f.call("Save %s %s", format, strings.Join(refs, " "))
}

func (f *fakeEngine) Images(_ context.Context, o engine.ImagesOptions) ([]engine.ImageSummary, error) {
	if len(o.Filters) > 0 {
		return f.images, f.call("Images all=%t filters=%s", o.All, strings.Join(o.Filters, ","))
	}
	return f.images, f.call("Images all=%t", o.All)
}

func (f *fakeEngine) RemoveImage(_ context.Context, ref string, force bool) ([]string, error) {
	return f.rmiLines[ref], f.call("RemoveImage %s force=%t", ref, force)
}

func (f *fakeEngine) ImageNames(context.Context) ([]string, error) {
	return f.imageNames, f.call("ImageNames")
}

func (f *fakeEngine) Info(context.Context) (*engine.Info, error) {
	return f.info, f.call("Info")
}

// use returns an engine getter for f, typed for the verb's interface.
func use[T any](f *fakeEngine) func() (T, error) {
	return func() (T, error) { return any(f).(T), nil }
}
