//go:build e2e

package e2e

import (
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"
)

// podmanDefaultCaps is Podman's default capability set as a /proc mask:
// CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID SETPCAP
// NET_BIND_SERVICE SYS_CHROOT SETFCAP. (Debian's Podman 4.3 adds NET_RAW,
// MKNOD and AUDIT_WRITE in its containers.conf and shows 00000000a80425fb.)
const podmanDefaultCaps = "00000000800405fb"

func TestRunNamespaces(t *testing.T) {
	t.Parallel()
	h := newLoadedEnv(t)
	kinds := []string{"pid", "mnt", "uts", "ipc", "net"}
	script := "echo $$; for n in " + strings.Join(kinds, " ") + "; do readlink /proc/1/ns/$n; done; ls -d /proc/[0-9]* | wc -l"
	lines := strings.Split(h.ok(t, "run", "--rm", imageName, "sh", "-c", script), "\n")
	if len(lines) != len(kinds)+2 {
		t.Fatalf("got %q", lines)
	}
	if lines[0] != "1" {
		t.Errorf("the container's command has pid %s, want 1", lines[0])
	}
	for i, k := range kinds {
		if got, host := lines[i+1], hostNS(t, k); got == host {
			t.Errorf("the container shares the %s namespace with the host (%s)", k, got)
		}
	}
	// sh (pid 1) and ls: nothing of the host is visible.
	if n, _ := strconv.Atoi(strings.TrimSpace(lines[len(lines)-1])); n > 3 {
		t.Errorf("the container sees %d processes, want only its own", n)
	}
}

func TestRunNetwork(t *testing.T) {
	t.Parallel()
	h := newLoadedEnv(t)
	out := h.ok(t, "run", "--rm", "--network", "none", imageName, "sh", "-c", "readlink /proc/self/ns/net; cat /proc/net/dev")
	lines := strings.Split(out, "\n")
	if lines[0] == hostNS(t, "net") {
		t.Errorf("--network none shares the host's network namespace")
	}
	var ifaces []string
	for _, l := range lines[1:] {
		if name, _, ok := strings.Cut(l, ":"); ok {
			ifaces = append(ifaces, strings.TrimSpace(name))
		}
	}
	if diff := cmp.Diff(ifaces, []string{"lo"}); diff != "" {
		t.Errorf("--network none interfaces (-got +want):\n%s", diff)
	}
	// hutch's host is the namespace it runs in: the test's own (root) or
	// the lane's (rootless).
	host := hostNS(t, "net")
	if h.ns != nil {
		link, err := os.Readlink(h.ns.path)
		if err != nil {
			t.Fatal(err)
		}
		host = link
	}
	if got := h.ok(t, "run", "--rm", "--network", "host", imageName, "readlink", "/proc/self/ns/net"); got != host {
		t.Errorf("--network host: container is in %s, want the host's %s", got, host)
	}
}

func TestRunHostname(t *testing.T) {
	t.Parallel()
	h := newLoadedEnv(t)
	script := "hostname; echo $(cat /etc/hostname); grep -q myhost /etc/hosts && echo hosts; test -f /etc/resolv.conf && echo resolv; " +
		"grep -E ' /etc/(hostname|hosts|resolv.conf) ' /proc/self/mountinfo | wc -l"
	got := h.ok(t, "run", "--rm", "--hostname", "myhost", imageName, "sh", "-c", script)
	if diff := cmp.Diff(strings.Fields(got), []string{"myhost", "myhost", "hosts", "resolv", "3"}); diff != "" {
		t.Errorf("hostname, /etc/hostname, /etc/hosts, resolv.conf, per-container mounts (-got +want):\n%s", diff)
	}
	// Without --hostname the name is the short container ID (Podman).
	out := h.ok(t, "run", "--name", "anon", imageName, "hostname")
	if id := h.inspect(t, "anon", "{{.ID}}"); len(id) < 12 || out != id[:12] {
		t.Errorf("default hostname %q, want the short ID of %q", out, id)
	}
}

