package cmd

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hutchctr/hutch/pkg/engine"
	"github.com/hutchctr/hutch/pkg/errdefs"
)

func testImages() []engine.ImageSummary {
	return []engine.ImageSummary{
		{ID: "b58b9d6b0736d89f809244237eb2fda052e4f84d97733e16cff100b492e6ed86",
			RepoTags:    []string{"localhost/bb:latest", "registry:5000/team/bb:1.0"},
			RepoDigests: []string{"localhost/bb@sha256:60509c217d2a36dc0f679858155b9748b1fc41afcc857254432695088815bbdc"},
			Created:     testNow.Add(-72 * time.Hour).Unix(), Size: 1987655, Labels: map[string]string{"team": "x"}},
		{ID: "sha256:0d199a04cdd03f4f86d186a5a87519d4d4d77ac0a97ea3e2319596622845711e",
			Created: testNow.Add(-2 * time.Hour).Unix(), Size: 4890000, Dangling: true},
	}
}

func TestNewCmdImages(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    *imagesOptions
		wantErr bool
	}{
		{"defaults", nil, &imagesOptions{}, false},
		{"all flags", []string{"-a", "-q", "--no-trunc", "--digests", "-f", "dangling=true", "--filter", "before=bb", "--format", "{{.ID}}"},
			&imagesOptions{All: true, Quiet: true, NoTrunc: true, Digests: true, Filters: []string{"dangling=true", "before=bb"}, Format: "{{.ID}}"}, false},
		{"arguments", []string{"bb"}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, _, _ := testIO()
			got, err := parse(t, newImagesCmd, ios, tt.args)
			checkParse(t, got, err, tt.want, tt.wantErr)
		})
	}
}

func TestImagesRun(t *testing.T) {
	tests := []struct {
		name     string
		opts     imagesOptions
		want     string
		wantCode int
		wantErr  string
	}{
		{"default table, newest first, one row per name", imagesOptions{}, "" +
			"REPOSITORY             TAG         IMAGE ID      CREATED      SIZE\n" +
			"<none>                 <none>      0d199a04cdd0  2 hours ago  4.89 MB\n" +
			"localhost/bb           latest      b58b9d6b0736  3 days ago   1.99 MB\n" +
			"registry:5000/team/bb  1.0         b58b9d6b0736  3 days ago   1.99 MB\n", 0, ""},
		{"quiet", imagesOptions{Quiet: true}, "0d199a04cdd0\nb58b9d6b0736\n", 0, ""},
		{"quiet no-trunc", imagesOptions{Quiet: true, NoTrunc: true},
			"sha256:0d199a04cdd03f4f86d186a5a87519d4d4d77ac0a97ea3e2319596622845711e\n" +
				"sha256:b58b9d6b0736d89f809244237eb2fda052e4f84d97733e16cff100b492e6ed86\n", 0, ""},
		{"digests", imagesOptions{Digests: true}, "" +
			"REPOSITORY             TAG         DIGEST                                                                   IMAGE ID      CREATED      SIZE\n" +
			"<none>                 <none>                                                                               0d199a04cdd0  2 hours ago  4.89 MB\n" +
			"localhost/bb           latest      sha256:60509c217d2a36dc0f679858155b9748b1fc41afcc857254432695088815bbdc  b58b9d6b0736  3 days ago   1.99 MB\n" +
			"registry:5000/team/bb  1.0         sha256:60509c217d2a36dc0f679858155b9748b1fc41afcc857254432695088815bbdc  b58b9d6b0736  3 days ago   1.99 MB\n", 0, ""},
		{"template", imagesOptions{Format: "{{.Repository}}:{{.Tag}} {{.Digest}} {{.Size}}"},
			"<none>:<none>  4.89 MB\n" +
				"localhost/bb:latest sha256:60509c217d2a36dc0f679858155b9748b1fc41afcc857254432695088815bbdc 1.99 MB\n" +
				"registry:5000/team/bb:1.0 sha256:60509c217d2a36dc0f679858155b9748b1fc41afcc857254432695088815bbdc 1.99 MB\n", 0, ""},
		{"table template", imagesOptions{Format: `table {{.ID}}\t{{.Repository}}`}, "" +
			"IMAGE ID      REPOSITORY\n" +
			"0d199a04cdd0  <none>\n" +
			"b58b9d6b0736  localhost/bb\n" +
			"b58b9d6b0736  registry:5000/team/bb\n", 0, ""},
		{"json", imagesOptions{Format: "json"}, `[
    {
        "Id": "sha256:0d199a04cdd03f4f86d186a5a87519d4d4d77ac0a97ea3e2319596622845711e",
        "ParentId": "",
        "RepoTags": null,
        "RepoDigests": null,
        "Created": 1704157445,
        "CreatedAt": "",
        "Size": 4890000,
        "Labels": null,
        "Containers": 0,
        "Names": null,
        "Digest": "",
        "Dangling": true
    },
    {
        "Id": "b58b9d6b0736d89f809244237eb2fda052e4f84d97733e16cff100b492e6ed86",
        "ParentId": "",
        "RepoTags": [
            "localhost/bb:latest",
            "registry:5000/team/bb:1.0"
        ],
        "RepoDigests": [
            "localhost/bb@sha256:60509c217d2a36dc0f679858155b9748b1fc41afcc857254432695088815bbdc"
        ],
        "Created": 1703905445,
        "CreatedAt": "",
        "Size": 1987655,
        "Labels": {
            "team": "x"
        },
        "Containers": 0,
        "Names": null,
        "Digest": "",
        "Dangling": false
    }
]
`, 0, ""},
		{"no images", imagesOptions{Format: "json", Filters: []string{"reference=nothing"}}, "[]\n", 0, ""},
		{"engine refuses a filter", imagesOptions{Filters: []string{"until=x"}}, "", 125, "Error: until is an invalid filter\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, out, errOut := testIO()
			fake := &fakeEngine{images: testImages()}
			if len(tt.opts.Filters) > 0 {
				// Filtering is the engine's (pkg/image's): the fake
				// only shows that the filters reach it.
				fake.images = nil
				fake.errs = map[string]error{"Images all=false filters=until=x": errdefs.Errorf(errdefs.ErrInvalidArgument, "until is an invalid filter")}
			}
			opts := tt.opts
			opts.IO, opts.Engine, opts.Now = ios, use[imagesEngine](fake), func() time.Time { return testNow }
			code := reportError(errOut, nil, runImages(context.Background(), &opts))
			checkOutput(t, code, out.String(), errOut.String(), tt.wantCode, tt.want, tt.wantErr)
		})
	}
}

func TestSplitRepoTag(t *testing.T) {
	tests := []struct{ in, repo, tag string }{
		{"localhost/bb:latest", "localhost/bb", "latest"},
		{"registry:5000/bb", "registry:5000/bb", "<none>"},
		{"registry:5000/bb:1", "registry:5000/bb", "1"},
		{"bb@sha256:abc", "bb", "<none>"},
		{"bb", "bb", "<none>"},
	}
	for _, tt := range tests {
		repo, tag := splitRepoTag(tt.in)
		if diff := cmp.Diff([]string{repo, tag}, []string{tt.repo, tt.tag}); diff != "" {
			t.Errorf("splitRepoTag(%q) mismatch (-got +want):\n%s", tt.in, diff)
		}
	}
}
