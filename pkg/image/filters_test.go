package image

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/hutchctr/hutch/pkg/errdefs"
)

func filterFixture() []*Image {
	day := func(n int) time.Time { return time.Date(2024, 1, n, 0, 0, 0, 0, time.UTC) }
	labelled := func(l map[string]string) *v1.ConfigFile { return &v1.ConfigFile{Config: v1.Config{Labels: l}} }
	return []*Image{
		{ID: "cccc" + hex60, Names: []string{"localhost/bb:latest", "registry:5000/team/bb:1.0"}, Created: day(3),
			Config: labelled(map[string]string{"team": "x"})},
		{ID: "bbbb" + hex60, Names: []string{"docker.io/library/alpine:3"}, Created: day(2),
			Digest: "sha256:" + hex60 + "dddd", Config: labelled(map[string]string{"team": "y", "tier": ""})},
		{ID: "aaaa" + hex60, Created: day(1), Dangling: true, Config: labelled(nil)},
	}
}

const hex60 = "000000000000000000000000000000000000000000000000000000000000"

func TestFiltersApply(t *testing.T) {
	tests := []struct {
		name    string
		filters []string
		want    []string // ID prefixes
		wantErr error
	}{
		{"none", nil, []string{"cccc", "bbbb", "aaaa"}, nil},
		{"dangling", []string{"dangling=true"}, []string{"aaaa"}, nil},
		{"not dangling", []string{"dangling=false"}, []string{"cccc", "bbbb"}, nil},
		{"reference short", []string{"reference=bb"}, []string{"cccc"}, nil},
		{"reference glob with tag", []string{"reference=localhost/*:latest"}, []string{"cccc"}, nil},
		{"reference short with tag", []string{"reference=alpine:3"}, []string{"bbbb"}, nil},
		{"reference full", []string{"reference=registry:5000/team/bb:1.0"}, []string{"cccc"}, nil},
		{"references are ORed", []string{"reference=alpine", "reference=bb"}, []string{"cccc", "bbbb"}, nil},
		{"reference no match", []string{"reference=nothing"}, nil, nil},
		{"id prefix", []string{"id=sha256:bbb"}, []string{"bbbb"}, nil},
		{"before", []string{"before=bb"}, []string{"bbbb", "aaaa"}, nil},
		{"since", []string{"since=alpine:3"}, []string{"cccc"}, nil},
		{"since by ID", []string{"since=aaaa"}, []string{"cccc", "bbbb"}, nil},
		{"before and since", []string{"before=bb", "since=aaaa"}, []string{"bbbb"}, nil},
		{"label key", []string{"label=tier"}, []string{"bbbb"}, nil},
		{"label value", []string{"label=team=x"}, []string{"cccc"}, nil},
		{"labels are ANDed", []string{"label=team", "label=tier"}, []string{"bbbb"}, nil},
		{"keys are ANDed", []string{"label=team", "dangling=false", "before=bb"}, []string{"bbbb"}, nil},
		{"unknown before image", []string{"before=nope"}, nil, errdefs.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := ParseFilters(tt.filters)
			if err != nil {
				t.Fatal(err)
			}
			imgs, err := f.Apply(filterFixture())
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error %v, want %v", err, tt.wantErr)
			}
			var got []string
			for _, img := range imgs {
				got = append(got, img.ID[:4])
			}
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("(-got +want):\n%s", diff)
			}
		})
	}
}

func TestParseFiltersErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"dangling", `filter "dangling": want KEY=VALUE`},
		{"dangling=", `filter "dangling=": want KEY=VALUE`},
		{"dangling=maybe", `invalid dangling filter "maybe": use true or false`},
		{"reference=[", `invalid reference filter "[": syntax error in pattern`},
		{"until=1h", "until is an invalid filter (use dangling, reference, id, before, since, label)"},
	}
	for _, tt := range tests {
		_, err := ParseFilters([]string{tt.in})
		if !errors.Is(err, errdefs.ErrInvalidArgument) {
			t.Errorf("%s: error %v, want ErrInvalidArgument", tt.in, err)
			continue
		}
		if diff := cmp.Diff(err.Error(), tt.want); diff != "" {
			t.Errorf("%s: (-got +want):\n%s", tt.in, diff)
		}
	}
}