// procStatus returns the container's /proc/self/status fields named.
func procStatus(t *testing.T, h *hutchEnv, extra []string, fields ...string) map[string]string {
	t.Helper()
	args := append(append([]string{"run", "--rm"}, extra...), imageName, "cat", "/proc/self/status")
	got := map[string]string{}
	for _, l := range strings.Split(h.ok(t, args...), "\n") {
		k, v, _ := strings.Cut(l, ":")
		for _, f := range fields {
			if k == f {
				got[k] = strings.TrimSpace(v)
			}
		}
	}
	return got
}

func TestRunSecurity(t *testing.T) {
	t.Parallel()
	h := newLoadedEnv(t)
	fields := []string{"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", "NoNewPrivs"}
	zero := "0000000000000000"
	tests := []struct {
		name  string
		extra []string
		want  map[string]string
	}{
		{"root", nil, map[string]string{"CapInh": zero, "CapPrm": podmanDefaultCaps, "CapEff": podmanDefaultCaps,
			"CapBnd": podmanDefaultCaps, "CapAmb": zero, "NoNewPrivs": "1"}},
		{"non-root user", []string{"-u", "tester"}, map[string]string{"CapInh": zero, "CapPrm": zero, "CapEff": zero,
			"CapBnd": podmanDefaultCaps, "CapAmb": zero, "NoNewPrivs": "1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(procStatus(t, h, tt.extra, fields...), tt.want); diff != "" {
				t.Errorf("/proc/self/status (-got +want):\n%s", diff)
			}
		})
	}
}

// mountEntry is one line of a container's /proc/self/mountinfo.
type mountEntry struct {
	FSType  string
	Options string // per-mount options: "ro,nosuid,..."
}

func parseMounts(out string) map[string]mountEntry {
	m := map[string]mountEntry{}
	for _, l := range strings.Split(out, "\n") {
		mp, fstype, ok := parseMountinfo(l)
		if !ok {
			continue
		}
		m[mp] = mountEntry{FSType: fstype, Options: strings.Fields(l)[5]}
	}
	return m
}

func isRO(e mountEntry) bool {
	return strings.HasPrefix(e.Options, "ro,") || e.Options == "ro"
}

func TestRunFilesystems(t *testing.T) {
	t.Parallel()
	h := newLoadedEnv(t)
	m := parseMounts(h.ok(t, "run", "--rm", imageName, "cat", "/proc/self/mountinfo"))
	want := map[string]string{"/proc": "proc", "/dev": "tmpfs", "/dev/pts": "devpts", "/dev/shm": "tmpfs",
		"/dev/mqueue": "mqueue", "/sys": "sysfs"}
	for mp, fstype := range want {
		if m[mp].FSType != fstype {
			t.Errorf("%s is %q, want %s", mp, m[mp].FSType, fstype)
		}
	}
	if !isRO(m["/sys"]) {
		t.Errorf("/sys is mounted %q, want read-only", m["/sys"].Options)
	}
	if !isRO(m["/proc/sys"]) {
		t.Errorf("/proc/sys is mounted %q, want read-only", m["/proc/sys"].Options)
	}
	// Masked paths: those of runc's list that this kernel has.
	var masked []string
	for _, p := range []string{"/proc/kcore", "/proc/keys", "/proc/timer_list", "/proc/acpi", "/sys/firmware"} {
		if _, err := os.Stat(p); err == nil {
			masked = append(masked, p)
		}
	}
	if len(masked) < 2 {
		t.Fatalf("this kernel has too few maskable paths to test: %v", masked)
	}
	for _, p := range masked {
		if _, ok := m[p]; !ok {
			t.Errorf("%s is not masked (no mount over it)", p)
		}
	}
	r := h.run(t, "run", "--rm", imageName, "sh", "-c", "cat /proc/keys /proc/timer_list | wc -c; touch /sys/x")
	if r.Code == 0 || !strings.HasPrefix(r.Stdout, "0\n") {
		t.Errorf("masked /proc files must read empty and /sys must refuse writes: %v", r)
	}
}

