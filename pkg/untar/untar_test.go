package untar

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"
)

var mtime = time.Date(2024, 5, 6, 7, 8, 9, 123456789, time.UTC)

// entry is one tar entry with its content.
type entry struct {
	h    tar.Header
	body string
}

func dir(name string, mode int64) entry {
	return entry{h: tar.Header{Typeflag: tar.TypeDir, Name: name, Mode: mode, ModTime: mtime}}
}
func file(name, body string, mode int64) entry {
	return entry{h: tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: mode, Size: int64(len(body)), ModTime: mtime}, body: body}
}
func symlink(name, target string) entry {
	return entry{h: tar.Header{Typeflag: tar.TypeSymlink, Name: name, Linkname: target, Mode: 0o777, ModTime: mtime}}
}
func hardlink(name, target string) entry {
	return entry{h: tar.Header{Typeflag: tar.TypeLink, Name: name, Linkname: target, Mode: 0o644, ModTime: mtime}}
}

// extract writes entries into a new directory and returns it, or the
// first error.
func extract(t *testing.T, o Options, entries ...entry) (string, error) {
	t.Helper()
	dest := filepath.Join(t.TempDir(), "layer")
	if err := os.Mkdir(dest, 0o755); err != nil {
		t.Fatal(err)
	}
	d, err := Open(dest, o)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	for _, e := range entries {
		h := e.h
		if err := d.Entry(&h, strings.NewReader(e.body)); err != nil {
			return dest, err
		}
	}
	return dest, d.Finish()
}

func mustExtract(t *testing.T, o Options, entries ...entry) string {
	t.Helper()
	dest, err := extract(t, o, entries...)
	if err != nil {
		t.Fatalf("extract: %v", err)
	}
	return dest
}

