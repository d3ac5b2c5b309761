package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/hutchctr/hutch/pkg/errdefs"
	"github.com/hutchctr/hutch/pkg/state"
)

const mib = 1 << 20

// testHost is a two-CPU host with one memory node and one block device,
// /dev/vda (253:0); /dev/null is a character device.
func testHost() hostFacts {
	return hostFacts{
		numCPU: 2, cpus: "0-1", mems: "0",
		blockDevice: func(path string) (int64, int64, error) {
			switch path {
			case "/dev/vda":
				return 253, 0, nil
			case "/dev/vdb":
				return 253, 16, nil
			case "/dev/null":
				return 0, 0, fmt.Errorf("%s is not a block device", path)
			}
			return 0, 0, fmt.Errorf("%s does not exist", path)
		},
	}
}

func TestLinuxResourcesMemory(t *testing.T) {
	tests := []struct {
		name string
		in   ResourceOptions
		want *specs.LinuxMemory
	}{
		{"memory gets twice its size as memory+swap", ResourceOptions{Memory: 64 * mib},
			&specs.LinuxMemory{Limit: ptrTo[int64](64 * mib), Swap: ptrTo[int64](128 * mib)}},
		{"explicit swap", ResourceOptions{Memory: 64 * mib, MemorySwap: 100 * mib},
			&specs.LinuxMemory{Limit: ptrTo[int64](64 * mib), Swap: ptrTo[int64](100 * mib)}},
		{"unlimited swap", ResourceOptions{Memory: 64 * mib, MemorySwap: -1},
			&specs.LinuxMemory{Limit: ptrTo[int64](64 * mib), Swap: ptrTo[int64](-1)}},
		{"swap equal to memory: no swap", ResourceOptions{Memory: 64 * mib, MemorySwap: 64 * mib},
			&specs.LinuxMemory{Limit: ptrTo[int64](64 * mib), Swap: ptrTo[int64](64 * mib)}},
		{"reservation alone", ResourceOptions{MemoryReservation: 32 * mib},
			&specs.LinuxMemory{Reservation: ptrTo[int64](32 * mib)}},
		{"the minimum", ResourceOptions{Memory: 6 * mib},
			&specs.LinuxMemory{Limit: ptrTo[int64](6 * mib), Swap: ptrTo[int64](12 * mib)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := mustResources(t, tt.in)
			if diff := cmp.Diff(r.Memory, tt.want); diff != "" {
				t.Errorf("memory (-got +want):\n%s", diff)
			}
		})
	}
}

func TestLinuxResourcesCPU(t *testing.T) {
	tests := []struct {
		name string
		in   ResourceOptions
		want *specs.LinuxCPU
	}{
		{"cpus", ResourceOptions{CPUs: 1.5}, &specs.LinuxCPU{Quota: ptrTo[int64](150000), Period: ptrTo[uint64](100000)}},
		{"tiny cpus round", ResourceOptions{CPUs: 0.333333}, &specs.LinuxCPU{Quota: ptrTo[int64](33333), Period: ptrTo[uint64](100000)}},
		{"shares", ResourceOptions{CPUShares: 512}, &specs.LinuxCPU{Shares: ptrTo[uint64](512)}},
		{"quota and period", ResourceOptions{CPUQuota: 50000, CPUPeriod: 200000},
			&specs.LinuxCPU{Quota: ptrTo[int64](50000), Period: ptrTo[uint64](200000)}},
		{"quota alone", ResourceOptions{CPUQuota: 20000}, &specs.LinuxCPU{Quota: ptrTo[int64](20000)}},
		{"cpuset", ResourceOptions{CpusetCpus: "0-1", CpusetMems: "0"}, &specs.LinuxCPU{Cpus: "0-1", Mems: "0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := mustResources(t, tt.in)
			if diff := cmp.Diff(r.CPU, tt.want); diff != "" {
				t.Errorf("cpu (-got +want):\n%s", diff)
			}
		})
	}
}

