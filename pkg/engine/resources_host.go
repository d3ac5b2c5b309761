package engine

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// hostFacts are what resource validation needs to know of the host.
// Tests fill them in.
type hostFacts struct {
	numCPU int
	// cpus and mems are the online CPUs and memory nodes, as lists
	// ("0-3").
	cpus, mems string
	// blockDevice returns the numbers of the block device at path.
	blockDevice func(path string) (major, minor int64, err error)
}

// hostFacts reads the host's CPUs, memory nodes and devices.
func (e *Engine) hostFacts() hostFacts {
	return hostFacts{
		numCPU:      runtime.NumCPU(),
		cpus:        readList("/sys/devices/system/cpu/online", fmt.Sprintf("0-%d", runtime.NumCPU()-1)),
		mems:        readList("/sys/devices/system/node/online", "0"),
		blockDevice: statBlockDevice,
	}
}

// readList reads a sysfs list file, or returns def without one (no NUMA
// support: one memory node).
func readList(path, def string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return def
	}
	if s := strings.TrimSpace(string(data)); s != "" {
		return s
	}
	return def
}

// statBlockDevice returns the device numbers of the block device at path.
func statBlockDevice(path string) (int64, int64, error) {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		if errors.Is(err, syscall.ENOENT) {
			return 0, 0, fmt.Errorf("%s does not exist", path)
		}
		return 0, 0, &fs.PathError{Op: "stat", Path: path, Err: err}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFBLK {
		return 0, 0, fmt.Errorf("%s is not a block device", path)
	}
	return int64(unix.Major(st.Rdev)), int64(unix.Minor(st.Rdev)), nil
}

// maxCPUList bounds the numbers of a cpuset list, so that "0-4000000000"
// cannot make a huge set.
const maxCPUList = 1 << 16

// parseCPUList parses the kernel's list format ("0-3,5,7-8") into a set.
func parseCPUList(s string) (map[int]bool, error) {
	set := map[int]bool{}
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := cpuNumber(lo)
		if err != nil {
			return nil, err
		}
		b := a
		if isRange {
			if b, err = cpuNumber(hi); err != nil {
				return nil, err
			}
			if b < a {
				return nil, fmt.Errorf("range %s goes backwards", part)
			}
		}
		for n := a; n <= b; n++ {
			set[n] = true
		}
	}
	return set, nil
}

func cpuNumber(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || s != strings.TrimSpace(s) || strings.HasPrefix(s, "+") {
		return 0, fmt.Errorf("%q is not a number: use a list like 0-3,5", s)
	}
	if n >= maxCPUList {
		return 0, fmt.Errorf("%d is too large", n)
	}
	return n, nil
}
