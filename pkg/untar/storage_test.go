package untar

import (
	"archive/tar"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"sort"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.podman.io/storage/pkg/archive"
	"golang.org/x/sys/unix"
)

// TestSameAsStorage extracts one layer with every kind of entry both with
// containers/storage's extractor and with untar, and compares the trees:
// names, types, modes, owners, contents, link targets, device numbers,
// modification times, link counts and extended attributes.
func TestSameAsStorage(t *testing.T) {
	const opaque = "trusted.overlay.opaque"
	if got := archive.GetOverlayXattrName("opaque"); got != opaque {
		t.Fatalf("storage's opaque attribute is %q here; the test runs as root", got)
	}
	owned := file("usr/bin/su", "su", 0o4755)
	owned.h.Uid, owned.h.Gid = 0, 5
	later := file("srv/x", "late", 0o600)
	later.h.ModTime = mtime.Add(48 * time.Hour)
	later.h.AccessTime = mtime.Add(72 * time.Hour)
	xattr := file("srv/attr", "a", 0o644)
	xattr.h.PAXRecords = map[string]string{"SCHILY.xattr.user.k": "v", "SCHILY.xattr.security.capability": "\x01\x00\x00\x02\x00\x20\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"}
	layer := []entry{
		dir(".", 0o755),
		dir("usr", 0o755), dir("usr/bin", 0o755), owned,
		symlink("usr/bin/sh", "busybox"), file("usr/bin/busybox", "bb", 0o755), hardlink("usr/bin/ls", "usr/bin/busybox"),
		symlink("lib", "usr/lib"), symlink("abs", "/etc/passwd"),
		dir("srv", 0o750), later, xattr, file("srv/x", "replaced", 0o640),
		dir("opaque", 0o755), file("opaque/.wh..wh..opq", "", 0o644), file("opaque/kept", "k", 0o644),
		file(".wh.deleted", "", 0o644), file("deep/er/.wh.gone", "", 0o644),
		{h: tar.Header{Typeflag: tar.TypeFifo, Name: "srv/fifo", Mode: 0o640, ModTime: mtime}},
		{h: tar.Header{Typeflag: tar.TypeChar, Name: "srv/null", Mode: 0o666, Devmajor: 1, Devminor: 3, ModTime: mtime}},
		file("d2f", "", 0o644), dir("d2f", 0o700), file("d2f/in", "i", 0o644),
		dir("f2d", 0o700), file("f2d/in", "i", 0o644), file("f2d", "now a file", 0o644),
		file("implicit/parent/f", "p", 0o644),
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range layer {
		h := e.h
		h.Format = tar.FormatPAX
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(tw, e.body); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	theirs := filepath.Join(t.TempDir(), "storage")
	if err := os.Mkdir(theirs, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := archive.Unpack(bytes.NewReader(buf.Bytes()), theirs, &archive.TarOptions{WhiteoutFormat: archive.OverlayWhiteoutFormat}); err != nil {
		t.Fatalf("storage: %v", err)
	}
	ours := mustExtract(t, Options{OverlayWhiteouts: true, OpaqueXattr: opaque}, layer...)
	if diff := cmp.Diff(snapshot(t, ours), snapshot(t, theirs)); diff != "" {
		t.Errorf("untar and storage differ (-untar +storage):\n%s", diff)
	}
}

// snapshot describes every file under root, root included, with its
// modification time, hard link count and extended attributes (reading
// the tree changes access times; TestTimes checks those).
func snapshot(t *testing.T, root string) []string {
	t.Helper()
	got := describe(t, root)
	err := filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		st := fi.Sys().(*syscall.Stat_t)
		rel, _ := filepath.Rel(root, p)
		mt := time.Unix(st.Mtim.Unix()).UTC().String()
		if time.Since(time.Unix(st.Mtim.Unix())) < time.Hour {
			mt = "now" // created by the extraction, not from a header
		}
		line := rel + " mtime " + mt + " nlink " + itoa(uint32(st.Nlink))
		for _, a := range xattrs(t, p) {
			line += " " + a
		}
		got = append(got, line)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(got)
	return got
}

func xattrs(t *testing.T, p string) []string {
	t.Helper()
	names := make([]byte, 4096)
	n, err := unix.Llistxattr(p, names)
	if err != nil {
		t.Fatalf("listxattr %s: %v", p, err)
	}
	var out []string
	for _, name := range bytes.Split(names[:n], []byte{0}) {
		if len(name) == 0 {
			continue
		}
		v := make([]byte, 256)
		k, err := unix.Lgetxattr(p, string(name), v)
		if err != nil {
			t.Fatalf("getxattr %s %s: %v", p, name, err)
		}
		out = append(out, string(name)+"="+string(v[:k]))
	}
	sort.Strings(out)
	return out
}
