package engine

import (
	"context"
	"encoding/json"
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/hutchctr/hutch/pkg/errdefs"
	"github.com/hutchctr/hutch/pkg/state"
)

// Update changes a container's limits: live, through its cgroup, when it
// runs (or is paused), and in its spec for the next start in every case.
// Limits ro leaves unset keep their values. It returns the container's ID.
func (e *Engine) Update(ctx context.Context, ref string, ro ResourceOptions) (string, error) {
	if ro.OOMScoreAdj != nil {
		return "", errdefs.Errorf(errdefs.ErrInvalidArgument, "--oom-score-adj cannot be updated: it is set when the container starts")
	}
	c, err := e.state.Get(ref)
	if err != nil {
		return "", err
	}
	c = e.reconcile(ctx, c)
	h, err := e.state.Lock(c.Config.ID)
	if err != nil {
		return "", err
	}
	defer h.Unlock()
	switch h.State.Status {
	case state.Configured, state.Removing:
		return "", errdefs.Errorf(errdefs.ErrConflict, "container %s is %s", h.Config.Name, displayState(h.State.Status))
	}
	if err := e.state.LoadSpec(&h.Container); err != nil {
		return "", err
	}
	delta, err := linuxResources(ro, e.hostFacts(), true)
	if err != nil {
		return "", err
	}
	if delta == nil {
		return "", errdefs.Errorf(errdefs.ErrInvalidArgument, "nothing to update: give a limit such as --memory, --cpus or --pids-limit")
	}
	old := h.Config.Spec.Linux.Resources
	keepUnlimitedSwap(delta, old, ro)
	merged, err := mergeResources(old, delta)
	if err != nil {
		return "", err
	}
	cg := e.cgroups()
	if err := cg.Check(e.cgroupOptions(h.ID(), h.Config.Spec), delta); err != nil {
		return "", err
	}
	if h.State.Status.Active() {
		live, err := e.containerCgroup(&h.Container, "update")
		if err != nil {
			return "", err
		}
		if err := live.Update(delta); err != nil {
			return "", fmt.Errorf("update container %s: %w", h.Config.Name, err)
		}
	}
	err = h.UpdateSpec(func(s *specs.Spec) error {
		s.Linux.Resources = merged
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("update container %s: record the new limits: %w", h.Config.Name, err)
	}
	return h.ID(), nil
}

// keepUnlimitedSwap: a new --memory without --memory-swap gets twice the
// memory as its memory+swap limit, as at create, unless the container's
// swap was unlimited, which stays so.
func keepUnlimitedSwap(delta, old *specs.LinuxResources, ro ResourceOptions) {
	if ro.Memory == 0 || ro.MemorySwap != 0 || old == nil || old.Memory == nil || old.Memory.Swap == nil {
		return
	}
	if *old.Memory.Swap == -1 {
		delta.Memory.Swap = ptrTo[int64](-1)
	}
}

// mergeResources returns old with the limits delta sets replaced, and
// checks the memory limits that result: memory+swap must not be below
// memory, and needs a memory limit.
func mergeResources(old, delta *specs.LinuxResources) (*specs.LinuxResources, error) {
	out := &specs.LinuxResources{}
	if old != nil {
		if err := copyJSON(old, out); err != nil {
			return nil, err
		}
	}
	if d := delta.Memory; d != nil {
		if out.Memory == nil {
			out.Memory = &specs.LinuxMemory{}
		}
		setIf(&out.Memory.Limit, d.Limit)
		setIf(&out.Memory.Reservation, d.Reservation)
		setIf(&out.Memory.Swap, d.Swap)
	}
	if d := delta.CPU; d != nil {
		if out.CPU == nil {
			out.CPU = &specs.LinuxCPU{}
		}
		setIf(&out.CPU.Shares, d.Shares)
		setIf(&out.CPU.Quota, d.Quota)
		setIf(&out.CPU.Period, d.Period)
		out.CPU.Cpus = firstNonEmpty(d.Cpus, out.CPU.Cpus)
		out.CPU.Mems = firstNonEmpty(d.Mems, out.CPU.Mems)
	}
	if d := delta.Pids; d != nil {
		out.Pids = d
		if d.Limit == nil || *d.Limit <= 0 {
			out.Pids = nil // unlimited: no limit at the next start
		}
	}
	if d := delta.BlockIO; d != nil {
		mergeBlockIO(out, d)
	}
	if err := checkMergedMemory(out.Memory); err != nil {
		return nil, err
	}
	return out, nil
}

func mergeBlockIO(out *specs.LinuxResources, d *specs.LinuxBlockIO) {
	if out.BlockIO == nil {
		out.BlockIO = &specs.LinuxBlockIO{}
	}
	b := out.BlockIO
	setIf(&b.Weight, d.Weight)
	b.ThrottleReadBpsDevice = mergeThrottle(b.ThrottleReadBpsDevice, d.ThrottleReadBpsDevice)
	b.ThrottleWriteBpsDevice = mergeThrottle(b.ThrottleWriteBpsDevice, d.ThrottleWriteBpsDevice)
	b.ThrottleReadIOPSDevice = mergeThrottle(b.ThrottleReadIOPSDevice, d.ThrottleReadIOPSDevice)
	b.ThrottleWriteIOPSDevice = mergeThrottle(b.ThrottleWriteIOPSDevice, d.ThrottleWriteIOPSDevice)
}

// mergeThrottle replaces the rates of the devices in news and adds the
// others.
func mergeThrottle(old, news []specs.LinuxThrottleDevice) []specs.LinuxThrottleDevice {
	out := append([]specs.LinuxThrottleDevice(nil), old...)
next:
	for _, n := range news {
		for i := range out {
			if out[i].Major == n.Major && out[i].Minor == n.Minor {
				out[i].Rate = n.Rate
				continue next
			}
		}
		out = append(out, n)
	}
	return out
}

func checkMergedMemory(m *specs.LinuxMemory) error {
	if m == nil || m.Swap == nil || *m.Swap <= 0 {
		return nil
	}
	if m.Limit == nil || *m.Limit <= 0 {
		return errdefs.Errorf(errdefs.ErrInvalidArgument, "--memory-swap needs a memory limit: give --memory too")
	}
	if *m.Swap < *m.Limit {
		return errdefs.Errorf(errdefs.ErrInvalidArgument,
			"the memory+swap limit %s would be smaller than the memory limit %s: raise --memory-swap too",
			sizeText(*m.Swap), sizeText(*m.Limit))
	}
	return nil
}

func setIf[T any](dst **T, v *T) {
	if v != nil {
		*dst = ptrTo(*v)
	}
}

// copyJSON deep-copies src into dst through its JSON form.
func copyJSON(src, dst any) error {
	data, err := json.Marshal(src)
	if err != nil {
		return err
	}
	return json.Unmarshal(data, dst)
}
