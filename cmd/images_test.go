package cmd

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hutchctr/hutch/pkg/engine"
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
		{"all flags", []string{"-a", "-q", "--no-trunc", "-f", "dangling=true", "--format", "{{.ID}}"},
			&imagesOptions{All: true, Quiet: true, NoTrunc: true, Filters: []string{"dangling=true"}, Format: "{{.ID}}"}, false},
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
		{"template", imagesOptions{Format: "{{.Repository}}:{{.Tag}} {{.Digest}} {{.Size}}", Filters: []string{"dangling=false"}},
			"localhost/bb:latest sha256:60509c217d2a36dc0f679858155b9748b1fc41afcc857254432695088815bbdc 1.99 MB\n" +
				"registry:5000/team/bb:1.0 sha256:60509c217d2a36dc0f679858155b9748b1fc41afcc857254432695088815bbdc 1.99 MB\n", 0, ""},
		{"table template", imagesOptions{Format: `table {{.ID}}\t{{.Repository}}`, Filters: []string{"reference=bb"}}, "" +
			"IMAGE ID      REPOSITORY\n" +
			"b58b9d6b0736  localhost/bb\n" +
			"b58b9d6b0736  registry:5000/team/bb\n", 0, ""},
		{"label filter", imagesOptions{Quiet: true, Filters: []string{"label=team=x"}}, "b58b9d6b0736\n", 0, ""},
		{"reference glob", imagesOptions{Quiet: true, Filters: []string{"reference=localhost/*:latest"}}, "b58b9d6b0736\n", 0, ""},
		{"no match", imagesOptions{Format: "json", Filters: []string{"reference=nothing"}}, "[]\n", 0, ""},
		{"json", imagesOptions{Format: "json", Filters: []string{"dangling=true"}}, `[
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
        "Dangling": true
    }
]
`, 0, ""},
		{"bad filter", imagesOptions{Filters: []string{"since=x"}}, "", 125, "Error: since is an invalid filter: invalid argument\n"},
		{"bad dangling", imagesOptions{Filters: []string{"dangling=maybe"}}, "", 125,
			"Error: invalid dangling filter \"maybe\": use true or false: invalid argument\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, out, errOut := testIO()
			fake := &fakeEngine{images: testImages()}
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
