//go:build e2e

package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// hostDir makes a directory, writable by every container user, under the
// test's directory.
func hostDir(t *testing.T, h *hutchEnv, name string) string {
	t.Helper()
	d := filepath.Join(h.dir, name)
	if err := os.Mkdir(d, 0o777); err != nil {
		t.Fatal(err)
	}
	// Mkdir applies the umask.
	if err := os.Chmod(d, 0o777); err != nil {
		t.Fatal(err)
	}
	return d
}

func TestRunVolumes(t *testing.T) {
	t.Parallel()
	h := newLoadedEnv(t)
	data := hostDir(t, h, "data")
	if err := os.WriteFile(filepath.Join(data, "in.txt"), []byte("from host\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		flags   []string
		script  string
		wantOut string
		// wantFile is a file the container writes that must reach the host.
		wantFile string
	}{
		{"bind rw", []string{"-v", data + ":/data"}, "cat /data/in.txt; echo rw > /data/rw.txt && echo wrote",
			"from host\nwrote", "rw.txt"},
		{"bind ro", []string{"-v", data + ":/data:ro"}, "cat /data/in.txt; echo ro > /data/ro.txt || echo refused",
			"from host\nrefused", ""},
		{"mount bind", []string{"--mount", "type=bind,source=" + data + ",target=/m"}, "cat /m/in.txt; echo m > /m/m.txt && echo wrote",
			"from host\nwrote", "m.txt"},
		{"mount bind readonly", []string{"--mount", "type=bind,source=" + data + ",target=/m,readonly"},
			"cat /m/in.txt; echo m > /m/mro.txt || echo refused", "from host\nrefused", ""},
		{"single file", []string{"-v", filepath.Join(data, "in.txt") + ":/etc/motd:ro"}, "cat /etc/motd", "from host", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			args := append(append([]string{"run", "--rm"}, tt.flags...), imageName, "sh", "-c", tt.script)
			r := h.run(t, args...)
			wantCode(t, r, 0)
			if r.Out() != tt.wantOut {
				t.Errorf("got %q, want %q (stderr %q)", r.Out(), tt.wantOut, r.Stderr)
			}
			if tt.wantFile == "" {
				return
			}
			if _, err := os.Stat(filepath.Join(data, tt.wantFile)); err != nil {
				t.Errorf("the container's write did not reach the host: %v", err)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(data, "ro.txt")); err == nil {
		t.Errorf("a read-only bind mount let the container write ro.txt")
	}
}

func TestRunTmpfs(t *testing.T) {
	t.Parallel()
	h := newLoadedEnv(t)
	tests := []struct {
		name     string
		flags    []string
		path     string
		wantOpts []string // in the superblock options
		wantMode string
	}{
		{"tmpfs", []string{"--tmpfs", "/scratch"}, "/scratch", nil, ""},
		{"tmpfs with options", []string{"--tmpfs", "/scratch:size=1m,mode=1777"}, "/scratch", []string{"size=1024k"}, "1777"},
		{"mount tmpfs", []string{"--mount", "type=tmpfs,target=/t,tmpfs-size=2m"}, "/t", []string{"size=2048k"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			script := "grep ' " + tt.path + " ' /proc/self/mountinfo; stat -c %a " + tt.path + "; touch " + tt.path + "/f && echo writable"
			args := append(append([]string{"run", "--rm"}, tt.flags...), imageName, "sh", "-c", script)
			lines := strings.Split(h.ok(t, args...), "\n")
			if len(lines) != 3 {
				t.Fatalf("got %q", lines)
			}
			_, fstype, _ := parseMountinfo(lines[0])
			if fstype != "tmpfs" {
				t.Errorf("%s is %q, want tmpfs (%s)", tt.path, fstype, lines[0])
			}
			for _, o := range tt.wantOpts {
				if !strings.Contains(lines[0], o) {
					t.Errorf("%s lacks option %s: %s", tt.path, o, lines[0])
				}
			}
			if tt.wantMode != "" && lines[1] != tt.wantMode {
				t.Errorf("%s has mode %s, want %s", tt.path, lines[1], tt.wantMode)
			}
			if lines[2] != "writable" {
				t.Errorf("%s is not writable: %q", tt.path, lines[2])
			}
		})
	}
}

// TestUIDMapping: files written by the container land on the host with the
// mapped owner. Rootless, container root is the user and container uid N is
// subuid_start+N-1; as root, ids are not shifted.
func TestUIDMapping(t *testing.T) {
	t.Parallel()
	h := newLoadedEnv(t)
	data := hostDir(t, h, "owned")
	wantRoot, wantTester := 0, 1000
	if rootless() {
		start, _, err := subIDs("/etc/subuid")
		if err != nil {
			t.Fatal(err)
		}
		wantRoot, wantTester = os.Getuid(), start+999
	}
	h.ok(t, "run", "--rm", "-v", data+":/d", imageName, "touch", "/d/by-root")
	h.ok(t, "run", "--rm", "-u", "1000:1000", "-v", data+":/d", imageName, "touch", "/d/by-tester")
	for file, want := range map[string]int{"by-root": wantRoot, "by-tester": wantTester} {
		fi, err := os.Stat(filepath.Join(data, file))
		if err != nil {
			t.Fatal(err)
		}
		if got := int(fi.Sys().(*syscall.Stat_t).Uid); got != want {
			t.Errorf("%s is owned by host uid %d, want %d", file, got, want)
		}
	}
	// The host user's own files look like root's in the container, and the
	// image's uid-1000 files like tester's.
	got := h.ok(t, "run", "--rm", "-v", data+":/d", imageName, "stat", "-c", "%n %u:%g", "/d", "/home/tester/owned")
	if want := "/d 0:0\n/home/tester/owned 1000:1000"; got != want {
		t.Errorf("owners seen in the container: got %q, want %q", got, want)
	}
}
