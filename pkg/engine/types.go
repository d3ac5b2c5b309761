package engine

import (
	"io"
	"os"
	"strconv"
	"time"
)

// CreateOptions are the settings of `hutch create` and `hutch run`.
type CreateOptions struct {
	Image      string   // required: name, name:tag, ID or ID prefix
	Command    []string // overrides the image's Cmd
	Entrypoint *string  // overrides the image's Entrypoint when non-nil ("" clears it)
	Name       string   // generated when empty
	Env        []string // KEY=VALUE, or KEY to take the value from hutch's environment
	EnvFiles   []string // paths of env files
	Workdir    string
	User       string // user[:group], names resolved from the image's /etc/passwd
	Hostname   string
	Labels     map[string]string
	// Network is --network: "bridge" (the default network) when empty,
	// "none", "host", "container:NAME", or network names separated by
	// commas.
	Network string
	// IP and MAC request addresses on the first network (--ip,
	// --mac-address).
	IP, MAC string
	// Aliases are --network-alias names (on every user-defined network).
	Aliases []string
	// DNS, DNSSearch and DNSOptions are --dns, --dns-search, --dns-option.
	DNS, DNSSearch, DNSOptions []string
	// AddHosts are --add-host name:ip entries.
	AddHosts []string
	// Publish are -p specs; PublishAll (-P) publishes the image's
	// exposed ports on free host ports.
	Publish    []string
	PublishAll bool
	// NetworkOpts are --network-opt KEY=VALUE settings of the container's
	// networking: allow_host_loopback=true|false (rootless).
	NetworkOpts []string
	ReadOnly    bool
	Volumes     []string // -v HOST:CTR[:ro|rw]
	Tmpfs       []string // --tmpfs PATH[:opts]
	Mounts      []string // --mount type=bind|tmpfs,...
	Init        bool     // --init
	Stdin       bool     // -i
	Terminal    bool     // -t
	AutoRemove  bool     // --rm
	StopSignal  string
	// StopTimeout is the default for stop's -t, in seconds; nil means 10.
	StopTimeout *uint
	// Pull is the pull policy: missing (the default), always, never or
	// newer (see pull.go); PullOptions configure the pull.
	Pull        string
	PullOptions PullOptions
	// Resources are the cgroup limits and --oom-score-adj (resources.go).
	Resources ResourceOptions
	// CgroupParent is --cgroup-parent: where the container's cgroup goes
	// ("" is hutch's default place).
	CgroupParent string
	// CgroupNS is --cgroupns: CgroupnsPrivate, CgroupnsHost, or "" for
	// the host's default (private on cgroup v2, host on v1).
	CgroupNS string
}

// Streams are the caller's stdio for attach-like operations.
type Streams struct {
	In  io.Reader
	Out io.Writer
	Err io.Writer
	// Terminal is the caller's terminal (usually os.Stdin) when the session
	// uses a pty: the engine puts it in raw mode and forwards window size
	// changes. Nil when stdin is not a terminal.
	Terminal *os.File
}

// RunOptions are the settings of `hutch run` beyond CreateOptions.
type RunOptions struct {
	Detach bool
	// Streams is used when not detached.
	Streams Streams
	// SigProxy forwards the caller's signals to the container when attached
	// without a terminal (Podman's --sig-proxy, default true).
	SigProxy bool
}

// StartOptions are the settings of `hutch start`.
type StartOptions struct {
	Attach      bool
	Interactive bool
	Streams     Streams
	SigProxy    bool
}

// RemoveOptions are the settings of `hutch rm`.
type RemoveOptions struct {
	Force bool
	// Timeout is the stop timeout used by Force on a running container.
	Timeout *uint
}

// ListOptions are the settings of `hutch ps`.
type ListOptions struct {
	All bool
	// Filters maps a key (name, status, label, id) to the values it must
	// match; values of one key are ORed, keys ANDed (Podman's rule).
	Filters map[string][]string
}

// LogsOptions are the settings of `hutch logs`.
type LogsOptions struct {
	Follow     bool
	Tail       int // -1 for all
	Since      time.Time
	Until      time.Time
	Timestamps bool
}

// ExecOptions are the settings of `hutch exec`.
type ExecOptions struct {
	Command     []string // required
	Env         []string
	EnvFiles    []string
	Workdir     string
	User        string
	Interactive bool
	Terminal    bool
	Detach      bool
	Privileged  bool
	Streams     Streams
}

// ContainerSummary is one row of `hutch ps`. JSON names follow Podman's
// `ps --format json`.
type ContainerSummary struct {
	ID         string            `json:"Id"`
	Names      []string          `json:"Names"`
	Image      string            `json:"Image"`
	ImageID    string            `json:"ImageID"`
	Command    []string          `json:"Command"`
	Created    int64             `json:"Created"`
	CreatedAt  string            `json:"CreatedAt"`
	State      string            `json:"State"`
	Status     string            `json:"Status"`
	Exited     bool              `json:"Exited"`
	ExitCode   int               `json:"ExitCode"`
	ExitedAt   int64             `json:"ExitedAt"`
	StartedAt  int64             `json:"StartedAt"`
	Labels     map[string]string `json:"Labels"`
	Pid        int               `json:"Pid"`
	AutoRemove bool              `json:"AutoRemove"`
	Mounts     []string          `json:"Mounts"`
	Networks   []string          `json:"Networks"`
	Ports      []any             `json:"Ports"`
}

// ImageSummary is one row of `hutch images`.
type ImageSummary struct {
	ID          string            `json:"Id"`
	ParentID    string            `json:"ParentId"`
	RepoTags    []string          `json:"RepoTags"`
	RepoDigests []string          `json:"RepoDigests"`
	Created     int64             `json:"Created"`
	CreatedAt   string            `json:"CreatedAt"`
	Size        int64             `json:"Size"`
	Labels      map[string]string `json:"Labels"`
	Containers  int               `json:"Containers"`
	Names       []string          `json:"Names"`
	Digest      string            `json:"Digest"`
	Dangling    bool              `json:"Dangling"`
}

// ExitError carries a container's (or exec'd process's) exit code to cmd's
// exit mapper. Err, when set, is what to print (why the process could not
// run, for 126 and 127).
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err != nil {
		return e.Err.Error()
	}
	return "exit status " + strconv.Itoa(e.Code)
}

func (e *ExitError) Unwrap() error { return e.Err }
