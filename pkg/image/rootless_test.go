package image

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hutchctr/hutch/internal/testutil"
	"github.com/hutchctr/hutch/pkg/config"
	"github.com/hutchctr/hutch/pkg/overlay"
)

// The rootless test runs a copy of this binary as the unprivileged user
// hutchtest, in a user namespace with the layout of hutch's namespace
// holder (0 → the user, 1..65536 → the /etc/subuid range), made the
// faithful way:
//
//	root test ──setuid exec──> userns-parent (hutchtest, host namespaces)
//	                             │ clone(NEWUSER|NEWNS)      newuidmap/newgidmap
//	                             ├──────────> userns-child ◄──────────┘ then "go" on fd 3
//	                             │              │ execve (capabilities are granted at exec,
//	                             │              ▼  so only after the map exists)
//	                             │            rootless-work: Open(Rootless), Load, Mount...
//	                             └─ waits, relays the exit code; JSON result on stdout
const rootlessUser = "hutchtest"

// rootlessParams travel to the roles in the environment.
const (
	envGraph   = "_T_GRAPH"
	envRun     = "_T_RUN"
	envArchive = "_T_ARCHIVE"
	envOutside = "_T_OUTSIDE"
	envEscapes = "_T_ESCAPES" // directory of escaping docker-archives
)

// rootlessResult is what rootless-work reports.
type rootlessResult struct {
	ImageID, TopLayer, ContainerLayer string
	// OwnedInside is the uid:gid of /home/tester/owned in the merged view.
	OwnedInside  string
	MountOptions string
	// Escapes maps each escaping archive to Load's error ("" if accepted).
	Escapes map[string]string
	// RawStorage maps each escaping layer to storage's own PutLayer
	// outcome without hutch's validator ("accepted" or the error).
	RawStorage map[string]string
}

func TestRootless(t *testing.T) {
	testutil.Requires(t, testutil.Root(), testutil.Busybox(), testutil.UserNS(), testutil.Newuidmap(), testutil.SubIDUser(rootlessUser))
	u, _ := user.Lookup(rootlessUser)
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	subStart, _, _ := testutil.SubIDRange("/etc/subuid", u.Username, u.Uid)

	dir := sharedTempDir(t)
	bin := filepath.Join(dir, "image.test")
	copyFile(t, "/proc/self/exe", bin, 0o755)
	archive := filepath.Join(dir, "busybox.tar")
	img, err := testutil.BusyboxImage()
	if err != nil {
		t.Fatal(err)
	}
	testutil.WriteDockerArchive(t, img, "busybox", archive)
	outside := filepath.Join(dir, "outside")
	escapes := filepath.Join(dir, "escapes")
	for _, d := range []string{outside, escapes} {
		mkdirMode(t, d, 0o777) // writable by anyone: an escape would succeed in writing here
	}
	writeEscapingArchives(t, escapes, outside)
	graph, run := filepath.Join(dir, "graph"), filepath.Join(dir, "run")
	for _, d := range []string{graph, run} {
		mkdirMode(t, d, 0o700)
		if err := os.Chown(d, uid, gid); err != nil {
			t.Fatal(err)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin)
	cmd.Env = []string{roleEnv + "=userns-parent", "PATH=" + os.Getenv("PATH"), "HOME=" + dir,
		envGraph + "=" + graph, envRun + "=" + run, envArchive + "=" + archive, envOutside + "=" + outside, envEscapes + "=" + escapes,
		config.RootlessUIDEnv + "=" + u.Uid, config.RootlessGIDEnv + "=" + u.Gid}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}, Pdeathsig: syscall.SIGKILL}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("rootless run: %v\n%s", err, stderr.String())
	}
	var res rootlessResult
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("result %q: %v\n%s", out, err, stderr.String())
	}
	t.Logf("rootless mount options: %s", res.MountOptions)
	checkRootlessOwnership(t, graph, res, uid, gid, subStart)
	checkEscapes(t, res, outside)
}

