package engine

import (
	"fmt"
	"maps"
	"slices"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/hutchctr/hutch/pkg/cgroupsv2"
	"github.com/hutchctr/hutch/pkg/errdefs"
	"github.com/hutchctr/hutch/pkg/spec"
)

// ResourceOptions are the cgroup limits of create, run and update, in the
// units the flags use. A zero value leaves a limit unset.
type ResourceOptions struct {
	Memory            int64 // --memory, bytes
	MemoryReservation int64 // --memory-reservation, bytes
	// MemorySwap is --memory-swap: memory plus swap in bytes, -1 for
	// unlimited swap. Unset with Memory set, it is twice Memory (Podman).
	MemorySwap  int64
	CPUs        float64 // --cpus
	CPUShares   uint64  // --cpu-shares, relative weight
	CPUQuota    int64   // --cpu-quota, microseconds per period
	CPUPeriod   uint64  // --cpu-period, microseconds
	CpusetCpus  string  // --cpuset-cpus, a list like 0-3,5
	CpusetMems  string  // --cpuset-mems
	BlkioWeight uint16  // --blkio-weight, 10 to 1000
	// PidsLimit is --pids-limit: nil keeps the default (at create,
	// defaultPidsLimit where a pids controller is usable), 0 or less
	// means unlimited.
	PidsLimit *int64
	// Device* are --device-read-bps and friends (repeatable).
	DeviceReadBps, DeviceWriteBps, DeviceReadIOps, DeviceWriteIOps []ThrottleDevice
	// OOMScoreAdj is --oom-score-adj (create and run; not a cgroup limit).
	OOMScoreAdj *int
}

// ThrottleDevice is one PATH:RATE of the --device-*-bps/iops flags.
type ThrottleDevice struct {
	Path string // a block device, such as /dev/sda
	Rate uint64 // bytes or operations per second
}

// Values of the --cgroupns flag.
const (
	CgroupnsPrivate = "private"
	CgroupnsHost    = "host"
)

const (
	// defaultPidsLimit is Podman's --pids-limit default.
	defaultPidsLimit = 2048
	// minMemory is the smallest memory limit Docker and Podman accept.
	minMemory = 6 * 1024 * 1024
	// cpuPeriod is the CFS period --cpus uses, in microseconds.
	cpuPeriod = 100_000
	// cgroupParentAnnotation carries --cgroup-parent to the monitor.
	cgroupParentAnnotation = cgroupsv2.ParentAnnotation
)

// withResources is the spec option for create's resource flags: the
// validated limits in spec.Linux.Resources (refused here, before anything
// exists, when this host cannot enforce them), the default pids limit
// where it can be enforced, --oom-score-adj, --cgroup-parent and the
// cgroup namespace.
func (e *Engine) withResources(id string, o CreateOptions) spec.Opt {
	return func(s *specs.Spec) error {
		cg := e.cgroups()
		private, err := cgroupnsPrivate(o.CgroupNS, cg.Unified())
		if err != nil {
			return err
		}
		r, err := linuxResources(o.Resources, e.hostFacts(), false)
		if err != nil {
			return err
		}
		if s.Annotations == nil {
			s.Annotations = map[string]string{}
		}
		if o.CgroupParent != "" {
			s.Annotations[cgroupParentAnnotation] = o.CgroupParent
		}
		copts := e.cgroupOptions(id, s)
		if r != nil {
			if err := cg.Check(copts, r); err != nil {
				return err
			}
		}
		s.Linux.Resources = withDefaultPids(cg, copts, r, o.Resources.PidsLimit)
		s.Process.OOMScoreAdj = o.Resources.OOMScoreAdj
		if private {
			s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.CgroupNamespace})
			if cg.Unified() {
				// The container's own cgroup, read-only, where its
				// programs look for their limits (Podman does the same).
				s.Mounts = append(s.Mounts, specs.Mount{Destination: "/sys/fs/cgroup", Type: "cgroup2", Source: "cgroup2",
					Options: []string{"ro", "nosuid", "noexec", "nodev"}})
			}
		}
		return nil
	}
}

// cgroupnsPrivate parses --cgroupns; "" is Podman's default: private on a
// cgroup v2 host, host on v1.
func cgroupnsPrivate(mode string, unified bool) (bool, error) {
	switch mode {
	case "":
		return unified, nil
	case CgroupnsPrivate:
		return true, nil
	case CgroupnsHost:
		return false, nil
	}
	return false, errdefs.Errorf(errdefs.ErrInvalidArgument, "--cgroupns %q: use private or host", mode)
}

// withDefaultPids adds the default pids limit to r unless the user chose
// one, where a pids controller can enforce it (not rootless on cgroup v1:
// a plain run must never fail because of cgroups).
func withDefaultPids(cg cgroupBackend, o cgroupsv2.Options, r *specs.LinuxResources, asked *int64) *specs.LinuxResources {
	if asked != nil {
		return r
	}
	def := &specs.LinuxResources{Pids: &specs.LinuxPids{Limit: ptrTo[int64](defaultPidsLimit)}}
	if cg.Check(o, def) != nil {
		return r
	}
	if r == nil {
		return def
	}
	r.Pids = def.Pids
	return r
}

