package main

import (
	"archive/tar"
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestPhaseEnvIsPrivate(t *testing.T) {
	dir := t.TempDir()
	env, err := phaseEnv(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		if k == "PATH" || k == "LANG" {
			continue
		}
		if !strings.HasPrefix(v, dir+"/") {
			t.Errorf("%s=%s is outside the work dir %s", k, v, dir)
		}
	}
	conf, err := os.ReadFile(filepath.Join(dir, "storage.conf"))
	if err != nil {
		t.Fatal(err)
	}
	d := dirsOf(dir, "podman")
	want := "[storage]\ndriver = \"overlay\"\ngraphroot = \"" + d.root + "\"\nrunroot = \"" + d.runroot + "\"\n"
	if diff := cmp.Diff(string(conf), want); diff != "" {
		t.Errorf("storage.conf (-got +want):\n%s", diff)
	}
	fi, err := os.Stat(filepath.Join(dir, "xdg-run"))
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o700 {
		t.Errorf("XDG_RUNTIME_DIR mode %o, want 700", got)
	}
}

// TestWriteImage checks the tarball both engines import: it needs Debian's
// busybox-static, which `make deps` installs (a missing one fails here).
func TestWriteImage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "img.tar")
	if err := writeImage(path); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(bytes.NewReader(b))
	var names []string
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		names = append(names, h.Name)
	}
	for _, want := range []string{"bin/busybox", "bin/sh", "bin/true", "bin/sleep", "etc/passwd"} {
		if !slices.Contains(names, want) {
			t.Errorf("image lacks %s; has %v", want, names)
		}
	}
}

func TestNewToolsMarksMissingBinary(t *testing.T) {
	dir := t.TempDir()
	tools, err := newTools(dir, filepath.Join(dir, "no-such-hutch"), "sh", nil)
	if err != nil {
		t.Fatal(err)
	}
	got := []bool{tools[0].broken != nil, tools[1].broken != nil}
	if diff := cmp.Diff(got, []bool{true, false}); diff != "" {
		t.Errorf("broken hutch, podman (-got +want):\n%s", diff)
	}
	if diff := cmp.Diff(tools[1].global[len(tools[1].global)-2:], []string{"--tmpdir", dirsOf(dir, "podman").tmp}); diff != "" {
		t.Errorf("podman's private tmpdir flag (-got +want):\n%s", diff)
	}
}
