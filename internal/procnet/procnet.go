// Package procnet names the process holding a local port, for errors like
// "host port 8080/tcp is already in use by process 1234 (nc)": it reads a
// network namespace's /proc/net/{tcp,udp}[6] tables for the socket's
// inode, then the processes' descriptors for its owner.
package procnet

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Unseen is Holder's answer when the socket is listed but no readable
// process holds it (another user's, or in a pid namespace hutch does not
// see).
const Unseen = "a process hutch cannot see"

// Holder names the process that has proto ("tcp" or "udp") port bound,
// listening for TCP, in the network namespace whose tables are under
// netDir ("/proc/net" for the caller's process, "/proc/thread-self/net"
// for the calling thread's): "process 1234 (nc)", Unseen, or "" when no
// such socket is listed.
func Holder(netDir, proto string, port uint16) string {
	inodes := map[string]bool{}
	for _, table := range []string{proto, proto + "6"} {
		bound(filepath.Join(netDir, table), proto == "tcp", port, inodes)
	}
	if len(inodes) == 0 {
		return ""
	}
	if pid, name := owner(inodes); pid != "" {
		return fmt.Sprintf("process %s (%s)", pid, name)
	}
	return Unseen
}

// bound adds to inodes those of the sockets in table bound to local port
// (listening ones only, when listenOnly).
func bound(table string, listenOnly bool, port uint16, inodes map[string]bool) {
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
		p, err := strconv.ParseUint(hexPort, 16, 16)
		if !ok || err != nil || uint16(p) != port {
			continue
		}
		const tcpListen = "0A"
		if listenOnly && fields[3] != tcpListen {
			continue
		}
		inodes[fields[9]] = true
	}
}

// owner finds a process with a descriptor on one of the sockets.
func owner(inodes map[string]bool) (pid, name string) {
	procs, _ := os.ReadDir("/proc")
	for _, p := range procs {
		if _, err := strconv.Atoi(p.Name()); err != nil {
			continue
		}
		dir := filepath.Join("/proc", p.Name())
		fds, _ := os.ReadDir(filepath.Join(dir, "fd"))
		for _, fd := range fds {
			link, err := os.Readlink(filepath.Join(dir, "fd", fd.Name()))
			ino, ok := strings.CutPrefix(link, "socket:[")
			if err == nil && ok && inodes[strings.TrimSuffix(ino, "]")] {
				return p.Name(), processName(dir)
			}
		}
	}
	return "", ""
}

// processName is the base name of argv[0] of the process at dir, or its
// comm: re-executed hutch processes have "exe" as comm.
func processName(dir string) string {
	b, _ := os.ReadFile(filepath.Join(dir, "cmdline"))
	if arg0, _, _ := strings.Cut(string(b), "\x00"); arg0 != "" {
		return filepath.Base(arg0)
	}
	comm, _ := os.ReadFile(filepath.Join(dir, "comm"))
	return strings.TrimSpace(string(comm))
}
