//go:build vm

package vm

import (
	"bufio"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// cgroupRoot is where the guest's /init mounts cgroup2.
const cgroupRoot = "/sys/fs/cgroup"

// cgroupOf returns the absolute cgroup v2 directory of pid, from the "0::"
// line of /proc/PID/cgroup (read from the guest's root cgroup namespace,
// so the path is the whole one).
func cgroupOf(pid string) (string, error) {
	f, err := os.Open("/proc/" + pid + "/cgroup")
	if err != nil {
		return "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rel, ok := strings.CutPrefix(sc.Text(), "0::"); ok {
			return filepath.Join(cgroupRoot, rel), nil
		}
	}
	return "", fmt.Errorf("/proc/%s/cgroup has no cgroup v2 line", pid)
}

// containerCgroup is the cgroup directory of the container's init.
func (h *hutchEnv) containerCgroup(t testing.TB, ref string) string {
	t.Helper()
	pid := h.pid(t, ref)
	dir, err := cgroupOf(strconv.Itoa(pid))
	if err != nil {
		t.Fatal(err)
	}
	own, err := cgroupOf("self")
	if err != nil {
		t.Fatal(err)
	}
	if dir == own || dir == cgroupRoot {
		t.Fatalf("container %s (pid %d) is in %s, not in a cgroup of its own", ref, pid, dir)
	}
	return dir
}

// cgroupFile returns a cgroup file's content without the trailing newline.
func cgroupFile(t testing.TB, dir, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimRight(string(data), "\n")
}

// keyedValue returns KEY's value in a flat-keyed cgroup file (cpu.stat,
// memory.events, cgroup.events).
func keyedValue(t testing.TB, dir, name, key string) uint64 {
	t.Helper()
	for _, line := range strings.Split(cgroupFile(t, dir, name), "\n") {
		k, v, ok := strings.Cut(line, " ")
		if ok && k == key {
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				t.Fatalf("%s/%s: %q", dir, name, line)
			}
			return n
		}
	}
	t.Fatalf("%s/%s has no %s", dir, name, key)
	return 0
}

// cgroupsNamed lists the cgroup directories whose name contains s (a
// container ID): wherever hutch put the container's cgroup, it names it
// after the container (hutch-<id>.scope).
func cgroupsNamed(s string) []string {
	var out []string
	filepath.WalkDir(cgroupRoot, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() && strings.Contains(d.Name(), s) {
			out = append(out, p)
		}
		return nil
	})
	return out
}
