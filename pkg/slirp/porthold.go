package slirp

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// portHolder names the process that has the local port proto/p bound in
// the caller's network namespace ("process 1234 (nc)"), or returns "" when
// it cannot tell: the socket is not in /proc/net, or its owner's /proc
// entries are not readable (another user's process).
func portHolder(proto string, p int) string {
	inodes := map[string]bool{}
	for _, name := range []string{proto, proto + "6"} {
		boundInodes(filepath.Join("/proc/net", name), proto == "tcp", p, inodes)
	}
	if len(inodes) == 0 {
		return ""
	}
	procs, err := filepath.Glob("/proc/[0-9]*")
	if err != nil {
		return ""
	}
	for _, dir := range procs {
		fds, err := os.ReadDir(filepath.Join(dir, "fd"))
		if err != nil {
			continue
		}
		for _, fd := range fds {
			link, err := os.Readlink(filepath.Join(dir, "fd", fd.Name()))
			ino, ok := strings.CutPrefix(link, "socket:[")
			if err != nil || !ok || !inodes[strings.TrimSuffix(ino, "]")] {
				continue
			}
			return fmt.Sprintf("process %s (%s)", filepath.Base(dir), processName(dir))
		}
	}
	return ""
}

// boundInodes adds to inodes the socket inodes of a /proc/net/{tcp,udp}[6]
// table bound to local port p (for TCP, listening ones only).
func boundInodes(table string, listenOnly bool, p int, inodes map[string]bool) {
	f, err := os.Open(table)
	if err != nil {
		return
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		// sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
		fields := strings.Fields(sc.Text())
		if len(fields) < 10 {
			continue
		}
		_, hexPort, ok := strings.Cut(fields[1], ":")
		lp, err := strconv.ParseUint(hexPort, 16, 16)
		if !ok || err != nil || int(lp) != p {
			continue
		}
		const tcpListen = "0A"
		if listenOnly && fields[3] != tcpListen {
			continue
		}
		inodes[fields[9]] = true
	}
}

// processName is the base name of argv[0] of the process at dir in /proc,
// or its comm: re-executed hutch processes have "exe" as comm.
func processName(dir string) string {
	b, _ := os.ReadFile(filepath.Join(dir, "cmdline"))
	if arg0, _, _ := strings.Cut(string(b), "\x00"); arg0 != "" {
		return filepath.Base(arg0)
	}
	comm, _ := os.ReadFile(filepath.Join(dir, "comm"))
	return strings.TrimSpace(string(comm))
}
