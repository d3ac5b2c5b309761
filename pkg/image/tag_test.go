package image

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hutchctr/hutch/pkg/errdefs"
)

func TestTagAndUntag(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	names := mustLoad(t, s, busyboxArchive(t, "docker", "busybox:tag"))
	img, err := s.Get(ctx, names[0])
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name    string
		do      func() (any, error)
		want    any
		wantErr error
		names   []string
	}{
		{"tag with a short name", func() (any, error) { return s.Tag(ctx, img.ID, "mine") }, "localhost/mine:latest", nil,
			[]string{"docker.io/library/busybox:tag", "localhost/mine:latest"}},
		{"tag with a registry", func() (any, error) { return s.Tag(ctx, "mine", "127.0.0.1:5000/x/y:2") }, "127.0.0.1:5000/x/y:2", nil,
			[]string{"docker.io/library/busybox:tag", "localhost/mine:latest", "127.0.0.1:5000/x/y:2"}},
		{"tag with a digest", func() (any, error) { return s.Tag(ctx, "mine", "z@sha256:"+img.ID) }, "", errdefs.ErrInvalidArgument, nil},
		{"tag an unknown image", func() (any, error) { return s.Tag(ctx, "nope", "z") }, "", errdefs.ErrNotFound, nil},
		{"untag by short name", func() (any, error) { return s.Untag(ctx, img.ID, "mine") }, []string{"localhost/mine:latest"}, nil,
			[]string{"docker.io/library/busybox:tag", "127.0.0.1:5000/x/y:2"}},
		{"untag a name it lacks", func() (any, error) { return s.Untag(ctx, img.ID, "other:1") }, []string(nil), errdefs.ErrNotFound, nil},
		{"untag all", func() (any, error) { return s.Untag(ctx, img.ID, "") },
			[]string{"docker.io/library/busybox:tag", "127.0.0.1:5000/x/y:2"}, nil, []string{}},
		{"untag a dangling image", func() (any, error) { return s.Untag(ctx, img.ID, "") }, []string(nil), nil, []string{}},
	}
	for _, st := range steps {
		got, err := st.do()
		if st.wantErr != nil {
			if !errors.Is(err, st.wantErr) {
				t.Errorf("%s: error %v, want %v", st.name, err, st.wantErr)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if diff := cmp.Diff(got, st.want, sortStrings()); diff != "" {
			t.Errorf("%s: result (-got +want):\n%s", st.name, diff)
		}
		now, err := s.Get(ctx, img.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(now.Names, st.names, sortStrings(), cmpEmpty()); diff != "" {
			t.Errorf("%s: names (-got +want):\n%s", st.name, diff)
		}
	}
	if _, err := s.Get(ctx, img.ID); err != nil {
		t.Errorf("the untagged image is gone: %v", err)
	}
}
