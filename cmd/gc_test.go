package cmd

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hutchctr/hutch/pkg/engine"
)

func TestNewCmdImagePrune(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    *imagePruneOptions
		wantErr bool
	}{
		{"defaults", nil, &imagePruneOptions{}, false},
		{"all force", []string{"-af"}, &imagePruneOptions{All: true, Force: true}, false},
		{"arguments", []string{"x"}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, _, _ := testIO()
			got, err := parse(t, newImagePruneCmd, ios, tt.args)
			checkParse(t, got, err, tt.want, tt.wantErr)
		})
	}
}

func TestImagePruneRun(t *testing.T) {
	dangling := "WARNING! This command removes all dangling images.\nAre you sure you want to continue? [y/N] "
	tests := []struct {
		name                string
		opts                imagePruneOptions
		answer              string
		wantCalls           []string
		wantOut, wantErrOut string
	}{
		{"yes", imagePruneOptions{}, "y\n", []string{"PruneImages all=false"}, "aaa\nbbb\n", dangling},
		{"YES", imagePruneOptions{}, "YES\n", []string{"PruneImages all=false"}, "aaa\nbbb\n", dangling},
		{"no", imagePruneOptions{}, "n\n", nil, "", dangling},
		{"end of input is no", imagePruneOptions{}, "", nil, "", dangling},
		{"force does not ask", imagePruneOptions{Force: true, All: true}, "", []string{"PruneImages all=true"}, "aaa\nbbb\n", ""},
		{"all warns of more", imagePruneOptions{All: true}, "n\n", nil, "",
			"WARNING! This command removes all images without at least one container associated with them.\n" +
				"Are you sure you want to continue? [y/N] "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, in, out, errOut := testIO()
			in.WriteString(tt.answer)
			fake := newFake3()
			fake.prune = &engine.ImagePruneReport{ImagesDeleted: []string{"aaa", "bbb"}, SpaceReclaimed: 10}
			opts := tt.opts
			opts.IO, opts.Engine = ios, use3[imagePruneEngine](fake)
			code := reportError(errOut, nil, runImagePrune(context.Background(), &opts))
			checkOutput(t, code, out.String(), errOut.String(), 0, tt.wantOut, tt.wantErrOut)
			if diff := cmp.Diff(fake.calls, tt.wantCalls); diff != "" {
				t.Errorf("calls (-got +want):\n%s", diff)
			}
		})
	}
}

func TestSystemPruneRun(t *testing.T) {
	tests := []struct {
		name    string
		opts    systemPruneOptions
		rep     *engine.SystemPruneReport
		wantOut string
	}{
		{"both", systemPruneOptions{Force: true},
			&engine.SystemPruneReport{ContainersDeleted: []string{"c1"}, ImagesDeleted: []string{"i1", "i2"}, SpaceReclaimed: 1987655},
			"Deleted Containers\nc1\nDeleted Images\ni1\ni2\nTotal reclaimed space: 1.99 MB\n"},
		{"nothing", systemPruneOptions{Force: true, All: true}, &engine.SystemPruneReport{}, "Total reclaimed space: 0 B\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, out, errOut := testIO()
			fake := newFake3()
			fake.sprune = tt.rep
			opts := tt.opts
			opts.IO, opts.Engine = ios, use3[systemPruneEngine](fake)
			code := reportError(errOut, nil, runSystemPrune(context.Background(), &opts))
			checkOutput(t, code, out.String(), errOut.String(), 0, tt.wantOut, "")
		})
	}
	// Without -f, system prune asks, and a no does nothing.
	ios, _, out, errOut := testIO()
	fake := newFake3()
	opts := systemPruneOptions{IO: ios, Engine: use3[systemPruneEngine](fake)}
	if err := runSystemPrune(context.Background(), &opts); err != nil || len(fake.calls) != 0 || out.Len() != 0 {
		t.Errorf("unconfirmed prune: %v, calls %v, output %q", err, fake.calls, out)
	}
	want := "WARNING! This command removes:\n\t- all exited containers\n\t- all dangling images\n\t- all layers no image uses\n\n" +
		"Are you sure you want to continue? [y/N] "
	if diff := cmp.Diff(errOut.String(), want); diff != "" {
		t.Errorf("prompt (-got +want):\n%s", diff)
	}
}

