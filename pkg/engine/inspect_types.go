package engine

import "time"

// ContainerInspect is `hutch inspect`'s document for a container. Field
// names follow Podman's `podman container inspect`.
type ContainerInspect struct {
	ID              string             `json:"Id"`
	Created         time.Time          `json:"Created"`
	Path            string             `json:"Path"`
	Args            []string           `json:"Args"`
	State           InspectState       `json:"State"`
	Image           string             `json:"Image"`
	ImageName       string             `json:"ImageName"`
	Rootfs          string             `json:"Rootfs"`
	ResolvConfPath  string             `json:"ResolvConfPath"`
	HostnamePath    string             `json:"HostnamePath"`
	HostsPath       string             `json:"HostsPath"`
	LogPath         string             `json:"LogPath"`
	Name            string             `json:"Name"`
	RestartCount    int                `json:"RestartCount"`
	Driver          string             `json:"Driver"`
	Mounts          []InspectMount     `json:"Mounts"`
	Config          InspectConfig      `json:"Config"`
	HostConfig      InspectHostConfig  `json:"HostConfig"`
	NetworkSettings InspectNetSettings `json:"NetworkSettings"`
}

// InspectState is the State section of ContainerInspect.
type InspectState struct {
	Status     string    `json:"Status"`
	Running    bool      `json:"Running"`
	Paused     bool      `json:"Paused"`
	Restarting bool      `json:"Restarting"`
	OOMKilled  bool      `json:"OOMKilled"`
	Dead       bool      `json:"Dead"`
	Pid        int       `json:"Pid"`
	ConmonPid  int       `json:"ConmonPid"`
	ExitCode   int       `json:"ExitCode"`
	Error      string    `json:"Error"`
	StartedAt  time.Time `json:"StartedAt"`
	FinishedAt time.Time `json:"FinishedAt"`
	// CgroupPath is the container's cgroup while it runs, relative to the
	// root of the hierarchy (v1: of the memory controller's).
	CgroupPath string `json:"CgroupPath,omitempty"`
}

// InspectMount is one bind or tmpfs mount.
type InspectMount struct {
	Type        string   `json:"Type"`
	Source      string   `json:"Source"`
	Destination string   `json:"Destination"`
	Options     []string `json:"Options"`
	RW          bool     `json:"RW"`
}

// InspectConfig is the Config section of ContainerInspect.
type InspectConfig struct {
	Hostname    string            `json:"Hostname"`
	User        string            `json:"User"`
	Env         []string          `json:"Env"`
	Cmd         []string          `json:"Cmd"`
	Image       string            `json:"Image"`
	WorkingDir  string            `json:"WorkingDir"`
	Entrypoint  []string          `json:"Entrypoint"`
	Labels      map[string]string `json:"Labels"`
	StopSignal  string            `json:"StopSignal"`
	StopTimeout uint              `json:"StopTimeout"`
	Tty         bool              `json:"Tty"`
	OpenStdin   bool              `json:"OpenStdin"`
}

// InspectHostConfig is the HostConfig section of ContainerInspect.
type InspectHostConfig struct {
	Binds          []string          `json:"Binds"`
	NetworkMode    string            `json:"NetworkMode"`
	AutoRemove     bool              `json:"AutoRemove"`
	ReadonlyRootfs bool              `json:"ReadonlyRootfs"`
	Tmpfs          map[string]string `json:"Tmpfs"`
	CapAdd         []string          `json:"CapAdd"`
	CapDrop        []string          `json:"CapDrop"`
	Init           bool              `json:"Init"`
	InspectResources
}

// InspectResources are the limits in a container's HostConfig. The Go
// names are Podman's too (CpuShares, not CPUShares), so that templates
// written for Podman ({{.HostConfig.CpuShares}}) work unchanged.
//
//nolint:revive // Podman's names
type InspectResources struct {
	Memory               int64                        `json:"Memory"`
	MemoryReservation    int64                        `json:"MemoryReservation"`
	MemorySwap           int64                        `json:"MemorySwap"`
	NanoCpus             int64                        `json:"NanoCpus"`
	CpuShares            uint64                       `json:"CpuShares"`
	CpuPeriod            uint64                       `json:"CpuPeriod"`
	CpuQuota             int64                        `json:"CpuQuota"`
	CpusetCpus           string                       `json:"CpusetCpus"`
	CpusetMems           string                       `json:"CpusetMems"`
	PidsLimit            int64                        `json:"PidsLimit"`
	BlkioWeight          uint16                       `json:"BlkioWeight"`
	BlkioDeviceReadBps   []InspectBlkioThrottleDevice `json:"BlkioDeviceReadBps"`
	BlkioDeviceWriteBps  []InspectBlkioThrottleDevice `json:"BlkioDeviceWriteBps"`
	BlkioDeviceReadIOps  []InspectBlkioThrottleDevice `json:"BlkioDeviceReadIOps"`
	BlkioDeviceWriteIOps []InspectBlkioThrottleDevice `json:"BlkioDeviceWriteIOps"`
	OomScoreAdj          int                          `json:"OomScoreAdj"`
	CgroupParent         string                       `json:"CgroupParent"`
	// CgroupnsMode is "private" or "host".
	CgroupnsMode string `json:"CgroupnsMode"`
}

