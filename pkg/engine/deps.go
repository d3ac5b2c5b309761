package engine

import (
	"context"
	"io"
	"net"
	"os"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// The engine's consumer-side interfaces. deps_real.go wires them to
// pkg/image, pkg/monitor, pkg/ns and pkg/slirp; tests use fakes.

// imageMeta is what the engine needs to know of an image.
type imageMeta struct {
	ID           string
	Names        []string
	Digest       string
	Created      time.Time
	Size         int64
	Config       ImageConfig
	Architecture string
	OS           string
	DiffIDs      []string
}

// imageStore is the image and container-layer store (containers/storage).
type imageStore interface {
	Get(ctx context.Context, ref string) (*imageMeta, error)
	List(ctx context.Context) ([]*imageMeta, error)
	Load(ctx context.Context, path string) ([]string, error)
	Import(ctx context.Context, path, ref string) (string, error)
	Save(ctx context.Context, w io.Writer, format string, refs []string) error
	Remove(ctx context.Context, ref string) ([]string, error)
	// LayerDirs lists an image's layer directories, top first.
	LayerDirs(ctx context.Context, imageID string) ([]string, error)
	Close() error
	// Issue 3's listings, GC and tags (deps_gc.go).
	imageLister
	imageGC
	imageDescriber
	imageTagger
	imageDistributor
}

// launchConfig describes a monitor to start.
type launchConfig struct {
	ID       string
	SpecPath string
	// NetworkPlan is the container's network plan; "" without networks.
	NetworkPlan string
	Stdin       bool
	// Rows and Cols are the initial pty size (the caller's terminal).
	Rows, Cols uint16
}

// started reports a launched container.
type started struct {
	MonitorPid int
	Pid        int
}

// monitorClient talks to running monitors and reads their logs.
type monitorClient interface {
	// Pair returns a connected socket pair: the caller keeps ours and passes
	// theirs to Launch as the monitor's first attach client.
	Pair() (ours net.Conn, theirs *os.File, err error)
	// Dial connects to the monitor of container id.
	Dial(ctx context.Context, id string) (net.Conn, error)
	// Attach relays s over conn until the container exits and returns its
	// exit code.
	Attach(ctx context.Context, conn net.Conn, s Streams, stdin bool) (int, error)
	// ReadLog writes the container's log; with o.Follow it keeps reading
	// while alive() is true.
	ReadLog(ctx context.Context, path string, o LogsOptions, stdout, stderr io.Writer, alive func() bool) error
}

// monitorLauncher starts monitors. Spawn starts one ahead of its
// container, so that its start-up overlaps the container's creation.
type monitorLauncher interface {
	Spawn(attach *os.File) (pendingMonitor, error)
}

// pendingMonitor is a spawned monitor: Launch hands it its container (and
// waits as monitor.Launch does), Abort ends it unused.
type pendingMonitor interface {
	Launch(ctx context.Context, cfg launchConfig) (*started, error)
	Abort()
}

// execProcess is a process started in a running container.
type execProcess interface {
	// Console is the pty master when a terminal was requested, else nil.
	Console() *os.File
	// Wait returns the exit code (128+N for signal N).
	Wait() (int, error)
}

// execRunner starts processes in running containers (ns.StartExec).
type execRunner interface {
	// place, if not nil, puts the new process in the container's cgroup
	// before it runs anything.
	StartExec(ctx context.Context, pid int, p *specs.Process, stdio [3]*os.File, detach bool, place func(pid int) error) (execProcess, error)
}
