package monitor

import (
	"context"
	"fmt"
	"os"
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/hutchctr/hutch/pkg/cgroupsv2"
	"github.com/hutchctr/hutch/pkg/errdefs"
	"github.com/hutchctr/hutch/pkg/state"
)

// cgroupEnd is what the container's cgroup says about its end, recorded
// with the exit.
type cgroupEnd struct {
	// oomKilled: the OOM killer killed a process of the container.
	oomKilled bool
	// left is the cgroup that could not be removed (nil: none), kept in
	// the state so that rm or the next start can retry.
	left *cgroupsv2.Ref
}

// placer returns the ns.Config.Place hook: it puts the freshly cloned
// init (which waits for its bootstrap) into the container's cgroup with
// the spec's limits, and sets its OOM score adjustment. A cgroup that
// cannot be had fails the start only when the spec asks for limits; a
// plain container then runs without one.
func (m *monitor) placer(spec *specs.Spec) func(pid int) error {
	return func(pid int) error {
		var res *specs.LinuxResources
		if spec.Linux != nil {
			res = spec.Linux.Resources
		}
		cg, err := m.makeCgroup(spec, pid, res)
		switch {
		case err != nil && !cgroupsv2.Empty(res):
			return fmt.Errorf("container %s: %w", shortID(m.cfg.ID), err)
		case err != nil:
			m.log.Debug("running without a cgroup of its own", "err", err)
		case cg.Ref().Layout != cgroupsv2.LayoutNone:
			m.cgroup = cg
		}
		if adj := spec.Process.OOMScoreAdj; adj != nil {
			return setOOMScoreAdj(pid, *adj)
		}
		return nil
	}
}

// makeCgroup creates the container's cgroup and moves pid into it.
func (m *monitor) makeCgroup(spec *specs.Spec, pid int, res *specs.LinuxResources) (*cgroupsv2.Cgroup, error) {
	cg, err := cgroupsv2.New(cgroupsv2.Options{
		ID:       m.cfg.ID,
		Parent:   spec.Annotations[cgroupsv2.ParentAnnotation],
		Rootless: m.cfg.Rootless,
		Manager:  m.cfg.CgroupManager,
	})
	if err != nil {
		return nil, err
	}
	if err := cg.Create(res); err != nil {
		return nil, err
	}
	if err := cg.Join(pid); err != nil {
		if derr := cg.Destroy(); derr != nil {
			m.log.Warn("remove the cgroup init could not join", "err", derr)
		}
		return nil, err
	}
	return cg, nil
}

// setOOMScoreAdj applies --oom-score-adj to init before it execs; the
// user's process and its children inherit it.
func setOOMScoreAdj(pid, adj int) error {
	path := fmt.Sprintf("/proc/%d/oom_score_adj", pid)
	if err := os.WriteFile(path, []byte(strconv.Itoa(adj)), 0); err != nil {
		if os.IsPermission(err) {
			return errdefs.Errorf(errdefs.ErrPermission, "--oom-score-adj %d: write %s: %w (lowering it needs CAP_SYS_RESOURCE)", adj, path, err)
		}
		return fmt.Errorf("--oom-score-adj %d: write %s: %w", adj, path, err)
	}
	return nil
}

// cgroupRef is the container's cgroup to record while it runs (nil:
// none).
func (m *monitor) cgroupRef() *cgroupsv2.Ref {
	if m.cgroup == nil {
		return nil
	}
	ref := m.cgroup.Ref()
	return &ref
}

// watchOOM records OOMKilled as soon as the OOM killer kills a process of
// the container, while it runs: inspect tells why a process vanished from
// a container that goes on. The exit record reads the count again.
func (m *monitor) watchOOM() {
	cg := m.cgroup
	if cg == nil {
		return
	}
	// Stopping does not wait for the watcher: it may be waiting for the
	// container's lock, which the caller of releaseCgroup may hold.
	ctx, cancel := context.WithCancel(context.Background())
	m.stopOOMWatch = cancel
	go func() {
		err := cg.WatchOOM(ctx, func() {
			m.log.Info("the OOM killer killed a process of the container")
			h, err := m.store.Lock(m.cfg.ID)
			if err != nil {
				return
			}
			defer h.Unlock()
			if err := h.Update(func(s *state.State) error { s.OOMKilled = true; return nil }); err != nil {
				m.log.Warn("record the OOM kill", "err", err)
			}
		})
		if err != nil {
			m.log.Warn("watch the container's OOM kills", "err", err)
		}
	}()
}

// releaseCgroup is called once init is gone: it reads whether the OOM
// killer struck, then removes the cgroup (killing what is left in it).
func (m *monitor) releaseCgroup() cgroupEnd {
	var end cgroupEnd
	if m.stopOOMWatch != nil {
		m.stopOOMWatch()
		m.stopOOMWatch = nil
	}
	cg := m.cgroup
	if cg == nil {
		return end
	}
	m.cgroup = nil
	n, err := cg.OOMKills()
	if err != nil {
		m.log.Warn("read the container's OOM kill count", "err", err)
	}
	end.oomKilled = n > 0
	if err := cg.Destroy(); err != nil {
		m.log.Warn("remove the container's cgroup", "err", err)
		ref := cg.Ref()
		end.left = &ref
	}
	return end
}