func TestRunDev(t *testing.T) {
	t.Parallel()
	h := newLoadedEnv(t)
	base := []string{"fd", "full", "mqueue", "null", "ptmx", "pts", "random", "shm", "stderr", "stdin",
		"stdout", "tty", "urandom", "zero"}
	tests := []struct {
		name  string
		extra []string
		want  []string
	}{
		{"no terminal", nil, base},
		{"terminal", []string{"-t"}, append([]string{"console"}, base...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			args := append(append([]string{"run", "--rm"}, tt.extra...), imageName, "ls", "-1", "/dev")
			var got []string
			for _, name := range strings.Fields(h.ok(t, args...)) {
				// runc links /dev/core to /proc/kcore where the kernel has one.
				if name != "core" {
					got = append(got, name)
				}
			}
			sort.Strings(got)
			sort.Strings(tt.want)
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("ls /dev (-got +want):\n%s", diff)
			}
		})
	}
	t.Run("device numbers", func(t *testing.T) {
		t.Parallel()
		got := h.ok(t, "run", "--rm", imageName, "stat", "-c", "%n %t:%T",
			"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty")
		want := "/dev/null 1:3\n/dev/zero 1:5\n/dev/full 1:7\n/dev/random 1:8\n/dev/urandom 1:9\n/dev/tty 5:0"
		if diff := cmp.Diff(got, want); diff != "" {
			t.Errorf("device nodes (-got +want):\n%s", diff)
		}
	})
}

func TestRunRlimits(t *testing.T) {
	t.Parallel()
	h := newLoadedEnv(t)
	var host unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &host); err != nil {
		t.Fatal(err)
	}
	// The spec asks for 1048576 open files; an unprivileged user cannot go
	// above its own hard limit, and the container must start anyway.
	limit := uint64(1048576)
	if rootless() {
		limit = host.Max
	}
	got := strings.Fields(h.ok(t, "run", "--rm", imageName, "sh", "-c", "ulimit -Sn; ulimit -Hn"))
	if len(got) != 2 {
		t.Fatalf("got %q", got)
	}
	soft, _ := strconv.ParseUint(got[0], 10, 64)
	hard, _ := strconv.ParseUint(got[1], 10, 64)
	if hard == 0 || hard > limit || soft > hard {
		t.Errorf("RLIMIT_NOFILE in the container is %d/%d, want 0 < soft <= hard <= %d", soft, hard, limit)
	}
}

func TestRunEnv(t *testing.T) {
	t.Parallel()
	h := newLoadedEnv(t)
	envFile := h.dir + "/env.list"
	content := "# a comment\n\nFROM_FILE=file value\nOVERRIDDEN=from-file\nFROM_HOST_VIA_FILE\n"
	if err := os.WriteFile(envFile, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	r := h.runWith(t, runOpts{Env: []string{"FROM_HOST=host value", "FROM_HOST_VIA_FILE=yes"}},
		"run", "--rm", "--env-file", envFile, "-e", "A=1", "-e", "FROM_HOST", "-e", "OVERRIDDEN=from-flag",
		"-e", "EMPTY=", imageName, "env")
	wantCode(t, r, 0)
	got := map[string]string{}
	for _, l := range strings.Split(r.Out(), "\n") {
		k, v, _ := strings.Cut(l, "=")
		got[k] = v
	}
	want := map[string]string{"PATH": imagePath, "A": "1", "FROM_HOST": "host value", "FROM_FILE": "file value",
		"OVERRIDDEN": "from-flag", "FROM_HOST_VIA_FILE": "yes", "EMPTY": ""}
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			t.Errorf("env %s = %q (set: %v), want %q", k, g, ok, v)
		}
	}
	if got := h.ok(t, "run", "--rm", "-e", "PATH=/bin", imageName, "sh", "-c", "echo $PATH"); got != "/bin" {
		t.Errorf("-e PATH=/bin gives %q: flags must override the image's env", got)
	}
}

