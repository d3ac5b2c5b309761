package cgroupsv2

import (
	"os"
	"path/filepath"
	"testing"
)

// Fake cgroup trees: directories with the interface files the kernel
// would show, as regular files. The code under test never creates files
// (only directories), so a file missing from a fake tree behaves like a
// knob the kernel lacks. Directories the code would create are made in
// advance with their files, the way the kernel populates a new cgroup.

const testID = "0123456789abcdef"

// v2Files are the files of a non-root v2 cgroup with every controller.
var v2Files = []string{
	"cgroup.controllers", "cgroup.subtree_control", "cgroup.procs", "cgroup.events", "cgroup.freeze", "cgroup.kill",
	"cpu.weight", "cpu.max", "cpu.max.burst", "cpu.idle", "cpu.stat", "cpuset.cpus", "cpuset.mems",
	"memory.max", "memory.low", "memory.swap.max", "memory.current", "memory.events",
	"pids.max", "pids.current", "io.weight", "io.max", "io.stat", "hugetlb.2MB.max",
}

// v1Files are the files of each v1 controller's cgroups.
var v1Files = map[string][]string{
	"memory": {"memory.limit_in_bytes", "memory.soft_limit_in_bytes", "memory.memsw.limit_in_bytes",
		"memory.swappiness", "memory.oom_control", "memory.usage_in_bytes"},
	"pids":    {"pids.max", "pids.current"},
	"cpu":     {"cpu.shares", "cpu.cfs_quota_us", "cpu.cfs_period_us", "cpu.cfs_burst_us", "cpu.rt_runtime_us", "cpu.rt_period_us", "cpu.idle"},
	"cpuacct": {"cpuacct.usage"},
	"cpuset":  {"cpuset.cpus", "cpuset.mems"},
	"blkio": {"blkio.bfq.weight", "blkio.bfq.weight_device", "blkio.throttle.read_bps_device", "blkio.throttle.write_bps_device",
		"blkio.throttle.read_iops_device", "blkio.throttle.write_iops_device", "blkio.throttle.io_service_bytes_recursive"},
	"freezer": {"freezer.state"},
}

// fakeDir makes dir holding files, empty unless contents says otherwise.
func fakeDir(t *testing.T, dir string, files []string, contents map[string]string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		writeTestFile(t, filepath.Join(dir, f), contents[f])
	}
	for f, c := range contents {
		writeTestFile(t, filepath.Join(dir, f), c)
	}
}

func writeTestFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readTestFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// fakeV2 is a unified hierarchy offering ctrls, with the container's
// cgroup and its parent "hutch" ready. It returns the root and the
// container's directory.
func fakeV2(t *testing.T, ctrls string) (root, dir string) {
	t.Helper()
	root = t.TempDir()
	fakeDir(t, root, []string{"cgroup.subtree_control"}, map[string]string{"cgroup.controllers": ctrls, "cgroup.procs": "1\n"})
	fakeDir(t, filepath.Join(root, "hutch"), []string{"cgroup.subtree_control", "cgroup.procs"}, map[string]string{"cgroup.controllers": ctrls})
	dir = filepath.Join(root, "hutch", "hutch-"+testID+".scope")
	fakeDir(t, dir, v2Files, map[string]string{"cgroup.controllers": ctrls, "cpu.max": "max 100000"})
	return root, dir
}

// fakeV1 is a hybrid layout (tmpfs with one directory per controller,
// cpu and cpuacct mounted together) with the container's directories
// ready under hutch/. without lists files the kernel lacks.
func fakeV1(t *testing.T, without ...string) string {
	t.Helper()
	root := t.TempDir()
	mounts := map[string][]string{"memory": {"memory"}, "pids": {"pids"}, "cpu,cpuacct": {"cpu", "cpuacct"},
		"cpuset": {"cpuset"}, "blkio": {"blkio"}, "freezer": {"freezer"}}
	for mnt, ctrls := range mounts {
		var files []string
		for _, c := range ctrls {
			for _, f := range v1Files[c] {
				if !contains(without, f) {
					files = append(files, f)
				}
			}
		}
		files = append(files, "cgroup.procs")
		top := map[string]string{"cpuset.cpus": "0-1", "cpuset.mems": "0"}
		fakeDir(t, filepath.Join(root, mnt), files, top)
		fakeDir(t, filepath.Join(root, mnt, "hutch"), files, nil)
		fakeDir(t, filepath.Join(root, mnt, "hutch", testID), files, nil)
	}
	return root
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// testEnv is an env whose /proc/self/cgroup says own and whose systemd is
// not PID 1.
func testEnv(t *testing.T, own string) env {
	t.Helper()
	proc := t.TempDir()
	fakeDir(t, filepath.Join(proc, "self"), nil, map[string]string{
		"cgroup":  "0::" + own + "\n",
		"uid_map": "         0       1000          1\n",
	})
	return env{proc: proc, systemdRun: filepath.Join(proc, "no-systemd"), euid: os.Geteuid()}
}

func ptr[T any](v T) *T { return &v }
