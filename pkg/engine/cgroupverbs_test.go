package engine

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/hutchctr/hutch/pkg/cgroupsv2"
	"github.com/hutchctr/hutch/pkg/errdefs"
	"github.com/hutchctr/hutch/pkg/state"
)

// runWithCgroup runs a container (the fake monitor's host process) and
// records the cgroup a real monitor would: /fake/NAME.
func runWithCgroup(t *testing.T, e *Engine, o CreateOptions) string {
	t.Helper()
	o.Image = "busybox"
	id, err := e.Run(context.Background(), o, RunOptions{Detach: true})
	if err != nil {
		t.Fatal(err)
	}
	setCgroup(t, e, id, v1Ref("/fake/"+o.Name))
	return id
}

func setCgroup(t *testing.T, e *Engine, id string, ref *cgroupsv2.Ref) {
	t.Helper()
	h, err := e.state.Lock(id)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Unlock()
	if err := h.Update(func(s *state.State) error { s.Cgroup = ref; return nil }); err != nil {
		t.Fatal(err)
	}
}

func status(t *testing.T, e *Engine, id string) state.Status {
	t.Helper()
	c, err := e.state.Get(id)
	if err != nil {
		t.Fatal(err)
	}
	return c.State.Status
}

func TestPauseUnpause(t *testing.T) {
	e, _, _ := newTestEngine(t)
	cg := e.cg.(*fakeCgroups)
	ctx := context.Background()
	id := runWithCgroup(t, e, CreateOptions{Name: "web"})
	if err := e.Unpause(ctx, "web"); !errors.Is(err, errdefs.ErrConflict) {
		t.Errorf("unpause of a running container: got %v, want ErrConflict", err)
	}
	if err := e.Pause(ctx, "web"); err != nil {
		t.Fatal(err)
	}
	if got := status(t, e, id); got != state.Paused {
		t.Errorf("after pause: %s", got)
	}
	if err := e.Pause(ctx, "web"); !errors.Is(err, errdefs.ErrConflict) {
		t.Errorf("second pause: got %v, want ErrConflict", err)
	}
	if err := e.Unpause(ctx, "web"); err != nil {
		t.Fatal(err)
	}
	if got := status(t, e, id); got != state.Running {
		t.Errorf("after unpause: %s", got)
	}
	want := []string{"Freeze /fake/web", "Thaw /fake/web"}
	if diff := cmp.Diff(cg.callList(), want); diff != "" {
		t.Errorf("cgroup calls (-got +want):\n%s", diff)
	}
}

func TestPauseFailures(t *testing.T) {
	e, _, _ := newTestEngine(t)
	ctx := context.Background()
	// Rootless on cgroup v1: the container has no cgroup.
	if _, err := e.Run(ctx, CreateOptions{Image: "busybox", Name: "plain"}, RunOptions{Detach: true}); err != nil {
		t.Fatal(err)
	}
	err := e.Pause(ctx, "plain")
	if !errors.Is(err, errdefs.ErrPermission) || !strings.Contains(err.Error(), "cgroup v1") {
		t.Errorf("pause without a cgroup: got %v, want ErrPermission naming cgroup v1", err)
	}
	if _, err := e.Create(ctx, CreateOptions{Image: "busybox", Name: "idle"}); err != nil {
		t.Fatal(err)
	}
	if err := e.Pause(ctx, "idle"); !errors.Is(err, errdefs.ErrConflict) {
		t.Errorf("pause of a created container: got %v, want ErrConflict", err)
	}
	if err := e.Pause(ctx, "nope"); !errors.Is(err, errdefs.ErrNotFound) {
		t.Errorf("pause of nothing: got %v, want ErrNotFound", err)
	}
	// A freezer that fails leaves the record running.
	id := runWithCgroup(t, e, CreateOptions{Name: "stuck"})
	e.cg.(*fakeCgroups).fail = map[string]error{"Freeze": errors.New("freezer.state: device busy")}
	if err := e.Pause(ctx, "stuck"); err == nil || !strings.Contains(err.Error(), "pause container stuck: freezer.state") {
		t.Errorf("failing freeze: got %v", err)
	}
	if got := status(t, e, id); got != state.Running {
		t.Errorf("after a failed pause: %s, want running", got)
	}
}