func TestLinuxResourcesPidsAndBlockIO(t *testing.T) {
	dev := func(major, minor int64, rate uint64) specs.LinuxThrottleDevice {
		d := specs.LinuxThrottleDevice{Rate: rate}
		d.Major, d.Minor = major, minor
		return d
	}
	tests := []struct {
		name   string
		in     ResourceOptions
		update bool
		want   *specs.LinuxResources
	}{
		{"pids", ResourceOptions{PidsLimit: ptrTo[int64](10)}, false,
			&specs.LinuxResources{Pids: &specs.LinuxPids{Limit: ptrTo[int64](10)}}},
		{"unlimited pids at create: no limit", ResourceOptions{PidsLimit: ptrTo[int64](-1)}, false, nil},
		{"zero pids at create: no limit", ResourceOptions{PidsLimit: ptrTo[int64](0)}, false, nil},
		{"unlimited pids at update: max", ResourceOptions{PidsLimit: ptrTo[int64](-1)}, true,
			&specs.LinuxResources{Pids: &specs.LinuxPids{Limit: ptrTo[int64](-1)}}},
		{"blkio weight", ResourceOptions{BlkioWeight: 300}, false,
			&specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{Weight: ptrTo[uint16](300)}}},
		{"device throttles", ResourceOptions{
			DeviceReadBps: []ThrottleDevice{{"/dev/vda", mib}}, DeviceWriteBps: []ThrottleDevice{{"/dev/vdb", 2 * mib}},
			DeviceReadIOps: []ThrottleDevice{{"/dev/vda", 100}}, DeviceWriteIOps: []ThrottleDevice{{"/dev/vda", 50}, {"/dev/vdb", 60}},
		}, false, &specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{
			ThrottleReadBpsDevice:   []specs.LinuxThrottleDevice{dev(253, 0, mib)},
			ThrottleWriteBpsDevice:  []specs.LinuxThrottleDevice{dev(253, 16, 2*mib)},
			ThrottleReadIOPSDevice:  []specs.LinuxThrottleDevice{dev(253, 0, 100)},
			ThrottleWriteIOPSDevice: []specs.LinuxThrottleDevice{dev(253, 0, 50), dev(253, 16, 60)},
		}}},
		{"nothing", ResourceOptions{}, false, nil},
		{"oom score alone is no cgroup limit", ResourceOptions{OOMScoreAdj: ptrTo(500)}, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := linuxResources(tt.in, testHost(), tt.update)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("resources (-got +want):\n%s", diff)
			}
		})
	}
}

func mustResources(t *testing.T, in ResourceOptions) *specs.LinuxResources {
	t.Helper()
	r, err := linuxResources(in, testHost(), false)
	if err != nil {
		t.Fatal(err)
	}
	if r == nil {
		t.Fatal("no resources")
	}
	return r
}

func TestValidateResources(t *testing.T) {
	tests := []struct {
		name string
		in   ResourceOptions
		want string // in the message
	}{
		{"memory below 6MB", ResourceOptions{Memory: 4 * mib}, "--memory 4m: the minimum memory limit is 6MB"},
		{"reservation below 6MB", ResourceOptions{MemoryReservation: 1000}, "minimum memory reservation is 6MB"},
		{"reservation above memory", ResourceOptions{Memory: 64 * mib, MemoryReservation: 128 * mib}, "must not exceed --memory 64m"},
		{"swap without memory", ResourceOptions{MemorySwap: 64 * mib}, "--memory-swap needs --memory"},
		{"swap smaller than memory", ResourceOptions{Memory: 64 * mib, MemorySwap: 32 * mib}, "--memory-swap 32m is smaller than --memory 64m"},
		{"swap below -1", ResourceOptions{Memory: 64 * mib, MemorySwap: -2}, "--memory-swap -2"},
		{"cpus and quota", ResourceOptions{CPUs: 1, CPUQuota: 50000}, "--cpus and --cpu-quota cannot be set together"},
		{"cpus and period", ResourceOptions{CPUs: 1, CPUPeriod: 50000}, "--cpus and --cpu-period cannot be set together"},
		{"more cpus than the host", ResourceOptions{CPUs: 3}, "--cpus 3: this host has only 2 CPUs"},
		{"negative cpus", ResourceOptions{CPUs: -1}, "must be positive"},
		{"too few cpus", ResourceOptions{CPUs: 0.001}, "the smallest value is 0.01"},
		{"small quota", ResourceOptions{CPUQuota: 500}, "--cpu-quota 500"},
		{"small period", ResourceOptions{CPUPeriod: 500}, "--cpu-period 500"},
		{"large period", ResourceOptions{CPUPeriod: 2_000_000}, "--cpu-period 2000000"},
		{"cpuset syntax", ResourceOptions{CpusetCpus: "0-"}, `--cpuset-cpus "0-"`},
		{"cpuset letters", ResourceOptions{CpusetCpus: "a"}, `--cpuset-cpus "a"`},
		{"cpuset backwards", ResourceOptions{CpusetCpus: "1-0"}, "goes backwards"},
		{"cpuset missing cpu", ResourceOptions{CpusetCpus: "0-3"}, "--cpuset-cpus 0-3: CPU 2 does not exist here (available: 0-1)"},
		{"cpuset missing node", ResourceOptions{CpusetMems: "1"}, "--cpuset-mems 1: memory node 1 does not exist here"},
		{"device missing", ResourceOptions{DeviceReadBps: []ThrottleDevice{{"/dev/nope", 1}}}, "--device-read-bps /dev/nope:1: /dev/nope does not exist"},
		{"not a block device", ResourceOptions{DeviceWriteIOps: []ThrottleDevice{{"/dev/null", 1}}}, "/dev/null is not a block device"},
		{"blkio weight low", ResourceOptions{BlkioWeight: 5}, "--blkio-weight 5: the weight must be between 10 and 1000"},
		{"blkio weight high", ResourceOptions{BlkioWeight: 1001}, "--blkio-weight 1001"},
		{"oom score low", ResourceOptions{OOMScoreAdj: ptrTo(-1001)}, "--oom-score-adj -1001: the value must be between -1000 and 1000"},
		{"oom score high", ResourceOptions{OOMScoreAdj: ptrTo(1001)}, "--oom-score-adj 1001"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := linuxResources(tt.in, testHost(), false)
			if !errors.Is(err, errdefs.ErrInvalidArgument) {
				t.Fatalf("got %v, want ErrInvalidArgument", err)
			}
			if !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("got %q, want one line containing %q", err, tt.want)
			}
		})
	}
}

