package cgroupsv2

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/hutchctr/hutch/pkg/errdefs"
)

// written is a setting as "file=value" (alternatives after a "|").
func written(ss []setting) []string {
	var out []string
	for _, s := range ss {
		v := s.file + "=" + s.value
		if s.alt != nil {
			v += "|" + s.alt.file + "=" + s.alt.value
		}
		out = append(out, v)
	}
	return out
}

func dev(major, minor int64, rate uint64) specs.LinuxThrottleDevice {
	d := specs.LinuxThrottleDevice{Rate: rate}
	d.Major, d.Minor = major, minor
	return d
}

// TestV2Settings is the flag → unified-hierarchy file table.
func TestV2Settings(t *testing.T) {
	mib := int64(1 << 20)
	tests := []struct {
		name string
		r    specs.LinuxResources
		cur  map[string]string
		want []string
		err  error
	}{
		{name: "--memory", r: specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: ptr(32 * mib)}}, want: []string{"memory.max=33554432"}},
		{name: "--memory -1", r: specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: ptr(int64(-1))}}, want: []string{"memory.max=max"}},
		{name: "--memory-reservation", r: specs.LinuxResources{Memory: &specs.LinuxMemory{Reservation: ptr(16 * mib)}}, want: []string{"memory.low=16777216"}},
		{name: "--memory-swap is memory+swap", r: specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: ptr(32 * mib), Swap: ptr(48 * mib)}},
			want: []string{"memory.max=33554432", "memory.swap.max=16777216"}},
		{name: "--memory-swap equal: no swap", r: specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: ptr(32 * mib), Swap: ptr(32 * mib)}},
			want: []string{"memory.max=33554432", "memory.swap.max=0"}},
		{name: "--memory-swap -1", r: specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: ptr(32 * mib), Swap: ptr(int64(-1))}},
			want: []string{"memory.max=33554432", "memory.swap.max=max"}},
		{name: "--memory-swap alone uses the current memory.max", r: specs.LinuxResources{Memory: &specs.LinuxMemory{Swap: ptr(64 * mib)}},
			cur: map[string]string{"memory.max": "33554432"}, want: []string{"memory.swap.max=33554432"}},
		{name: "--memory-swap without any memory limit", r: specs.LinuxResources{Memory: &specs.LinuxMemory{Swap: ptr(64 * mib)}},
			cur: map[string]string{"memory.max": "max"}, err: errdefs.ErrInvalidArgument},
		{name: "--memory-swap below --memory", r: specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: ptr(32 * mib), Swap: ptr(16 * mib)}}, err: errdefs.ErrInvalidArgument},
		{name: "--cpu-shares 1024", r: specs.LinuxResources{CPU: &specs.LinuxCPU{Shares: ptr(uint64(1024))}}, want: []string{"cpu.weight=39"}},
		{name: "--cpu-shares 2", r: specs.LinuxResources{CPU: &specs.LinuxCPU{Shares: ptr(uint64(2))}}, want: []string{"cpu.weight=1"}},
		{name: "--cpu-shares 262144", r: specs.LinuxResources{CPU: &specs.LinuxCPU{Shares: ptr(uint64(262144))}}, want: []string{"cpu.weight=10000"}},
		{name: "--cpus 1.5", r: specs.LinuxResources{CPU: &specs.LinuxCPU{Quota: ptr(int64(150000)), Period: ptr(uint64(100000))}}, want: []string{"cpu.max=150000 100000"}},
		{name: "--cpu-quota keeps the period", r: specs.LinuxResources{CPU: &specs.LinuxCPU{Quota: ptr(int64(20000))}},
			cur: map[string]string{"cpu.max": "max 50000"}, want: []string{"cpu.max=20000 50000"}},
		{name: "--cpu-period keeps the quota", r: specs.LinuxResources{CPU: &specs.LinuxCPU{Period: ptr(uint64(50000))}},
			cur: map[string]string{"cpu.max": "10000 100000"}, want: []string{"cpu.max=10000 50000"}},
		{name: "--cpu-quota -1", r: specs.LinuxResources{CPU: &specs.LinuxCPU{Quota: ptr(int64(-1))}}, want: []string{"cpu.max=max 100000"}},
		{name: "--cpuset-cpus and --cpuset-mems", r: specs.LinuxResources{CPU: &specs.LinuxCPU{Cpus: "0-1", Mems: "0"}},
			want: []string{"cpuset.cpus=0-1", "cpuset.mems=0"}},
		{name: "--pids-limit", r: specs.LinuxResources{Pids: &specs.LinuxPids{Limit: ptr(int64(16))}}, want: []string{"pids.max=16"}},
		{name: "--pids-limit 0 is unlimited", r: specs.LinuxResources{Pids: &specs.LinuxPids{Limit: ptr(int64(0))}}, want: []string{"pids.max=max"}},
		{name: "--pids-limit -1", r: specs.LinuxResources{Pids: &specs.LinuxPids{Limit: ptr(int64(-1))}}, want: []string{"pids.max=max"}},
		{name: "--blkio-weight 500", r: specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{Weight: ptr(uint16(500))}},
			want: []string{"io.weight=default 4950|io.bfq.weight=default 500"}},
		{name: "--blkio-weight 10", r: specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{Weight: ptr(uint16(10))}},
			want: []string{"io.weight=default 1|io.bfq.weight=default 10"}},
		{name: "--blkio-weight 1000", r: specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{Weight: ptr(uint16(1000))}},
			want: []string{"io.weight=default 10000|io.bfq.weight=default 1000"}},
		{name: "--device-read-bps", r: specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{ThrottleReadBpsDevice: []specs.LinuxThrottleDevice{dev(8, 0, 1048576)}}},
			want: []string{"io.max=8:0 rbps=1048576"}},
		{name: "all four throttles, two devices", r: specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{
			ThrottleReadBpsDevice:   []specs.LinuxThrottleDevice{dev(8, 0, 1000), dev(8, 16, 2000)},
			ThrottleWriteBpsDevice:  []specs.LinuxThrottleDevice{dev(8, 0, 3000)},
			ThrottleReadIOPSDevice:  []specs.LinuxThrottleDevice{dev(8, 0, 40)},
			ThrottleWriteIOPSDevice: []specs.LinuxThrottleDevice{dev(8, 0, 0)},
		}}, want: []string{"io.max=8:0 rbps=1000 wbps=3000 riops=40 wiops=max", "io.max=8:16 rbps=2000"}},
		{name: "hugepages", r: specs.LinuxResources{HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "2MB", Limit: 4 << 20}}},
			want: []string{"hugetlb.2MB.max=4194304"}},
		{name: "--cgroup-conf", r: specs.LinuxResources{Unified: map[string]string{"memory.high": "1000000", "cpu.idle": "1"}},
			want: []string{"cpu.idle=1", "memory.high=1000000"}},
		{name: "--memory-swappiness is v1 only", r: specs.LinuxResources{Memory: &specs.LinuxMemory{Swappiness: ptr(uint64(10))}}, err: errdefs.ErrNotImplemented},
		{name: "--kernel-memory", r: specs.LinuxResources{Memory: &specs.LinuxMemory{Kernel: ptr(mib)}}, err: errdefs.ErrNotImplemented},
		{name: "device rules are not limits", r: specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := v2Settings(&tt.r, func(f string) string { return tt.cur[f] })
			if !errors.Is(err, tt.err) || (tt.err == nil && err != nil) {
				t.Fatalf("got error %v, want %v", err, tt.err)
			}
			if diff := cmp.Diff(written(got), tt.want); diff != "" {
				t.Errorf("settings (-got +want):\n%s", diff)
			}
		})
	}
}

