package overlay

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/hutchctr/hutch/pkg/errdefs"
)

func TestRootfsMount(t *testing.T) {
	tests := []struct {
		name    string
		o       RootfsOptions
		want    []string
		wantErr error
	}{
		{"root", RootfsOptions{Lower: []string{"/l/b", "/l/a"}, Upper: "/c/u", Work: "/c/w"},
			[]string{"lowerdir=/l/b:/l/a", "upperdir=/c/u", "workdir=/c/w"}, nil},
		{"rootless volatile", RootfsOptions{Lower: []string{"/l/a"}, Upper: "/c/u", Work: "/c/w", UserNS: true, Volatile: true},
			[]string{"lowerdir=/l/a", "upperdir=/c/u", "workdir=/c/w", "userxattr", "volatile"}, nil},
		{"no lower", RootfsOptions{Upper: "/c/u", Work: "/c/w"}, nil, errdefs.ErrInvalidArgument},
		{"colon", RootfsOptions{Lower: []string{"/l:a"}, Upper: "/c/u", Work: "/c/w"}, nil, errdefs.ErrInvalidArgument},
		{"too many layers", RootfsOptions{Lower: strings.Fields(strings.Repeat("/very/long/layer/directory/path/0123456789abcdef0123456789 ", 80)), Upper: "/u", Work: "/w"}, nil, errdefs.ErrNotImplemented},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := RootfsMount(tt.o)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error = %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			want := specs.Mount{Destination: "/", Type: "overlay", Source: "overlay", Options: tt.want}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestPlanRootfsMount(t *testing.T) {
	rm, err := RootfsMount(RootfsOptions{Lower: []string{"/l/a"}, Upper: "/c/u", Work: "/c/w", UserNS: true})
	if err != nil {
		t.Fatal(err)
	}
	spec := &specs.Spec{Root: &specs.Root{Path: "/r"}, Mounts: []specs.Mount{rm,
		{Destination: "/proc", Type: "proc", Source: "proc"}}}
	p, err := NewPlan(spec, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Rootfs == nil || p.Rootfs.FSType != "overlay" || p.Rootfs.Data != "lowerdir=/l/a,upperdir=/c/u,workdir=/c/w,userxattr" {
		t.Errorf("rootfs mount = %+v", p.Rootfs)
	}
	if len(p.Mounts) != 1 || p.Mounts[0].Target != "/proc" {
		t.Errorf("mounts = %+v, want only /proc", p.Mounts)
	}
	spec.Mounts[0] = specs.Mount{Destination: "/", Type: "bind", Source: "/x", Options: []string{"rbind"}}
	if _, err := NewPlan(spec, Options{}); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Errorf("a bind on / : got %v, want ErrInvalidArgument", err)
	}
}
