package engine

import (
	"context"
	"io"
	"net"
	"os"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/hutchctr/hutch/pkg/monitor"
	"github.com/hutchctr/hutch/pkg/ns"
)

// wireReal connects the engine to the real implementations: storage (and
// the namespace holder), monitors and the runtime.
func wireReal(e *Engine) {
	e.openImages = e.openRealImages
	e.monitors = realMonitors{e}
	e.client = realClient{e}
	e.execer = realExec{}
	e.logins = realLogins{e}
}

type realMonitors struct{ e *Engine }

func (m realMonitors) Spawn(attach *os.File) (pendingMonitor, error) {
	p, err := monitor.Spawn(attach)
	if err != nil {
		return nil, err
	}
	return realPending{p, m.e}, nil
}

type realPending struct {
	p *monitor.Pending
	e *Engine
}

func (r realPending) Abort() { r.p.Abort() }

func (r realPending) Launch(ctx context.Context, c launchConfig) (*started, error) {
	st, err := r.p.Launch(ctx, monitor.Config{
		ID: c.ID, DataDir: r.e.paths.Data, RunDir: r.e.paths.Run, SpecPath: c.SpecPath,
		NetworkPlan: c.NetworkPlan, Rootless: r.e.paths.Rootless,
		Stdin: c.Stdin, Rows: c.Rows, Cols: c.Cols, LogLevel: r.e.opts.LogLevel,
		CgroupManager: r.e.cgroupManager(),
	})
	if err != nil {
		return nil, err
	}
	return &started{MonitorPid: st.MonitorPid, Pid: st.Pid}, nil
}

type realClient struct{ e *Engine }

func (realClient) Pair() (net.Conn, *os.File, error) {
	theirs, ours, err := monitor.SocketPair()
	return ours, theirs, err
}

func (c realClient) Dial(ctx context.Context, id string) (net.Conn, error) {
	return monitor.Dial(monitor.SocketPath(c.e.state.RunDir(id)))
}

func (realClient) Attach(ctx context.Context, conn net.Conn, s Streams, stdin bool) (int, error) {
	return monitor.Attach(ctx, conn, monitor.Streams{In: s.In, Out: s.Out, Err: s.Err, Terminal: s.Terminal}, stdin)
}

func (realClient) ReadLog(ctx context.Context, path string, o LogsOptions, stdout, stderr io.Writer, alive func() bool) error {
	return monitor.ReadLog(ctx, path, monitor.LogOptions{
		Follow: o.Follow, Tail: o.Tail, Since: o.Since, Until: o.Until, Timestamps: o.Timestamps,
	}, stdout, stderr, alive)
}

type realExec struct{}

func (realExec) StartExec(ctx context.Context, pid int, p *specs.Process, stdio [3]*os.File, detach bool, place func(pid int) error) (execProcess, error) {
	proc, err := ns.StartExec(ns.ExecConfig{Pid: pid, Process: p, Stdin: stdio[0], Stdout: stdio[1], Stderr: stdio[2], Detach: detach, Place: place})
	if err != nil {
		return nil, err
	}
	return execAdapter{proc}, nil
}

type execAdapter struct{ p *ns.ExecProcess }

func (a execAdapter) Console() *os.File  { return a.p.Console }
func (a execAdapter) Wait() (int, error) { return a.p.Wait() }
