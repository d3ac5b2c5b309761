//go:build e2e

package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"

	"github.com/hutchctr/hutch/internal/testutil"
)

// isHolderRole reports whether role (a process's _HUTCH_ROLE) belongs to
// the rootless namespace holder, which outlives every command by design
// (DESIGN.md §2).
func isHolderRole(role string) bool {
	return role == "holder" || role == "holder-child" || role == "pause"
}

// cleanup removes every container, then checks that nothing leaked: no
// record, no mount, no storage layer beyond the image's, no process but the
// namespace holder. Last it kills the holder and removes the tree, which in
// the rootless lane holds files owned by subordinate ids.
func (h *hutchEnv) cleanup(t *testing.T) {
	// Most containers run sleep as pid 1, which ignores SIGTERM: stop them
	// at once rather than after rm -f's default ten seconds each.
	for _, args := range [][]string{{"stop", "--all", "-t", "0"}, {"rm", "-fa"}} {
		if r := h.runWith(t, runOpts{Timeout: 2 * time.Minute}, args...); r.Code != 0 {
			t.Errorf("cleanup: %v", r)
		}
	}
	h.checkNoLeaks(t)
	h.reapProcesses(t)
	if err := h.removeTree(); err != nil {
		t.Errorf("cleanup: %v", err)
	}
}

// checkNoLeaks fails the test if a container record, a mount or a storage
// layer is left after every container was removed.
func (h *hutchEnv) checkNoLeaks(t testing.TB) {
	t.Helper()
	// A name file whose container is gone may stay: the next create
	// reclaims it (pkg/state); tests check that such names are reusable.
	if left := visibleEntries(filepath.Join(h.root, "containers")); len(left) > 0 {
		t.Errorf("%s/containers still holds %v after the containers were removed", h.root, left)
	}
	if m := mountsUnder(h.dir, filepath.Join(h.root, "storage", "overlay")); len(m) > 0 {
		t.Errorf("mounts left after the containers were removed:\n%s", strings.Join(m, "\n"))
	}
	if h.baseline == nil {
		return
	}
	st, err := readStorage(h.root)
	if err != nil {
		t.Errorf("read storage: %v", err)
		return
	}
	if diff := cmp.Diff(st, h.baseline); diff != "" {
		t.Errorf("storage differs from just after the image was loaded (-got +want):\n%s", diff)
	}
}

// visibleEntries lists dir's entries that do not start with a dot.
func visibleEntries(dir string) []string {
	entries, _ := os.ReadDir(dir)
	var out []string
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), ".") {
			out = append(out, e.Name())
		}
	}
	return out
}

// storageState is what containers/storage keeps on disk under <root>/storage.
type storageState struct {
	// LayerDirs are the layer directories (64-hex names) of
	// <root>/storage/overlay; "l" and storage's scratch directories are not.
	LayerDirs []string
	// Layers and Containers are the IDs in overlay-layers/layers.json and
	// overlay-containers/containers.json.
	Layers     []string
	Containers []string
}

func readStorage(root string) (*storageState, error) {
	st := &storageState{}
	dir := filepath.Join(root, "storage")
	for _, name := range visibleEntries(filepath.Join(dir, "overlay")) {
		if fullIDRE.MatchString(name) {
			st.LayerDirs = append(st.LayerDirs, name)
		}
	}
	var err error
	if st.Layers, err = jsonIDs(filepath.Join(dir, "overlay-layers", "layers.json")); err != nil {
		return nil, err
	}
	if st.Containers, err = jsonIDs(filepath.Join(dir, "overlay-containers", "containers.json")); err != nil {
		return nil, err
	}
	return st, nil
}

// jsonIDs returns the sorted "id" fields of a JSON array of objects; a
// missing file holds none.
func jsonIDs(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var recs []struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(data, &recs); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var ids []string
	for _, r := range recs {
		ids = append(ids, r.ID)
	}
	sort.Strings(ids)
	return ids, nil
}

// mountsUnder returns the mounts, in any mount namespace this process can
// inspect, whose mount point lies under dir or that are overlays built from
// layers under dir. Rootless hutch mounts inside its namespace holder, root
// hutch in the lane's private namespace; scanning every process's
// namespace covers both and also monitors that should have died. except is
// storage's own private bind of its driver home, which it may keep.
func mountsUnder(dir, except string) []string {
	pids, _ := filepath.Glob("/proc/[0-9]*")
	seen := map[string]bool{}
	var out []string
	for _, p := range pids {
		ns, err := os.Readlink(p + "/ns/mnt")
		if err != nil || seen[ns] {
			continue
		}
		f, err := os.Open(p + "/mountinfo")
		if err != nil {
			continue
		}
		seen[ns] = true
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		for sc.Scan() {
			mp, fstype, ok := parseMountinfo(sc.Text())
			if !ok || mp == except {
				continue
			}
			// The namespace holder pins its network namespace with a bind
			// mount in its own mount namespace; the holder outlives the
			// test's containers by design.
			if fstype == "nsfs" && strings.Contains(mp, "/holder/") {
				continue
			}
			under := mp == dir || strings.HasPrefix(mp, dir+"/")
			if under || (fstype == "overlay" && strings.Contains(sc.Text(), dir)) {
				out = append(out, fmt.Sprintf("%s (%s, seen from pid %s): %s", mp, fstype, filepath.Base(p), ns))
			}
		}
		f.Close()
	}
	return out
}

