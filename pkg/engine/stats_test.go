package engine

import (
	"context"
	"errors"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hutchctr/hutch/pkg/cgroupsv2"
	"github.com/hutchctr/hutch/pkg/errdefs"
	"github.com/hutchctr/hutch/pkg/state"
)

func TestCPUPercent(t *testing.T) {
	const s = uint64(time.Second)
	tests := []struct {
		name                        string
		prevCPU, prevTime, cpu, now uint64
		want                        float64
	}{
		{"one CPU busy", 0, 0, s, s, 100},
		{"two CPUs busy", 1 * s, 10 * s, 3 * s, 11 * s, 200},
		{"a quarter", 4 * s, 8 * s, 5 * s, 12 * s, 25},
		{"idle", 5 * s, 1 * s, 5 * s, 2 * s, 0},
		{"clock did not move", 1, 5, 2, 5, 0},
		{"counter went back (a restart)", 9 * s, 1 * s, 1 * s, 2 * s, 0},
	}
	for _, tt := range tests {
		if got := cpuPercent(tt.prevCPU, tt.prevTime, tt.cpu, tt.now); got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestFillCgroupStats(t *testing.T) {
	tests := []struct {
		name    string
		cg      cgroupsv2.Stats
		hostMem uint64
		up      time.Duration
		want    ContainerStats
	}{
		{"limited", cgroupsv2.Stats{CPUUsageNanos: 5e8, MemoryUsage: 16 * mib, MemoryLimit: 64 * mib, PidsCurrent: 3,
			BlockRead: 100, BlockWrite: 200}, 1 << 30, 2 * time.Second,
			ContainerStats{CPUNano: 5e8, AvgCPU: 25, MemUsage: 16 * mib, MemLimit: 64 * mib, MemPerc: 25,
				BlockInput: 100, BlockOutput: 200, PIDs: 3, UpTime: 2 * time.Second}},
		{"unlimited: the host's memory", cgroupsv2.Stats{MemoryUsage: 256 * mib}, 1 << 30, 0,
			ContainerStats{MemUsage: 256 * mib, MemLimit: 1 << 30, MemPerc: 25}},
		{"v1's huge unlimited value: the host's memory", cgroupsv2.Stats{MemoryUsage: 256 * mib, MemoryLimit: 1 << 62}, 1 << 30, 0,
			ContainerStats{MemUsage: 256 * mib, MemLimit: 1 << 30, MemPerc: 25}},
	}
	for _, tt := range tests {
		got := ContainerStats{UpTime: tt.up}
		fillCgroupStats(&got, &tt.cg, tt.hostMem)
		if diff := cmp.Diff(got, tt.want); diff != "" {
			t.Errorf("%s (-got +want):\n%s", tt.name, diff)
		}
	}
}

func TestParseNetDev(t *testing.T) {
	in := `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:  123456     100    0    0    0     0          0         0   123456     100    0    0    0     0       0          0
  eth0:    1000      10    0    0    0     0          0         0     2000      20    0    0    0     0       0          0
  eth1:      24       1    0    0    0     0          0         0       26       1    0    0    0     0       0          0
`
	rx, tx := parseNetDev(strings.NewReader(in))
	if rx != 1024 || tx != 2026 {
		t.Errorf("got rx %d tx %d, want 1024 and 2026 (lo excluded)", rx, tx)
	}
}

func TestParseMemTotal(t *testing.T) {
	if got := parseMemTotal([]byte("MemFree: 1 kB\nMemTotal:        2048 kB\n")); got != 2048*1024 {
		t.Errorf("got %d", got)
	}
	if got := parseMemTotal([]byte("nothing\n")); got != 0 {
		t.Errorf("got %d, want 0", got)
	}
}

func TestStats(t *testing.T) {
	e, _, _ := newTestEngine(t)
	cg := e.cg.(*fakeCgroups)
	ctx := context.Background()
	id := runWithCgroup(t, e, CreateOptions{Name: "s"})
	if _, err := e.Create(ctx, CreateOptions{Image: "busybox", Name: "idle"}); err != nil {
		t.Fatal(err)
	}
	// The container started 2 s ago and used 1 s of CPU.
	started := time.Now().Add(-2 * time.Second)
	h, _ := e.state.Lock(id)
	h.Update(func(s *state.State) error { s.StartedAt = started; return nil })
	h.Unlock()
	cg.stats = map[string]*cgroupsv2.Stats{"/fake/s": {CPUUsageNanos: 1e9, MemoryUsage: 1 << 20, MemoryLimit: 4 << 20, PidsCurrent: 2}}

	got, err := e.Stats(ctx, StatsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].ID != id || got[0].Name != "s" {
		t.Fatalf("got %+v, want the running container only", got)
	}
	first := got[0]
	if first.CPU < 45 || first.CPU > 50.1 || first.AvgCPU < 45 || first.AvgCPU > 50.1 {
		t.Errorf("first sample: CPU %v%%, average %v%%; want about 50 (1 s over 2 s)", first.CPU, first.AvgCPU)
	}
	if first.MemPerc != 25 || first.PIDs != 2 {
		t.Errorf("first sample: %+v", first)
	}
	// The next frame: 1 s more CPU over the wall time since the first.
	cg.stats["/fake/s"].CPUUsageNanos = 2e9
	prev := first
	prev.SystemNano -= uint64(time.Second)
	got, err = e.Stats(ctx, StatsOptions{Refs: []string{"s"}, Previous: map[string]ContainerStats{id: prev}})
	if err != nil {
		t.Fatal(err)
	}
	if c := got[0].CPU; c < 90 || c > 100.1 {
		t.Errorf("second sample: CPU %v%%, want about 100", c)
	}
	if _, err := e.Stats(ctx, StatsOptions{Refs: []string{"idle"}}); !errors.Is(err, errdefs.ErrConflict) {
		t.Errorf("stats of a created container: got %v, want ErrConflict", err)
	}
}

func TestFilterPS(t *testing.T) {
	out := []byte(`UID          PID    PPID  C STIME TTY          TIME CMD
root           1       0  0 10:00 ?        00:00:01 /sbin/init splash
root          42       1  0 10:01 ?        00:00:00 sleep 100
100000        43      42  0 10:01 pts/0    00:00:00 sh -c while true; do :; done
`)
	got, err := filterPS(out, map[int]bool{42: true, 43: true})
	if err != nil {
		t.Fatal(err)
	}
	want := &TopResult{
		Titles: []string{"UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"},
		Processes: [][]string{
			{"root", "42", "1", "0", "10:01", "?", "00:00:00", "sleep 100"},
			{"100000", "43", "42", "0", "10:01", "pts/0", "00:00:00", "sh -c while true; do :; done"},
		},
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("filterPS (-got +want):\n%s", diff)
	}
	if _, err := filterPS([]byte("USER COMMAND\nroot init\n"), nil); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Errorf("no PID column: got %v, want ErrInvalidArgument", err)
	}
}

// TestTop runs the host's ps and keeps the fake container's process.
func TestTop(t *testing.T) {
	if _, err := exec.LookPath("ps"); err != nil {
		t.Fatalf("top needs ps (procps): %v", err)
	}
	e, _, _ := newTestEngine(t)
	ctx := context.Background()
	id := runWithCgroup(t, e, CreateOptions{Name: "t"})
	c, _ := e.state.Get(id)
	e.cg.(*fakeCgroups).procs = []int{c.State.Pid}
	got, err := e.Top(ctx, "t", []string{"-eo", "pid,args"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(got.Titles, []string{"PID", "COMMAND"}); diff != "" {
		t.Errorf("titles (-got +want):\n%s", diff)
	}
	if len(got.Processes) != 1 || got.Processes[0][0] != strconv.Itoa(c.State.Pid) || !strings.HasPrefix(got.Processes[0][1], "sh -c") {
		t.Errorf("processes %q, want the container's sh", got.Processes)
	}
	if _, err := e.Top(ctx, "t", []string{"--no-such-option"}); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Errorf("bad ps option: got %v, want ErrInvalidArgument", err)
	}
}
