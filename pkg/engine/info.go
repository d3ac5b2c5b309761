package engine

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/hutchctr/hutch/pkg/state"
	"github.com/hutchctr/hutch/pkg/version"
)

// Version describes this build of hutch.
func Version() VersionInfo { return VersionInfo(version.Get()) }

// Info describes the host, hutch's mode and its stores.
func (e *Engine) Info(ctx context.Context) (*Info, error) {
	imgs, err := e.images(ctx) // rootless: joins the holder, so the maps below are the user's
	if err != nil {
		return nil, err
	}
	info := &Info{Version: Version()}
	h := &info.Host
	h.Arch, h.OS, h.Rootless = runtime.GOARCH, runtime.GOOS, e.paths.Rootless
	h.Hostname, _ = os.Hostname()
	var uts unix.Utsname
	if unix.Uname(&uts) == nil {
		h.Kernel = unix.ByteSliceToString(uts.Release[:])
	}
	h.IDMappings.UIDMap, h.IDMappings.GIDMap = idMap("uid_map"), idMap("gid_map")
	h.CgroupVersion = "v1"
	var fs unix.Statfs_t
	if unix.Statfs("/sys/fs/cgroup", &fs) == nil && fs.Type == unix.CGROUP2_SUPER_MAGIC {
		h.CgroupVersion = "v2"
	}
	s := &info.Store
	s.GraphRoot = filepath.Join(e.paths.Data, "storage")
	s.RunRoot = filepath.Join(e.paths.Run, "storage")
	s.GraphDriverName = "overlay"
	s.ConfigFile = e.paths.ConfigFile
	records, err := e.state.List()
	if err != nil {
		return nil, err
	}
	for _, c := range records {
		c = e.reconcile(ctx, c)
		s.ContainerStore.Number++
		switch c.State.Status {
		case state.Running, state.Stopping:
			s.ContainerStore.Running++
		case state.Paused:
			s.ContainerStore.Paused++
		default:
			s.ContainerStore.Stopped++
		}
	}
	list, err := imgs.List(ctx)
	if err != nil {
		return nil, err
	}
	s.ImageStore.Number = len(list)
	return info, nil
}

// idMap reads the calling process's uid or gid map ("uid_map" or
// "gid_map"), which inside the namespace holder is the user's mapping.
func idMap(file string) []IDMap {
	data, err := os.ReadFile("/proc/self/" + file)
	if err != nil {
		return nil
	}
	var out []IDMap
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var m IDMap
		if n, _ := fmt.Sscan(line, &m.ContainerID, &m.HostID, &m.Size); n == 3 {
			out = append(out, m)
		}
	}
	return out
}