// TestV1Settings is the flag → v1 controller file table.
func TestV1Settings(t *testing.T) {
	mib := int64(1 << 20)
	tests := []struct {
		name   string
		r      specs.LinuxResources
		noSwap bool // the kernel does not account swap
		want   []string
		err    error
	}{
		{name: "--memory", r: specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: ptr(32 * mib)}}, want: []string{"memory.limit_in_bytes=33554432"}},
		{name: "--memory -1", r: specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: ptr(int64(-5))}}, want: []string{"memory.limit_in_bytes=-1"}},
		{name: "--memory-reservation", r: specs.LinuxResources{Memory: &specs.LinuxMemory{Reservation: ptr(16 * mib)}}, want: []string{"memory.soft_limit_in_bytes=16777216"}},
		{name: "--memory-swap", r: specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: ptr(32 * mib), Swap: ptr(64 * mib)}},
			want: []string{"memory.limit_in_bytes=33554432", "memory.memsw.limit_in_bytes=67108864"}},
		{name: "--memory-swap without swap accounting", noSwap: true,
			r: specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: ptr(32 * mib), Swap: ptr(64 * mib)}}, err: errdefs.ErrNotImplemented},
		{name: "--memory-swap equal to --memory without swap accounting", noSwap: true,
			r:    specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: ptr(32 * mib), Swap: ptr(32 * mib)}},
			want: []string{"memory.limit_in_bytes=33554432"}},
		{name: "--memory-swap -1 without swap accounting", noSwap: true,
			r:    specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: ptr(32 * mib), Swap: ptr(int64(-1))}},
			want: []string{"memory.limit_in_bytes=33554432"}},
		{name: "--memory-swap below --memory", r: specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: ptr(32 * mib), Swap: ptr(mib)}}, err: errdefs.ErrInvalidArgument},
		{name: "--memory-swappiness", r: specs.LinuxResources{Memory: &specs.LinuxMemory{Swappiness: ptr(uint64(10))}}, want: []string{"memory.swappiness=10"}},
		{name: "--oom-kill-disable", r: specs.LinuxResources{Memory: &specs.LinuxMemory{DisableOOMKiller: ptr(true)}}, want: []string{"memory.oom_control=1"}},
		{name: "--cpu-shares", r: specs.LinuxResources{CPU: &specs.LinuxCPU{Shares: ptr(uint64(512))}}, want: []string{"cpu.shares=512"}},
		{name: "--cpus: period before quota", r: specs.LinuxResources{CPU: &specs.LinuxCPU{Quota: ptr(int64(50000)), Period: ptr(uint64(100000))}},
			want: []string{"cpu.cfs_period_us=100000", "cpu.cfs_quota_us=50000"}},
		{name: "--cpu-quota -1", r: specs.LinuxResources{CPU: &specs.LinuxCPU{Quota: ptr(int64(-1))}}, want: []string{"cpu.cfs_quota_us=-1"}},
		{name: "--cpuset-cpus", r: specs.LinuxResources{CPU: &specs.LinuxCPU{Cpus: "1", Mems: "0"}}, want: []string{"cpuset.cpus=1", "cpuset.mems=0"}},
		{name: "--pids-limit", r: specs.LinuxResources{Pids: &specs.LinuxPids{Limit: ptr(int64(16))}}, want: []string{"pids.max=16"}},
		{name: "--pids-limit -1", r: specs.LinuxResources{Pids: &specs.LinuxPids{Limit: ptr(int64(-1))}}, want: []string{"pids.max=max"}},
		{name: "--blkio-weight", r: specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{Weight: ptr(uint16(300))}},
			want: []string{"blkio.weight=300|blkio.bfq.weight=300"}},
		{name: "throttles", r: specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{
			ThrottleReadBpsDevice:   []specs.LinuxThrottleDevice{dev(8, 0, 1000)},
			ThrottleWriteBpsDevice:  []specs.LinuxThrottleDevice{dev(8, 0, 2000)},
			ThrottleReadIOPSDevice:  []specs.LinuxThrottleDevice{dev(8, 0, 30)},
			ThrottleWriteIOPSDevice: []specs.LinuxThrottleDevice{dev(8, 0, 40)},
		}}, want: []string{"blkio.throttle.read_bps_device=8:0 1000", "blkio.throttle.write_bps_device=8:0 2000",
			"blkio.throttle.read_iops_device=8:0 30", "blkio.throttle.write_iops_device=8:0 40"}},
		{name: "--cgroup-conf needs v2", r: specs.LinuxResources{Unified: map[string]string{"memory.high": "1"}}, err: errdefs.ErrNotImplemented},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			has := func(_, file string) bool { return !(tt.noSwap && file == "memory.memsw.limit_in_bytes") }
			got, err := v1Settings(&tt.r, has)
			if !errors.Is(err, tt.err) || (tt.err == nil && err != nil) {
				t.Fatalf("got error %v, want %v", err, tt.err)
			}
			if diff := cmp.Diff(written(got), tt.want); diff != "" {
				t.Errorf("settings (-got +want):\n%s", diff)
			}
		})
	}
}

