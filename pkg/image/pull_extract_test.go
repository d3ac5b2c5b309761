package image

import (
	"archive/tar"
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/hutchctr/hutch/internal/testutil"
	"github.com/hutchctr/hutch/pkg/errdefs"
	"github.com/hutchctr/hutch/pkg/untar"
	"github.com/opencontainers/go-digest"
	"github.com/vbatts/tar-split/tar/asm"
	tsstorage "github.com/vbatts/tar-split/tar/storage"
	"go.podman.io/storage/pkg/archive"
)

// extractTestLayer has every kind of entry, a name long enough for a PAX
// header, and padding after the end-of-archive marker.
func extractTestLayer(t *testing.T) []byte {
	t.Helper()
	return append(testutil.MustTar(
		testutil.Entry{Name: "bin/", Type: tar.TypeDir},
		testutil.Entry{Name: "bin/busybox", Body: bytes.Repeat([]byte("0123456789"), 100000), Mode: 0o755},
		testutil.Entry{Name: "bin/sh", Type: tar.TypeSymlink, Linkname: "busybox"},
		testutil.Entry{Name: "bin/ls", Type: tar.TypeLink, Linkname: "bin/busybox"},
		testutil.Entry{Name: "etc/" + strings.Repeat("long-name-", 20), Body: []byte("pax")},
		testutil.Entry{Name: "empty", Body: nil},
		testutil.Entry{Name: "gone/.wh.file", Body: nil},
	), make([]byte, 5000)...)
}

// TestExtractLayerMatchesChrootPath: the one-pass extraction writes the
// same files as the chrooted fallback, and tar-split metadata identical
// byte for byte to what tar-split's own recorder makes, from which the
// layer is rebuilt with its diff ID.
func TestExtractLayerMatchesChrootPath(t *testing.T) {
	testutil.Requires(t, testutil.Root())
	layer := extractTestLayer(t)
	gz := testutil.Gzip(layer)
	chk := layerCheck{blobDigest: digest.FromBytes(gz), blobSize: int64(len(gz)), diffID: digest.FromBytes(layer)}
	opts := &archive.TarOptions{WhiteoutFormat: archive.OverlayWhiteoutFormat}

	fast, fastTS := t.TempDir(), &bytes.Buffer{}
	x, err := untar.Open(fast, untar.Options{OverlayWhiteouts: true, OpaqueXattr: archive.GetOverlayXattrName("opaque")})
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	got, err := extractLayer(bytes.NewReader(gz), chk, x, fastTS)
	if err != nil {
		t.Fatalf("extractLayer: %v", err)
	}
	if want := (layerDigests{blob: chk.blobDigest, diff: chk.diffID, size: int64(len(layer))}); got != want {
		t.Errorf("extractLayer measured %+v, want %+v", got, want)
	}

	slow, slowTS := t.TempDir(), &bytes.Buffer{}
	bw := bufio.NewWriter(slowTS)
	d := &stagedDiffer{blob: bytes.NewReader(gz), chk: chk}
	slowGot, err := d.extractInChroot(slow, opts, bw)
	if err != nil {
		t.Fatalf("extractInChroot: %v", err)
	}
	if slowGot != got {
		t.Errorf("extractInChroot measured %+v, extractLayer %+v", slowGot, got)
	}
	if !bytes.Equal(fastTS.Bytes(), slowTS.Bytes()) {
		t.Errorf("tar-split metadata differs:\n got %.300q\nwant %.300q", fastTS.String(), slowTS.String())
	}
	if got, want := treeOf(t, fast), treeOf(t, slow); got != want {
		t.Errorf("trees differ:\n got %s\nwant %s", got, want)
	}

	rebuilt := asm.NewOutputTarStream(tsstorage.NewPathFileGetter(fast), tsstorage.NewJSONUnpacker(bytes.NewReader(fastTS.Bytes())))
	defer rebuilt.Close()
	tarball, err := io.ReadAll(rebuilt)
	if err != nil {
		t.Fatalf("rebuild the layer from tar-split: %v", err)
	}
	if digest.FromBytes(tarball) != chk.diffID {
		t.Errorf("rebuilt layer has digest %s, want the diff ID %s", digest.FromBytes(tarball), chk.diffID)
	}
}

// treeOf lists the names under dir with their types and sizes.
func treeOf(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		b.WriteString(rel + " " + fi.Mode().String() + " " + strconv.FormatInt(fi.Size(), 10) + "\n")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestExtractLayerRejects: a corrupt blob, a wrong diff ID and an entry
// through a symlink fail with ErrInvalidArgument and the reason.
func TestExtractLayerRejects(t *testing.T) {
	testutil.Requires(t, testutil.Root())
	layer := extractTestLayer(t)
	gz := testutil.Gzip(layer)
	corrupt := bytes.Clone(gz)
	corrupt[len(corrupt)/2] ^= 0xff
	evil := testutil.Gzip(testutil.MustTar(
		testutil.Entry{Name: "evil", Type: tar.TypeSymlink, Linkname: "/etc"},
		testutil.Entry{Name: "evil/passwd", Body: []byte("root::0:0::/:/bin/sh")},
	))
	tests := []struct {
		name string
		blob []byte
		chk  layerCheck
		want string
	}{
		{"corrupt blob", corrupt, layerCheck{blobDigest: digest.FromBytes(gz), blobSize: int64(len(gz)), diffID: digest.FromBytes(layer)}, "blob digest is"},
		{"wrong diff ID", gz, layerCheck{blobDigest: digest.FromBytes(gz), blobSize: int64(len(gz)), diffID: digest.FromString("x")}, "uncompressed digest is"},
		{"through a symlink", evil, layerCheck{blobSize: -1}, `goes through symlink "evil"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x, err := untar.Open(t.TempDir(), untar.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer x.Close()
			_, err = extractLayer(bytes.NewReader(tt.blob), tt.chk, x, io.Discard)
			if !errors.Is(err, errdefs.ErrInvalidArgument) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want ErrInvalidArgument saying %q", err, tt.want)
			}
		})
	}
}
