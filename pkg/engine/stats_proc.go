package engine

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/hutchctr/hutch/internal/kfile"
	"github.com/hutchctr/hutch/pkg/state"
)

// hostMemory is MemTotal of /proc/meminfo in bytes, 0 if unreadable.
func hostMemory() uint64 {
	data, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	return parseMemTotal(data)
}

func parseMemTotal(data []byte) uint64 {
	for _, line := range bytes.Split(data, []byte("\n")) {
		rest, ok := bytes.CutPrefix(line, []byte("MemTotal:"))
		if !ok {
			continue
		}
		f := strings.Fields(string(rest))
		if len(f) == 0 {
			return 0
		}
		kb, err := strconv.ParseUint(f[0], 10, 64)
		if err != nil {
			return 0
		}
		return kb * 1024
	}
	return 0
}

// netIO sums the bytes received and sent by the interfaces of pid's
// network namespace, loopback excepted, from /proc/PID/net/dev.
func netIO(pid int) (rx, tx uint64) {
	data, err := kfile.Read("/proc/" + strconv.Itoa(pid) + "/net/dev")
	if err != nil {
		return 0, 0
	}
	return parseNetDev(bytes.NewReader(data))
}

// parseNetDev reads the kernel's net/dev table: two header lines, then
// "iface: rx_bytes rx_packets ... (8 receive fields) tx_bytes ...".
func parseNetDev(r io.Reader) (rx, tx uint64) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		name, counters, ok := strings.Cut(sc.Text(), ":")
		if !ok || strings.TrimSpace(name) == "lo" {
			continue
		}
		f := strings.Fields(counters)
		if len(f) < 9 {
			continue
		}
		in, err1 := strconv.ParseUint(f[0], 10, 64)
		out, err2 := strconv.ParseUint(f[8], 10, 64)
		if err1 != nil || err2 != nil {
			continue
		}
		rx += in
		tx += out
	}
	return rx, tx
}

// sortNewestFirst orders containers as ps lists them.
func sortNewestFirst(cs []*state.Container) {
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].Config.Created.After(cs[j].Config.Created) })
}
