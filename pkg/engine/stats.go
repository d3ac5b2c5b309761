package engine

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/hutchctr/hutch/pkg/cgroupsv2"
	"github.com/hutchctr/hutch/pkg/errdefs"
	"github.com/hutchctr/hutch/pkg/state"
)

// StatsOptions are the settings of `hutch stats`.
type StatsOptions struct {
	// Refs name the containers; none means every running one.
	Refs []string
	// Previous are the samples of the last frame, by container ID: CPU % is
	// the usage between each and now. Without one, the usage since the
	// container started (what --no-stream shows, like Podman).
	Previous map[string]ContainerStats
}

// ContainerStats is one container's resource use at one moment. JSON
// names follow Podman's define.ContainerStats.
type ContainerStats struct {
	ID   string `json:"ContainerID"`
	Name string `json:"Name"`
	// CPU is the CPU used since the previous sample, in percent of one
	// CPU (200 is two CPUs busy); AvgCPU the same since the start.
	CPU    float64 `json:"CPU"`
	AvgCPU float64 `json:"AvgCPU"`
	// CPUNano is the CPU time used since the start; SystemNano is when
	// the sample was taken (Unix nanoseconds).
	CPUNano    uint64 `json:"CPUNano"`
	SystemNano uint64 `json:"SystemNano"`
	// MemLimit is the container's memory limit, or the host's memory
	// when it has none.
	MemUsage    uint64        `json:"MemUsage"`
	MemLimit    uint64        `json:"MemLimit"`
	MemPerc     float64       `json:"MemPerc"`
	NetInput    uint64        `json:"NetInput"`
	NetOutput   uint64        `json:"NetOutput"`
	BlockInput  uint64        `json:"BlockInput"`
	BlockOutput uint64        `json:"BlockOutput"`
	PIDs        uint64        `json:"PIDs"`
	UpTime      time.Duration `json:"UpTime"`
}

// Stats samples the resource use of running (and paused) containers. It
// reads their cgroups and /proc and needs no storage: a container without
// a cgroup of its own (rootless on cgroup v1) shows only its network I/O.
func (e *Engine) Stats(ctx context.Context, o StatsOptions) ([]ContainerStats, error) {
	cs, err := e.statsTargets(ctx, o.Refs)
	if err != nil {
		return nil, err
	}
	hostMem := hostMemory()
	out := make([]ContainerStats, len(cs))
	errs := make([]error, len(cs))
	// Reading a cgroup's files costs a few hundred microseconds of
	// system calls per container: sample them concurrently (a bounded
	// number at once), each into its own slot.
	sem := make(chan struct{}, statsWorkers)
	var wg sync.WaitGroup
	for i, c := range cs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			out[i], errs[i] = e.sample(c, hostMem, time.Now())
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	for i, c := range cs {
		prev, ok := o.Previous[c.Config.ID]
		if !ok {
			prev = ContainerStats{SystemNano: uint64(c.State.StartedAt.UnixNano())}
		}
		out[i].CPU = cpuPercent(prev.CPUNano, prev.SystemNano, out[i].CPUNano, out[i].SystemNano)
	}
	return out, nil
}

// statsWorkers bounds the containers sampled at once.
const statsWorkers = 8

// statsTargets returns the containers refs name, which must run, or every
// running one.
func (e *Engine) statsTargets(ctx context.Context, refs []string) ([]*state.Container, error) {
	var cs []*state.Container
	if len(refs) == 0 {
		all, err := e.state.List()
		if err != nil {
			return nil, err
		}
		for _, c := range all {
			if c = e.reconcile(ctx, c); c.State.Status.Active() {
				cs = append(cs, c)
			}
		}
		sortNewestFirst(cs)
		return cs, nil
	}
	for _, ref := range refs {
		c, err := e.state.Get(ref)
		if err != nil {
			return nil, err
		}
		if c = e.reconcile(ctx, c); !c.State.Status.Active() {
			return nil, errdefs.Errorf(errdefs.ErrConflict, "container %s is %s: only running containers have stats",
				c.Config.Name, displayState(c.State.Status))
		}
		cs = append(cs, c)
	}
	return cs, nil
}

// sample reads one container's counters at now.
func (e *Engine) sample(c *state.Container, hostMem uint64, now time.Time) (ContainerStats, error) {
	s := ContainerStats{ID: c.Config.ID, Name: c.Config.Name, SystemNano: uint64(now.UnixNano())}
	if !c.State.StartedAt.IsZero() {
		s.UpTime = now.Sub(c.State.StartedAt)
	}
	if hasCgroup(c.State) {
		cg, err := e.cgroups().Open(*c.State.Cgroup).Stats()
		if err != nil {
			return s, fmt.Errorf("stats of container %s: %w", c.Config.Name, err)
		}
		fillCgroupStats(&s, cg, hostMem)
	}
	if st, err := procStartTime(c.State.Pid); err == nil && st == c.State.PidStart {
		// Only while the pid is still the container's init: a
		// reused pid would report another process's network.
		s.NetInput, s.NetOutput = netIO(c.State.Pid)
	}
	return s, nil
}

func fillCgroupStats(s *ContainerStats, cg *cgroupsv2.Stats, hostMem uint64) {
	s.CPUNano = cg.CPUUsageNanos
	s.MemUsage = cg.MemoryUsage
	s.MemLimit = cg.MemoryLimit
	if s.MemLimit == 0 || hostMem > 0 && s.MemLimit > hostMem {
		s.MemLimit = hostMem // unlimited: the host's memory, as Podman shows
	}
	if s.MemLimit > 0 {
		s.MemPerc = float64(s.MemUsage) / float64(s.MemLimit) * 100
	}
	s.BlockInput, s.BlockOutput = cg.BlockRead, cg.BlockWrite
	s.PIDs = cg.PidsCurrent
	if s.UpTime > 0 {
		s.AvgCPU = float64(s.CPUNano) / float64(s.UpTime.Nanoseconds()) * 100
	}
}

// cpuPercent is the CPU time used between two samples over the wall time
// between them, in percent of one CPU; 0 when either did not grow.
func cpuPercent(prevCPU, prevTime, cpu, now uint64) float64 {
	if cpu <= prevCPU || now <= prevTime {
		return 0
	}
	return float64(cpu-prevCPU) / float64(now-prevTime) * 100
}