func checkRootlessOwnership(t *testing.T, graph string, res rootlessResult, uid, gid, subStart int) {
	t.Helper()
	if res.OwnedInside != "1000:1000" {
		t.Errorf("/home/tester/owned inside the namespace = %s, want 1000:1000", res.OwnedInside)
	}
	if !strings.Contains(res.MountOptions, "userxattr") {
		t.Errorf("overlay mount options %q lack userxattr", res.MountOptions)
	}
	diff := func(layer, p string) string { return filepath.Join(graph, "overlay", layer, "diff", p) }
	tests := []struct {
		path     string
		uid, gid int
	}{
		// Image uid 1000 is host uid subStart+999 (uid 1 maps to subStart).
		{diff(res.TopLayer, "home/tester/owned"), subStart + 999, subStart + 999},
		// Files of the image's root and of the container's root belong to the user.
		{diff(res.TopLayer, "bin/busybox"), uid, gid},
		{filepath.Join(res.ContainerLayer, "created-by-root"), uid, gid},
	}
	for _, tt := range tests {
		var st syscall.Stat_t
		if err := syscall.Lstat(tt.path, &st); err != nil {
			t.Errorf("stat: %v", err)
			continue
		}
		if got, want := fmt.Sprintf("%d:%d", st.Uid, st.Gid), fmt.Sprintf("%d:%d", tt.uid, tt.gid); got != want {
			t.Errorf("%s owned by %s on the host, want %s", tt.path, got, want)
		}
	}
}

func checkEscapes(t *testing.T, res rootlessResult, outside string) {
	t.Helper()
	for name, err := range res.Escapes {
		if !strings.Contains(err, "invalid argument") {
			t.Errorf("rootless load of %s: error %q, want an invalid-argument rejection", name, err)
		}
	}
	if len(res.Escapes) == 0 {
		t.Error("no escaping archive was tried")
	}
	for name, outcome := range res.RawStorage {
		t.Logf("rootless storage alone, %s: %s", name, outcome)
	}
	assertNothingOutside(t, outside)
}

// sharedTempDir returns a temporary directory the unprivileged user can
// enter (t.TempDir's parents are 0700).
func sharedTempDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func mkdirMode(t *testing.T, d string, mode os.FileMode) {
	t.Helper()
	if err := os.Mkdir(d, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(d, mode); err != nil { // umask
		t.Fatal(err)
	}
}

func copyFile(t *testing.T, from, to string, mode os.FileMode) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, mode); err != nil {
		t.Fatal(err)
	}
}

// usernsParent runs as the unprivileged user: it starts the child in new
// user and mount namespaces, maps its ids with newuidmap/newgidmap, and lets
// it go.
func usernsParent() int {
	if err := runUserns(); err != nil {
		fmt.Fprintln(os.Stderr, "userns-parent:", err)
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode()
		}
		return 1
	}
	return 0
}

func runUserns() error {
	u, err := user.Current()
	if err != nil {
		return err
	}
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	cmd := exec.Command("/proc/self/exe")
	cmd.Env = withRole("userns-child")
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	cmd.ExtraFiles = []*os.File{r}
	// CLONE_NEWNS with the user namespace: the child's mounts are its own,
	// and the copied mounts are slaves of the host's (a less privileged
	// mount namespace never propagates back).
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWUSER | syscall.CLONE_NEWNS, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return err
	}
	r.Close()
	pid := strconv.Itoa(cmd.Process.Pid)
	for _, m := range []struct{ tool, file, id string }{{"newuidmap", "/etc/subuid", u.Uid}, {"newgidmap", "/etc/subgid", u.Gid}} {
		start, count, err := testutil.SubIDRange(m.file, u.Username, u.Uid)
		if err != nil {
			_ = cmd.Process.Kill()
			return err
		}
		out, err := exec.Command(m.tool, pid, "0", m.id, "1", "1", strconv.Itoa(start), strconv.Itoa(count)).CombinedOutput()
		if err != nil {
			_ = cmd.Process.Kill()
			return fmt.Errorf("%s: %v: %s", m.tool, err, out)
		}
	}
	if _, err := w.Write([]byte{1}); err != nil {
		return err
	}
	w.Close()
	return cmd.Wait()
}

// usernsChild waits until its ids are mapped, then re-executes itself: a
// process exec'd before the map has no capabilities in its namespace.
func usernsChild() int {
	sync := os.NewFile(3, "sync")
	if _, err := io.ReadFull(sync, make([]byte, 1)); err != nil {
		fmt.Fprintln(os.Stderr, "userns-child: wait for id map:", err)
		return 1
	}
	sync.Close()
	if err := syscall.Exec("/proc/self/exe", []string{os.Args[0]}, withRole("rootless-work")); err != nil {
		fmt.Fprintln(os.Stderr, "userns-child: exec:", err)
	}
	return 1
}