// TestCreateV2Fake creates a container's cgroup in a fake unified tree:
// controllers enabled along the path, limits in the files.
func TestCreateV2Fake(t *testing.T) {
	root, dir := fakeV2(t, "memory pids")
	c, err := newCgroup(Options{ID: testID, Root: root}, testEnv(t, "/"))
	if err != nil {
		t.Fatal(err)
	}
	r := &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: ptr(int64(32 << 20))}, Pids: &specs.LinuxPids{Limit: ptr(int64(16))}}
	if err := c.Create(r); err != nil {
		t.Fatal(err)
	}
	if err := c.Join(4242); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, f := range []string{"cgroup.subtree_control", "hutch/cgroup.subtree_control", "hutch/hutch-" + testID + ".scope/memory.max",
		"hutch/hutch-" + testID + ".scope/pids.max", "hutch/hutch-" + testID + ".scope/cgroup.procs"} {
		got[f] = readTestFile(t, filepath.Join(root, f))
	}
	want := map[string]string{
		"cgroup.subtree_control":                        "+memory +pids\n",
		"hutch/cgroup.subtree_control":                  "+memory +pids\n",
		"hutch/hutch-" + testID + ".scope/memory.max":   "33554432",
		"hutch/hutch-" + testID + ".scope/pids.max":     "16",
		"hutch/hutch-" + testID + ".scope/cgroup.procs": "4242",
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("files (-got +want):\n%s", diff)
	}
	if diff := cmp.Diff(c.Ref(), Ref{Layout: LayoutV2, Paths: map[string]string{"": dir}}); diff != "" {
		t.Errorf("ref (-got +want):\n%s", diff)
	}
}