// linuxResources validates ro (as Podman does) and translates it to the
// runtime spec's cgroup v1 units, nil when it sets no limit. For update,
// an explicit unlimited pids limit is kept (-1, "max") rather than dropped.
func linuxResources(ro ResourceOptions, h hostFacts, update bool) (*specs.LinuxResources, error) {
	if err := validateResources(ro, h, update); err != nil {
		return nil, err
	}
	r := &specs.LinuxResources{
		Memory:  memoryResources(ro),
		CPU:     cpuResources(ro),
		BlockIO: nil,
	}
	if ro.PidsLimit != nil {
		switch {
		case *ro.PidsLimit > 0:
			r.Pids = &specs.LinuxPids{Limit: ptrTo(*ro.PidsLimit)}
		case update:
			r.Pids = &specs.LinuxPids{Limit: ptrTo[int64](-1)}
		}
	}
	bio, err := blockIOResources(ro, h)
	if err != nil {
		return nil, err
	}
	r.BlockIO = bio
	if r.Memory == nil && r.CPU == nil && r.Pids == nil && r.BlockIO == nil {
		return nil, nil
	}
	return r, nil
}

func memoryResources(ro ResourceOptions) *specs.LinuxMemory {
	if ro.Memory == 0 && ro.MemoryReservation == 0 && ro.MemorySwap == 0 {
		return nil
	}
	m := &specs.LinuxMemory{}
	if ro.Memory > 0 {
		m.Limit = ptrTo(ro.Memory)
	}
	if ro.MemoryReservation > 0 {
		m.Reservation = ptrTo(ro.MemoryReservation)
	}
	switch {
	case ro.MemorySwap != 0:
		m.Swap = ptrTo(ro.MemorySwap)
	case ro.Memory > 0:
		m.Swap = ptrTo(2 * ro.Memory)
	}
	return m
}

func cpuResources(ro ResourceOptions) *specs.LinuxCPU {
	c := &specs.LinuxCPU{Cpus: ro.CpusetCpus, Mems: ro.CpusetMems}
	if ro.CPUShares > 0 {
		c.Shares = ptrTo(ro.CPUShares)
	}
	switch {
	case ro.CPUs > 0:
		c.Period = ptrTo(uint64(cpuPeriod))
		c.Quota = ptrTo(int64(ro.CPUs*cpuPeriod + 0.5))
	default:
		if ro.CPUQuota != 0 {
			c.Quota = ptrTo(ro.CPUQuota)
		}
		if ro.CPUPeriod != 0 {
			c.Period = ptrTo(ro.CPUPeriod)
		}
	}
	if *c == (specs.LinuxCPU{}) {
		return nil
	}
	return c
}

func blockIOResources(ro ResourceOptions, h hostFacts) (*specs.LinuxBlockIO, error) {
	b := &specs.LinuxBlockIO{}
	if ro.BlkioWeight > 0 {
		b.Weight = ptrTo(ro.BlkioWeight)
	}
	for _, l := range []struct {
		flag string
		in   []ThrottleDevice
		out  *[]specs.LinuxThrottleDevice
	}{
		{"--device-read-bps", ro.DeviceReadBps, &b.ThrottleReadBpsDevice},
		{"--device-write-bps", ro.DeviceWriteBps, &b.ThrottleWriteBpsDevice},
		{"--device-read-iops", ro.DeviceReadIOps, &b.ThrottleReadIOPSDevice},
		{"--device-write-iops", ro.DeviceWriteIOps, &b.ThrottleWriteIOPSDevice},
	} {
		for _, d := range l.in {
			major, minor, err := h.blockDevice(d.Path)
			if err != nil {
				return nil, errdefs.Errorf(errdefs.ErrInvalidArgument, "%s %s:%d: %v", l.flag, d.Path, d.Rate, err)
			}
			dev := specs.LinuxThrottleDevice{Rate: d.Rate}
			dev.Major, dev.Minor = major, minor
			*l.out = append(*l.out, dev)
		}
	}
	if b.Weight == nil && len(b.ThrottleReadBpsDevice)+len(b.ThrottleWriteBpsDevice)+
		len(b.ThrottleReadIOPSDevice)+len(b.ThrottleWriteIOPSDevice) == 0 {
		return nil, nil
	}
	return b, nil
}

// validateResources applies Podman's and Docker's rules to the flags
// alone; update checks the merged memory limits itself.
func validateResources(ro ResourceOptions, h hostFacts, update bool) error {
	bad := func(format string, a ...any) error {
		return errdefs.Errorf(errdefs.ErrInvalidArgument, format, a...)
	}
	if err := validateMemory(ro, update); err != nil {
		return err
	}
	if err := validateCPU(ro, h); err != nil {
		return err
	}
	if ro.BlkioWeight != 0 && (ro.BlkioWeight < 10 || ro.BlkioWeight > 1000) {
		return bad("--blkio-weight %d: the weight must be between 10 and 1000", ro.BlkioWeight)
	}
	if a := ro.OOMScoreAdj; a != nil && (*a < -1000 || *a > 1000) {
		return bad("--oom-score-adj %d: the value must be between -1000 and 1000", *a)
	}
	return nil
}

