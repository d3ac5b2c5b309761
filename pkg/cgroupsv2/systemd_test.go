package cgroupsv2

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	sd "github.com/coreos/go-systemd/v22/dbus"
	"github.com/godbus/dbus/v5"
	"github.com/godbus/dbus/v5/prop"
	"github.com/google/go-cmp/cmp"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/hutchctr/hutch/internal/testutil"
)

// busConfig is a private bus that lets anyone own any name and send
// anything, like the session bus's default policy.
const busConfig = `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <listen>unix:path=%s</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`

// privateBus starts a dbus-daemon for the test and returns its address.
func privateBus(t *testing.T) string {
	t.Helper()
	testutil.Requires(t, testutil.Requirement{Name: "dbus-daemon (apt-get install dbus)", Check: func() error {
		_, err := exec.LookPath("dbus-daemon")
		return err
	}})
	dir := t.TempDir()
	conf := filepath.Join(dir, "bus.conf")
	writeTestFile(t, conf, strings.Replace(busConfig, "%s", filepath.Join(dir, "bus"), 1))
	cmd := exec.Command("dbus-daemon", "--config-file="+conf, "--nofork", "--print-address")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	// Its stderr (a warning about the fd limit) stays out of the log.
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	addr, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("dbus-daemon address: %v", err)
	}
	return strings.TrimSpace(addr)
}

// property and auxUnit are StartTransientUnit's argument types.
type property struct {
	Name  string
	Value dbus.Variant
}

type auxUnit struct {
	Name  string
	Props []property
}

// fakeSystemd is org.freedesktop.systemd1.Manager as far as hutch uses
// it: it records StartTransientUnit, makes the scope's directory in a
// fake cgroup tree (with the controllers systemd would delegate), answers
// for its ControlGroup, and removes it on StopUnit.
type fakeSystemd struct {
	t    *testing.T
	conn *dbus.Conn
	root string
	base string // the manager's own cgroup ("" for the system instance)

	mu      sync.Mutex
	started []map[string]any // name, mode and properties of each call
	stopped []string
}

func (f *fakeSystemd) StartTransientUnit(name, mode string, props []property, _ []auxUnit) (dbus.ObjectPath, *dbus.Error) {
	call := map[string]any{"name": name, "mode": mode}
	for _, p := range props {
		call[p.Name] = p.Value.Value()
	}
	f.mu.Lock()
	f.started = append(f.started, call)
	f.mu.Unlock()
	slice, _ := call["Slice"].(string)
	cg := f.base + "/" + filepath.Join(expandSlice(slice), name)
	fakeDir(f.t, filepath.Join(f.root, cg), v2Files, map[string]string{"cgroup.controllers": "cpu memory pids"})
	path := dbus.ObjectPath("/org/freedesktop/systemd1/unit/" + sd.PathBusEscape(name))
	if _, err := prop.Export(f.conn, path, prop.Map{"org.freedesktop.systemd1.Scope": {
		"ControlGroup": {Value: cg, Emit: prop.EmitFalse},
	}}); err != nil {
		return "", dbus.MakeFailedError(err)
	}
	return f.job(name), nil
}

func (f *fakeSystemd) StopUnit(name, mode string) (dbus.ObjectPath, *dbus.Error) {
	f.mu.Lock()
	f.stopped = append(f.stopped, name)
	f.mu.Unlock()
	_ = os.RemoveAll(filepath.Join(f.root, f.base, "machine.slice", name))
	_ = os.RemoveAll(filepath.Join(f.root, f.base, "user.slice", name))
	return f.job(name), nil
}

// job answers with a job path and, a moment later, its JobRemoved
// signal, as systemd does once the job is done.
func (f *fakeSystemd) job(unit string) dbus.ObjectPath {
	job := dbus.ObjectPath("/org/freedesktop/systemd1/job/7")
	go func() {
		time.Sleep(10 * time.Millisecond)
		_ = f.conn.Emit("/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager.JobRemoved", uint32(7), job, unit, "done")
	}()
	return job
}

