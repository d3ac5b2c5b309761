package image

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/hutchctr/hutch/internal/testutil"
	"github.com/hutchctr/hutch/pkg/config"
	"github.com/hutchctr/hutch/pkg/registry"
)

// rootlessPullEnv carries "graph run registry-host ref" to the worker.
const rootlessPullEnv = "_HUTCH_ROOTLESS_PULL"

// rootlessPullResult is what the worker saw in the top layer's directory.
type rootlessPullResult struct {
	WhiteoutMode uint32 // of etc/group, deleted by the top layer
	Opaque       string // home's user.overlay.opaque
	OwnedUID     uint32 // of home/tester/owned in the base layer (inside)
}

// TestPullRootless pulls as the unprivileged test user, uid 0 in a user
// namespace with the subordinate range mapped (the namespace holder's
// layout, made here with util-linux's unshare and newuidmap): layers
// extract through storage's staged path with rootless whiteouts and keep
// their owners.
func TestPullRootless(t *testing.T) {
	testutil.Requires(t, testutil.Root(), testutil.UserNS(), testutil.Newuidmap(), testutil.SubIDUser(testutil.TestUser))
	uid, gid := testutil.TestUserIDs(t)
	subUID, nUID, _ := testutil.SubIDRange("/etc/subuid", testutil.TestUser, fmt.Sprint(uid))
	subGID, nGID, _ := testutil.SubIDRange("/etc/subgid", testutil.TestUser, fmt.Sprint(gid))
	tr := newTestRegistry(t)
	top, err := testutil.Tar(testutil.Entry{Name: "etc/"}, testutil.Entry{Name: "etc/.wh.group"},
		testutil.Entry{Name: "home/"}, testutil.Entry{Name: "home/.wh..wh..opq"}, testutil.Entry{Name: "home/new", Body: []byte("n")})
	if err != nil {
		t.Fatal(err)
	}
	ref := tr.push(t, "rootless/bb:1", busybox(t, testutil.WithLayer(top)))
	bin := testutil.PublicCopy(t, "image.test")
	dir := filepath.Join(filepath.Dir(bin), "work") // the user's: graph, run and result
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(dir, int(uid), int(gid)); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("unshare", "--user", "--mount", "--map-user=0", "--map-group=0",
		fmt.Sprintf("--map-users=%d,1,%d", subUID, nUID), fmt.Sprintf("--map-groups=%d,1,%d", subGID, nGID),
		"--", bin, "-test.run=^TestPullRootlessWorker$", "-test.count=1")
	cmd.Env = withRole("mountns", rootlessPullEnv+"="+strings.Join([]string{dir + "/graph", dir + "/run", tr.host, ref}, " "),
		config.RootlessUIDEnv+"="+strconv.Itoa(int(uid)), config.RootlessGIDEnv+"="+strconv.Itoa(int(gid)),
		"HOME="+dir, "XDG_CONFIG_HOME="+dir) // storage reads storage.conf from there
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uid, Gid: gid, Groups: []uint32{}}, Pdeathsig: syscall.SIGKILL}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("rootless pull: %v\n%s", err, out)
	}
	var res rootlessPullResult
	b, err := os.ReadFile(filepath.Join(dir, "result.json"))
	if err != nil || json.Unmarshal(b, &res) != nil {
		t.Fatalf("no result (%v):\n%s", err, out)
	}
	if res.WhiteoutMode&syscall.S_IFMT != syscall.S_IFCHR || res.Opaque != "y" || res.OwnedUID != testutil.TesterUID {
		t.Errorf("rootless layers: whiteout mode %o, opaque %q, owner %d inside (want a character device, y, %d)",
			res.WhiteoutMode, res.Opaque, res.OwnedUID, testutil.TesterUID)
	}
}

// TestPullRootlessWorker is TestPullRootless's worker; it does nothing
// unless started by it.
func TestPullRootlessWorker(t *testing.T) {
	spec := strings.Fields(os.Getenv(rootlessPullEnv))
	if len(spec) != 4 {
		return
	}
	s, err := Open(Options{GraphRoot: spec[0], RunRoot: spec[1], Rootless: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c := registry.New(registry.Options{Config: &config.File{ParallelDownloads: 4, Registries: []config.Registry{{Prefix: spec[2], Insecure: true}}}})
	defer c.Close()
	img, err := s.Pull(context.Background(), spec[3], PullOptions{Registry: c})
	if err != nil {
		t.Fatal(err)
	}
	dirs, err := s.LayerDirs(context.Background(), img.ID)
	if err != nil {
		t.Fatal(err)
	}
	var res rootlessPullResult
	var st syscall.Stat_t
	if err := syscall.Lstat(filepath.Join(dirs[0], "etc/group"), &st); err != nil {
		t.Fatal(err)
	}
	res.WhiteoutMode = st.Mode
	x := make([]byte, 8)
	if n, err := syscall.Getxattr(filepath.Join(dirs[0], "home"), "user.overlay.opaque", x); err == nil {
		res.Opaque = string(x[:n])
	}
	if err := syscall.Stat(filepath.Join(dirs[1], "home/tester/owned"), &st); err != nil {
		t.Fatal(err)
	}
	res.OwnedUID = st.Uid
	// Save rebuilds the layers from storage's records: they are whole.
	if err := s.Save(context.Background(), io.Discard, FormatOCIArchive, []string{spec[3]}); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(res)
	if err := os.WriteFile(filepath.Join(filepath.Dir(spec[0]), "result.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
}