// TestCreateV1Fake creates a container's cgroups in a fake hybrid tree:
// a directory per controller, cpuset inherited, limits in the files.
func TestCreateV1Fake(t *testing.T) {
	root := fakeV1(t)
	c, err := newCgroup(Options{ID: testID, Root: root, Parent: "/hutch"}, testEnv(t, "/"))
	if err != nil {
		t.Fatal(err)
	}
	r := &specs.LinuxResources{
		Memory: &specs.LinuxMemory{Limit: ptr(int64(32 << 20)), Swap: ptr(int64(32 << 20))},
		Pids:   &specs.LinuxPids{Limit: ptr(int64(16))},
		CPU:    &specs.LinuxCPU{Shares: ptr(uint64(512)), Quota: ptr(int64(50000)), Period: ptr(uint64(100000))},
	}
	if err := c.Create(r); err != nil {
		t.Fatal(err)
	}
	if err := c.Join(4242); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, f := range []string{"memory/hutch/" + testID + "/memory.limit_in_bytes", "memory/hutch/" + testID + "/memory.memsw.limit_in_bytes",
		"pids/hutch/" + testID + "/pids.max", "cpu,cpuacct/hutch/" + testID + "/cpu.shares", "cpu,cpuacct/hutch/" + testID + "/cpu.cfs_quota_us",
		"cpu,cpuacct/hutch/" + testID + "/cpu.cfs_period_us", "cpuset/hutch/cpuset.cpus", "cpuset/hutch/" + testID + "/cpuset.cpus",
		"cpuset/hutch/" + testID + "/cpuset.mems", "freezer/hutch/" + testID + "/cgroup.procs"} {
		got[f] = readTestFile(t, filepath.Join(root, f))
	}
	want := map[string]string{
		"memory/hutch/" + testID + "/memory.limit_in_bytes":       "33554432",
		"memory/hutch/" + testID + "/memory.memsw.limit_in_bytes": "33554432",
		"pids/hutch/" + testID + "/pids.max":                      "16",
		"cpu,cpuacct/hutch/" + testID + "/cpu.shares":             "512",
		"cpu,cpuacct/hutch/" + testID + "/cpu.cfs_quota_us":       "50000",
		"cpu,cpuacct/hutch/" + testID + "/cpu.cfs_period_us":      "100000",
		"cpuset/hutch/cpuset.cpus":                                "0-1",
		"cpuset/hutch/" + testID + "/cpuset.cpus":                 "0-1",
		"cpuset/hutch/" + testID + "/cpuset.mems":                 "0",
		"freezer/hutch/" + testID + "/cgroup.procs":               "4242",
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("files (-got +want):\n%s", diff)
	}
	wantPaths := map[string]string{}
	for ctrl, mnt := range map[string]string{"memory": "memory", "pids": "pids", "cpu": "cpu,cpuacct", "cpuacct": "cpu,cpuacct",
		"cpuset": "cpuset", "blkio": "blkio", "freezer": "freezer"} {
		wantPaths[ctrl] = filepath.Join(root, mnt, "hutch", testID)
	}
	if diff := cmp.Diff(c.Ref(), Ref{Layout: LayoutV1, Paths: wantPaths}); diff != "" {
		t.Errorf("ref (-got +want):\n%s", diff)
	}
}

