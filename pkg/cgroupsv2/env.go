package cgroupsv2

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// defaultTimeout bounds waits for a freeze and for a cgroup to empty.
const defaultTimeout = 10 * time.Second

// env is what the package reads about the calling process and the host
// besides the cgroup filesystem. hostEnv is the real one; tests point it
// at fake files.
type env struct {
	// proc is procfs's mount point.
	proc string
	// systemdRun exists when systemd is PID 1 (sd_booted(3)'s test).
	systemdRun string
	// euid is the caller's effective uid as its user namespace sees it:
	// the owner of the cgroups delegated to it.
	euid int
}

func hostEnv() env {
	return env{proc: "/proc", systemdRun: "/run/systemd/system", euid: os.Geteuid()}
}

// systemdBooted reports whether systemd is PID 1.
func (e env) systemdBooted() bool {
	st, err := os.Stat(e.systemdRun)
	return err == nil && st.IsDir()
}

// ownCgroup is the caller's cgroup v2 path ("0::PATH" in /proc/self/cgroup),
// "" when it has none (a pure v1 host).
func (e env) ownCgroup() string {
	data, err := os.ReadFile(filepath.Join(e.proc, "self", "cgroup"))
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(data), "\n") {
		if p, ok := strings.CutPrefix(line, "0::"); ok {
			return p
		}
	}
	return ""
}

// uidMapFirst reads the first line of /proc/self/uid_map: inside ID, the
// outside ID and the count.
func (e env) uidMapFirst() (inside, outside, count uint64, ok bool) {
	data, err := os.ReadFile(filepath.Join(e.proc, "self", "uid_map"))
	if err != nil {
		return 0, 0, 0, false
	}
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return 0, 0, 0, false
	}
	var nums [3]uint64
	for i := range nums {
		if nums[i], err = strconv.ParseUint(f[i], 10, 64); err != nil {
			return 0, 0, 0, false
		}
	}
	return nums[0], nums[1], nums[2], true
}

// inUserNS reports whether the caller runs in a user namespace other than
// the initial one (rootless hutch, inside its namespace holder).
func (e env) inUserNS() bool {
	in, out, n, ok := e.uidMapFirst()
	return ok && !(in == 0 && out == 0 && n == 4294967295)
}

// hostUID is the caller's uid outside its user namespace: the uid the
// D-Bus daemon sees on the socket, which the EXTERNAL mechanism must name.
func (e env) hostUID() int {
	uid := os.Getuid()
	in, out, n, ok := e.uidMapFirst()
	if ok && uint64(uid) >= in && uint64(uid) < in+n {
		return int(out + uint64(uid) - in)
	}
	return uid
}

// owned reports whether path exists and belongs to the caller.
func (e env) owned(path string) bool {
	st, err := os.Stat(path)
	if err != nil {
		return false
	}
	sys, ok := st.Sys().(*syscall.Stat_t)
	return ok && int(sys.Uid) == e.euid
}

// ownerOf is path's owner, -1 when it cannot be read.
func ownerOf(path string) int {
	st, err := os.Stat(path)
	if err != nil {
		return -1
	}
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		return int(sys.Uid)
	}
	return -1
}