// TestStopPausedThaws: stop and rm -f of a paused container signal it,
// then thaw it so that it can act on the signal.
func TestStopPausedThaws(t *testing.T) {
	for _, verb := range []string{"stop", "rm -f", "kill"} {
		t.Run(verb, func(t *testing.T) {
			e, _, mon := newTestEngine(t)
			cg := e.cg.(*fakeCgroups)
			ctx := context.Background()
			id := runWithCgroup(t, e, CreateOptions{Name: "p"})
			if err := e.Pause(ctx, "p"); err != nil {
				t.Fatal(err)
			}
			var err error
			switch verb {
			case "stop":
				err = e.Stop(ctx, "p", ptrTo[uint](5))
			case "rm -f":
				err = e.Remove(ctx, "p", RemoveOptions{Force: true})
			case "kill":
				err = e.Kill(ctx, "p", "KILL")
				mon.wg.Wait()
			}
			if err != nil {
				t.Fatal(err)
			}
			calls := cg.callList()
			if len(calls) < 2 || calls[1] != "Thaw /fake/p" {
				t.Errorf("cgroup calls %q: want a thaw after the freeze", calls)
			}
			if verb != "rm -f" {
				if got := status(t, e, id); got != state.Exited {
					t.Errorf("after %s: %s, want exited", verb, got)
				}
			}
		})
	}
}

func TestStopRunningDoesNotThaw(t *testing.T) {
	e, _, _ := newTestEngine(t)
	runWithCgroup(t, e, CreateOptions{Name: "r"})
	if err := e.Stop(context.Background(), "r", ptrTo[uint](5)); err != nil {
		t.Fatal(err)
	}
	if calls := e.cg.(*fakeCgroups).callList(); len(calls) != 0 {
		t.Errorf("cgroup calls %q, want none", calls)
	}
}