func TestValidateResourcesAccepts(t *testing.T) {
	for _, in := range []ResourceOptions{
		{CPUs: 2}, {CPUs: 0.01}, {CPUQuota: -1}, {CPUQuota: 1000, CPUPeriod: 1000}, {CpusetCpus: "0,1"},
		{CpusetCpus: "1", CpusetMems: "0"}, {BlkioWeight: 10}, {BlkioWeight: 1000},
		{OOMScoreAdj: ptrTo(-1000)}, {OOMScoreAdj: ptrTo(1000)}, {Memory: 6 * mib, MemoryReservation: 6 * mib},
	} {
		if _, err := linuxResources(in, testHost(), false); err != nil {
			t.Errorf("%+v: %v", in, err)
		}
	}
}

func TestCgroupnsPrivate(t *testing.T) {
	tests := []struct {
		mode    string
		unified bool
		want    bool
		wantErr bool
	}{
		{"", true, true, false}, {"", false, false, false},
		{"private", false, true, false}, {"host", true, false, false},
		{"container:x", true, false, true},
	}
	for _, tt := range tests {
		got, err := cgroupnsPrivate(tt.mode, tt.unified)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("cgroupnsPrivate(%q, %t) = %t, %v; want %t, error %t", tt.mode, tt.unified, got, err, tt.want, tt.wantErr)
		}
	}
}

