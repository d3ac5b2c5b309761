//go:build e2e

package e2e

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hutchctr/hutch/internal/testutil"
)

// badArchives writes the malformed archives of TestBadInput into dir and
// returns their paths by name. Escaping layers aim at outside.
func badArchives(t *testing.T, dir, outside string) map[string]string {
	t.Helper()
	paths := map[string]string{}
	path := func(name string) string {
		p := filepath.Join(dir, name+".tar")
		paths[name] = p
		return p
	}
	if err := os.WriteFile(path("garbage"), []byte(strings.Repeat("this is not an archive\n", 512)), 0o644); err != nil {
		t.Fatal(err)
	}
	// Truncated inside a layer that storage does not have yet, so that
	// reusing stored layers cannot hide the damage.
	big := testutil.MustTar(testutil.Entry{Name: "big", Body: bytes.Repeat([]byte("x"), 1<<20)})
	testutil.WriteDockerArchive(t, busyboxImage(t, testutil.WithLayer(big)), "truncated:latest", path("truncated"))
	fi, err := os.Stat(paths["truncated"])
	if err != nil {
		t.Fatal(err)
	}
	testutil.Truncate(t, paths["truncated"], fi.Size()-1<<19)
	// The config promises one layer and the archive holds another. Neither
	// is in storage yet, so a loader cannot skip the check by reuse.
	promised := testutil.MustTar(testutil.Entry{Name: "etc/promised", Body: []byte("the promised layer\n")})
	held := testutil.MustTar(testutil.Entry{Name: "etc/tampered", Body: []byte("not the promised layer\n")})
	raw := testutil.RawImage{Config: testutil.ConfigFor(promised), Layers: [][]byte{held}, Ref: "mismatch:latest"}
	testutil.WriteFiles(t, path("digest-mismatch"), testutil.DockerArchiveFiles(raw))
	for _, l := range testutil.EscapingLayers(outside) {
		// A broken extractor would overwrite the host's /etc/passwd: this
		// suite runs as root on the real filesystem, so leave that variant
		// to pkg/image's unit tests.
		if l.Name == "symlink-etc-traversal" {
			continue
		}
		img := busyboxImage(t, testutil.WithLayer(l.Tar))
		testutil.WriteDockerArchive(t, img, "evil-"+l.Name+":latest", path("load-"+l.Name))
		if err := os.WriteFile(path("import-"+l.Name), l.Tar, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return paths
}

// TestBadInput: bad input gets exit 125 (or 126/127 for a command that
// cannot run) with one line on stderr, and leaves nothing behind: no image,
// no container, no layer, no file outside storage.
func TestBadInput(t *testing.T) {
	t.Parallel()
	h := newLoadedEnv(t)
	h.ok(t, "create", "--name", "dup", imageName, "true")
	before := snapshotInstall(t, h)
	// outside is where escaping archives aim; "target" is what their hard
	// links try to reach.
	outside := hostDir(t, h, "outside")
	target := filepath.Join(outside, "target")
	if err := os.WriteFile(target, []byte("target\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	envFile := filepath.Join(h.dir, "bad.env")
	if err := os.WriteFile(envFile, []byte("GOOD=1\n=bad\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	rows := []badRow{
		{"unknown image", []string{"run", "no-such-image", "true"}, 125, "no-such-image"},
		{"name in use", []string{"run", "--name", "dup", imageName, "true"}, 125, "already in use"},
		{"invalid name", []string{"run", "--name", "a b", imageName, "true"}, 125, "a b"},
		{"malformed env", []string{"run", "-e", "=x", imageName, "true"}, 125, "=x"},
		{"malformed env file", []string{"run", "--env-file", envFile, imageName, "true"}, 125, "bad.env"},
		{"unknown user", []string{"run", "--rm", "-u", "nosuch", imageName, "true"}, 125, "nosuch"},
		{"unknown group", []string{"run", "--rm", "-u", "tester:nosuchgroup", imageName, "true"}, 125, "nosuchgroup"},
		{"command not found", []string{"run", "--rm", imageName, "/nonexistent"}, 127, "/nonexistent"},
		{"directory as command", []string{"run", "--rm", imageName, "/etc"}, 126, "/etc"},
		{"missing archive", []string{"load", "-i", filepath.Join(h.dir, "missing.tar")}, 125, "missing.tar"},
	}
	rows = append(rows, archiveRows(badArchives(t, hostDir(t, h, "archives"), outside))...)
	// Rows run one after another: each checks that the installation is
	// exactly as before it.
	for _, tt := range rows {
		t.Run(tt.name, func(t *testing.T) {
			wantUserError(t, h.run(t, tt.args...), tt.code, tt.mention)
			if diff := cmp.Diff(snapshotInstall(t, h), before); diff != "" {
				t.Errorf("the installation changed (-got +want):\n%s", diff)
			}
			if got := visibleEntries(outside); !cmp.Equal(got, []string{"target"}) {
				t.Errorf("files appeared outside storage, in %s: %v", outside, got)
			}
			var st syscall.Stat_t
			if err := syscall.Stat(target, &st); err != nil || st.Nlink != 1 {
				t.Errorf("%s was hard-linked from storage (links %d, %v)", target, st.Nlink, err)
			}
			if p := findOutsideLayers(h.dir, "pwned"); p != "" {
				t.Errorf("an archive wrote %s", p)
			}
		})
	}
}

// badRow is a command that must fail with code, mentioning mention.
type badRow struct {
	name    string
	args    []string
	code    int
	mention string
}

// archiveRows loads (or, for "import-" archives, imports) each archive.
func archiveRows(archives map[string]string) []badRow {
	names := make([]string, 0, len(archives))
	for name := range archives {
		names = append(names, name)
	}
	sort.Strings(names)
	var rows []badRow
	for _, name := range names {
		p := archives[name]
		args := []string{"load", "-i", p}
		if strings.HasPrefix(name, "import-") {
			args = []string{"import", p, "evil"}
		}
		rows = append(rows, badRow{name, args, 125, filepath.Base(p)})
	}
	return rows
}

// installState is what a user can list of an installation, plus storage.
type installState struct {
	Images     string
	Containers string
	Storage    *storageState
}

func snapshotInstall(t *testing.T, h *hutchEnv) installState {
	t.Helper()
	st, err := readStorage(h.root)
	if err != nil {
		t.Fatal(err)
	}
	return installState{
		Images:     h.ok(t, "images", "--format", "{{.ID}} {{.Repository}}:{{.Tag}}"),
		Containers: h.ok(t, "ps", "-a", "-q", "--no-trunc"),
		Storage:    st,
	}
}

// findOutsideLayers returns the first path under root named name that is
// not inside a layer's or a container's root filesystem (storage's diff and
// merged directories). Directories it may not read are passed over.
func findOutsideLayers(root, name string) string {
	var found string
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return nil
		case d.IsDir() && (d.Name() == "diff" || d.Name() == "merged"):
			return fs.SkipDir
		case d.Name() == name:
			found = p
			return fs.SkipAll
		}
		return nil
	})
	return found
}
