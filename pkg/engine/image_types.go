package engine

import (
	"io"
	"time"
)

// ImagesOptions are the settings of `hutch images`.
type ImagesOptions struct {
	// All is Podman's -a (intermediate images); hutch has none, so it
	// changes nothing.
	All bool
	// Filters are KEY=VALUE conditions: dangling=true|false,
	// reference=GLOB, id=PREFIX, before=IMAGE, since=IMAGE, label=K[=V].
	// Different keys must all match; references (and ids) match when any
	// does.
	Filters []string
}

// PullOptions are the settings of `hutch pull` (and of run/create when
// they pull).
type PullOptions struct {
	// Platform is os/arch[/variant] for multi-platform images; empty is
	// the host's.
	Platform string
	// TLSVerify overrides hutch.yaml's insecure setting of the registry
	// when non-nil (--tls-verify).
	TLSVerify *bool
	// Creds is "user[:password]" for this pull only (--creds).
	Creds string
	// AuthFile replaces hutch's auth file (--authfile).
	AuthFile string
	// Progress receives progress output; nil for none.
	Progress io.Writer
	// Terminal means Progress is a terminal: per-layer bars are redrawn.
	Terminal bool
}

// PushOptions are the settings of `hutch push`.
type PushOptions struct {
	TLSVerify *bool
	Creds     string
	AuthFile  string
	// SignBySigstoreKey is a private key file: the pushed manifest is
	// signed with it and the signature pushed next to it.
	SignBySigstoreKey string
	// KeyPassword asks for the password of an encrypted signing key when
	// $COSIGN_PASSWORD is not set; nil when there is nobody to ask.
	KeyPassword func() ([]byte, error)
	// Progress and Terminal as in PullOptions.
	Progress io.Writer
	Terminal bool
}

// LoginOptions are the settings of `hutch login`.
type LoginOptions struct {
	Username, Password string
	TLSVerify          *bool
	AuthFile           string
}

// LogoutOptions are the settings of `hutch logout`.
type LogoutOptions struct {
	// All removes every credential in the auth file.
	All      bool
	AuthFile string
}

// SignOptions are the settings of `hutch image sign`.
type SignOptions struct {
	// Key is the private key file (PEM). Required.
	Key       string
	TLSVerify *bool
	Creds     string
	AuthFile  string
	// KeyPassword as in PushOptions.
	KeyPassword func() ([]byte, error)
}

// ImageHistoryEntry is one row of `hutch image history`. JSON names follow
// Podman's.
type ImageHistoryEntry struct {
	// ID is the image ID on the newest entry, "<missing>" on the others.
	ID        string    `json:"id"`
	Created   time.Time `json:"created"`
	CreatedBy string    `json:"CreatedBy"`
	Tags      []string  `json:"tags"`
	Size      int64     `json:"size"`
	Comment   string    `json:"comment"`
}

// ImageTree is `hutch image tree`'s document.
type ImageTree struct {
	ID   string   `json:"Id"`
	Tags []string `json:"Tags"`
	Size int64    `json:"Size"`
	// Layers are bottom first.
	Layers []ImageTreeLayer `json:"Layers"`
}

// ImageTreeLayer is one layer of an ImageTree.
type ImageTreeLayer struct {
	ID     string `json:"Id"`
	DiffID string `json:"DiffID"`
	Size   int64  `json:"Size"`
	// TopLayerOf names the images whose top layer this is.
	TopLayerOf []string `json:"TopLayerOf"`
	// SharedWith names the other images whose stacks contain this layer.
	SharedWith []string `json:"SharedWith"`
}

// ImagePruneReport is what `image prune` removed.
type ImagePruneReport struct {
	// ImagesDeleted are image IDs.
	ImagesDeleted []string `json:"ImagesDeleted"`
	// SpaceReclaimed is in bytes (uncompressed layer sizes and metadata).
	SpaceReclaimed uint64 `json:"SpaceReclaimed"`
}

// SystemPruneReport is what `system prune` removed.
type SystemPruneReport struct {
	ContainersDeleted []string `json:"ContainersDeleted"`
	ImagesDeleted     []string `json:"ImagesDeleted"`
	SpaceReclaimed    uint64   `json:"SpaceReclaimed"`
}

// DiskUsage is `hutch system df`'s document.
type DiskUsage struct {
	// Summary has the rows Images, Containers and Local Volumes.
	Summary    []DiskUsageSummary   `json:"Summary"`
	Images     []DiskUsageImage     `json:"Images"`
	Containers []DiskUsageContainer `json:"Containers"`
}

// DiskUsageSummary is one row of `system df`.
type DiskUsageSummary struct {
	Type        string `json:"Type"`
	Total       int    `json:"Total"`
	Active      int    `json:"Active"`
	Size        int64  `json:"Size"`
	Reclaimable int64  `json:"Reclaimable"`
}

// DiskUsageImage is one image in `system df -v`.
type DiskUsageImage struct {
	ID         string    `json:"ImageID"`
	Names      []string  `json:"Names"`
	Created    time.Time `json:"Created"`
	Size       int64     `json:"Size"`
	SharedSize int64     `json:"SharedSize"`
	UniqueSize int64     `json:"UniqueSize"`
	Containers int       `json:"Containers"`
}

// DiskUsageContainer is one container in `system df -v`.
type DiskUsageContainer struct {
	ID      string    `json:"ContainerID"`
	Name    string    `json:"Names"`
	Image   string    `json:"Image"`
	Command []string  `json:"Command"`
	Created time.Time `json:"Created"`
	Status  string    `json:"Status"`
	// Size is what the container wrote (its upper directory).
	Size int64 `json:"Size"`
}
