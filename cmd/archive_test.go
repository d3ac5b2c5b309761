package cmd

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestNewCmdLoad(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		stdinTTY bool
		want     *loadOptions
		wantErr  bool
	}{
		{"input", []string{"-i", "a.tar", "-q"}, true, &loadOptions{Input: "a.tar", Quiet: true}, false},
		{"stdin", nil, false, &loadOptions{}, false},
		{"stdin is a terminal", nil, true, nil, true},
		{"arguments", []string{"a.tar"}, false, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, _, _ := testIO()
			ios.SetStdinTTY(tt.stdinTTY)
			got, err := parse(t, newLoadCmd, ios, tt.args)
			checkParse(t, got, err, tt.want, tt.wantErr)
		})
	}
}

func TestLoadRun(t *testing.T) {
	tests := []struct {
		name     string
		opts     loadOptions
		stdin    string
		wantOut  string
		wantCall string
	}{
		{"from stdin", loadOptions{}, "ARCHIVE", "Loaded image: localhost/a:latest\nLoaded image: b\n", "Load ARCHIVE"},
		{"quiet", loadOptions{Quiet: true}, "ARCHIVE", "localhost/a:latest\nb\n", "Load ARCHIVE"},
		{"from a file", loadOptions{Input: "FILE"}, "", "Loaded image: localhost/a:latest\nLoaded image: b\n", "Load FROM FILE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, in, out, errOut := testIO()
			in.WriteString(tt.stdin)
			opts := tt.opts
			if opts.Input != "" {
				opts.Input = filepath.Join(t.TempDir(), "a.tar")
				if err := os.WriteFile(opts.Input, []byte("FROM FILE"), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			fake := &fakeEngine{loaded: []string{"localhost/a:latest", "b"}}
			opts.IO, opts.Engine = ios, use[loadEngine](fake)
			code := reportError(errOut, nil, runLoad(context.Background(), &opts))
			checkOutput(t, code, out.String(), errOut.String(), 0, tt.wantOut, "")
			if diff := cmp.Diff(fake.calls, []string{tt.wantCall}); diff != "" {
				t.Errorf("calls mismatch (-got +want):\n%s", diff)
			}
		})
	}
}

func TestNewCmdImport(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		stdinTTY bool
		want     *importOptions
		wantErr  bool
	}{
		{"tarball", []string{"root.tar"}, false, &importOptions{Tarball: "root.tar"}, false},
		{"tarball and name", []string{"-", "localhost/bb:1"}, false, &importOptions{Tarball: "-", Ref: "localhost/bb:1"}, false},
		{"stdin is a terminal", []string{"-"}, true, nil, true},
		{"too many", []string{"a", "b", "c"}, false, nil, true},
		{"none", nil, false, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, _, _ := testIO()
			ios.SetStdinTTY(tt.stdinTTY)
			got, err := parse(t, newImportCmd, ios, tt.args)
			checkParse(t, got, err, tt.want, tt.wantErr)
		})
	}
}

func TestImportRun(t *testing.T) {
	ios, in, out, errOut := testIO()
	in.WriteString("ROOTFS")
	fake := &fakeEngine{id: "sha256:b58b9d6b0736"}
	opts := &importOptions{IO: ios, Engine: use[importEngine](fake), Tarball: "-", Ref: "bb"}
	code := reportError(errOut, nil, runImport(context.Background(), opts))
	checkOutput(t, code, out.String(), errOut.String(), 0, "sha256:b58b9d6b0736\n", "")
	if diff := cmp.Diff(fake.calls, []string{"Import ROOTFS bb"}); diff != "" {
		t.Errorf("calls mismatch (-got +want):\n%s", diff)
	}
}

func TestNewCmdSave(t *testing.T) {
	tests := []struct {
		name      string
		args      []string
		stdoutTTY bool
		want      *saveOptions
		wantErr   bool
	}{
		{"output", []string{"-o", "x.tar", "a", "b"}, true, &saveOptions{Refs: []string{"a", "b"}, Output: "x.tar", Format: "docker-archive"}, false},
		{"stdout, oci", []string{"--format", "oci-archive", "a"}, false, &saveOptions{Refs: []string{"a"}, Format: "oci-archive"}, false},
		{"stdout is a terminal", []string{"a"}, true, nil, true},
		{"bad format", []string{"-o", "x", "--format", "oci-dir", "a"}, false, nil, true},
		{"no image", []string{"-o", "x"}, false, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, _, _ := testIO()
			ios.SetStdoutTTY(tt.stdoutTTY)
			got, err := parse(t, newSaveCmd, ios, tt.args)
			checkParse(t, got, err, tt.want, tt.wantErr)
		})
	}
}

func TestSaveRun(t *testing.T) {
	t.Run("to stdout", func(t *testing.T) {
		ios, _, out, errOut := testIO()
		fake := &fakeEngine{saved: "TARBALL"}
		opts := &saveOptions{IO: ios, Engine: use[saveEngine](fake), Refs: []string{"a"}, Format: "oci-archive"}
		code := reportError(errOut, nil, runSave(context.Background(), opts))
		checkOutput(t, code, out.String(), errOut.String(), 0, "TARBALL", "")
		if diff := cmp.Diff(fake.calls, []string{"Save oci-archive a"}); diff != "" {
			t.Errorf("calls mismatch (-got +want):\n%s", diff)
		}
	})
	t.Run("to a file", func(t *testing.T) {
		ios, _, out, errOut := testIO()
		path := filepath.Join(t.TempDir(), "x.tar")
		fake := &fakeEngine{saved: "TARBALL"}
		opts := &saveOptions{IO: ios, Engine: use[saveEngine](fake), Refs: []string{"a", "b"}, Format: "docker-archive", Output: path}
		code := reportError(errOut, nil, runSave(context.Background(), opts))
		checkOutput(t, code, out.String(), errOut.String(), 0, "", "")
		if b, err := os.ReadFile(path); err != nil || string(b) != "TARBALL" {
			t.Errorf("archive = %q, %v; want TARBALL", b, err)
		}
	})
}