// TestUpdate writes only what the update sets, keeping what it leaves
// out (cpu.max's period on v2).
func TestUpdate(t *testing.T) {
	t.Run("v2", func(t *testing.T) {
		_, dir := fakeV2(t, "cpu memory pids")
		writeTestFile(t, filepath.Join(dir, "cpu.max"), "max 50000")
		writeTestFile(t, filepath.Join(dir, "memory.max"), "33554432")
		c := FromRef(Ref{Layout: LayoutV2, Paths: map[string]string{"": dir}}, "")
		err := c.Update(&specs.LinuxResources{CPU: &specs.LinuxCPU{Quota: ptr(int64(25000))}, Memory: &specs.LinuxMemory{Limit: ptr(int64(64 << 20))}})
		if err != nil {
			t.Fatal(err)
		}
		got := []string{readTestFile(t, filepath.Join(dir, "cpu.max")), readTestFile(t, filepath.Join(dir, "memory.max")), readTestFile(t, filepath.Join(dir, "pids.max"))}
		if diff := cmp.Diff(got, []string{"25000 50000", "67108864", ""}); diff != "" {
			t.Errorf("files (-got +want):\n%s", diff)
		}
	})
	t.Run("v1 memory and swap growing", func(t *testing.T) {
		root := fakeV1(t)
		dir := filepath.Join(root, "memory", "hutch", testID)
		c := FromRef(Ref{Layout: LayoutV1, Paths: map[string]string{"memory": dir}}, "")
		err := c.Update(&specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: ptr(int64(64 << 20)), Swap: ptr(int64(128 << 20))}})
		if err != nil {
			t.Fatal(err)
		}
		got := []string{readTestFile(t, filepath.Join(dir, "memory.limit_in_bytes")), readTestFile(t, filepath.Join(dir, "memory.memsw.limit_in_bytes"))}
		if diff := cmp.Diff(got, []string{"67108864", "134217728"}); diff != "" {
			t.Errorf("files (-got +want):\n%s", diff)
		}
	})
	t.Run("gone", func(t *testing.T) {
		c := FromRef(Ref{Layout: LayoutV2, Paths: map[string]string{"": filepath.Join(t.TempDir(), "gone")}}, "")
		err := c.Update(&specs.LinuxResources{Pids: &specs.LinuxPids{Limit: ptr(int64(5))}})
		if !errors.Is(err, errdefs.ErrNotFound) {
			t.Errorf("got %v, want not found", err)
		}
	})
	t.Run("missing knob", func(t *testing.T) {
		_, dir := fakeV2(t, "cpu memory pids io")
		if err := os.Remove(filepath.Join(dir, "io.weight")); err != nil {
			t.Fatal(err)
		}
		c := FromRef(Ref{Layout: LayoutV2, Paths: map[string]string{"": dir}}, "")
		err := c.Update(&specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{Weight: ptr(uint16(100))}})
		if !errors.Is(err, errdefs.ErrNotImplemented) || !strings.Contains(err.Error(), "--blkio-weight") || !strings.Contains(err.Error(), "io.weight") {
			t.Errorf("got %v, want not implemented naming --blkio-weight and io.weight", err)
		}
	})
}
