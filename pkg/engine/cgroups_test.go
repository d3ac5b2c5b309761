package engine

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/hutchctr/hutch/pkg/cgroupsv2"
	"github.com/hutchctr/hutch/pkg/errdefs"
)

// fakeCgroups is a cgroupBackend that records what the engine asks of
// cgroups as "Op path" lines.
type fakeCgroups struct {
	mu      sync.Mutex
	calls   []string
	unified bool
	// refuse, when set, is Check's answer for any limit (rootless on
	// cgroup v1 refuses them all, the default pids limit included).
	refuse error
	// checked are the resources Check was asked about.
	checked []*specs.LinuxResources
	// updated are the resources Update got.
	updated []*specs.LinuxResources
	stats   map[string]*cgroupsv2.Stats // by the ref's first path
	procs   []int
	// fail makes the named operation ("Freeze", "Destroy", ...) fail.
	fail map[string]error
}

func (f *fakeCgroups) record(op string, ref cgroupsv2.Ref) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, op+" "+refPath(ref))
	return f.fail[op]
}

func (f *fakeCgroups) Check(o cgroupsv2.Options, r *specs.LinuxResources) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.checked = append(f.checked, r)
	return f.refuse
}

func (f *fakeCgroups) Unified() bool { return f.unified }

func (f *fakeCgroups) Open(ref cgroupsv2.Ref) cgroupHandle { return fakeCgroup{f, ref} }

func (f *fakeCgroups) callList() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

type fakeCgroup struct {
	f   *fakeCgroups
	ref cgroupsv2.Ref
}

func (c fakeCgroup) Update(r *specs.LinuxResources) error {
	c.f.mu.Lock()
	c.f.updated = append(c.f.updated, r)
	c.f.mu.Unlock()
	return c.f.record("Update", c.ref)
}
func (c fakeCgroup) Join(pid int) error { return c.f.record("Join", c.ref) }

func (c fakeCgroup) Freeze() error  { return c.f.record("Freeze", c.ref) }
func (c fakeCgroup) Thaw() error    { return c.f.record("Thaw", c.ref) }
func (c fakeCgroup) Destroy() error { return c.f.record("Destroy", c.ref) }
func (c fakeCgroup) Procs() ([]int, error) {
	return c.f.procs, c.f.record("Procs", c.ref)
}
func (c fakeCgroup) Stats() (*cgroupsv2.Stats, error) {
	if err := c.f.record("Stats", c.ref); err != nil {
		return nil, err
	}
	s, ok := c.f.stats[refPath(c.ref)]
	if !ok {
		return nil, fmt.Errorf("no stats for %s: %w", refPath(c.ref), errdefs.ErrNotFound)
	}
	return s, nil
}

// refPath is a ref's paths, sorted and joined, for call records.
func refPath(ref cgroupsv2.Ref) string {
	var ps []string
	for _, p := range ref.Paths {
		ps = append(ps, p)
	}
	sort.Strings(ps)
	return strings.Join(ps, ",")
}

// v1Ref is a v1 cgroup ref whose every controller lives at path.
func v1Ref(path string) *cgroupsv2.Ref {
	return &cgroupsv2.Ref{Layout: cgroupsv2.LayoutV1, Paths: map[string]string{"memory": path}}
}