// InspectBlkioThrottleDevice is one --device-*-bps/iops limit.
type InspectBlkioThrottleDevice struct {
	Path string `json:"Path"`
	Rate uint64 `json:"Rate"`
}

// InspectNetSettings is the NetworkSettings section of ContainerInspect.
// The top-level address fields describe the default network, as Podman's.
type InspectNetSettings struct {
	IPAddress   string                          `json:"IPAddress"`
	IPPrefixLen int                             `json:"IPPrefixLen"`
	Gateway     string                          `json:"Gateway"`
	MacAddress  string                          `json:"MacAddress"`
	Networks    map[string]InspectNetwork       `json:"Networks"`
	Ports       map[string][]InspectPortBinding `json:"Ports"`
}

// InspectNetwork is the container on one network.
type InspectNetwork struct {
	NetworkID   string   `json:"NetworkID"`
	IPAddress   string   `json:"IPAddress"`
	IPPrefixLen int      `json:"IPPrefixLen"`
	Gateway     string   `json:"Gateway"`
	MacAddress  string   `json:"MacAddress"`
	Aliases     []string `json:"Aliases"`
}

// InspectPortBinding is one host side of a published port.
type InspectPortBinding struct {
	HostIP   string `json:"HostIp"`
	HostPort string `json:"HostPort"`
}

// ImageInspect is `hutch image inspect`'s document. Field names follow
// Podman's.
type ImageInspect struct {
	ID           string            `json:"Id"`
	Digest       string            `json:"Digest"`
	RepoTags     []string          `json:"RepoTags"`
	RepoDigests  []string          `json:"RepoDigests"`
	Created      time.Time         `json:"Created"`
	Config       ImageConfig       `json:"Config"`
	Architecture string            `json:"Architecture"`
	Os           string            `json:"Os"`
	Size         int64             `json:"Size"`
	RootFS       ImageRootFS       `json:"RootFS"`
	Labels       map[string]string `json:"Labels"`
	NamesHistory []string          `json:"NamesHistory"`
}

// ImageConfig is the runtime configuration an image carries.
type ImageConfig struct {
	User         string              `json:"User,omitempty"`
	ExposedPorts map[string]struct{} `json:"ExposedPorts,omitempty"`
	Env          []string            `json:"Env,omitempty"`
	Entrypoint   []string            `json:"Entrypoint,omitempty"`
	Cmd          []string            `json:"Cmd,omitempty"`
	WorkingDir   string              `json:"WorkingDir,omitempty"`
	Labels       map[string]string   `json:"Labels,omitempty"`
	StopSignal   string              `json:"StopSignal,omitempty"`
}

// ImageRootFS lists an image's layers by diff ID.
type ImageRootFS struct {
	Type   string   `json:"Type"`
	Layers []string `json:"Layers"`
}

// Info is `hutch info`'s document.
type Info struct {
	Host    InfoHost    `json:"host"`
	Store   InfoStore   `json:"store"`
	Version VersionInfo `json:"version"`
}

// InfoHost describes the machine and hutch's mode on it.
type InfoHost struct {
	Arch          string `json:"arch"`
	OS            string `json:"os"`
	Kernel        string `json:"kernel"`
	Hostname      string `json:"hostname"`
	Rootless      bool   `json:"rootless"`
	CgroupVersion string `json:"cgroupVersion"`
	IDMappings    struct {
		UIDMap []IDMap `json:"uidmap"`
		GIDMap []IDMap `json:"gidmap"`
	} `json:"idMappings"`
}

// IDMap is one line of a uid or gid map.
type IDMap struct {
	ContainerID int `json:"container_id"`
	HostID      int `json:"host_id"`
	Size        int `json:"size"`
}

// InfoStore describes hutch's directories and storage.
type InfoStore struct {
	GraphRoot       string `json:"graphRoot"`
	RunRoot         string `json:"runRoot"`
	GraphDriverName string `json:"graphDriverName"`
	ConfigFile      string `json:"configFile"`
	ContainerStore  struct {
		Number  int `json:"number"`
		Running int `json:"running"`
		Stopped int `json:"stopped"`
		Paused  int `json:"paused"`
	} `json:"containerStore"`
	ImageStore struct {
		Number int `json:"number"`
	} `json:"imageStore"`
}

// VersionInfo is `hutch version`'s document.
type VersionInfo struct {
	Version   string `json:"Version"`
	GoVersion string `json:"GoVersion"`
	GitCommit string `json:"GitCommit"`
	Built     int64  `json:"Built"`
	OsArch    string `json:"OsArch"`
}

// Id returns ID, so that templates written for Podman, which accepts both
// {{.Id}} and {{.ID}}, work unchanged.
func (c ContainerInspect) Id() string { return c.ID } //nolint:revive // Podman's template name

// Id returns ID; see ContainerInspect.Id.
func (i ImageInspect) Id() string { return i.ID } //nolint:revive // Podman's template name
