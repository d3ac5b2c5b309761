package testutil

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/validate"
)

func TestBusyboxLayer(t *testing.T) {
	Requires(t, Busybox())
	b, err := BusyboxLayer()
	if err != nil {
		t.Fatal(err)
	}
	type info struct {
		typ      byte
		mode     int64
		uid, gid int
		link     string
	}
	got := map[string]info{}
	tr := tar.NewReader(bytes.NewReader(b))
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got[h.Name] = info{h.Typeflag, h.Mode, h.Uid, h.Gid, h.Linkname}
	}
	want := map[string]info{
		"bin/busybox":       {tar.TypeReg, 0o755, 0, 0, ""},
		"bin/sh":            {tar.TypeSymlink, 0o777, 0, 0, "busybox"},
		"tmp/":              {tar.TypeDir, 0o1777, 0, 0, ""},
		"home/tester/":      {tar.TypeDir, 0o755, TesterUID, TesterGID, ""},
		"home/tester/owned": {tar.TypeReg, 0o644, TesterUID, TesterGID, ""},
		"etc/passwd":        {tar.TypeReg, 0o644, 0, 0, ""},
	}
	for name, w := range want {
		if diff := cmp.Diff(got[name], w, cmp.AllowUnexported(info{})); diff != "" {
			t.Errorf("%s (-got +want):\n%s", name, diff)
		}
	}
	b2, _ := BusyboxLayer()
	if !bytes.Equal(b, b2) {
		t.Error("BusyboxLayer is not reproducible")
	}
}

func TestBusyboxImage(t *testing.T) {
	Requires(t, Busybox())
	img, err := BusyboxImage(WithLabels(map[string]string{"a": "b"}), WithUser("tester"), WithWorkdir("/home/tester"),
		WithEntrypoint("/bin/sh", "-c"), WithCmd("echo hi"), WithEnv("X=1"), WithStopSignal("SIGINT"), WithExposedPorts("80/tcp"),
		WithLayer(MustTar(Entry{Name: "extra", Body: []byte("x")})))
	if err != nil {
		t.Fatal(err)
	}
	// validate.Image would trip over ggcr's own mutate output (an empty
	// annotations map that its raw manifest omits); check each layer's
	// digests instead.
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range layers {
		if err := validate.Layer(l); err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	c := cfg.Config
	if diff := cmp.Diff([]any{c.Env, c.Cmd, c.Entrypoint, c.User, c.WorkingDir, c.StopSignal, c.Labels, len(c.ExposedPorts), len(cfg.RootFS.DiffIDs)},
		[]any{[]string{DefaultPath, "X=1"}, []string{"echo hi"}, []string{"/bin/sh", "-c"}, "tester", "/home/tester", "SIGINT", map[string]string{"a": "b"}, 1, 2}); diff != "" {
		t.Errorf("config (-got +want):\n%s", diff)
	}
	again, _ := BusyboxImage(WithLabels(map[string]string{"a": "b"}), WithUser("tester"), WithWorkdir("/home/tester"),
		WithEntrypoint("/bin/sh", "-c"), WithCmd("echo hi"), WithEnv("X=1"), WithStopSignal("SIGINT"), WithExposedPorts("80/tcp"),
		WithLayer(MustTar(Entry{Name: "extra", Body: []byte("x")})))
	d1, _ := img.ConfigName()
	d2, _ := again.ConfigName()
	if d1 != d2 {
		t.Errorf("image IDs differ between builds: %s %s", d1, d2)
	}
}

// TestWriteDockerArchive reads the archive back with go-containerregistry
// and checks the config is byte-identical (same image ID).
func TestWriteDockerArchive(t *testing.T) {
	Requires(t, Busybox())
	img, err := BusyboxImage()
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "a.tar")
	WriteDockerArchive(t, img, "busybox:latest", p)
	back, err := tarball.ImageFromPath(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := validate.Image(back); err != nil {
		t.Fatal(err)
	}
	want, _ := img.ConfigName()
	got, _ := back.ConfigName()
	if got != want {
		t.Errorf("config digest %s, want %s", got, want)
	}
}

func TestWriteOCIArchiveLayout(t *testing.T) {
	Requires(t, Busybox())
	img, err := BusyboxImage()
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "o.tar")
	WriteOCIArchive(t, img, "localhost/x:1", p)
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	names := map[string]bool{}
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names[h.Name] = true
	}
	m, _ := img.Manifest()
	for _, n := range []string{"oci-layout", "index.json", "blobs/sha256/" + m.Config.Digest.Hex, "blobs/sha256/" + m.Layers[0].Digest.Hex} {
		if !names[n] {
			t.Errorf("archive lacks %s", n)
		}
	}
}

func TestEscapingLayersAreTars(t *testing.T) {
	for _, l := range EscapingLayers("/tmp/outside") {
		tr := tar.NewReader(bytes.NewReader(l.Tar))
		n := 0
		for {
			_, err := tr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", l.Name, err)
			}
			n++
		}
		if n == 0 {
			t.Errorf("%s: empty", l.Name)
		}
	}
}

func TestSubIDRange(t *testing.T) {
	p := filepath.Join(t.TempDir(), "subuid")
	if err := os.WriteFile(p, []byte("alice:100000:65536\n1001:200000:1000\nbad line\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, id          string
		wantStart, wantCt int
		wantErr           bool
	}{
		{"alice", "1000", 100000, 65536, false},
		{"bob", "1001", 200000, 1000, false},
		{"carol", "1002", 0, 0, true},
	}
	for _, tt := range tests {
		start, count, err := SubIDRange(p, tt.name, tt.id)
		if (err != nil) != tt.wantErr || start != tt.wantStart || count != tt.wantCt {
			t.Errorf("SubIDRange(%s) = %d, %d, %v", tt.name, start, count, err)
		}
	}
}
