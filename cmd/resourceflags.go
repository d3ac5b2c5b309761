package cmd

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	units "github.com/docker/go-units"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/hutchctr/hutch/pkg/engine"
)

// addResourceFlags registers the cgroup flags of run and create: the
// limits (shared with update), --oom-score-adj, --cgroup-parent and
// --cgroupns. Values that do not parse are flag errors; the engine checks
// what they mean (ranges, the host's CPUs and devices).
func addResourceFlags(c *cobra.Command, o *engine.CreateOptions) {
	fs := c.Flags()
	addLimitFlags(fs, &o.Resources, true)
	fs.Var(&optIntValue{p: &o.Resources.OOMScoreAdj}, "oom-score-adj", "tune the host's OOM killer preference for the container: -1000 to 1000")
	fs.StringVar(&o.CgroupParent, "cgroup-parent", "", "parent cgroup of the container's cgroup (default: hutch's own)")
	fs.StringVar(&o.CgroupNS, "cgroupns", "", "cgroup namespace: private or host (default: private on cgroup v2, host on v1)")
	_ = c.RegisterFlagCompletionFunc("cgroupns", fixedValues(engine.CgroupnsPrivate, engine.CgroupnsHost))
}

// addLimitFlags registers the limits that run, create and update share.
// pidsDefault shows --pids-limit's default (create's, not update's).
func addLimitFlags(fs *pflag.FlagSet, r *engine.ResourceOptions, pidsDefault bool) {
	fs.VarP(&sizeValue{p: &r.Memory}, "memory", "m", "memory limit: `SIZE` with unit b, k, m or g (at least 6m)")
	fs.Var(&sizeValue{p: &r.MemoryReservation}, "memory-reservation", "memory soft limit: `SIZE` with unit b, k, m or g")
	fs.Var(&sizeValue{p: &r.MemorySwap, unlimited: true}, "memory-swap",
		"limit of memory plus swap: `SIZE` with unit b, k, m or g, or -1 for unlimited swap (default: twice --memory)")
	fs.Float64Var(&r.CPUs, "cpus", 0, "number of CPUs, such as 1.5 (default: no limit)")
	fs.Uint64VarP(&r.CPUShares, "cpu-shares", "c", 0, "CPU shares (relative weight)")
	fs.Int64Var(&r.CPUQuota, "cpu-quota", 0, "CPU time per CFS period, in microseconds")
	fs.Uint64Var(&r.CPUPeriod, "cpu-period", 0, "CFS period, in microseconds")
	fs.StringVar(&r.CpusetCpus, "cpuset-cpus", "", "CPUs the container may use: a `LIST` like 0-3,5")
	fs.StringVar(&r.CpusetMems, "cpuset-mems", "", "memory nodes the container may use: a `LIST` like 0-1 (NUMA hosts)")
	def := ""
	if pidsDefault {
		def = "2048"
	}
	fs.Var(&optInt64Value{p: &r.PidsLimit, def: def}, "pids-limit", "limit the number of processes: -1 for unlimited")
	fs.Var(&weightValue{p: &r.BlkioWeight}, "blkio-weight", "block I/O weight (relative), 10 to 1000")
	for _, t := range []struct {
		name string
		p    *[]engine.ThrottleDevice
		iops bool
		what string
	}{
		{"device-read-bps", &r.DeviceReadBps, false, "limit reads from a device, in bytes per second: `PATH:RATE` like /dev/sda:1mb"},
		{"device-write-bps", &r.DeviceWriteBps, false, "limit writes to a device, in bytes per second: `PATH:RATE` like /dev/sda:1mb"},
		{"device-read-iops", &r.DeviceReadIOps, true, "limit reads from a device, in operations per second: `PATH:RATE` like /dev/sda:1000"},
		{"device-write-iops", &r.DeviceWriteIOps, true, "limit writes to a device, in operations per second: `PATH:RATE` like /dev/sda:1000"},
	} {
		fs.Var(&throttleValue{p: t.p, iops: t.iops}, t.name, t.what+" (repeatable)")
	}
}

// limitFlagNames are the flags addLimitFlags registers, for update's
// "nothing to change" check.
func limitFlagNames() []string {
	return []string{"memory", "memory-reservation", "memory-swap", "cpus", "cpu-shares", "cpu-quota",
		"cpu-period", "cpuset-cpus", "cpuset-mems", "pids-limit", "blkio-weight",
		"device-read-bps", "device-write-bps", "device-read-iops", "device-write-iops"}
}

// parseSize parses Docker's sizes: a number with an optional binary unit
// b, k, m, g, t or p ("64m", "1.5g"), as `docker run -m` does.
func parseSize(s string) (int64, error) {
	n, err := units.RAMInBytes(s)
	if err != nil || n < 0 {
		// go-units converts an overflowing float to a negative int.
		return 0, fmt.Errorf("%q is not a size: use a number with an optional unit b, k, m or g", s)
	}
	return n, nil
}

