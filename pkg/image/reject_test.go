package image

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hutchctr/hutch/internal/testutil"
	"github.com/hutchctr/hutch/pkg/errdefs"
)

// brokenArchive returns the files of an archive after an edit.
type brokenArchive struct {
	name   string
	format string // "docker" or "oci"
	// edit changes the pieces before the archive is laid out.
	edit func(t *testing.T, r *testutil.RawImage)
	// editFiles changes the laid-out files (nil: unchanged).
	editFiles func(files []testutil.File) []testutil.File
	// truncate, when > 0, cuts the written archive to this fraction (in percent).
	truncate int64
	// want is a substring of the error.
	want string
}

func setMember(files []testutil.File, name string, body []byte) []testutil.File {
	for i := range files {
		if files[i].Name == name {
			files[i].Body = body
		}
	}
	return files
}

func dropMember(files []testutil.File, pred func(string) bool) []testutil.File {
	var out []testutil.File
	for _, f := range files {
		if !pred(f.Name) {
			out = append(out, f)
		}
	}
	return out
}

func brokenArchives() []brokenArchive {
	extra := testutil.MustTar(testutil.Entry{Name: "etc/motd", Body: []byte("hello\n")})
	return []brokenArchive{
		{name: "diff id mismatch in layer 2", format: "docker", want: "layer 2", edit: func(t *testing.T, r *testutil.RawImage) {
			r.Config = testutil.ConfigFor(r.Layers[0], []byte("other"))
		}},
		{name: "diff id mismatch in layer 1", format: "docker", want: "uncompressed digest", edit: func(t *testing.T, r *testutil.RawImage) {
			r.Config = testutil.ConfigFor(extra, r.Layers[1])
		}},
		{name: "layer count mismatch", format: "docker", want: "lists 1 layers", edit: func(t *testing.T, r *testutil.RawImage) {
			r.Config = testutil.ConfigFor(r.Layers[0])
		}},
		{name: "corrupt gzip layer", format: "docker", want: "layer 2", edit: func(t *testing.T, r *testutil.RawImage) {
			gz := testutil.Gzip(r.Layers[1])
			gz[len(gz)/2] ^= 0xff
			gz[len(gz)/2+1] ^= 0xff
			r.Layers[1] = gz
		}},
		{name: "truncated gzip layer", format: "docker", want: "layer 2", edit: func(t *testing.T, r *testutil.RawImage) {
			gz := testutil.Gzip(r.Layers[1])
			r.Layers[1] = gz[:len(gz)-20]
		}},
		{name: "short tar layer", format: "docker", want: "layer 1", edit: func(t *testing.T, r *testutil.RawImage) {
			r.Layers[0] = r.Layers[0][:len(r.Layers[0])/2]
			r.Config = testutil.ConfigFor(r.Layers[0], r.Layers[1])
		}},
		{name: "missing layer file", format: "docker", want: "missing", editFiles: func(f []testutil.File) []testutil.File {
			return dropMember(f, func(n string) bool { return strings.HasSuffix(n, ".tar") && n != f[1].Name })
		}},
		{name: "invalid manifest.json", format: "docker", want: "not valid JSON", editFiles: func(f []testutil.File) []testutil.File {
			return setMember(f, "manifest.json", []byte(`[{"Config": `))
		}},
		{name: "invalid config", format: "docker", want: "configuration", editFiles: func(f []testutil.File) []testutil.File {
			return setMember(f, f[1].Name, []byte(`{"rootfs": 12`))
		}},
		{name: "truncated archive", format: "docker", truncate: 50, want: "truncated"},
		{name: "truncated oci archive", format: "oci", truncate: 70, want: "truncated"},
		{name: "blob digest mismatch", format: "oci", want: "blob digest", editFiles: func(f []testutil.File) []testutil.File {
			// Same tar, compressed differently: the diff ID still matches,
			// the blob digest does not.
			var buf bytes.Buffer
			zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
			zw.Name = "different"
			zw.Write(extra)
			zw.Close()
			return setMember(f, "blobs/sha256/"+testutil.Hex(testutil.Gzip(extra)), buf.Bytes())
		}},
		{name: "oci diff id mismatch", format: "oci", want: "uncompressed digest", edit: func(t *testing.T, r *testutil.RawImage) {
			r.Config = testutil.ConfigFor(r.Layers[0], []byte("x"))
			r.Layers = [][]byte{r.Layers[0], testutil.Gzip(r.Layers[1])}
		}},
		{name: "config digest mismatch", format: "oci", want: "does not match its descriptor", editFiles: func(f []testutil.File) []testutil.File {
			for i := range f {
				if strings.HasPrefix(f[i].Name, "blobs/") && strings.Contains(string(f[i].Body), `"rootfs"`) {
					f[i].Body = bytes.Replace(f[i].Body, []byte(`"linux"`), []byte(`"LINUX"`), 1)
				}
			}
			return f
		}},
		{name: "missing oci blob", format: "oci", want: "missing blob", editFiles: func(f []testutil.File) []testutil.File {
			var biggest string
			var size int
			for _, x := range f {
				if len(x.Body) > size {
					biggest, size = x.Name, len(x.Body)
				}
			}
			return dropMember(f, func(n string) bool { return n == biggest })
		}},
		{name: "invalid index.json", format: "oci", want: "index.json", editFiles: func(f []testutil.File) []testutil.File {
			return setMember(f, "index.json", []byte(`{"manifests": [}`))
		}},
		{name: "no manifest", format: "oci", want: "neither", editFiles: func(f []testutil.File) []testutil.File {
			return dropMember(f, func(n string) bool { return n == "index.json" })
		}},
	}
}