// serveFakeSystemd connects to addr and serves fakeSystemd there.
func serveFakeSystemd(t *testing.T, addr, root, base string) *fakeSystemd {
	t.Helper()
	conn, err := dbus.Connect(addr)
	if err != nil {
		t.Fatalf("connect to the private bus: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	f := &fakeSystemd{t: t, conn: conn, root: root, base: base}
	if err := conn.Export(f, "/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager"); err != nil {
		t.Fatal(err)
	}
	reply, err := conn.RequestName("org.freedesktop.systemd1", dbus.NameFlagDoNotQueue)
	if err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("own org.freedesktop.systemd1: %v %v", reply, err)
	}
	return f
}

// TestSystemdScope makes the container's cgroup a transient scope through
// a fake systemd on a private bus, then writes the limits into it.
func TestSystemdScope(t *testing.T) {
	limits := &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: ptr(int64(32 << 20))}, Pids: &specs.LinuxPids{Limit: ptr(int64(16))}}
	tests := []struct {
		name     string
		rootless bool
		base     string // the systemd instance's cgroup
		own      string // the caller's cgroup
		slice    string
	}{
		{name: "system instance", base: "", own: "/", slice: "machine.slice"},
		{name: "user instance", rootless: true, base: userService, own: userService + "/app.slice/term.scope", slice: "user.slice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := privateBus(t)
			t.Setenv("DBUS_SYSTEM_BUS_ADDRESS", addr)
			t.Setenv("DBUS_SESSION_BUS_ADDRESS", addr)
			root, _ := fakeV2(t, "cpu memory pids")
			fakeDir(t, filepath.Join(root, tt.base), nil, map[string]string{"cgroup.controllers": "cpu memory pids"})
			fake := serveFakeSystemd(t, addr, root, tt.base)
			e := testEnv(t, tt.own)
			// The bus sees this test's real uid, which EXTERNAL must claim.
			writeTestFile(t, filepath.Join(e.proc, "self", "uid_map"), "0 0 4294967295\n")
			c, err := newCgroup(Options{ID: testID, Manager: ManagerSystemd, Root: root, Rootless: tt.rootless}, e)
			if err != nil {
				t.Fatal(err)
			}
			if err := c.Create(limits); err != nil {
				t.Fatal(err)
			}
			pid := os.Getpid()
			if err := c.Join(pid); err != nil {
				t.Fatalf("Join: %v", err)
			}
			unit := "hutch-" + testID + ".scope"
			want := []map[string]any{{"name": unit, "mode": "replace", "Slice": tt.slice, "Description": "hutch container " + testID,
				"PIDs": []uint32{uint32(pid)}, "Delegate": true, "DefaultDependencies": false}}
			fake.mu.Lock()
			diff := cmp.Diff(fake.started, want)
			fake.mu.Unlock()
			if diff != "" {
				t.Errorf("StartTransientUnit calls (-got +want):\n%s", diff)
			}
			dir := filepath.Join(root, tt.base, tt.slice, unit)
			if diff := cmp.Diff(c.Ref(), Ref{Layout: LayoutV2, Paths: map[string]string{"": dir}, Unit: unit}); diff != "" {
				t.Errorf("ref (-got +want):\n%s", diff)
			}
			for file, want := range map[string]string{"memory.max": "33554432", "pids.max": "16"} {
				if got := readTestFile(t, filepath.Join(dir, file)); got != want {
					t.Errorf("%s = %q, want %q", file, got, want)
				}
			}
			if err := FromRef(c.Ref(), root).Destroy(); err != nil {
				t.Fatalf("Destroy: %v", err)
			}
			fake.mu.Lock()
			defer fake.mu.Unlock()
			if diff := cmp.Diff(fake.stopped, []string{unit}); diff != "" {
				t.Errorf("StopUnit calls (-got +want):\n%s", diff)
			}
		})
	}
}
