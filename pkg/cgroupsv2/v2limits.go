package cgroupsv2

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/hutchctr/hutch/pkg/errdefs"
)

// setting is one value to write to one of a cgroup's files.
type setting struct {
	ctrl  string // the controller (v1: whose directory holds file)
	file  string
	value string
	flag  string
	// alt is written instead when file does not exist (an older or a
	// differently configured kernel names the knob differently).
	alt *setting
}

// current reads a file of the cgroup being updated ("" when unknown).
type current func(file string) string

// v2Settings translates r to unified-hierarchy files, with crun's
// conversions from the v1 units runtime-spec uses. cur supplies the values
// r leaves out where a file takes several (cpu.max's period, memory.max for
// memory.swap.max).
func v2Settings(r *specs.LinuxResources, cur current) ([]setting, error) {
	if r == nil {
		return nil, nil
	}
	var out []setting
	add := func(ctrl, file, value, flag string) {
		out = append(out, setting{ctrl: ctrl, file: file, value: value, flag: flag})
	}
	for _, w := range wanted(r) {
		switch w.flag {
		case flagSwappiness, flagOOMDisable, flagKernelMem, flagRealtime, flagLeafWeight, flagNetwork, flagRdma:
			return nil, errdefs.Errorf(errdefs.ErrNotImplemented, "%s is not supported on cgroup v2", w.flag)
		}
	}
	if m := r.Memory; m != nil {
		if set(m.Limit) {
			add("memory", "memory.max", maxOr(*m.Limit), flagMemory)
		}
		if set(m.Reservation) {
			add("memory", "memory.low", maxOr(*m.Reservation), flagReservation)
		}
		if set(m.Swap) {
			v, err := swapMax(m, cur)
			if err != nil {
				return nil, err
			}
			add("memory", "memory.swap.max", v, flagSwap)
		}
	}
	if c := r.CPU; c != nil {
		if c.Shares != nil && *c.Shares != 0 {
			add("cpu", "cpu.weight", strconv.FormatUint(sharesToWeight(*c.Shares), 10), flagShares)
		}
		if set(c.Quota) {
			add("cpu", "cpu.max", cpuMax(c, cur), flagQuota)
		} else if c.Period != nil && *c.Period != 0 {
			add("cpu", "cpu.max", cpuMax(c, cur), flagPeriod)
		}
		if c.Burst != nil {
			add("cpu", "cpu.max.burst", strconv.FormatUint(*c.Burst, 10), flagBurst)
		}
	}
	sharedSettings(r, add)
	out = append(out, ioSettings(r.BlockIO)...)
	for _, h := range r.HugepageLimits {
		add("hugetlb", "hugetlb."+h.Pagesize+".max", strconv.FormatUint(h.Limit, 10), flagHugetlb)
	}
	for _, k := range sortedKeys(r.Unified) {
		ctrl, _, _ := strings.Cut(k, ".")
		add(ctrl, k, r.Unified[k], flagCgroupConf+" "+k)
	}
	return out, nil
}

// maxOr renders a limit, negative meaning unlimited.
func maxOr(v int64) string {
	if v < 0 {
		return "max"
	}
	return strconv.FormatInt(v, 10)
}

// pidsMax renders pids.max: 0 and -1 mean unlimited, as with Podman's
// --pids-limit.
func pidsMax(v int64) string {
	if v <= 0 {
		return "max"
	}
	return strconv.FormatInt(v, 10)
}

// sharesToWeight maps cpu.shares (2..262144) to cpu.weight (1..10000)
// linearly, as crun does.
func sharesToWeight(shares uint64) uint64 {
	shares = min(max(shares, 2), 262144)
	return 1 + ((shares-2)*9999)/262142
}

// blkioToIOWeight maps blkio.weight (10..1000) to io.weight (1..10000)
// linearly, as crun does.
func blkioToIOWeight(w uint16) uint64 {
	v := uint64(min(max(w, 10), 1000))
	return 1 + (v-10)*9999/990
}

// cpuMax renders cpu.max ("QUOTA PERIOD"); what c leaves out comes from
// the current value, else from the kernel's defaults (max 100000).
func cpuMax(c *specs.LinuxCPU, cur current) string {
	quota, period := "max", "100000"
	if f := strings.Fields(cur("cpu.max")); len(f) == 2 {
		quota, period = f[0], f[1]
	}
	if c.Quota != nil && *c.Quota != 0 {
		quota = maxOr(*c.Quota)
	}
	if c.Period != nil && *c.Period != 0 {
		period = strconv.FormatUint(*c.Period, 10)
	}
	return quota + " " + period
}