// TestLoadRejectsBrokenArchives: every broken archive is refused with a
// one-line ErrInvalidArgument naming the file, and storage stays empty (the
// first layer, stored before the second failed, is removed too).
func TestLoadRejectsBrokenArchives(t *testing.T) {
	testutil.Requires(t, testutil.Busybox())
	base, err := testutil.BusyboxLayer()
	if err != nil {
		t.Fatal(err)
	}
	extra := testutil.MustTar(testutil.Entry{Name: "etc/motd", Body: []byte("hello\n")})
	for _, tt := range brokenArchives() {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore(t)
			raw := testutil.RawImage{Config: testutil.ConfigFor(base, extra), Layers: [][]byte{base, extra}, Ref: "broken"}
			if tt.format == "oci" {
				raw.Layers = [][]byte{testutil.Gzip(base), testutil.Gzip(extra)}
			}
			if tt.edit != nil {
				tt.edit(t, &raw)
			}
			var files []testutil.File
			if tt.format == "oci" {
				files = testutil.OCIArchiveFiles(raw)
			} else {
				files = testutil.DockerArchiveFiles(raw)
			}
			if tt.editFiles != nil {
				files = tt.editFiles(files)
			}
			p := filepath.Join(t.TempDir(), "broken.tar")
			testutil.WriteFiles(t, p, files)
			if tt.truncate > 0 {
				st, _ := os.Stat(p)
				testutil.Truncate(t, p, st.Size()*tt.truncate/100)
			}
			_, err := s.Load(context.Background(), p)
			if !errors.Is(err, errdefs.ErrInvalidArgument) {
				t.Fatalf("load: %v, want ErrInvalidArgument", err)
			}
			msg := err.Error()
			if strings.Contains(msg, "\n") || !strings.Contains(msg, p) || !strings.Contains(msg, tt.want) {
				t.Errorf("error %q: want one line naming %s and containing %q", msg, p, tt.want)
			}
			assertEmpty(t, s)
		})
	}
}

func TestLoadNotAnArchive(t *testing.T) {
	s := newStore(t)
	dir := t.TempDir()
	tests := []struct {
		name string
		body []byte
		want error
	}{
		{"empty", nil, errdefs.ErrInvalidArgument},
		{"garbage", []byte("this is not a tar archive at all, just text"), errdefs.ErrInvalidArgument},
		{"gzip of garbage", testutil.Gzip([]byte("x")), errdefs.ErrInvalidArgument},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(dir, tt.name)
			if err := os.WriteFile(p, tt.body, 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Load(context.Background(), p); !errors.Is(err, tt.want) {
				t.Errorf("load: %v, want %v", err, tt.want)
			}
		})
	}
	if _, err := s.Load(context.Background(), filepath.Join(dir, "missing")); !errors.Is(err, errdefs.ErrNotFound) {
		t.Errorf("load of a missing file: %v, want ErrNotFound", err)
	}
	assertEmpty(t, s)
}

// TestLoadFailureKeepsSharedLayers: a failed load removes only what it
// added; a base layer it reused from an existing image stays.
func TestLoadFailureKeepsSharedLayers(t *testing.T) {
	s := newStore(t)
	mustLoad(t, s, busyboxArchive(t, "docker", "busybox"))
	base, err := testutil.BusyboxLayer()
	if err != nil {
		t.Fatal(err)
	}
	good := testutil.MustTar(testutil.Entry{Name: "good", Body: []byte("1")})
	bad := testutil.MustTar(testutil.Entry{Name: "bad", Body: []byte("2")})
	raw := testutil.RawImage{Config: testutil.ConfigFor(base, good, good), Layers: [][]byte{base, good, bad}, Ref: "broken"}
	p := filepath.Join(t.TempDir(), "broken.tar")
	testutil.WriteFiles(t, p, testutil.DockerArchiveFiles(raw))
	if _, err := s.Load(context.Background(), p); !errors.Is(err, errdefs.ErrInvalidArgument) || !strings.Contains(err.Error(), "layer 3") {
		t.Fatalf("load: %v, want ErrInvalidArgument for layer 3", err)
	}
	layers, _ := s.st.Layers()
	imgs, _ := s.st.Images()
	if len(layers) != 1 || len(imgs) != 1 {
		t.Errorf("after the failed load: %d layers, %d images; want the original 1 and 1", len(layers), len(imgs))
	}
	if _, err := s.Get(context.Background(), "busybox"); err != nil {
		t.Error(err)
	}
}