// TestCreateResources checks what create records in the spec: limits,
// the default pids limit where it can be enforced, --oom-score-adj,
// --cgroup-parent and the cgroup namespace.
func TestCreateResources(t *testing.T) {
	tests := []struct {
		name       string
		o          CreateOptions
		cg         *fakeCgroups
		wantRes    *specs.LinuxResources
		wantNS     bool
		wantChecks int
	}{
		{"no flags on v1: default pids, host cgroupns", CreateOptions{}, &fakeCgroups{},
			&specs.LinuxResources{Pids: &specs.LinuxPids{Limit: ptrTo[int64](2048)}}, false, 1},
		{"no flags where pids cannot be limited: nothing", CreateOptions{},
			&fakeCgroups{refuse: errdefs.Errorf(errdefs.ErrPermission, "cgroup v1")}, nil, false, 1},
		{"v2 defaults to a private cgroupns", CreateOptions{}, &fakeCgroups{unified: true},
			&specs.LinuxResources{Pids: &specs.LinuxPids{Limit: ptrTo[int64](2048)}}, true, 1},
		{"cgroupns host on v2", CreateOptions{CgroupNS: "host"}, &fakeCgroups{unified: true},
			&specs.LinuxResources{Pids: &specs.LinuxPids{Limit: ptrTo[int64](2048)}}, false, 1},
		{"memory and pids", CreateOptions{CgroupNS: "private", Resources: ResourceOptions{Memory: 32 * mib, PidsLimit: ptrTo[int64](10)}},
			&fakeCgroups{}, &specs.LinuxResources{
				Memory: &specs.LinuxMemory{Limit: ptrTo[int64](32 * mib), Swap: ptrTo[int64](64 * mib)},
				Pids:   &specs.LinuxPids{Limit: ptrTo[int64](10)},
			}, true, 1},
		{"memory gets the default pids", CreateOptions{Resources: ResourceOptions{Memory: 32 * mib}},
			&fakeCgroups{}, &specs.LinuxResources{
				Memory: &specs.LinuxMemory{Limit: ptrTo[int64](32 * mib), Swap: ptrTo[int64](64 * mib)},
				Pids:   &specs.LinuxPids{Limit: ptrTo[int64](2048)},
			}, false, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, _, _ := newTestEngine(t)
			cg := tt.cg
			e.cg = cg
			tt.o.Image = "busybox"
			id, err := e.Create(context.Background(), tt.o)
			if err != nil {
				t.Fatal(err)
			}
			c := loadContainer(t, e, id)
			if diff := cmp.Diff(c.Config.Spec.Linux.Resources, tt.wantRes); diff != "" {
				t.Errorf("resources (-got +want):\n%s", diff)
			}
			if got := hasNamespace(c.Config.Spec, specs.CgroupNamespace); got != tt.wantNS {
				t.Errorf("cgroup namespace: got %t, want %t", got, tt.wantNS)
			}
			// Its own cgroup2 file system goes with a private namespace
			// on v2 only (on v1 there is no single tree to mount).
			mounted := slices.ContainsFunc(c.Config.Spec.Mounts, func(m specs.Mount) bool {
				return m.Destination == "/sys/fs/cgroup" && m.Type == "cgroup2"
			})
			if want := tt.wantNS && tt.cg.unified; mounted != want {
				t.Errorf("cgroup2 mount at /sys/fs/cgroup: got %t, want %t", mounted, want)
			}
			if len(cg.checked) != tt.wantChecks {
				t.Errorf("Check called %d times, want %d", len(cg.checked), tt.wantChecks)
			}
		})
	}
}

func TestCreateOOMScoreAndParent(t *testing.T) {
	e, _, _ := newTestEngine(t)
	id, err := e.Create(context.Background(), CreateOptions{Image: "busybox", CgroupParent: "mygroup",
		Resources: ResourceOptions{OOMScoreAdj: ptrTo(-500)}})
	if err != nil {
		t.Fatal(err)
	}
	sp := loadContainer(t, e, id).Config.Spec
	if got := sp.Annotations[cgroupParentAnnotation]; got != "mygroup" {
		t.Errorf("parent annotation %q, want mygroup", got)
	}
	if sp.Process.OOMScoreAdj == nil || *sp.Process.OOMScoreAdj != -500 {
		t.Errorf("OOMScoreAdj = %v, want -500", sp.Process.OOMScoreAdj)
	}
}

// TestCreateRefusedLimitLeavesNothing: a limit this host cannot enforce
// (rootless on cgroup v1) fails create with the backend's error, before
// anything exists.
func TestCreateRefusedLimitLeavesNothing(t *testing.T) {
	e, _, _ := newTestEngine(t)
	refusal := errdefs.Errorf(errdefs.ErrPermission, "--memory needs the memory controller, which rootless containers cannot use on cgroup v1")
	e.cg = &fakeCgroups{refuse: refusal}
	_, err := e.Create(context.Background(), CreateOptions{Image: "busybox", Resources: ResourceOptions{Memory: 32 * mib}})
	if !errors.Is(err, errdefs.ErrPermission) || err.Error() != refusal.Error() {
		t.Fatalf("got %v, want %v", err, refusal)
	}
	list, _ := e.state.List()
	if n := leftovers(t, e); len(list) != 0 || n != 0 {
		t.Errorf("left behind: %d records, %d container directories", len(list), n)
	}
}

// loadContainer reads a container's record and spec.
func loadContainer(t *testing.T, e *Engine, id string) *state.Container {
	t.Helper()
	c, err := e.state.Get(id)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.state.LoadSpec(c); err != nil {
		t.Fatal(err)
	}
	return c
}

func hasNamespace(sp *specs.Spec, typ specs.LinuxNamespaceType) bool {
	for _, n := range sp.Linux.Namespaces {
		if n.Type == typ {
			return true
		}
	}
	return false
}
