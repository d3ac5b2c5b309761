package cmd

import (
	"context"
	"testing"
	"time"

	"github.com/hutchctr/hutch/pkg/engine"
	"github.com/hutchctr/hutch/pkg/version"
)

func TestVersionRun(t *testing.T) {
	d := version.Details{Version: "1.2.3", GoVersion: "go1.26.8", GitCommit: "abc123", Built: 1704164645, OsArch: "linux/amd64"}
	tests := []struct {
		name   string
		format string
		built  int64
		want   string
	}{
		{"default", "", d.Built, "" +
			"Version:     1.2.3\n" +
			"Go Version:  go1.26.8\n" +
			"Git Commit:  abc123\n" +
			"Built:       Tue Jan  2 03:04:05 2024\n" +
			"OS/Arch:     linux/amd64\n"},
		{"unknown build time", "", 0, "" +
			"Version:     1.2.3\n" +
			"Go Version:  go1.26.8\n" +
			"Git Commit:  abc123\n" +
			"Built:       unknown\n" +
			"OS/Arch:     linux/amd64\n"},
		{"json", "json", d.Built, `{
    "Client": {
        "Version": "1.2.3",
        "GoVersion": "go1.26.8",
        "GitCommit": "abc123",
        "Built": 1704164645,
        "OsArch": "linux/amd64"
    }
}
`},
		{"yaml", "yaml", d.Built, "Client:\n  Version: 1.2.3\n  GoVersion: go1.26.8\n  GitCommit: abc123\n  Built: 1704164645\n  OsArch: linux/amd64\n"},
		{"template", "{{.Client.Version}}", d.Built, "1.2.3\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, out, errOut := testIO()
			dd := d
			dd.Built = tt.built
			opts := &versionOptions{IO: ios, Details: dd, Location: time.UTC, Format: tt.format}
			code := reportError(errOut, nil, runVersion(context.Background(), opts))
			checkOutput(t, code, out.String(), errOut.String(), 0, tt.want, "")
		})
	}
}

func TestInfoRun(t *testing.T) {
	info := &engine.Info{}
	info.Host.Arch, info.Host.Rootless = "amd64", true
	info.Store.GraphRoot = "/data/storage"
	tests := []struct{ format, want string }{
		{"{{.Host.Arch}} {{.Host.Rootless}} {{.Store.GraphRoot}}", "amd64 true /data/storage\n"},
		{"", "host:\n  arch: amd64\n"},
		{"json", "{\n    \"host\": {\n        \"arch\": \"amd64\",\n"},
	}
	for _, tt := range tests {
		ios, _, out, errOut := testIO()
		opts := &infoOptions{IO: ios, Engine: use[infoEngine](&fakeEngine{info: info}), Format: tt.format}
		code := reportError(errOut, nil, runInfo(context.Background(), opts))
		if code != 0 || errOut.Len() != 0 {
			t.Errorf("format %q: code %d, stderr %q", tt.format, code, errOut.String())
		}
		if got := out.String(); len(got) < len(tt.want) || got[:len(tt.want)] != tt.want {
			t.Errorf("format %q: stdout %q, want it to start with %q", tt.format, got, tt.want)
		}
	}
}
