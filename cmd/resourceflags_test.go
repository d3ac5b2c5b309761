package cmd

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hutchctr/hutch/pkg/engine"
)

const mib = 1 << 20

func td(path string, rate uint64) engine.ThrottleDevice {
	return engine.ThrottleDevice{Path: path, Rate: rate}
}

// TestResourceFlags parses each of run's resource flags (create shares
// them) into the engine's options; bad values are flag errors (125).
func TestResourceFlags(t *testing.T) {
	run := func(r engine.ResourceOptions, parent, ns string) *runOptions {
		return &runOptions{Create: engine.CreateOptions{Image: "img", Pull: engine.PullMissing,
			Resources: r, CgroupParent: parent, CgroupNS: ns}, SigProxy: true}
	}
	tests := []struct {
		name    string
		args    []string
		want    *runOptions
		wantErr bool
	}{
		{"memory", []string{"-m", "64m"}, run(engine.ResourceOptions{Memory: 64 * mib}, "", ""), false},
		{"memory units", []string{"--memory=1.5g"}, run(engine.ResourceOptions{Memory: 3 << 29}, "", ""), false},
		{"memory bytes", []string{"--memory", "7000000"}, run(engine.ResourceOptions{Memory: 7000000}, "", ""), false},
		{"memory kib", []string{"--memory", "8192k"}, run(engine.ResourceOptions{Memory: 8 * mib}, "", ""), false},
		{"reservation", []string{"--memory-reservation", "32MB"}, run(engine.ResourceOptions{MemoryReservation: 32 * mib}, "", ""), false},
		{"swap", []string{"-m", "64m", "--memory-swap", "128m"}, run(engine.ResourceOptions{Memory: 64 * mib, MemorySwap: 128 * mib}, "", ""), false},
		{"unlimited swap", []string{"-m", "64m", "--memory-swap=-1"}, run(engine.ResourceOptions{Memory: 64 * mib, MemorySwap: -1}, "", ""), false},
		{"cpus", []string{"--cpus", "1.5"}, run(engine.ResourceOptions{CPUs: 1.5}, "", ""), false},
		{"cpu shares", []string{"-c", "512"}, run(engine.ResourceOptions{CPUShares: 512}, "", ""), false},
		{"quota and period", []string{"--cpu-quota", "50000", "--cpu-period", "100000"},
			run(engine.ResourceOptions{CPUQuota: 50000, CPUPeriod: 100000}, "", ""), false},
		{"cpuset", []string{"--cpuset-cpus", "0-1", "--cpuset-mems", "0"}, run(engine.ResourceOptions{CpusetCpus: "0-1", CpusetMems: "0"}, "", ""), false},
		{"pids", []string{"--pids-limit", "10"}, run(engine.ResourceOptions{PidsLimit: ptr[int64](10)}, "", ""), false},
		{"unlimited pids", []string{"--pids-limit=-1"}, run(engine.ResourceOptions{PidsLimit: ptr[int64](-1)}, "", ""), false},
		{"blkio weight", []string{"--blkio-weight", "300"}, run(engine.ResourceOptions{BlkioWeight: 300}, "", ""), false},
		{"device throttles", []string{"--device-read-bps", "/dev/sda:1mb", "--device-read-bps", "/dev/sdb:2k,/dev/sdc:3",
			"--device-write-bps", "/dev/sda:1g", "--device-read-iops", "/dev/sda:1000", "--device-write-iops", "/dev/disk/by-id/x:5"},
			run(engine.ResourceOptions{
				DeviceReadBps:   []engine.ThrottleDevice{td("/dev/sda", mib), td("/dev/sdb", 2048), td("/dev/sdc", 3)},
				DeviceWriteBps:  []engine.ThrottleDevice{td("/dev/sda", 1<<30)},
				DeviceReadIOps:  []engine.ThrottleDevice{td("/dev/sda", 1000)},
				DeviceWriteIOps: []engine.ThrottleDevice{td("/dev/disk/by-id/x", 5)},
			}, "", ""), false},
		{"oom score", []string{"--oom-score-adj", "-500"}, run(engine.ResourceOptions{OOMScoreAdj: ptr(-500)}, "", ""), false},
		{"cgroup parent and namespace", []string{"--cgroup-parent", "/mine", "--cgroupns", "private"}, run(engine.ResourceOptions{}, "/mine", "private"), false},
		{"bad memory", []string{"-m", "lots"}, nil, true},
		{"negative memory", []string{"-m", "-5m"}, nil, true},
		{"memory unit typo", []string{"-m", "5q"}, nil, true},
		{"overflowing memory", []string{"-m", "9e18g"}, nil, true},
		{"swap -2", []string{"--memory-swap", "-2"}, nil, true},
		{"bad cpus", []string{"--cpus", "two"}, nil, true},
		{"negative shares", []string{"--cpu-shares", "-1"}, nil, true},
		{"bad pids", []string{"--pids-limit", "ten"}, nil, true},
		{"bad weight", []string{"--blkio-weight", "heavy"}, nil, true},
		{"weight too large for the type", []string{"--blkio-weight", "70000"}, nil, true},
		{"throttle without rate", []string{"--device-read-bps", "/dev/sda"}, nil, true},
		{"throttle relative path", []string{"--device-read-bps", "sda:1m"}, nil, true},
		{"throttle bad rate", []string{"--device-write-iops", "/dev/sda:1k"}, nil, true},
		{"throttle zero rate", []string{"--device-read-iops", "/dev/sda:0"}, nil, true},
		{"bad oom score", []string{"--oom-score-adj", "high"}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, _, _ := testIO()
			got, err := parse(t, newRunCmd, ios, append(tt.args, "img"))
			checkParse(t, got, err, tt.want, tt.wantErr)
		})
	}
}