func validateMemory(ro ResourceOptions, update bool) error {
	bad := func(format string, a ...any) error {
		return errdefs.Errorf(errdefs.ErrInvalidArgument, format, a...)
	}
	switch {
	case ro.Memory < 0:
		return bad("--memory %d: the limit must be positive", ro.Memory)
	case ro.Memory > 0 && ro.Memory < minMemory:
		return bad("--memory %s: the minimum memory limit is 6MB", sizeText(ro.Memory))
	case ro.MemoryReservation < 0:
		return bad("--memory-reservation %d: the limit must be positive", ro.MemoryReservation)
	case ro.MemoryReservation > 0 && ro.MemoryReservation < minMemory:
		return bad("--memory-reservation %s: the minimum memory reservation is 6MB", sizeText(ro.MemoryReservation))
	case ro.Memory > 0 && ro.MemoryReservation > ro.Memory:
		return bad("--memory-reservation %s must not exceed --memory %s", sizeText(ro.MemoryReservation), sizeText(ro.Memory))
	case ro.MemorySwap < -1:
		return bad("--memory-swap %d: use a size, or -1 for unlimited swap", ro.MemorySwap)
	case ro.MemorySwap != 0 && ro.Memory == 0 && !update:
		return bad("--memory-swap needs --memory: it is the limit of memory plus swap")
	case ro.MemorySwap > 0 && ro.Memory > 0 && ro.MemorySwap < ro.Memory:
		return bad("--memory-swap %s is smaller than --memory %s: it is the limit of memory plus swap, so it must be at least as large",
			sizeText(ro.MemorySwap), sizeText(ro.Memory))
	}
	return nil
}

func validateCPU(ro ResourceOptions, h hostFacts) error {
	bad := func(format string, a ...any) error {
		return errdefs.Errorf(errdefs.ErrInvalidArgument, format, a...)
	}
	switch {
	case ro.CPUs < 0:
		return bad("--cpus %g: the number of CPUs must be positive", ro.CPUs)
	case ro.CPUs > 0 && ro.CPUQuota != 0:
		return bad("--cpus and --cpu-quota cannot be set together")
	case ro.CPUs > 0 && ro.CPUPeriod != 0:
		return bad("--cpus and --cpu-period cannot be set together")
	case ro.CPUs > 0 && ro.CPUs < 0.01:
		return bad("--cpus %g: the smallest value is 0.01", ro.CPUs)
	case ro.CPUs > float64(h.numCPU):
		return bad("--cpus %g: this host has only %d CPUs", ro.CPUs, h.numCPU)
	case ro.CPUQuota != 0 && ro.CPUQuota != -1 && ro.CPUQuota < 1000:
		return bad("--cpu-quota %d: the quota must be at least 1000 microseconds (or -1 for none)", ro.CPUQuota)
	case ro.CPUPeriod != 0 && (ro.CPUPeriod < 1000 || ro.CPUPeriod > 1_000_000):
		return bad("--cpu-period %d: the period must be between 1000 and 1000000 microseconds", ro.CPUPeriod)
	}
	if err := checkCPUList("--cpuset-cpus", ro.CpusetCpus, h.cpus, "CPU"); err != nil {
		return err
	}
	return checkCPUList("--cpuset-mems", ro.CpusetMems, h.mems, "memory node")
}

// checkCPUList checks a cpuset list's syntax and that every member is
// among the host's online ones (avail, a list too).
func checkCPUList(flag, list, avail, what string) error {
	if list == "" {
		return nil
	}
	want, err := parseCPUList(list)
	if err != nil {
		return errdefs.Errorf(errdefs.ErrInvalidArgument, "%s %q: %v", flag, list, err)
	}
	have, err := parseCPUList(avail)
	if err != nil {
		return fmt.Errorf("%s: the host's %ss %q: %w", flag, what, avail, err)
	}
	for _, n := range slices.Sorted(maps.Keys(want)) {
		if !have[n] {
			return errdefs.Errorf(errdefs.ErrInvalidArgument, "%s %s: %s %d does not exist here (available: %s)", flag, list, what, n, avail)
		}
	}
	return nil
}

// sizeText renders a byte count the way the user likely typed it.
func sizeText(n int64) string {
	for _, u := range []struct {
		div  int64
		unit string
	}{{1 << 30, "g"}, {1 << 20, "m"}, {1 << 10, "k"}} {
		if n >= u.div && n%u.div == 0 {
			return fmt.Sprintf("%d%s", n/u.div, u.unit)
		}
	}
	return fmt.Sprintf("%db", n)
}

func ptrTo[T any](v T) *T { return &v }
