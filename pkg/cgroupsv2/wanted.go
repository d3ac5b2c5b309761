package cgroupsv2

import (
	"slices"
	"sort"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// want is one limit of a LinuxResources: the (v2) controller it needs and
// the flag a user sets it with, for messages.
type want struct {
	ctrl string
	flag string
}

// Flags named in messages.
const (
	flagMemory      = "--memory"
	flagReservation = "--memory-reservation"
	flagSwap        = "--memory-swap"
	flagSwappiness  = "--memory-swappiness"
	flagOOMDisable  = "--oom-kill-disable"
	flagKernelMem   = "--kernel-memory"
	flagShares      = "--cpu-shares"
	flagQuota       = "--cpus/--cpu-quota"
	flagPeriod      = "--cpu-period"
	flagBurst       = "--cpu-burst"
	flagRealtime    = "--cpu-rt-runtime/--cpu-rt-period"
	flagIdle        = "--cpu-idle"
	flagCpus        = "--cpuset-cpus"
	flagMems        = "--cpuset-mems"
	flagPids        = "--pids-limit"
	flagBlkioWeight = "--blkio-weight"
	flagWeightDev   = "--blkio-weight-device"
	flagLeafWeight  = "--blkio-leaf-weight"
	flagReadBps     = "--device-read-bps"
	flagWriteBps    = "--device-write-bps"
	flagReadIOPS    = "--device-read-iops"
	flagWriteIOPS   = "--device-write-iops"
	flagHugetlb     = "hugepage limits"
	flagCgroupConf  = "--cgroup-conf"
	flagNetwork     = "network class and priorities"
	flagRdma        = "rdma limits"
)

// wanted lists the limits r sets, in a stable order. Device rules are not
// limits: hutch controls device access through the container's /dev.
func wanted(r *specs.LinuxResources) []want {
	if r == nil {
		return nil
	}
	var w []want
	add := func(ok bool, ctrl, flag string) {
		if ok {
			w = append(w, want{ctrl, flag})
		}
	}
	if m := r.Memory; m != nil {
		add(set(m.Limit), "memory", flagMemory)
		add(set(m.Reservation), "memory", flagReservation)
		add(set(m.Swap), "memory", flagSwap)
		add(m.Swappiness != nil, "memory", flagSwappiness)
		add(m.DisableOOMKiller != nil && *m.DisableOOMKiller, "memory", flagOOMDisable)
		add(set(m.Kernel) || set(m.KernelTCP), "memory", flagKernelMem)
	}
	if c := r.CPU; c != nil {
		add(c.Shares != nil && *c.Shares != 0, "cpu", flagShares)
		add(set(c.Quota), "cpu", flagQuota)
		add(c.Period != nil && *c.Period != 0 && !set(c.Quota), "cpu", flagPeriod)
		add(c.Burst != nil, "cpu", flagBurst)
		add(set(c.RealtimeRuntime) || (c.RealtimePeriod != nil && *c.RealtimePeriod != 0), "cpu", flagRealtime)
		add(c.Idle != nil, "cpu", flagIdle)
		add(c.Cpus != "", "cpuset", flagCpus)
		add(c.Mems != "", "cpuset", flagMems)
	}
	if p := r.Pids; p != nil {
		add(p.Limit != nil, "pids", flagPids)
	}
	if b := r.BlockIO; b != nil {
		add(b.Weight != nil && *b.Weight != 0, "io", flagBlkioWeight)
		add(len(b.WeightDevice) > 0, "io", flagWeightDev)
		add(b.LeafWeight != nil && *b.LeafWeight != 0, "io", flagLeafWeight)
		add(len(b.ThrottleReadBpsDevice) > 0, "io", flagReadBps)
		add(len(b.ThrottleWriteBpsDevice) > 0, "io", flagWriteBps)
		add(len(b.ThrottleReadIOPSDevice) > 0, "io", flagReadIOPS)
		add(len(b.ThrottleWriteIOPSDevice) > 0, "io", flagWriteIOPS)
	}
	add(len(r.HugepageLimits) > 0, "hugetlb", flagHugetlb)
	for _, k := range sortedKeys(r.Unified) {
		ctrl, _, _ := strings.Cut(k, ".")
		add(true, ctrl, flagCgroupConf+" "+k)
	}
	add(r.Network != nil && (r.Network.ClassID != nil || len(r.Network.Priorities) > 0), "net_cls", flagNetwork)
	add(len(r.Rdma) > 0, "rdma", flagRdma)
	return w
}

// set reports whether an int64 limit is given (0 is the spec's "unset").
func set(v *int64) bool { return v != nil && *v != 0 }

// controllers are the distinct controllers of w.
func controllers(w []want) []string {
	var out []string
	for _, x := range w {
		if !slices.Contains(out, x.ctrl) {
			out = append(out, x.ctrl)
		}
	}
	return out
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