// describe lists what is under dest: "path type mode uid:gid [target|content]".
func describe(t *testing.T, dest string) []string {
	t.Helper()
	var got []string
	err := filepath.Walk(dest, func(p string, fi os.FileInfo, err error) error {
		if err != nil || p == dest {
			return err
		}
		st := fi.Sys().(*syscall.Stat_t)
		rel, _ := filepath.Rel(dest, p)
		line := rel + " " + fi.Mode().String() + " " + itoa(st.Uid) + ":" + itoa(st.Gid)
		switch {
		case fi.Mode()&os.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			line += " -> " + target
		case fi.Mode().IsRegular():
			b, _ := os.ReadFile(p)
			line += " " + string(b)
		case fi.Mode()&os.ModeCharDevice != 0:
			line += " dev " + itoa(unix.Major(st.Rdev)) + "," + itoa(unix.Minor(st.Rdev))
		}
		got = append(got, line)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func itoa(n uint32) string { return strconv.FormatUint(uint64(n), 10) }

func TestEntries(t *testing.T) {
	owned := file("etc/shadow", "secret", 0o640)
	owned.h.Uid, owned.h.Gid = 0, 42
	setuid := file("bin/su", "su", 0o4755)
	setuid.h.Uid, setuid.h.Gid = 1000, 1000
	tests := []struct {
		name    string
		entries []entry
		want    []string
	}{
		{
			name:    "files, directories and modes",
			entries: []entry{dir("etc", 0o755), owned, dir("bin", 0o700), setuid},
			want: []string{
				"bin drwx------ 0:0",
				"bin/su urwxr-xr-x 1000:1000 su",
				"etc drwxr-xr-x 0:0",
				"etc/shadow -rw-r----- 0:42 secret",
			},
		},
		{
			name:    "missing parents are created",
			entries: []entry{file("a/b/c", "x", 0o644)},
			want:    []string{"a drwxr-xr-x 0:0", "a/b drwxr-xr-x 0:0", "a/b/c -rw-r--r-- 0:0 x"},
		},
		{
			name:    "leading slashes and dots are the layer's root",
			entries: []entry{file("/./x", "1", 0o600), file("./y", "2", 0o600)},
			want:    []string{"x -rw------- 0:0 1", "y -rw------- 0:0 2"},
		},
		{
			name:    "symlinks are written as they are, absolute or climbing",
			entries: []entry{symlink("abs", "/etc/passwd"), symlink("up", "../../../x")},
			want:    []string{"abs Lrwxrwxrwx 0:0 -> /etc/passwd", "up Lrwxrwxrwx 0:0 -> ../../../x"},
		},
		{
			name:    "a hard link shares the inode",
			entries: []entry{file("a", "data", 0o644), hardlink("b", "a")},
			want:    []string{"a -rw-r--r-- 0:0 data", "b -rw-r--r-- 0:0 data"},
		},
		{
			name:    "a hard link to a symlink links the symlink",
			entries: []entry{symlink("s", "/nowhere"), hardlink("l", "s")},
			want:    []string{"l Lrwxrwxrwx 0:0 -> /nowhere", "s Lrwxrwxrwx 0:0 -> /nowhere"},
		},
		{
			name:    "a later entry replaces a file",
			entries: []entry{file("x", "old", 0o644), file("x", "new", 0o600)},
			want:    []string{"x -rw------- 0:0 new"},
		},
		{
			name:    "a directory replaces a file and a file a directory with its content",
			entries: []entry{file("x", "old", 0o644), dir("x", 0o755), file("d/in", "1", 0o644), file("d", "flat", 0o644)},
			want:    []string{"d -rw-r--r-- 0:0 flat", "x drwxr-xr-x 0:0"},
		},
		{
			name:    "a directory named twice keeps its content and takes the new mode",
			entries: []entry{dir("d", 0o755), file("d/in", "1", 0o644), dir("d", 0o711)},
			want:    []string{"d drwx--x--x 0:0", "d/in -rw-r--r-- 0:0 1"},
		},
		{
			name:    "a symlink replaces a directory and later entries do not go through it",
			entries: []entry{dir("d", 0o755), file("d/in", "1", 0o644), symlink("d", "/tmp")},
			want:    []string{"d Lrwxrwxrwx 0:0 -> /tmp"},
		},
		{
			name:    "whiteouts stay files without the overlay format",
			entries: []entry{file(".wh.gone", "", 0o644)},
			want:    []string{".wh.gone -rw-r--r-- 0:0 "},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dest := mustExtract(t, Options{}, tt.entries...)
			if diff := cmp.Diff(describe(t, dest), tt.want); diff != "" {
				t.Errorf("content (-got +want):\n%s", diff)
			}
		})
	}
}

func TestTimes(t *testing.T) {
	atime := mtime.Add(time.Hour)
	f := file("d/f", "x", 0o644)
	f.h.AccessTime = atime
	early := file("d/early", "x", 0o644)
	early.h.AccessTime = mtime.Add(-time.Hour) // before mtime: becomes mtime
	dest := mustExtract(t, Options{}, dir("d", 0o755), f, early, symlink("d/s", "f"), dir(".", 0o755))
	for _, c := range []struct {
		name         string
		atime, mtime time.Time
	}{
		{"d", mtime, mtime}, // set after its entries were created
		{"d/f", atime, mtime},
		{"d/early", mtime, mtime},
		{"d/s", mtime, mtime}, // the link itself
		{".", mtime, mtime},
	} {
		var st unix.Stat_t
		if err := unix.Lstat(filepath.Join(dest, c.name), &st); err != nil {
			t.Fatal(err)
		}
		gotM := time.Unix(st.Mtim.Unix()).UTC()
		gotA := time.Unix(st.Atim.Unix()).UTC()
		if !gotM.Equal(c.mtime) || !gotA.Equal(c.atime) {
			t.Errorf("%s: times %v/%v, want %v/%v", c.name, gotA, gotM, c.atime, c.mtime)
		}
	}
}

func TestSpecialFiles(t *testing.T) {
	fifo := entry{h: tar.Header{Typeflag: tar.TypeFifo, Name: "p", Mode: 0o600, ModTime: mtime}}
	null := entry{h: tar.Header{Typeflag: tar.TypeChar, Name: "null", Mode: 0o666, Devmajor: 1, Devminor: 3, ModTime: mtime}}
	x := file("x", "v", 0o644)
	x.h.PAXRecords = map[string]string{"SCHILY.xattr.user.hutch": "yes", "SCHILY.xattr.security.selinux": "ignored"}
	t.Run("as root", func(t *testing.T) {
		dest := mustExtract(t, Options{}, fifo, null, x)
		want := []string{"null Dcrw-rw-rw- 0:0 dev 1,3", "p prw------- 0:0", "x -rw-r--r-- 0:0 v"}
		if diff := cmp.Diff(describe(t, dest), want); diff != "" {
			t.Errorf("content (-got +want):\n%s", diff)
		}
		buf := make([]byte, 16)
		n, err := unix.Lgetxattr(filepath.Join(dest, "x"), "user.hutch", buf)
		if err != nil || string(buf[:n]) != "yes" {
			t.Errorf("xattr user.hutch = %q, %v; want yes", buf[:n], err)
		}
	})
	t.Run("in a user namespace devices are skipped", func(t *testing.T) {
		dest := mustExtract(t, Options{InUserNS: true}, fifo, null)
		if diff := cmp.Diff(describe(t, dest), []string{"p prw------- 0:0"}); diff != "" {
			t.Errorf("content (-got +want):\n%s", diff)
		}
	})
}

func TestOverlayWhiteouts(t *testing.T) {
	const opaque = "trusted.overlay.opaque"
	o := Options{OverlayWhiteouts: true, OpaqueXattr: opaque}
	dest := mustExtract(t, o,
		dir("d", 0o755), file("d/.wh..wh..opq", "", 0o644), file("d/kept", "1", 0o644),
		file(".wh.gone", "", 0o644),
		file("gone/.wh.under", "", 0o644), // "rm -rf gone" style: gone hides it already
		file("e/.wh.x", "", 0o644),        // parent created
	)
	want := []string{"d drwxr-xr-x 0:0", "d/kept -rw-r--r-- 0:0 1", "e drwxr-xr-x 0:0", "e/x Dc--------- 0:0 dev 0,0", "gone Dc--------- 0:0 dev 0,0"}
	if diff := cmp.Diff(describe(t, dest), want); diff != "" {
		t.Errorf("content (-got +want):\n%s", diff)
	}
	buf := make([]byte, 4)
	n, err := unix.Getxattr(filepath.Join(dest, "d"), opaque, buf)
	if err != nil || string(buf[:n]) != "y" {
		t.Errorf("%s on d = %q, %v; want y", opaque, buf[:n], err)
	}
	for _, bad := range []string{".wh..", ".wh."} {
		if _, err := extract(t, o, file(bad, "", 0o644)); err == nil {
			t.Errorf("whiteout %q: no error", bad)
		}
	}
}

// TestConfinement feeds layers that try to write outside the destination
// and checks that each fails and nothing appears outside.
func TestConfinement(t *testing.T) {
	outside := t.TempDir()
	tests := []struct {
		name    string
		entries []entry
	}{
		{"dot-dot name", []entry{file("../escaped", "x", 0o644)}},
		{"dot-dot inside a name", []entry{file("a/../../escaped", "x", 0o644)}},
		{"through an absolute symlink", []entry{symlink("evil", outside), file("evil/escaped", "x", 0o644)}},
		{"through a relative symlink", []entry{symlink("evil", "../../../../../../"+outside), file("evil/escaped", "x", 0o644)}},
		{"directory through a symlink", []entry{symlink("evil", outside), dir("evil/escaped", 0o755)}},
		{"symlink through a symlink", []entry{symlink("evil", outside), symlink("evil/escaped", "/")}},
		{"hard link through a symlink", []entry{symlink("evil", outside), file("f", "x", 0o644), hardlink("evil/escaped", "f")}},
		{"hard link to a file through a symlink", []entry{symlink("evil", "/etc"), hardlink("escaped", "evil/passwd")}},
		{"hard link climbing out", []entry{hardlink("escaped", "../../../../etc/passwd")}},
		{"whiteout through a symlink", []entry{symlink("evil", outside), file("evil/.wh.escaped", "", 0o644)}},
		{"opaque marker through a symlink", []entry{symlink("evil", outside), file("evil/.wh..wh..opq", "", 0o644)}},
		{"a file as the layer's root", []entry{file(".", "x", 0o644)}},
	}
	o := Options{OverlayWhiteouts: true, OpaqueXattr: "trusted.overlay.opaque"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := extract(t, o, tt.entries...); err == nil {
				t.Error("extraction succeeded")
			}
			if _, err := os.Lstat(filepath.Join(outside, "escaped")); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("something was written outside: %v", err)
			}
			buf := make([]byte, 4)
			if _, err := unix.Getxattr(outside, "trusted.overlay.opaque", buf); err == nil {
				t.Error("the outside directory was marked opaque")
			}
		})
	}
}

func TestShortPayload(t *testing.T) {
	e := file("f", "abc", 0o644)
	e.h.Size = 10
	_, err := extract(t, Options{}, e)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("got %v, want an unexpected EOF", err)
	}
}

func TestSync(t *testing.T) {
	dest := filepath.Join(t.TempDir(), "layer")
	if err := os.Mkdir(dest, 0o755); err != nil {
		t.Fatal(err)
	}
	d, err := Open(dest, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	body := bytes.Repeat([]byte("hutch"), 100000)
	h := &tar.Header{Typeflag: tar.TypeReg, Name: "big", Mode: 0o644, Size: int64(len(body)), ModTime: mtime}
	if err := d.Entry(h, bytes.NewReader(body)); err != nil {
		t.Fatal(err)
	}
	if err := d.Sync(); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(dest, "big"))
	if err != nil || !bytes.Equal(got, body) {
		t.Errorf("content differs (%d bytes, %v)", len(got), err)
	}
}
