package volume

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/hutchctr/hutch/pkg/errdefs"
)

func TestParseVolume(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		in      string
		want    specs.Mount
		wantErr error
	}{
		{dir + ":/data", specs.Mount{Destination: "/data", Type: "bind", Source: dir, Options: []string{"rbind", "rw"}}, nil},
		{dir + ":/data/:ro", specs.Mount{Destination: "/data", Type: "bind", Source: dir, Options: []string{"rbind", "ro"}}, nil},
		{dir + ":/data:Z,rslave", specs.Mount{Destination: "/data", Type: "bind", Source: dir, Options: []string{"rbind", "rslave", "rw"}}, nil},
		{dir + ":data", specs.Mount{}, errdefs.ErrInvalidArgument},
		{dir, specs.Mount{}, errdefs.ErrInvalidArgument},
		{dir + ":/x:bogus", specs.Mount{}, errdefs.ErrInvalidArgument},
		{"/does/not/exist:/x", specs.Mount{}, errdefs.ErrNotFound},
		{"myvol:/x", specs.Mount{}, errdefs.ErrNotImplemented},
		{":/x", specs.Mount{}, errdefs.ErrInvalidArgument},
	}
	for _, tt := range tests {
		got, err := ParseVolume(tt.in)
		if !errors.Is(err, tt.wantErr) {
			t.Errorf("ParseVolume(%q) error = %v, want %v", tt.in, err, tt.wantErr)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("ParseVolume(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
}

func TestParseTmpfsAndMount(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		in      string
		parse   func(string) (specs.Mount, error)
		want    specs.Mount
		wantErr error
	}{
		{"/run", ParseTmpfs, specs.Mount{Destination: "/run", Type: "tmpfs", Source: "tmpfs", Options: []string{"rw", "noexec", "nosuid", "nodev"}}, nil},
		{"/run:size=1m,mode=700", ParseTmpfs, specs.Mount{Destination: "/run", Type: "tmpfs", Source: "tmpfs", Options: []string{"size=1m", "mode=700"}}, nil},
		{"run", ParseTmpfs, specs.Mount{}, errdefs.ErrInvalidArgument},
		{"type=bind,source=" + dir + ",target=/x,readonly", ParseMount, specs.Mount{Destination: "/x", Type: "bind", Source: dir, Options: []string{"rbind", "ro"}}, nil},
		{"type=bind,src=" + dir + ",dst=/x,ro=false", ParseMount, specs.Mount{Destination: "/x", Type: "bind", Source: dir, Options: []string{"rbind", "rw"}}, nil},
		{"type=tmpfs,target=/t,tmpfs-size=2m", ParseMount, specs.Mount{Destination: "/t", Type: "tmpfs", Source: "tmpfs", Options: []string{"rw", "noexec", "nosuid", "nodev", "size=2m"}}, nil},
		{"type=bind,target=/x", ParseMount, specs.Mount{}, errdefs.ErrInvalidArgument},
		{"source=/x,target=/y", ParseMount, specs.Mount{}, errdefs.ErrInvalidArgument},
		{"type=nfs,target=/y", ParseMount, specs.Mount{}, errdefs.ErrInvalidArgument},
		{"type=volume,source=v,target=/y", ParseMount, specs.Mount{}, errdefs.ErrNotImplemented},
	}
	for _, tt := range tests {
		got, err := tt.parse(tt.in)
		if !errors.Is(err, tt.wantErr) {
			t.Errorf("parse(%q) error = %v, want %v", tt.in, err, tt.wantErr)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("parse(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"/a:/b:ro", "type=bind,src=/,dst=/x", "/t:size=1m", ":::", "type=tmpfs,target=/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, parse := range []func(string) (specs.Mount, error){ParseVolume, ParseTmpfs, ParseMount} {
			m, err := parse(s)
			if err == nil && (m.Destination == "" || m.Destination[0] != '/') {
				t.Fatalf("accepted %q with destination %q", s, m.Destination)
			}
		}
	})
}
