package image

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/hutchctr/hutch/internal/testutil"
	"github.com/hutchctr/hutch/pkg/errdefs"
	"github.com/opencontainers/go-digest"
)

func TestTarValidator(t *testing.T) {
	sym := func(n, target string) *tar.Header {
		return &tar.Header{Name: n, Typeflag: tar.TypeSymlink, Linkname: target}
	}
	hard := func(n, target string) *tar.Header {
		return &tar.Header{Name: n, Typeflag: tar.TypeLink, Linkname: target}
	}
	reg := func(n string) *tar.Header { return &tar.Header{Name: n, Typeflag: tar.TypeReg} }
	dir := func(n string) *tar.Header { return &tar.Header{Name: n, Typeflag: tar.TypeDir} }
	tests := []struct {
		name    string
		entries []*tar.Header
		wantErr bool
	}{
		{"plain rootfs", []*tar.Header{dir("./"), dir("bin/"), reg("bin/busybox"), sym("bin/sh", "busybox"), hard("bin/ls", "bin/busybox")}, false},
		{"absolute names are rootfs-relative", []*tar.Header{dir("/etc/"), reg("/etc/passwd")}, false},
		{"dotdot that stays inside", []*tar.Header{reg("a/../b"), reg("./c/./d")}, false},
		{"escaping symlink targets are data", []*tar.Header{sym("etc/mtab", "/proc/mounts"), sym("up", "../../..")}, false},
		{"symlink replaced by a directory", []*tar.Header{sym("d", "/etc"), dir("d/"), reg("d/x")}, false},
		{"hard link to a regular file then used as a path", []*tar.Header{reg("f"), hard("g", "f")}, false},
		{"dotdot", []*tar.Header{reg("../x")}, true},
		{"absolute dotdot", []*tar.Header{reg("/../x")}, true},
		{"nested dotdot", []*tar.Header{reg("a/../../x")}, true},
		{"empty name", []*tar.Header{reg("")}, true},
		{"through symlink", []*tar.Header{sym("evil", "/etc"), reg("evil/passwd")}, true},
		{"through nested symlink", []*tar.Header{dir("a/"), sym("a/b", ".."), reg("a/b/c/d")}, true},
		{"through symlink with a dot path", []*tar.Header{sym("evil", "/"), reg("./evil/./x")}, true},
		{"hard link escaping", []*tar.Header{hard("h", "../x")}, true},
		{"hard link through symlink", []*tar.Header{sym("evil", "/etc"), hard("h", "evil/shadow")}, true},
		{"hard link to symlink, then through it", []*tar.Header{sym("evil", "/etc"), hard("h", "evil"), reg("h/x")}, true},
		{"file replaced by symlink", []*tar.Header{dir("d/"), sym("d", "/"), dir("d/x/")}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := newTarValidator()
			var err error
			for _, h := range tt.entries {
				if err = v.check(h); err != nil {
					break
				}
			}
			if (err != nil) != tt.wantErr {
				t.Fatalf("error %v, want error %v", err, tt.wantErr)
			}
			if err != nil && !errors.Is(err, errdefs.ErrInvalidArgument) {
				t.Errorf("error %v is not ErrInvalidArgument", err)
			}
		})
	}
}

// TestLayerStreamPassesBytesUnchanged: what storage receives is the
// uncompressed input byte for byte (so storage's digest is the diff ID),
// for plain and gzip blobs, with the digests checked.
func TestLayerStreamPassesBytesUnchanged(t *testing.T) {
	layer := append(testutil.MustTar(
		testutil.Entry{Name: "big", Body: bytes.Repeat([]byte("0123456789"), 100000)},
		testutil.Entry{Name: "dir/"}, testutil.Entry{Name: "dir/small", Body: []byte("x")},
	), make([]byte, 4096)...) // extra padding after the end marker
	diffID := digest.FromBytes(layer)
	gz := testutil.Gzip(layer)
	tests := []struct {
		name    string
		blob    []byte
		chk     layerCheck
		wantErr bool
	}{
		{"plain", layer, layerCheck{blobSize: -1, diffID: diffID}, false},
		{"gzip with blob digest", gz, layerCheck{blobDigest: digest.FromBytes(gz), blobSize: int64(len(gz)), diffID: diffID}, false},
		{"no expectations", layer, layerCheck{blobSize: -1}, false},
		{"wrong diff ID", layer, layerCheck{blobSize: -1, diffID: digest.FromString("x")}, true},
		{"wrong blob digest", gz, layerCheck{blobDigest: digest.FromString("x"), blobSize: -1, diffID: diffID}, true},
		{"wrong blob size", gz, layerCheck{blobDigest: digest.FromBytes(gz), blobSize: 3, diffID: diffID}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ls := startLayerStream(bytes.NewReader(tt.blob), tt.chk)
			got, rerr := io.ReadAll(ls.pr)
			err := ls.finish()
			if (err != nil) != tt.wantErr || (rerr != nil) != tt.wantErr {
				t.Fatalf("finish: %v, read: %v, want error %v", err, rerr, tt.wantErr)
			}
			if tt.wantErr {
				return
			}
			if !bytes.Equal(got, layer) {
				t.Errorf("stream delivered %d bytes, want the %d input bytes unchanged", len(got), len(layer))
			}
			if ls.diffID != diffID {
				t.Errorf("diff ID %s, want %s", ls.diffID, diffID)
			}
		})
	}
}

// TestLayerStreamHoldsBackRejectedHeader: the header of a rejected entry
// never reaches the consumer.
func TestLayerStreamHoldsBackRejectedHeader(t *testing.T) {
	layer := testutil.MustTar(testutil.Entry{Name: "ok", Body: []byte("fine")}, testutil.Entry{Name: "../evil", Body: []byte("bad")})
	ls := startLayerStream(bytes.NewReader(layer), layerCheck{blobSize: -1})
	got, _ := io.ReadAll(ls.pr)
	if err := ls.finish(); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Fatalf("finish: %v, want ErrInvalidArgument", err)
	}
	if bytes.Contains(got, []byte("evil")) {
		t.Error("the rejected header reached the consumer")
	}
	if !bytes.Contains(got, []byte("fine")) {
		t.Error("the accepted entry did not reach the consumer")
	}
}

// TestLayerStreamAbandoned: a consumer that stops reading does not leave
// the stream's goroutine blocked.
func TestLayerStreamAbandoned(t *testing.T) {
	layer := testutil.MustTar(testutil.Entry{Name: "big", Body: bytes.Repeat([]byte("x"), 1<<20)})
	ls := startLayerStream(bytes.NewReader(layer), layerCheck{blobSize: -1})
	if _, err := ls.pr.Read(make([]byte, 100)); err != nil {
		t.Fatal(err)
	}
	if err := ls.finish(); err != nil {
		t.Errorf("finish after abandon: %v, want nil", err)
	}
}