func TestRunWorkdir(t *testing.T) {
	t.Parallel()
	h := newLoadedEnv(t)
	for _, dir := range []string{"/tmp", "/home/tester", "/"} {
		if got := h.ok(t, "run", "--rm", "-w", dir, imageName, "pwd"); got != dir {
			t.Errorf("-w %s: pwd is %q", dir, got)
		}
	}
}

func TestRunUser(t *testing.T) {
	t.Parallel()
	h := newLoadedEnv(t)
	tester := "uid=1000(tester) gid=1000(testers)"
	tests := []struct{ user, want string }{
		{"tester", tester},
		{"1000", tester},
		{"1000:1000", tester},
		{"tester:testers", tester},
		{"tester:65534", "uid=1000(tester) gid=65534(nogroup)"},
		{"0", "uid=0(root) gid=0(root)"},
		{"root", "uid=0(root) gid=0(root)"},
	}
	for _, tt := range tests {
		t.Run(tt.user, func(t *testing.T) {
			t.Parallel()
			got := h.ok(t, "run", "--rm", "-u", tt.user, imageName, "id")
			if !strings.HasPrefix(got, tt.want) {
				t.Errorf("id as %q: got %q, want prefix %q", tt.user, got, tt.want)
			}
		})
	}
	t.Run("file ownership", func(t *testing.T) {
		t.Parallel()
		got := h.ok(t, "run", "--rm", "-u", "tester", imageName, "sh", "-c",
			"touch /tmp/f && stat -c %u:%g /tmp/f && cd && pwd && echo $HOME")
		if diff := cmp.Diff(got, "1000:1000\n/home/tester\n/home/tester"); diff != "" {
			t.Errorf("as tester (-got +want):\n%s", diff)
		}
	})
}

func TestRunEntrypoint(t *testing.T) {
	t.Parallel()
	h := newLoadedEnv(t)
	if got := h.ok(t, "run", "--rm", "--entrypoint", "/bin/echo", imageName, "hello", "world"); got != "hello world" {
		t.Errorf("--entrypoint /bin/echo: got %q", got)
	}
	if got := h.ok(t, "run", "--rm", "--entrypoint", "sh", imageName, "-c", "echo from-sh"); got != "from-sh" {
		t.Errorf("--entrypoint sh: got %q", got)
	}
	h.ok(t, "create", "--name", "ep", "--entrypoint", "/bin/echo", imageName, "x")
	if got := h.inspect(t, "ep", "{{json .Config.Entrypoint}} {{json .Config.Cmd}}"); got != `["/bin/echo"] ["x"]` {
		t.Errorf("inspect Entrypoint and Cmd: got %s", got)
	}
}

func TestRunLabels(t *testing.T) {
	t.Parallel()
	h := newLoadedEnv(t)
	h.ok(t, "create", "--name", "labelled", "-l", "app=web", "--label", "tier=front", imageName, "true")
	h.ok(t, "create", "--name", "plain", imageName, "true")
	if got := h.inspect(t, "labelled", "{{.Config.Labels.app}} {{.Config.Labels.tier}}"); got != "web front" {
		t.Errorf("labels: got %q", got)
	}
	if got := h.ok(t, "ps", "-a", "--filter", "label=app=web", "--format", "{{.Names}}"); got != "labelled" {
		t.Errorf("ps --filter label=app=web: got %q", got)
	}
}

func TestRunStdin(t *testing.T) {
	t.Parallel()
	h := newLoadedEnv(t)
	r := h.runWith(t, runOpts{Stdin: "line one\nline two\n"}, "run", "--rm", "-i", imageName, "cat")
	wantCode(t, r, 0)
	if r.Stdout != "line one\nline two\n" {
		t.Errorf("run -i cat: got %q", r.Stdout)
	}
	// Without -i the container's stdin is /dev/null: cat ends at once.
	r = h.runWith(t, runOpts{Stdin: "ignored\n", Timeout: 20 * time.Second}, "run", "--rm", imageName, "cat")
	wantCode(t, r, 0)
	if r.Stdout != "" {
		t.Errorf("run without -i read stdin: %q", r.Stdout)
	}
}

