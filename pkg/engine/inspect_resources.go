package engine

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/hutchctr/hutch/pkg/cgroupsv2"
	"github.com/hutchctr/hutch/pkg/state"
)

// inspectResources fills the limits of inspect's HostConfig from the
// spec, in the units the flags use, and the cgroup path of a running
// container.
func inspectResources(out *ContainerInspect, sp *specs.Spec, st state.State) {
	hc := &out.HostConfig.InspectResources
	hc.CgroupParent = sp.Annotations[cgroupParentAnnotation]
	hc.CgroupnsMode = CgroupnsHost
	if sp.Linux != nil {
		for _, n := range sp.Linux.Namespaces {
			if n.Type == specs.CgroupNamespace && n.Path == "" {
				hc.CgroupnsMode = CgroupnsPrivate
			}
		}
	}
	if sp.Process != nil && sp.Process.OOMScoreAdj != nil {
		hc.OomScoreAdj = *sp.Process.OOMScoreAdj
	}
	if st.Status.Active() && hasCgroup(st) {
		out.State.CgroupPath = cgroupPath(*st.Cgroup)
	}
	if sp.Linux == nil || sp.Linux.Resources == nil {
		return
	}
	r := sp.Linux.Resources
	if m := r.Memory; m != nil {
		hc.Memory = deref(m.Limit)
		hc.MemoryReservation = deref(m.Reservation)
		hc.MemorySwap = deref(m.Swap)
	}
	if c := r.CPU; c != nil {
		hc.CpuShares = deref(c.Shares)
		hc.CpuPeriod = deref(c.Period)
		hc.CpuQuota = deref(c.Quota)
		hc.CpusetCpus, hc.CpusetMems = c.Cpus, c.Mems
		if hc.CpuPeriod > 0 && hc.CpuQuota > 0 {
			hc.NanoCpus = int64(float64(hc.CpuQuota) / float64(hc.CpuPeriod) * 1e9)
		}
	}
	if r.Pids != nil {
		hc.PidsLimit = deref(r.Pids.Limit)
	}
	if b := r.BlockIO; b != nil {
		hc.BlkioWeight = deref(b.Weight)
		hc.BlkioDeviceReadBps = inspectThrottle(b.ThrottleReadBpsDevice)
		hc.BlkioDeviceWriteBps = inspectThrottle(b.ThrottleWriteBpsDevice)
		hc.BlkioDeviceReadIOps = inspectThrottle(b.ThrottleReadIOPSDevice)
		hc.BlkioDeviceWriteIOps = inspectThrottle(b.ThrottleWriteIOPSDevice)
	}
}

// inspectThrottle names the devices of throttle limits again: the spec
// keeps their numbers, sysfs knows their names.
func inspectThrottle(ds []specs.LinuxThrottleDevice) []InspectBlkioThrottleDevice {
	var out []InspectBlkioThrottleDevice
	for _, d := range ds {
		out = append(out, InspectBlkioThrottleDevice{Path: blockDevicePath(d.Major, d.Minor), Rate: d.Rate})
	}
	return out
}

// blockDevicePath finds /dev/NAME for a block device's numbers from
// /sys/dev/block/MAJOR:MINOR/uevent, or returns "MAJOR:MINOR".
func blockDevicePath(major, minor int64) string {
	id := fmt.Sprintf("%d:%d", major, minor)
	data, err := os.ReadFile(filepath.Join("/sys/dev/block", id, "uevent"))
	if err != nil {
		return id
	}
	for _, line := range strings.Split(string(data), "\n") {
		if name, ok := strings.CutPrefix(line, "DEVNAME="); ok {
			return "/dev/" + name
		}
	}
	return id
}

// cgroupPath is a Ref's directory relative to its hierarchy's root, as
// Podman's State.CgroupPath: the unified one, or the memory controller's
// (any controller's without memory) on v1.
func cgroupPath(ref cgroupsv2.Ref) string {
	if ref.Layout == cgroupsv2.LayoutV2 {
		return strings.TrimPrefix(ref.Paths[""], cgroupsv2.DefaultRoot)
	}
	ctrl := "memory"
	if _, ok := ref.Paths[ctrl]; !ok {
		ctrls := slices.Sorted(maps.Keys(ref.Paths))
		if len(ctrls) == 0 {
			return ""
		}
		ctrl = ctrls[0]
	}
	return strings.TrimPrefix(ref.Paths[ctrl], cgroupsv2.DefaultRoot+"/"+ctrl)
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