// sizeValue is a size flag; with unlimited, -1 is accepted too.
type sizeValue struct {
	p         *int64
	unlimited bool
}

func (v *sizeValue) Set(s string) error {
	if v.unlimited && s == "-1" {
		*v.p = -1
		return nil
	}
	n, err := parseSize(s)
	if err != nil {
		return err
	}
	*v.p = n
	return nil
}

func (v *sizeValue) String() string {
	if v.p == nil || *v.p == 0 {
		return ""
	}
	return strconv.FormatInt(*v.p, 10)
}

func (v *sizeValue) Type() string { return "size" }

// optInt64Value is an int64 flag whose absence is nil; def is what help
// shows as its default.
type optInt64Value struct {
	p   **int64
	def string
}

func (v *optInt64Value) Set(s string) error {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("%q is not a number", s)
	}
	*v.p = &n
	return nil
}

func (v *optInt64Value) String() string {
	if v.p == nil || *v.p == nil {
		return v.def
	}
	return strconv.FormatInt(**v.p, 10)
}

func (v *optInt64Value) Type() string { return "int" }

// optIntValue is an int flag whose absence is nil.
type optIntValue struct{ p **int }

func (v *optIntValue) Set(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil || n < math.MinInt32 || n > math.MaxInt32 {
		return fmt.Errorf("%q is not a number", s)
	}
	*v.p = &n
	return nil
}

func (v *optIntValue) String() string {
	if v.p == nil || *v.p == nil {
		return ""
	}
	return strconv.Itoa(**v.p)
}

func (v *optIntValue) Type() string { return "int" }

// weightValue is --blkio-weight (a string flag in Podman).
type weightValue struct{ p *uint16 }

func (v *weightValue) Set(s string) error {
	n, err := strconv.ParseUint(s, 10, 16)
	if err != nil {
		return fmt.Errorf("%q is not a weight: use a number from 10 to 1000", s)
	}
	*v.p = uint16(n)
	return nil
}

func (v *weightValue) String() string {
	if v.p == nil || *v.p == 0 {
		return ""
	}
	return strconv.FormatUint(uint64(*v.p), 10)
}

func (v *weightValue) Type() string { return "weight" }

// throttleValue is a repeatable PATH:RATE flag; several may also be
// given at once, separated by commas (Podman's string slices).
type throttleValue struct {
	p    *[]engine.ThrottleDevice
	iops bool
}

func (v *throttleValue) Set(s string) error {
	for _, one := range strings.Split(s, ",") {
		d, err := parseThrottle(one, v.iops)
		if err != nil {
			return err
		}
		*v.p = append(*v.p, d)
	}
	return nil
}

func (v *throttleValue) String() string {
	if v.p == nil {
		return ""
	}
	out := make([]string, len(*v.p))
	for i, d := range *v.p {
		out[i] = fmt.Sprintf("%s:%d", d.Path, d.Rate)
	}
	return strings.Join(out, ",")
}

// Type ends in "Array" so that shell completion offers the flag again.
func (v *throttleValue) Type() string { return "stringArray" }

// parseThrottle parses PATH:RATE; a bps rate is a size ("1mb"), an iops
// rate a number.
func parseThrottle(s string, iops bool) (engine.ThrottleDevice, error) {
	i := strings.LastIndexByte(s, ':')
	if i <= 0 || i == len(s)-1 {
		return engine.ThrottleDevice{}, fmt.Errorf("%q: use PATH:RATE, like /dev/sda:1mb", s)
	}
	path, rate := s[:i], s[i+1:]
	if !strings.HasPrefix(path, "/") {
		return engine.ThrottleDevice{}, fmt.Errorf("%q: the device path must be absolute", s)
	}
	var n uint64
	if iops {
		v, err := strconv.ParseUint(rate, 10, 64)
		if err != nil {
			return engine.ThrottleDevice{}, fmt.Errorf("%q: the rate must be a number of operations per second", s)
		}
		n = v
	} else {
		v, err := parseSize(rate)
		if err != nil {
			return engine.ThrottleDevice{}, fmt.Errorf("%q: the rate must be a size per second, like 1mb", s)
		}
		n = uint64(v)
	}
	if n == 0 {
		return engine.ThrottleDevice{}, fmt.Errorf("%q: the rate must be positive", s)
	}
	return engine.ThrottleDevice{Path: path, Rate: n}, nil
}

// anyChanged reports whether one of the named flags was given.
func anyChanged(fs *pflag.FlagSet, names []string) bool {
	for _, n := range names {
		if fs.Changed(n) {
			return true
		}
	}
	return false
}
