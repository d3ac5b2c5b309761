package version

import (
	"runtime"
	"strconv"
	"time"
)

// These are package variables only because `go build -ldflags -X` can set
// nothing else; treat them as constants.
var (
	// Version is hutch's semantic version.
	Version = "0.1.0-dev"
	// GitCommit is the commit the binary was built from ("" when unknown).
	GitCommit = ""
	// BuildTime is when the binary was built, as Unix seconds or RFC 3339
	// ("" when unknown).
	BuildTime = ""
)

// Details describe the running binary. Its fields and JSON names match
// engine.VersionInfo, so either converts to the other.
type Details struct {
	Version   string `json:"Version"`
	GoVersion string `json:"GoVersion"`
	GitCommit string `json:"GitCommit"`
	// Built is the build time in Unix seconds, 0 when unknown.
	Built  int64  `json:"Built"`
	OsArch string `json:"OsArch"`
}

// Get returns the running binary's details.
func Get() Details {
	return Details{
		Version:   Version,
		GoVersion: runtime.Version(),
		GitCommit: GitCommit,
		Built:     ParseBuildTime(BuildTime),
		OsArch:    runtime.GOOS + "/" + runtime.GOARCH,
	}
}

// ParseBuildTime turns a BuildTime value (Unix seconds or RFC 3339) into
// Unix seconds; anything else, including "", yields 0 ("unknown") because a
// wrong link flag must not break `hutch version`.
func ParseBuildTime(s string) int64 {
	if s == "" {
		return 0
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.Unix()
	}
	return 0
}