func TestResourceFlagsOnCreate(t *testing.T) {
	ios, _, _, _ := testIO()
	got, err := parse(t, newCreateCmd, ios, []string{"-m", "32m", "--pids-limit", "10", "img"})
	want := &createOptions{Create: engine.CreateOptions{Image: "img", Pull: engine.PullMissing,
		Resources: engine.ResourceOptions{Memory: 32 * mib, PidsLimit: ptr[int64](10)}}}
	checkParse(t, got, err, want, false)
}

func TestParseThrottle(t *testing.T) {
	tests := []struct {
		in   string
		iops bool
		want engine.ThrottleDevice
		ok   bool
	}{
		{"/dev/sda:1mb", false, engine.ThrottleDevice{Path: "/dev/sda", Rate: mib}, true},
		{"/dev/sda:10", true, engine.ThrottleDevice{Path: "/dev/sda", Rate: 10}, true},
		{"/dev/mapper/a:b:1k", false, engine.ThrottleDevice{Path: "/dev/mapper/a:b", Rate: 1024}, true},
		{":1mb", false, engine.ThrottleDevice{}, false},
		{"/dev/sda:", false, engine.ThrottleDevice{}, false},
		{"/dev/sda:-1", true, engine.ThrottleDevice{}, false},
	}
	for _, tt := range tests {
		got, err := parseThrottle(tt.in, tt.iops)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("parseThrottle(%q, %t) = %+v, %v; want %+v ok=%t", tt.in, tt.iops, got, err, tt.want, tt.ok)
		}
	}
}

// FuzzParseThrottle: any input either fails or gives an absolute path and
// a positive rate, and never panics.
func FuzzParseThrottle(f *testing.F) {
	for _, s := range []string{"/dev/sda:1mb", "/dev/sda:1.5g", "x:1", "/a:b:c", "/dev/sda:9e18g", "/d:NaN", "/d:1e309"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, s string, iops bool) {
		d, err := parseThrottle(s, iops)
		if err != nil {
			return
		}
		if !strings.HasPrefix(d.Path, "/") || d.Rate == 0 {
			t.Errorf("parseThrottle(%q) = %+v", s, d)
		}
	})
}

// FuzzParseSize: a size that parses is never negative.
func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"64m", "1.5g", "0", "9e18g", "1e309", "-1", "10 kb", ".5k"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if n, err := parseSize(s); err == nil && n < 0 {
			t.Errorf("parseSize(%q) = %d", s, n)
		}
	})
}

func TestNewCmdUpdate(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    *updateOptions
		wantErr bool
	}{
		{"memory", []string{"-m", "128m", "web"}, &updateOptions{Refs: []string{"web"}, Resources: engine.ResourceOptions{Memory: 128 * mib}}, false},
		{"several containers and limits", []string{"--cpus", "0.5", "--pids-limit", "-1", "--blkio-weight", "100", "a", "b"},
			&updateOptions{Refs: []string{"a", "b"}, Resources: engine.ResourceOptions{CPUs: 0.5, PidsLimit: ptr[int64](-1), BlkioWeight: 100}}, false},
		{"throttle", []string{"--device-write-bps", "/dev/vda:1m", "c"},
			&updateOptions{Refs: []string{"c"}, Resources: engine.ResourceOptions{DeviceWriteBps: []engine.ThrottleDevice{td("/dev/vda", mib)}}}, false},
		{"no limit", []string{"web"}, nil, true},
		{"no container", []string{"-m", "64m"}, nil, true},
		{"not an update flag", []string{"--oom-score-adj", "5", "web"}, nil, true},
		{"cgroupns is create's", []string{"--cgroupns", "host", "web"}, nil, true},
		{"bad size", []string{"-m", "x", "web"}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, _, _ := testIO()
			got, err := parse(t, newUpdateCmd, ios, tt.args)
			checkParse(t, got, err, tt.want, tt.wantErr)
		})
	}
}

func TestUpdateRun(t *testing.T) {
	fake := newFakeCg()
	fake.errs = map[string]error{"Update b": notFound("container", "b")}
	ios, _, out, errOut := testIO()
	opts := &updateOptions{IO: ios, Engine: useCg[updateEngine](fake), Refs: []string{"a", "b", "c"},
		Resources: engine.ResourceOptions{Memory: 64 * mib}}
	code := reportError(errOut, nil, runUpdate(t.Context(), opts))
	checkOutput(t, code, out.String(), errOut.String(), 125, "id-of-a\nid-of-c\n", "Error: container \"b\": not found\n")
	if diff := cmp.Diff(fake.updates[0], engine.ResourceOptions{Memory: 64 * mib}); diff != "" {
		t.Errorf("engine options (-got +want):\n%s", diff)
	}
}
