package state

import (
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/hutchctr/hutch/pkg/cgroupsv2"
	"github.com/hutchctr/hutch/pkg/network"
)

// Config is a container's immutable configuration, written once at create
// (config.json). Fields are set by the engine; state does not interpret them
// beyond ID and Name.
type Config struct {
	// ID is the 64-hex container ID, also used as the storage container ID.
	// Required.
	ID string `json:"id"`
	// Name is the unique container name. Required. Rename rewrites it, which
	// is the one exception to immutability.
	Name    string    `json:"name"`
	Created time.Time `json:"created"`
	// Image is the reference the user gave; ImageID the resolved image.
	Image     string `json:"image"`
	ImageID   string `json:"imageId"`
	ImageName string `json:"imageName,omitempty"`
	// Command is the effective entrypoint + command, for display;
	// Entrypoint and Cmd are its two parts, as inspect shows them.
	Command    []string          `json:"command,omitempty"`
	Entrypoint []string          `json:"entrypoint,omitempty"`
	Cmd        []string          `json:"cmd,omitempty"`
	Labels     map[string]string `json:"labels,omitempty"`
	// User is the --user value ("name", "uid", "uid:gid", "name:group"),
	// resolved against the image's /etc/passwd when the container starts.
	User string `json:"user,omitempty"`
	// Stdin keeps the container's stdin open (-i); Terminal allocates a pty (-t).
	Stdin    bool `json:"stdin,omitempty"`
	Terminal bool `json:"terminal,omitempty"`
	// AutoRemove removes the container when it exits (--rm).
	AutoRemove bool `json:"autoRemove,omitempty"`
	// NetworkMode is "none", "host", ... as given to --network.
	NetworkMode string `json:"networkMode,omitempty"`
	// StopSignal is sent by stop before the timeout; StopTimeout in seconds.
	StopSignal  string `json:"stopSignal,omitempty"`
	StopTimeout uint   `json:"stopTimeout"`
	// Rootless records whether the container was created by an unprivileged user.
	Rootless bool `json:"rootless,omitempty"`
	// Mounts lists the destinations of the user's mounts (-v, --tmpfs,
	// --mount), for listings that must not read the whole spec.
	Mounts []string `json:"mounts,omitempty"`
	// Network is the container's network plan template (its attachments,
	// ports, DNS settings) when it has its own network namespace wired to
	// networks; nil for --network none, host and container:.
	Network *network.Plan `json:"network,omitempty"`
	// NetworkFrom is the container whose network namespace this one
	// joins (--network container:NAME).
	NetworkFrom string `json:"networkFrom,omitempty"`
	// Spec is the runtime-spec template built at create; the engine
	// completes it at start. It is kept in its own file (spec.json), read
	// only by LoadSpec: listing 200 containers must not decode 200 specs.
	Spec *specs.Spec `json:"-"`
}

// State is a container's mutable state (state.json).
type State struct {
	Status Status `json:"status"`
	// Pid is the host pid of the container's init while it runs, PidStart its
	// start time in clock ticks (from /proc/PID/stat), which guards against
	// pid reuse when a stale record is cleaned up.
	Pid        int       `json:"pid,omitempty"`
	PidStart   uint64    `json:"pidStart,omitempty"`
	MonitorPid int       `json:"monitorPid,omitempty"`
	StartedAt  time.Time `json:"startedAt,omitempty"`
	FinishedAt time.Time `json:"finishedAt,omitempty"`
	// ExitCode is the container's exit code (128+N when killed by signal N),
	// or -1 when it is unknown (the monitor died).
	ExitCode int `json:"exitCode"`
	// ExitSignal is the signal that killed the container, 0 if it exited.
	ExitSignal int  `json:"exitSignal,omitempty"`
	OOMKilled  bool `json:"oomKilled,omitempty"`
	// Error is why the last start failed, in words for the user.
	Error string `json:"error,omitempty"`
	// Networks and Ports are the container's attachments (with their
	// addresses) and published ports while it runs.
	Networks []network.Attachment  `json:"networks,omitempty"`
	Ports    []network.PortMapping `json:"ports,omitempty"`
	// Cgroup is the container's control group while it runs (and until
	// whoever cleans up after a crash removes it).
	Cgroup *cgroupsv2.Ref `json:"cgroup,omitempty"`
	// Mountpoint is where storage mounted the rootfs while it is mounted.
	Mountpoint   string `json:"mountpoint,omitempty"`
	RestartCount int    `json:"restartCount,omitempty"`
}

// Container is a record as read from disk.
type Container struct {
	Config Config
	State  State
}