// parseMountinfo returns a /proc/PID/mountinfo line's mount point (octal
// escapes decoded) and filesystem type.
func parseMountinfo(line string) (mountPoint, fstype string, ok bool) {
	pre, post, found := strings.Cut(line, " - ")
	fields, postFields := strings.Fields(pre), strings.Fields(post)
	if !found || len(fields) < 5 || len(postFields) < 1 {
		return "", "", false
	}
	return unescapeOctal(fields[4]), postFields[0], true
}

func unescapeOctal(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// testProcesses returns the processes whose environment mentions dir, i.e.
// those started by this test's hutch commands, mapped to their _HUTCH_ROLE.
func testProcesses(dir string) map[int]string {
	pids, _ := filepath.Glob("/proc/[0-9]*")
	out := map[int]string{}
	for _, p := range pids {
		pid, err := strconv.Atoi(filepath.Base(p))
		if err != nil || pid == os.Getpid() {
			continue
		}
		env, err := os.ReadFile(p + "/environ")
		if err != nil || !bytes.Contains(env, []byte(dir)) {
			continue
		}
		role := "cli"
		for _, kv := range bytes.Split(env, []byte{0}) {
			if v, ok := bytes.CutPrefix(kv, []byte("_HUTCH_ROLE=")); ok {
				role = string(v)
			}
		}
		out[pid] = role
	}
	return out
}

// reapProcesses kills what this test's hutch left running. The namespace
// holder is expected to be there; anything else is a leak, but gets a few
// seconds to finish exiting first.
func (h *hutchEnv) reapProcesses(t testing.TB) {
	t.Helper()
	leaked := func() map[int]string {
		out := map[int]string{}
		for pid, role := range testProcesses(h.dir) {
			if !isHolderRole(role) && procAlive(pid) {
				out[pid] = role
			}
		}
		return out
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(leaked()) > 0 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	for pid, role := range leaked() {
		t.Errorf("process %d (role %s: %s) still runs after its containers were removed", pid, role, cmdline(pid))
	}
	for pid := range testProcesses(h.dir) {
		syscall.Kill(pid, syscall.SIGKILL)
	}
}

func cmdline(pid int) string {
	data, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	return strings.TrimSpace(strings.ReplaceAll(string(data), "\x00", " "))
}

// removeTree deletes the test's directory. As root it first detaches the
// mounts left in the lane's namespace (the test already reported them).
// Rootless, storage holds files owned by subordinate ids, which only root
// in a user namespace with the same map can delete.
func (h *hutchEnv) removeTree() error {
	if !rootless() {
		m := mountsUnder(h.dir, "")
		sort.Sort(sort.Reverse(sort.StringSlice(m)))
		for _, line := range m {
			mp, _, _ := strings.Cut(line, " (")
			unix.Unmount(mp, unix.MNT_DETACH)
		}
		return os.RemoveAll(h.dir)
	}
	start, count, err := subIDs("/etc/subuid")
	if err != nil {
		return err
	}
	gstart, gcount, err := subIDs("/etc/subgid")
	if err != nil {
		return err
	}
	cmd := exec.Command("unshare", "--map-root-user",
		fmt.Sprintf("--map-users=%d,1,%d", start, count), fmt.Sprintf("--map-groups=%d,1,%d", gstart, gcount),
		"rm", "-rf", "--", h.dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("remove %s in a user namespace: %v: %s", h.dir, err, out)
	}
	// A run directory too deep for a unix socket path puts the holder's
	// directory in /tmp instead (holderRoots): it is the test's too.
	for _, root := range holderRoots(h)[1:] {
		if err := os.RemoveAll(root); err != nil {
			return err
		}
	}
	return nil
}

// subIDs returns the current user's first range in /etc/subuid or
// /etc/subgid.
func subIDs(file string) (start, count int, err error) {
	u, err := user.Current()
	if err != nil {
		return 0, 0, err
	}
	return testutil.SubIDRange(file, u.Username, u.Uid)
}
