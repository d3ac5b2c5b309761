package cmd

import (
	"context"
	"fmt"
	"strings"

	"github.com/hutchctr/hutch/pkg/engine"
)

// fakeNetEngine implements the network verbs' and port's engine
// interfaces. It records calls as "Verb arg..." and fails a call whose
// record is a key of errs.
type fakeNetEngine struct {
	calls []string
	errs  map[string]error

	nets       []engine.NetworkInspect
	ports      map[string]*engine.ContainerPorts
	allPorts   []engine.ContainerPorts
	pruned     []string
	containers []string

	// Last options seen.
	create  engine.NetworkCreateOptions
	list    engine.NetworkListOptions
	remove  engine.NetworkRemoveOptions
	connect engine.NetworkConnectOptions
}

func (f *fakeNetEngine) call(format string, a ...any) error {
	c := fmt.Sprintf(format, a...)
	f.calls = append(f.calls, c)
	return f.errs[c]
}

func useNet[T any](f *fakeNetEngine) func() (T, error) {
	return func() (T, error) { return any(f).(T), nil }
}

func (f *fakeNetEngine) CreateNetwork(_ context.Context, o engine.NetworkCreateOptions) (string, error) {
	f.create = o
	return o.Name, f.call("CreateNetwork %s", o.Name)
}

func (f *fakeNetEngine) Networks(_ context.Context, o engine.NetworkListOptions) ([]engine.NetworkInspect, error) {
	f.list = o
	var out []engine.NetworkInspect
	for _, n := range f.nets {
		if names, ok := o.Filters["name"]; !ok || strings.Contains(n.Name, names[0]) {
			out = append(out, n)
		}
	}
	return out, f.call("Networks")
}

func (f *fakeNetEngine) NetworkNames(context.Context) ([]string, error) {
	var names []string
	for _, n := range f.nets {
		names = append(names, n.Name)
	}
	return names, f.call("NetworkNames")
}

func (f *fakeNetEngine) ContainerNames(context.Context, bool) ([]string, error) {
	return f.containers, f.call("ContainerNames")
}

func (f *fakeNetEngine) InspectNetwork(_ context.Context, ref string) (*engine.NetworkInspect, error) {
	if err := f.call("InspectNetwork %s", ref); err != nil {
		return nil, err
	}
	for _, n := range f.nets {
		if n.Name == ref || strings.HasPrefix(n.ID, ref) {
			return &n, nil
		}
	}
	return nil, notFound("network", ref)
}

func (f *fakeNetEngine) RemoveNetwork(_ context.Context, ref string, o engine.NetworkRemoveOptions) error {
	f.remove = o
	return f.call("RemoveNetwork %s force=%t", ref, o.Force)
}

func (f *fakeNetEngine) PruneNetworks(context.Context) ([]string, error) {
	return f.pruned, f.call("PruneNetworks")
}

func (f *fakeNetEngine) ConnectNetwork(_ context.Context, network, container string, o engine.NetworkConnectOptions) error {
	f.connect = o
	return f.call("ConnectNetwork %s %s", network, container)
}

func (f *fakeNetEngine) DisconnectNetwork(_ context.Context, network, container string, force bool) error {
	return f.call("DisconnectNetwork %s %s force=%t", network, container, force)
}

func (f *fakeNetEngine) Ports(_ context.Context, ref string) (*engine.ContainerPorts, error) {
	if err := f.call("Ports %s", ref); err != nil {
		return nil, err
	}
	if p, ok := f.ports[ref]; ok {
		return p, nil
	}
	return nil, notFound("container", ref)
}

func (f *fakeNetEngine) AllPorts(context.Context) ([]engine.ContainerPorts, error) {
	return f.allPorts, f.call("AllPorts")
}