func TestReconcileDestroysCgroup(t *testing.T) {
	e, _, _ := newTestEngine(t)
	h, err := e.state.Create(state.Config{ID: newID(), Name: "ghost"})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []state.Status{state.Created, state.Running} {
		h.Update(func(st *state.State) error {
			st.Status, st.Pid, st.PidStart, st.Cgroup = s, 1, 1, v1Ref("/fake/ghost")
			return nil
		})
	}
	h.Unlock()
	if _, err := e.List(context.Background(), ListOptions{All: true}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(e.cg.(*fakeCgroups).callList(), []string{"Destroy /fake/ghost"}); diff != "" {
		t.Errorf("cgroup calls (-got +want):\n%s", diff)
	}
	c, _ := e.state.Get("ghost")
	if c.State.Status != state.Exited || c.State.Cgroup != nil {
		t.Errorf("after reconcile: %s, cgroup %v; want exited without a cgroup", c.State.Status, c.State.Cgroup)
	}
}

func TestRemoveDestroysLeftoverCgroup(t *testing.T) {
	e, _, _ := newTestEngine(t)
	ctx := context.Background()
	id, err := e.Create(ctx, CreateOptions{Image: "busybox", Name: "left"})
	if err != nil {
		t.Fatal(err)
	}
	setCgroup(t, e, id, v1Ref("/fake/left"))
	cg := e.cg.(*fakeCgroups)
	cg.fail = map[string]error{"Destroy": errors.New("device busy")}
	if err := e.Remove(ctx, "left", RemoveOptions{}); err == nil || !strings.Contains(err.Error(), "its cgroup: device busy") {
		t.Errorf("rm with a cgroup that cannot go: got %v", err)
	}
	cg.fail = nil
	if err := e.Remove(ctx, "left", RemoveOptions{}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(cg.callList(), []string{"Destroy /fake/left", "Destroy /fake/left"}); diff != "" {
		t.Errorf("cgroup calls (-got +want):\n%s", diff)
	}
}

func TestUpdateCreated(t *testing.T) {
	e, _, _ := newTestEngine(t)
	ctx := context.Background()
	id, err := e.Create(ctx, CreateOptions{Image: "busybox", Name: "u",
		Resources: ResourceOptions{Memory: 64 * mib, CPUShares: 100}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := e.Update(ctx, "u", ResourceOptions{Memory: 128 * mib, PidsLimit: ptrTo[int64](50), CpusetCpus: "1"})
	if err != nil {
		t.Fatal(err)
	}
	if got != id {
		t.Errorf("Update returned %q, want the ID", got)
	}
	want := &specs.LinuxResources{
		Memory: &specs.LinuxMemory{Limit: ptrTo[int64](128 * mib), Swap: ptrTo[int64](256 * mib)},
		CPU:    &specs.LinuxCPU{Shares: ptrTo[uint64](100), Cpus: "1"},
		Pids:   &specs.LinuxPids{Limit: ptrTo[int64](50)},
	}
	if diff := cmp.Diff(loadContainer(t, e, id).Config.Spec.Linux.Resources, want); diff != "" {
		t.Errorf("stored resources (-got +want):\n%s", diff)
	}
	if calls := e.cg.(*fakeCgroups).callList(); len(calls) != 0 {
		t.Errorf("cgroup calls %q for a container that does not run", calls)
	}
}

func TestUpdateRunning(t *testing.T) {
	e, _, _ := newTestEngine(t)
	cg := e.cg.(*fakeCgroups)
	ctx := context.Background()
	id := runWithCgroup(t, e, CreateOptions{Name: "live", Resources: ResourceOptions{Memory: 32 * mib, MemorySwap: -1}})
	if _, err := e.Update(ctx, "live", ResourceOptions{Memory: 64 * mib}); err != nil {
		t.Fatal(err)
	}
	// Unlimited swap stays unlimited.
	wantDelta := &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: ptrTo[int64](64 * mib), Swap: ptrTo[int64](-1)}}
	if len(cg.updated) != 1 {
		t.Fatalf("%d live updates, want 1", len(cg.updated))
	}
	if diff := cmp.Diff(cg.updated[0], wantDelta); diff != "" {
		t.Errorf("live update (-got +want):\n%s", diff)
	}
	stored := loadContainer(t, e, id).Config.Spec.Linux.Resources.Memory
	if diff := cmp.Diff(stored, wantDelta.Memory); diff != "" {
		t.Errorf("stored memory (-got +want):\n%s", diff)
	}
}

func TestUpdateFailures(t *testing.T) {
	e, _, _ := newTestEngine(t)
	ctx := context.Background()
	if _, err := e.Create(ctx, CreateOptions{Image: "busybox", Name: "m", Resources: ResourceOptions{Memory: 64 * mib, MemorySwap: 64 * mib}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Create(ctx, CreateOptions{Image: "busybox", Name: "bare"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Run(ctx, CreateOptions{Image: "busybox", Name: "nocg"}, RunOptions{Detach: true}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		ref   string
		ro    ResourceOptions
		class error
		msg   string
	}{
		{"nothing to update", "m", ResourceOptions{}, errdefs.ErrInvalidArgument, "nothing to update"},
		{"swap below memory", "m", ResourceOptions{MemorySwap: 32 * mib}, errdefs.ErrInvalidArgument, "smaller than the memory limit 64m"},
		{"swap without any memory limit", "bare", ResourceOptions{MemorySwap: 32 * mib}, errdefs.ErrInvalidArgument, "needs a memory limit"},
		{"invalid value", "m", ResourceOptions{CPUs: 100}, errdefs.ErrInvalidArgument, "--cpus 100"},
		{"oom score", "m", ResourceOptions{OOMScoreAdj: ptrTo(1)}, errdefs.ErrInvalidArgument, "--oom-score-adj cannot be updated"},
		{"running without a cgroup", "nocg", ResourceOptions{Memory: 64 * mib}, errdefs.ErrPermission, "cgroup v1"},
		{"missing", "nope", ResourceOptions{Memory: 64 * mib}, errdefs.ErrNotFound, "nope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.Update(ctx, tt.ref, tt.ro)
			if !errors.Is(err, tt.class) || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("got %v, want %v containing %q", err, tt.class, tt.msg)
			}
		})
	}
	// A refused limit (rootless on cgroup v1) is refused before anything
	// changes.
	e.cg.(*fakeCgroups).refuse = errdefs.Errorf(errdefs.ErrPermission, "cgroup v1")
	if _, err := e.Update(ctx, "m", ResourceOptions{Memory: 128 * mib}); !errors.Is(err, errdefs.ErrPermission) {
		t.Errorf("refused limit: got %v", err)
	}
	if got := *loadContainer(t, e, "m").Config.Spec.Linux.Resources.Memory.Limit; got != 64*mib {
		t.Errorf("a refused update changed the stored limit to %d", got)
	}
}

func TestMergeThrottle(t *testing.T) {
	dev := func(minor int64, rate uint64) specs.LinuxThrottleDevice {
		d := specs.LinuxThrottleDevice{Rate: rate}
		d.Major, d.Minor = 8, minor
		return d
	}
	got := mergeThrottle([]specs.LinuxThrottleDevice{dev(0, 1), dev(16, 2)}, []specs.LinuxThrottleDevice{dev(16, 5), dev(32, 6)})
	want := []specs.LinuxThrottleDevice{dev(0, 1), dev(16, 5), dev(32, 6)}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("merge (-got +want):\n%s", diff)
	}
}

func TestInspectResources(t *testing.T) {
	e, _, _ := newTestEngine(t)
	ctx := context.Background()
	_, err := e.Create(ctx, CreateOptions{Image: "busybox", Name: "i", CgroupParent: "mine", CgroupNS: "private",
		Resources: ResourceOptions{Memory: 64 * mib, MemoryReservation: 32 * mib, CPUs: 1.5, CPUShares: 512,
			CpusetCpus: "0", CpusetMems: "0", PidsLimit: ptrTo[int64](100), BlkioWeight: 500, OOMScoreAdj: ptrTo(10)}})
	if err != nil {
		t.Fatal(err)
	}
	doc, err := e.Inspect(ctx, "i")
	if err != nil {
		t.Fatal(err)
	}
	want := InspectResources{
		Memory: 64 * mib, MemoryReservation: 32 * mib, MemorySwap: 128 * mib, NanoCpus: 1_500_000_000,
		CpuShares: 512, CpuPeriod: 100000, CpuQuota: 150000, CpusetCpus: "0", CpusetMems: "0", PidsLimit: 100,
		BlkioWeight: 500, OomScoreAdj: 10, CgroupParent: "mine", CgroupnsMode: "private",
	}
	if diff := cmp.Diff(doc.HostConfig.InspectResources, want); diff != "" {
		t.Errorf("HostConfig resources (-got +want):\n%s", diff)
	}
}

func TestCgroupPath(t *testing.T) {
	tests := []struct {
		ref  cgroupsv2.Ref
		want string
	}{
		{cgroupsv2.Ref{Layout: cgroupsv2.LayoutV2, Paths: map[string]string{"": "/sys/fs/cgroup/hutch/hutch-x.scope"}}, "/hutch/hutch-x.scope"},
		{cgroupsv2.Ref{Layout: cgroupsv2.LayoutV1, Paths: map[string]string{
			"memory": "/sys/fs/cgroup/memory/hutch/x", "pids": "/sys/fs/cgroup/pids/hutch/x"}}, "/hutch/x"},
		{cgroupsv2.Ref{Layout: cgroupsv2.LayoutV1, Paths: map[string]string{
			"pids": "/sys/fs/cgroup/pids/p/x", "cpu": "/sys/fs/cgroup/cpu/p/x"}}, "/p/x"},
	}
	for _, tt := range tests {
		if got := cgroupPath(tt.ref); got != tt.want {
			t.Errorf("cgroupPath(%v) = %q, want %q", tt.ref, got, tt.want)
		}
	}
}
