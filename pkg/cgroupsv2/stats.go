package cgroupsv2

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/hutchctr/hutch/internal/kfile"
)

// v1Unlimited: v1 reports "no limit" as a page-rounded LONG_MAX.
const v1Unlimited = 1 << 62

// statsV2 reads the unified hierarchy's counters. Files of controllers
// that are not enabled read as zero.
func (c *Cgroup) statsV2() (*Stats, error) {
	dir := c.ref.Paths[""]
	var s Stats
	var err error
	usec, err := readKeyed(dir, "cpu.stat", "usage_usec")
	if err != nil {
		return nil, err
	}
	s.CPUUsageNanos = usec * 1000
	for _, f := range []struct {
		file string
		dst  *uint64
	}{
		{"memory.current", &s.MemoryUsage},
		{"memory.max", &s.MemoryLimit},
		{"pids.current", &s.PidsCurrent},
		{"pids.max", &s.PidsLimit},
	} {
		if *f.dst, err = readValue(dir, f.file); err != nil {
			return nil, err
		}
	}
	if s.BlockRead, s.BlockWrite, err = ioStat(filepath.Join(dir, "io.stat")); err != nil {
		return nil, err
	}
	return &s, nil
}

// ioStat sums rbytes and wbytes over the devices of an io.stat file
// ("MAJ:MIN rbytes=N wbytes=N rios=N ...").
func ioStat(path string) (read, write uint64, err error) {
	err = eachLine(path, func(fields []string) error {
		for _, f := range fields[1:] {
			k, v, _ := strings.Cut(f, "=")
			n, perr := strconv.ParseUint(v, 10, 64)
			if perr != nil {
				continue
			}
			switch k {
			case "rbytes":
				read += n
			case "wbytes":
				write += n
			}
		}
		return nil
	})
	return read, write, err
}

// blkioStat sums the Read and Write lines of a v1 blkio
// io_service_bytes file ("MAJ:MIN Read N").
func blkioStat(path string) (read, write uint64, err error) {
	err = eachLine(path, func(fields []string) error {
		if len(fields) != 3 {
			return nil // "Total N"
		}
		n, perr := strconv.ParseUint(fields[2], 10, 64)
		if perr != nil {
			return nil
		}
		switch fields[1] {
		case "Read":
			read += n
		case "Write":
			write += n
		}
		return nil
	})
	return read, write, err
}

// eachLine calls fn with the fields of each non-empty line of path; a
// missing file has no lines.
func eachLine(path string, fn func([]string) error) error {
	data, err := kfile.Read(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if fields := strings.Fields(line); len(fields) > 0 {
			if err := fn(fields); err != nil {
				return err
			}
		}
	}
	return nil
}

// statsV1 reads the v1 controllers' counters.
func (c *Cgroup) statsV1() (*Stats, error) {
	p := c.ref.Paths
	var s Stats
	var err error
	for _, f := range []struct {
		dir, file string
		dst       *uint64
	}{
		{p["cpuacct"], "cpuacct.usage", &s.CPUUsageNanos},
		{p["memory"], "memory.usage_in_bytes", &s.MemoryUsage},
		{p["memory"], "memory.limit_in_bytes", &s.MemoryLimit},
		{p["pids"], "pids.current", &s.PidsCurrent},
		{p["pids"], "pids.max", &s.PidsLimit},
	} {
		if f.dir == "" {
			continue
		}
		if *f.dst, err = readValue(f.dir, f.file); err != nil {
			return nil, err
		}
	}
	if s.MemoryLimit >= v1Unlimited {
		s.MemoryLimit = 0
	}
	if d := p["blkio"]; d != "" {
		file := filepath.Join(d, "blkio.throttle.io_service_bytes_recursive")
		if !fileExists(file) {
			file = filepath.Join(d, "blkio.throttle.io_service_bytes")
		}
		if s.BlockRead, s.BlockWrite, err = blkioStat(file); err != nil {
			return nil, err
		}
	}
	return &s, nil
}