func testDiskUsage() *engine.DiskUsage {
	return &engine.DiskUsage{
		Summary: []engine.DiskUsageSummary{
			{Type: "Images", Total: 2, Active: 1, Size: 4000000, Reclaimable: 1000000},
			{Type: "Containers", Total: 1, Size: 2048},
			{Type: "Local Volumes"},
		},
		Images: []engine.DiskUsageImage{
			{ID: "b58b9d6b0736d89f809244237eb2fda052e4f84d97733e16cff100b492e6ed86", Names: []string{"localhost/bb:1"},
				Created: testNow.Add(-time.Hour), Size: 3000000, SharedSize: 2000000, UniqueSize: 1000000, Containers: 1},
			{ID: "0d199a04cdd03f4f86d186a5a87519d4d4d77ac0a97ea3e2319596622845711e", Created: testNow.Add(-48 * time.Hour),
				Size: 2000000, SharedSize: 2000000},
		},
		Containers: []engine.DiskUsageContainer{
			{ID: "2455260fa90bf5cd2180328cdbb296fa0f19ddb26ee6edaa25922ca5d5143895", Name: "web", Image: "localhost/bb:1",
				Command: []string{"sh", "-c", "true"}, Created: testNow.Add(-time.Minute), Status: "Exited (0) 5 seconds ago", Size: 2048},
		},
	}
}

func TestSystemDfRun(t *testing.T) {
	tests := []struct {
		name    string
		opts    systemDfOptions
		wantOut string
	}{
		{"table", systemDfOptions{}, "" +
			"TYPE           TOTAL       ACTIVE      SIZE        RECLAIMABLE\n" +
			"Images         2           1           4 MB        1 MB (25%)\n" +
			"Containers     1           0           2.05 kB     0 B (0%)\n" +
			"Local Volumes  0           0           0 B         0 B (0%)\n"},
		{"template", systemDfOptions{Format: "{{.Type}}={{.Reclaimable}}"},
			"Images=1 MB (25%)\nContainers=0 B (0%)\nLocal Volumes=0 B (0%)\n"},
		{"verbose", systemDfOptions{Verbose: true}, "" +
			"Images space usage:\n\n" +
			"REPOSITORY    TAG         IMAGE ID      CREATED            SIZE        SHARED SIZE  UNIQUE SIZE  CONTAINERS\n" +
			"localhost/bb  1           b58b9d6b0736  About an hour ago  3 MB        2 MB         1 MB         1\n" +
			"<none>        <none>      0d199a04cdd0  2 days ago         2 MB        2 MB         0 B          0\n" +
			"\nContainers space usage:\n\n" +
			"CONTAINER ID  IMAGE           COMMAND     LOCAL VOLUMES  SIZE        CREATED             STATUS                    NAMES\n" +
			"2455260fa90b  localhost/bb:1  sh -c true  0              2.05 kB     About a minute ago  Exited (0) 5 seconds ago  web\n" +
			"\nLocal Volumes space usage:\n\nVOLUME NAME  LINKS       SIZE\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, out, errOut := testIO()
			fake := newFake3()
			fake.df = testDiskUsage()
			opts := tt.opts
			opts.IO, opts.Engine, opts.Now = ios, use3[systemDfEngine](fake), func() time.Time { return testNow }
			code := reportError(errOut, nil, runSystemDf(context.Background(), &opts))
			checkOutput(t, code, out.String(), errOut.String(), 0, tt.wantOut, "")
		})
	}
}

