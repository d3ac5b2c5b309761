package image

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hutchctr/hutch/internal/testutil"
	"github.com/hutchctr/hutch/pkg/errdefs"
)

// writeEscapingArchives writes one docker-archive per escaping layer into
// dir: the busybox layer first (so a rejection must also remove it), the
// malicious layer on top, with correct diff IDs.
func writeEscapingArchives(t *testing.T, dir, outside string) {
	t.Helper()
	base, err := testutil.BusyboxLayer()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range testutil.EscapingLayers(outside) {
		raw := testutil.RawImage{Config: testutil.ConfigFor(base, l.Tar), Layers: [][]byte{base, l.Tar}, Ref: "evil:" + l.Name}
		testutil.WriteFiles(t, filepath.Join(dir, l.Name+".tar"), testutil.DockerArchiveFiles(raw))
	}
}

func assertNothingOutside(t *testing.T, outside string) {
	t.Helper()
	ents, err := os.ReadDir(outside)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		t.Errorf("file written outside the rootfs: %s", filepath.Join(outside, e.Name()))
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(outside), "pwned")); err == nil {
		t.Errorf("file written outside the rootfs: %s", filepath.Join(filepath.Dir(outside), "pwned"))
	}
}

// TestLoadRejectsEscapes loads archives whose top layer tries to leave the
// rootfs: each is refused with ErrInvalidArgument, storage is left empty,
// and nothing appears in the sentinel directory.
func TestLoadRejectsEscapes(t *testing.T) {
	testutil.Requires(t, testutil.Busybox())
	dir := t.TempDir()
	outside := filepath.Join(dir, "outside")
	archives := filepath.Join(dir, "archives")
	for _, d := range []string{outside, archives} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	writeEscapingArchives(t, archives, outside)
	for _, l := range testutil.EscapingLayers(outside) {
		t.Run(l.Name, func(t *testing.T) {
			s := newStore(t)
			p := filepath.Join(archives, l.Name+".tar")
			_, err := s.Load(context.Background(), p)
			if !errors.Is(err, errdefs.ErrInvalidArgument) {
				t.Fatalf("load: %v, want ErrInvalidArgument", err)
			}
			if msg := err.Error(); strings.Contains(msg, "\n") || !strings.Contains(msg, p) || !strings.Contains(msg, "layer 2") {
				t.Errorf("error %q: want one line naming the file and layer 2", msg)
			}
			t.Logf("%v", err)
			assertEmpty(t, s)
			assertNothingOutside(t, outside)
		})
	}
}

// TestStorageAloneOnEscapes documents what containers/storage does with the
// escaping layers when hutch's validator is bypassed (root; the rootless
// test records the same inside a user namespace): names and hard links
// that climb with ".." are refused; symlink traversal is silently kept
// inside the layer (storage extracts in a chroot and resolves with
// securejoin). Either way nothing is written outside, which is what this
// test asserts; the validator exists to refuse the second kind too.
func TestStorageAloneOnEscapes(t *testing.T) {
	s := newStore(t)
	outside := filepath.Join(t.TempDir(), "outside")
	if err := os.Mkdir(outside, 0o777); err != nil {
		t.Fatal(err)
	}
	for _, l := range testutil.EscapingLayers(outside) {
		t.Logf("storage alone, %s: %s", l.Name, rawPutLayer(s, l.Tar))
	}
	assertNothingOutside(t, outside)
	assertEmpty(t, s)
}

// TestAbsolutePathsAreRootfsRelative: a leading "/" is stripped (Docker's
// rule), so such a layer loads and its files land inside the rootfs.
func TestAbsolutePathsAreRootfsRelative(t *testing.T) {
	s := newStore(t)
	mustLoad(t, s, busyboxArchive(t, "docker", "abs", testutil.WithLayer(testutil.AbsolutePathLayer())))
	img, err := s.Get(context.Background(), "abs")
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(s.GraphRoot(), "overlay", img.TopLayer, "diff", "abs", "file"))
	if err != nil || !bytes.Equal(b, []byte("absolute\n")) {
		t.Errorf("abs/file = %q, %v", b, err)
	}
}