// rootlessWork is uid 0 in the namespace: it does what hutch's storage
// commands and monitor do there, and reports the result as JSON.
func rootlessWork() int {
	res, err := doRootlessWork()
	if err != nil {
		fmt.Fprintln(os.Stderr, "rootless-work:", err)
		return 1
	}
	if err := json.NewEncoder(os.Stdout).Encode(res); err != nil {
		return 1
	}
	return 0
}

func doRootlessWork() (*rootlessResult, error) {
	ctx := context.Background()
	s, err := Open(Options{GraphRoot: os.Getenv(envGraph), RunRoot: os.Getenv(envRun), Rootless: true})
	if err != nil {
		return nil, err
	}
	defer s.Close()
	res := &rootlessResult{Escapes: map[string]string{}, RawStorage: map[string]string{}}
	if err := tryEscapes(ctx, s, res); err != nil {
		return nil, err
	}
	if _, err := s.Load(ctx, os.Getenv(envArchive)); err != nil {
		return nil, err
	}
	img, err := s.Get(ctx, "busybox")
	if err != nil {
		return nil, err
	}
	res.ImageID, res.TopLayer = img.ID, img.TopLayer
	// A container's rootfs as the engine makes it: an overlay of the
	// image's layer directories and an upper directory of its own.
	lower, err := s.LayerDirs(ctx, img.ID)
	if err != nil {
		return nil, err
	}
	ctr := filepath.Join(os.Getenv(envGraph), "ctr")
	for _, d := range []string{"upper", "work", "merged"} {
		if err := os.MkdirAll(filepath.Join(ctr, d), 0o755); err != nil {
			return nil, err
		}
	}
	m, err := overlay.RootfsMount(overlay.RootfsOptions{Lower: lower, Upper: filepath.Join(ctr, "upper"),
		Work: filepath.Join(ctr, "work"), UserNS: true})
	if err != nil {
		return nil, err
	}
	merged := filepath.Join(ctr, "merged")
	if err := syscall.Mount("overlay", merged, "overlay", 0, strings.Join(m.Options, ",")); err != nil {
		return nil, fmt.Errorf("mount the container overlay: %w", err)
	}
	defer syscall.Unmount(merged, syscall.MNT_DETACH)
	res.ContainerLayer = filepath.Join(ctr, "upper")
	var st syscall.Stat_t
	if err := syscall.Stat(filepath.Join(merged, "home/tester/owned"), &st); err != nil {
		return nil, err
	}
	res.OwnedInside = fmt.Sprintf("%d:%d", st.Uid, st.Gid)
	if err := os.WriteFile(filepath.Join(merged, "created-by-root"), []byte("x"), 0o644); err != nil {
		return nil, err
	}
	res.MountOptions = mountOptions(merged)
	return res, nil
}

// tryEscapes loads each escaping archive (expecting rejection), then feeds
// the raw layers to storage's PutLayer without hutch's validator, to record
// what storage alone does in a user namespace.
func tryEscapes(ctx context.Context, s *Store, res *rootlessResult) error {
	dir := os.Getenv(envEscapes)
	ents, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range ents {
		if _, err := s.Load(ctx, filepath.Join(dir, e.Name())); err != nil {
			res.Escapes[e.Name()] = err.Error()
		} else {
			res.Escapes[e.Name()] = ""
		}
	}
	for _, l := range testutil.EscapingLayers(os.Getenv(envOutside)) {
		res.RawStorage[l.Name] = rawPutLayer(s, l.Tar)
	}
	return nil
}

// rawPutLayer stores a layer bypassing hutch's checks and deletes it again.
func rawPutLayer(s *Store, tarball []byte) string {
	layer, _, err := s.st.PutLayer("", "", nil, "", false, nil, bytes.NewReader(tarball))
	if err != nil {
		return strings.ReplaceAll(err.Error(), "\n", " ")
	}
	_ = s.st.DeleteLayer(layer.ID)
	return "accepted"
}

// mountOptions returns the super options of the mount at target.
func mountOptions(target string) string {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return err.Error()
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) > 4 && fields[4] == target {
			return fields[len(fields)-1]
		}
	}
	return "not mounted"
}