func TestHistoryRun(t *testing.T) {
	created := testNow.Add(-72 * time.Hour)
	steps := []engine.ImageHistoryEntry{
		{ID: "b58b9d6b0736d89f809244237eb2fda052e4f84d97733e16cff100b492e6ed86", Created: created,
			CreatedBy: `/bin/sh -c #(nop)  CMD ["sh"]`, Tags: []string{"localhost/bb:1"}},
		{ID: "<missing>", Created: created, CreatedBy: "/bin/sh -c #(nop) ADD file:6b4a14a83ba8e6b1e01bd5e7da8f0e1a in /",
			Size: 1987655, Comment: "imported"},
	}
	tests := []struct {
		name    string
		opts    historyOptions
		wantOut string
	}{
		{"table", historyOptions{Human: true}, "" +
			"ID            CREATED     CREATED BY                                     SIZE        COMMENT\n" +
			"b58b9d6b0736  3 days ago  /bin/sh -c #(nop)  CMD [\"sh\"]                  0 B         \n" +
			"<missing>     3 days ago  /bin/sh -c #(nop) ADD file:6b4a14a83ba8e6b...  1.99 MB     imported\n"},
		{"quiet", historyOptions{Quiet: true}, "b58b9d6b0736\n<missing>\n"},
		{"raw no-trunc template", historyOptions{NoTrunc: true, Format: "{{.ID}} {{.Created}} {{.Size}} {{.CreatedBy}}"}, "" +
			"b58b9d6b0736d89f809244237eb2fda052e4f84d97733e16cff100b492e6ed86 2023-12-30T03:04:05Z 0 /bin/sh -c #(nop)  CMD [\"sh\"]\n" +
			"<missing> 2023-12-30T03:04:05Z 1987655 /bin/sh -c #(nop) ADD file:6b4a14a83ba8e6b1e01bd5e7da8f0e1a in /\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, out, errOut := testIO()
			fake := newFake3()
			fake.history = steps
			opts := tt.opts
			opts.Ref = "bb"
			opts.IO, opts.Engine, opts.Now = ios, use3[historyEngine](fake), func() time.Time { return testNow }
			code := reportError(errOut, nil, runHistory(context.Background(), &opts))
			checkOutput(t, code, out.String(), errOut.String(), 0, tt.wantOut, "")
		})
	}
}

func TestTreeRun(t *testing.T) {
	ios, _, out, errOut := testIO()
	fake := newFake3()
	fake.tree = &engine.ImageTree{
		ID: "b58b9d6b0736d89f809244237eb2fda052e4f84d97733e16cff100b492e6ed86", Tags: []string{"localhost/app:1"}, Size: 2100000,
		Layers: []engine.ImageTreeLayer{
			{ID: "5b8c72934dfc08c7cd6a2c9d4c2fa1fcc27d01d1e2b5b3cf3c1cfdf1e6b1d1a2", Size: 2000000,
				TopLayerOf: []string{"docker.io/library/busybox:latest"}, SharedWith: []string{"localhost/other:2"}},
			{ID: "9e2a1b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a", Size: 100000, TopLayerOf: []string{"localhost/app:1"}},
		},
	}
	opts := treeOptions{IO: ios, Engine: use3[treeEngine](fake), Ref: "app:1"}
	code := reportError(errOut, nil, runTree(context.Background(), &opts))
	want := "Image ID: b58b9d6b0736\nTags:     [localhost/app:1]\nSize:     2.1 MB\nImage Layers\n" +
		"├── ID: 5b8c72934dfc Size: 2 MB Top Layer of: [docker.io/library/busybox:latest] Shared with: [localhost/other:2]\n" +
		"└── ID: 9e2a1b3c4d5e Size: 100 kB Top Layer of: [localhost/app:1]\n"
	checkOutput(t, code, out.String(), errOut.String(), 0, want, "")
}

func TestNewCmdTagUntag(t *testing.T) {
	ios, _, _, _ := testIO()
	tag, err := parse(t, newTagCmd, ios, []string{"bb", "localhost/x:1", "y"})
	checkParse(t, tag, err, &tagOptions{Ref: "bb", Names: []string{"localhost/x:1", "y"}}, false)
	_, err = parse(t, newTagCmd, ios, []string{"bb"})
	checkParse[tagOptions](t, nil, err, nil, true)
	untag, err := parse(t, newUntagCmd, ios, []string{"bb"})
	checkParse(t, untag, err, &untagOptions{Ref: "bb", Names: []string{}}, false)

	fake := newFake3()
	if err := runTag(context.Background(), &tagOptions{Engine: use3[tagEngine](fake), Ref: "bb", Names: []string{"a", "b"}}); err != nil {
		t.Fatal(err)
	}
	if err := runUntag(context.Background(), &untagOptions{Engine: use3[untagEngine](fake), Ref: "bb"}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(fake.calls, []string{"Tag bb a b", "Untag bb "}); diff != "" {
		t.Errorf("calls (-got +want):\n%s", diff)
	}
}
