package engine

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hutchctr/hutch/pkg/errdefs"
)

// pullImages is a gcImages whose registry holds "fresh" (a new image) and
// knows remote digests for anything.
type pullImages struct {
	*gcImages
	remote    []string
	remoteErr error
	pullErr   error
	pulls     []string
}

var freshImage = &imageMeta{ID: strings.Repeat("ef", 32), Names: []string{"docker.io/library/fresh:latest"},
	Digest: "sha256:new", Config: ImageConfig{Cmd: []string{"sh"}}}

func (p *pullImages) Pull(_ context.Context, ref string, _ PullOptions) (*imageMeta, error) {
	p.pulls = append(p.pulls, ref)
	if p.pullErr != nil {
		return nil, p.pullErr
	}
	p.images[ref], p.images[freshImage.ID] = freshImage, freshImage
	return freshImage, nil
}

func (p *pullImages) RemoteDigests(context.Context, string, PullOptions) ([]string, error) {
	return p.remote, p.remoteErr
}

func TestPullPolicies(t *testing.T) {
	local := strings.Repeat("ab", 32) // the fake's busybox
	unreachable := errors.New("dial tcp: connection refused")
	tests := []struct {
		name      string
		image     string
		policy    string
		remote    []string
		remoteErr error
		pullErr   error
		wantImage string
		wantPulls []string
		wantErr   error
	}{
		{"missing, present", "busybox", PullMissing, nil, nil, nil, local, nil, nil},
		{"default is missing", "busybox", "", nil, nil, nil, local, nil, nil},
		{"missing, absent", "fresh", PullMissing, nil, nil, nil, freshImage.ID, []string{"fresh"}, nil},
		{"missing, absent, build without pulls", "fresh", PullMissing, nil, nil, errdefs.ErrNotImplemented, "", []string{"fresh"}, errdefs.ErrNotFound},
		{"missing, pull fails", "fresh", PullMissing, nil, nil, errdefs.ErrPermission, "", []string{"fresh"}, errdefs.ErrPermission},
		{"never, present", "busybox", PullNever, nil, nil, nil, local, nil, nil},
		{"never, absent", "fresh", PullNever, nil, nil, nil, "", nil, errdefs.ErrNotFound},
		{"always", "busybox", PullAlways, nil, nil, nil, freshImage.ID, []string{"busybox"}, nil},
		{"newer, same digest", "busybox", PullNewer, []string{"sha256:index", "sha256:old"}, nil, nil, local, nil, nil},
		{"newer, other digest", "busybox", PullNewer, []string{"sha256:new"}, nil, nil, freshImage.ID, []string{"busybox"}, nil},
		{"newer, registry unreachable", "busybox", PullNewer, nil, unreachable, nil, local, nil, nil},
		{"newer, pull fails", "busybox", PullNewer, []string{"sha256:new"}, nil, unreachable, local, []string{"busybox"}, nil},
		{"newer, absent", "fresh", PullNewer, nil, nil, nil, freshImage.ID, []string{"fresh"}, nil},
		{"bad policy", "busybox", "sometimes", nil, nil, nil, "", nil, errdefs.ErrInvalidArgument},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, g := newGCEngine(t)
			g.images["busybox"].Digest = "sha256:old"
			p := &pullImages{gcImages: g, remote: tt.remote, remoteErr: tt.remoteErr, pullErr: tt.pullErr}
			e.openImages = func(context.Context) (imageStore, error) { return p, nil }
			id, err := e.Create(context.Background(), CreateOptions{Image: tt.image, Pull: tt.policy})
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error %v, want %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(p.pulls, tt.wantPulls); diff != "" {
				t.Errorf("pulls (-got +want):\n%s", diff)
			}
			if g.held != 0 {
				t.Errorf("%d holds left", g.held)
			}
			if err != nil {
				return
			}
			c, err := e.state.Get(id)
			if err != nil {
				t.Fatal(err)
			}
			if c.Config.ImageID != tt.wantImage {
				t.Errorf("container image %.4s, want %.4s", c.Config.ImageID, tt.wantImage)
			}
		})
	}
}

// TestRunPullsBeforeSpawningTheMonitor: a failed pull spawns nothing.
func TestRunPullsBeforeSpawningTheMonitor(t *testing.T) {
	e, g := newGCEngine(t)
	mon := e.monitors.(*fakeMonitor)
	p := &pullImages{gcImages: g, pullErr: errdefs.ErrPermission}
	e.openImages = func(context.Context) (imageStore, error) { return p, nil }
	_, err := e.Run(context.Background(), CreateOptions{Image: "fresh"}, RunOptions{Detach: true})
	if !errors.Is(err, errdefs.ErrPermission) || mon.spawned != 0 || g.held != 0 {
		t.Errorf("run: %v, %d monitors spawned, %d holds left", err, mon.spawned, g.held)
	}
}