func TestRunReadOnly(t *testing.T) {
	t.Parallel()
	h := newLoadedEnv(t)
	r := h.run(t, "run", "--rm", "--read-only", imageName, "touch", "/x")
	if r.Code == 0 || !strings.Contains(r.Stderr, "Read-only file system") {
		t.Errorf("touch /x on a --read-only rootfs: %v", r)
	}
	m := parseMounts(h.ok(t, "run", "--rm", "--read-only", imageName, "cat", "/proc/self/mountinfo"))
	if !isRO(m["/"]) {
		t.Errorf("--read-only: / is mounted %q", m["/"].Options)
	}
	h.ok(t, "run", "--rm", imageName, "touch", "/x")
}

func TestRunRemove(t *testing.T) {
	t.Parallel()
	h := newLoadedEnv(t)
	h.ok(t, "run", "--rm", "--name", "gone", imageName, "true")
	if got := h.ok(t, "ps", "-a", "-q"); got != "" {
		t.Errorf("ps -a after run --rm: %q", got)
	}
	h.checkNoLeaks(t)
	// A detached --rm container disappears once it exits.
	h.runDetached(t, "--rm", "--name", "gone-later", imageName, "sleep", "1")
	eventually(t, 30*time.Second, func() bool { return h.ok(t, "ps", "-a", "-q") == "" },
		func() string { return "the --rm container to be removed after it exited" })
	h.checkNoLeaks(t)
	// The name is free again.
	h.ok(t, "run", "--rm", "--name", "gone", imageName, "true")
}

func TestRunDetached(t *testing.T) {
	t.Parallel()
	h := newLoadedEnv(t)
	id := h.runDetached(t, "--name", "bg", imageName, "sleep", "100")
	// `run -d` has exited; the container and its monitor live on, detached
	// from the CLI's session.
	if got := h.ok(t, "ps", "--format", "{{.Names}} {{.Status}}"); !strings.HasPrefix(got, "bg Up") {
		t.Errorf("ps: got %q, want \"bg Up ...\"", got)
	}
	pid, _ := strconv.Atoi(h.inspect(t, id, "{{.State.Pid}}"))
	mon, _ := strconv.Atoi(h.inspect(t, id, "{{.State.ConmonPid}}"))
	if !procAlive(pid) || !procAlive(mon) {
		t.Fatalf("container pid %d alive %v, monitor pid %d alive %v", pid, procAlive(pid), mon, procAlive(mon))
	}
	if sid, err := unix.Getsid(mon); err != nil || sid == mustGetsid(t) {
		t.Errorf("the monitor (pid %d) is in session %d, want its own session, not the test's", mon, sid)
	}
	if got := cmdline(pid); got != "sleep 100" {
		t.Errorf("container process runs %q", got)
	}
	if got := h.inspect(t, id, "{{.State.Status}} {{.State.Running}}"); got != "running true" {
		t.Errorf("inspect state: %q", got)
	}
	// The cleanup's leak checks must be able to see what a running
	// container holds, or their silence would prove nothing.
	if m := mountsUnder(h.dir, filepath.Join(h.root, "storage", "overlay")); len(m) == 0 {
		t.Errorf("the running container's rootfs mount is not visible to the leak check")
	}
	if role := testProcesses(h.dir)[mon]; role != "monitor" {
		t.Errorf("the leak check sees the monitor %d with role %q, want monitor", mon, role)
	}
}

func mustGetsid(t *testing.T) int {
	sid, err := unix.Getsid(0)
	if err != nil {
		t.Fatal(err)
	}
	return sid
}
