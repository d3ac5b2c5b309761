package cgroupsv2

import (
	"fmt"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/hutchctr/hutch/pkg/errdefs"
)

// v1Ctrl maps a v2 controller name to its v1 hierarchy.
func v1Ctrl(ctrl string) string {
	if ctrl == "io" {
		return "blkio"
	}
	return ctrl
}

// v1Settings translates r to the files of the v1 controllers. hasFile
// reports whether a controller offers a file: swap accounting is a boot
// option (swapaccount=1).
func v1Settings(r *specs.LinuxResources, hasFile func(ctrl, file string) bool) ([]setting, error) {
	if r == nil {
		return nil, nil
	}
	for _, w := range wanted(r) {
		switch {
		case w.flag == flagKernelMem, w.flag == flagNetwork, w.flag == flagRdma:
			return nil, errdefs.Errorf(errdefs.ErrNotImplemented, "%s is not supported", w.flag)
		case strings.HasPrefix(w.flag, flagCgroupConf+" "):
			return nil, errdefs.Errorf(errdefs.ErrNotImplemented, "%s needs cgroup v2; this host uses cgroup v1", w.flag)
		}
	}
	var out []setting
	add := func(ctrl, file, value, flag string) {
		out = append(out, setting{ctrl: ctrl, file: file, value: value, flag: flag})
	}
	if m := r.Memory; m != nil {
		mem, err := v1Memory(m, hasFile)
		if err != nil {
			return nil, err
		}
		out = append(out, mem...)
	}
	if c := r.CPU; c != nil {
		if c.Shares != nil && *c.Shares != 0 {
			add("cpu", "cpu.shares", strconv.FormatUint(*c.Shares, 10), flagShares)
		}
		// The period first: the kernel checks the quota against it.
		if c.Period != nil && *c.Period != 0 {
			add("cpu", "cpu.cfs_period_us", strconv.FormatUint(*c.Period, 10), flagPeriod)
		}
		if set(c.Quota) {
			add("cpu", "cpu.cfs_quota_us", strconv.FormatInt(max(*c.Quota, -1), 10), flagQuota)
		}
		if c.Burst != nil {
			add("cpu", "cpu.cfs_burst_us", strconv.FormatUint(*c.Burst, 10), flagBurst)
		}
		if c.RealtimePeriod != nil && *c.RealtimePeriod != 0 {
			add("cpu", "cpu.rt_period_us", strconv.FormatUint(*c.RealtimePeriod, 10), flagRealtime)
		}
		if set(c.RealtimeRuntime) {
			add("cpu", "cpu.rt_runtime_us", strconv.FormatInt(*c.RealtimeRuntime, 10), flagRealtime)
		}
	}
	sharedSettings(r, add)
	out = append(out, v1BlockIO(r.BlockIO)...)
	for _, h := range r.HugepageLimits {
		add("hugetlb", "hugetlb."+h.Pagesize+".limit_in_bytes", strconv.FormatUint(h.Limit, 10), flagHugetlb)
	}
	return out, nil
}

// v1Memory translates the memory limits. Swap is memory+swap in v1 too
// (memory.memsw.limit_in_bytes); without swap accounting a swap limit
// above the memory limit cannot be enforced, and one equal to it needs
// nothing.
func v1Memory(m *specs.LinuxMemory, hasFile func(ctrl, file string) bool) ([]setting, error) {
	var out []setting
	add := func(file, value, flag string) {
		out = append(out, setting{ctrl: "memory", file: file, value: value, flag: flag})
	}
	if set(m.Limit) {
		add("memory.limit_in_bytes", strconv.FormatInt(max(*m.Limit, -1), 10), flagMemory)
	}
	if set(m.Reservation) {
		add("memory.soft_limit_in_bytes", strconv.FormatInt(max(*m.Reservation, -1), 10), flagReservation)
	}
	if set(m.Swap) {
		if *m.Swap > 0 && set(m.Limit) && *m.Limit > 0 && *m.Swap < *m.Limit {
			return nil, errdefs.Errorf(errdefs.ErrInvalidArgument, "%s (%d) must be at least %s (%d): it limits memory plus swap", flagSwap, *m.Swap, flagMemory, *m.Limit)
		}
		switch {
		case hasFile("memory", "memory.memsw.limit_in_bytes"):
			add("memory.memsw.limit_in_bytes", strconv.FormatInt(max(*m.Swap, -1), 10), flagSwap)
		case *m.Swap > 0 && (!set(m.Limit) || *m.Swap > *m.Limit):
			return nil, errdefs.Errorf(errdefs.ErrNotImplemented, "%s: this kernel does not account swap (no memory.memsw.limit_in_bytes); boot it with swapaccount=1, or give %s equal to %s", flagSwap, flagSwap, flagMemory)
		}
	}
	if m.Swappiness != nil {
		add("memory.swappiness", strconv.FormatUint(*m.Swappiness, 10), flagSwappiness)
	}
	if m.DisableOOMKiller != nil && *m.DisableOOMKiller {
		add("memory.oom_control", "1", flagOOMDisable)
	}
	return out, nil
}

// v1BlockIO translates weights and throttles to blkio files (BFQ names
// its weights blkio.bfq.*).
func v1BlockIO(b *specs.LinuxBlockIO) []setting {
	if b == nil {
		return nil
	}
	var out []setting
	weight := func(file, value, flag string) {
		out = append(out, setting{ctrl: "blkio", file: "blkio." + file, value: value, flag: flag,
			alt: &setting{ctrl: "blkio", file: "blkio.bfq." + file, value: value, flag: flag}})
	}
	if b.Weight != nil && *b.Weight != 0 {
		weight("weight", strconv.FormatUint(uint64(*b.Weight), 10), flagBlkioWeight)
	}
	if b.LeafWeight != nil && *b.LeafWeight != 0 {
		out = append(out, setting{ctrl: "blkio", file: "blkio.leaf_weight", value: strconv.FormatUint(uint64(*b.LeafWeight), 10), flag: flagLeafWeight})
	}
	for _, d := range b.WeightDevice {
		if d.Weight != nil {
			weight("weight_device", fmt.Sprintf("%d:%d %d", d.Major, d.Minor, *d.Weight), flagWeightDev)
		}
	}
	for _, t := range []struct {
		file, flag string
		devs       []specs.LinuxThrottleDevice
	}{
		{"blkio.throttle.read_bps_device", flagReadBps, b.ThrottleReadBpsDevice},
		{"blkio.throttle.write_bps_device", flagWriteBps, b.ThrottleWriteBpsDevice},
		{"blkio.throttle.read_iops_device", flagReadIOPS, b.ThrottleReadIOPSDevice},
		{"blkio.throttle.write_iops_device", flagWriteIOPS, b.ThrottleWriteIOPSDevice},
	} {
		for _, d := range t.devs {
			out = append(out, setting{ctrl: "blkio", file: t.file, value: fmt.Sprintf("%d:%d %d", d.Major, d.Minor, d.Rate), flag: t.flag})
		}
	}
	return out
}