// swapMax turns the spec's memory+swap total into memory.swap.max (swap
// alone): Swap-Limit, or max for -1.
func swapMax(m *specs.LinuxMemory, cur current) (string, error) {
	if *m.Swap < 0 {
		return "max", nil
	}
	var limit int64
	switch {
	case set(m.Limit) && *m.Limit > 0:
		limit = *m.Limit
	default:
		v, err := strconv.ParseInt(strings.TrimSpace(cur("memory.max")), 10, 64)
		if err != nil {
			return "", errdefs.Errorf(errdefs.ErrInvalidArgument, "%s needs %s: it limits memory plus swap", flagSwap, flagMemory)
		}
		limit = v
	}
	if *m.Swap < limit {
		return "", errdefs.Errorf(errdefs.ErrInvalidArgument, "%s (%d) must be at least %s (%d): it limits memory plus swap", flagSwap, *m.Swap, flagMemory, limit)
	}
	return strconv.FormatInt(*m.Swap-limit, 10), nil
}

// ioSettings translates block I/O weights and throttles: io.weight (or
// BFQ's io.bfq.weight, which takes v1 weights) and one io.max line per
// device.
func ioSettings(b *specs.LinuxBlockIO) []setting {
	if b == nil {
		return nil
	}
	var out []setting
	if b.Weight != nil && *b.Weight != 0 {
		out = append(out, setting{ctrl: "io", file: "io.weight", flag: flagBlkioWeight,
			value: fmt.Sprintf("default %d", blkioToIOWeight(*b.Weight)),
			alt:   &setting{ctrl: "io", file: "io.bfq.weight", flag: flagBlkioWeight, value: fmt.Sprintf("default %d", *b.Weight)}})
	}
	for _, d := range b.WeightDevice {
		if d.Weight == nil {
			continue
		}
		dev := fmt.Sprintf("%d:%d", d.Major, d.Minor)
		out = append(out, setting{ctrl: "io", file: "io.weight", flag: flagWeightDev,
			value: fmt.Sprintf("%s %d", dev, blkioToIOWeight(*d.Weight)),
			alt:   &setting{ctrl: "io", file: "io.bfq.weight", flag: flagWeightDev, value: fmt.Sprintf("%s %d", dev, *d.Weight)}})
	}
	lines := map[string][]string{}
	flags := map[string]string{}
	for _, t := range []struct {
		key, flag string
		devs      []specs.LinuxThrottleDevice
	}{
		{"rbps", flagReadBps, b.ThrottleReadBpsDevice},
		{"wbps", flagWriteBps, b.ThrottleWriteBpsDevice},
		{"riops", flagReadIOPS, b.ThrottleReadIOPSDevice},
		{"wiops", flagWriteIOPS, b.ThrottleWriteIOPSDevice},
	} {
		for _, d := range t.devs {
			dev := fmt.Sprintf("%d:%d", d.Major, d.Minor)
			rate := "max" // 0 lifts the limit, as with Docker's flags
			if d.Rate != 0 {
				rate = strconv.FormatUint(d.Rate, 10)
			}
			lines[dev] = append(lines[dev], t.key+"="+rate)
			if flags[dev] == "" {
				flags[dev] = t.flag
			} else if !strings.Contains(flags[dev], t.flag) {
				flags[dev] += "/" + t.flag
			}
		}
	}
	devs := make([]string, 0, len(lines))
	for d := range lines {
		devs = append(devs, d)
	}
	sort.Strings(devs)
	for _, d := range devs {
		out = append(out, setting{ctrl: "io", file: "io.max", value: d + " " + strings.Join(lines[d], " "), flag: flags[d]})
	}
	return out
}

// sharedSettings adds the limits whose files are the same on v1 and v2,
// in the order both versions write them: cpu.idle, cpuset.cpus,
// cpuset.mems, pids.max.
func sharedSettings(r *specs.LinuxResources, add func(ctrl, file, value, flag string)) {
	if c := r.CPU; c != nil {
		if c.Idle != nil {
			add("cpu", "cpu.idle", strconv.FormatInt(*c.Idle, 10), flagIdle)
		}
		if c.Cpus != "" {
			add("cpuset", "cpuset.cpus", c.Cpus, flagCpus)
		}
		if c.Mems != "" {
			add("cpuset", "cpuset.mems", c.Mems, flagMems)
		}
	}
	if p := r.Pids; p != nil && p.Limit != nil {
		add("pids", "pids.max", pidsMax(*p.Limit), flagPids)
	}
}
