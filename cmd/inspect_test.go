package cmd

import (
	"context"
	"testing"
	"time"

	"github.com/hutchctr/hutch/pkg/engine"
)

func TestNewCmdInspect(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    *inspectOptions
		wantErr bool
	}{
		{"default type all", []string{"a", "b"}, &inspectOptions{Refs: []string{"a", "b"}, Type: "all"}, false},
		{"type and format", []string{"--type", "image", "-f", "{{.Id}}", "bb"},
			&inspectOptions{Refs: []string{"bb"}, Type: "image", Format: "{{.Id}}"}, false},
		{"bad type", []string{"--type", "volume", "x"}, nil, true},
		{"nothing", nil, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, _, _ := testIO()
			got, err := parse(t, newInspectCmd, ios, tt.args)
			checkParse(t, got, err, tt.want, tt.wantErr)
		})
	}
}

func TestNewCmdContainerAndImageInspect(t *testing.T) {
	ios, _, _, _ := testIO()
	got, err := parse(t, newContainerInspectCmd, ios, []string{"web"})
	checkParse(t, got, err, &inspectOptions{Refs: []string{"web"}, Type: "container"}, false)
	got, err = parse(t, newImageInspectCmd, ios, []string{"--format", "json", "bb"})
	checkParse(t, got, err, &inspectOptions{Refs: []string{"bb"}, Type: "image", Format: "json"}, false)
	_, err = parse(t, newImageInspectCmd, ios, []string{"--type", "container", "bb"})
	checkParse[inspectOptions](t, nil, err, nil, true)
}

func TestInspectRun(t *testing.T) {
	created := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	web := &engine.ContainerInspect{ID: "c0ffee", Name: "web", Created: created, State: engine.InspectState{Status: "running", Running: true, Pid: 42}}
	bb := &engine.ImageInspect{ID: "b58b", RepoTags: []string{"localhost/bb:latest"}, Created: created, Size: 10}
	tests := []struct {
		name                string
		opts                inspectOptions
		wantOut, wantErrOut string
		wantCode            int
	}{
		{"template on a container and an image", inspectOptions{Refs: []string{"web", "bb"}, Type: "all", Format: "{{.ID}}"},
			"c0ffee\nb58b\n", "", 0},
		{"nested field", inspectOptions{Refs: []string{"web"}, Type: "all", Format: "{{.State.Status}} {{.State.Pid}}"}, "running 42\n", "", 0},
		{"missing after found", inspectOptions{Refs: []string{"web", "nosuch"}, Type: "all", Format: "{{.Name}}"},
			"web\n", "Error: no such object: \"nosuch\": not found\n", 125},
		{"nothing found prints an empty array", inspectOptions{Refs: []string{"nosuch"}, Type: "all"},
			"[]\n", "Error: no such object: \"nosuch\": not found\n", 125},
		{"container type does not fall back", inspectOptions{Refs: []string{"bb"}, Type: "container"},
			"[]\n", "Error: container \"bb\": not found\n", 125},
		{"image type", inspectOptions{Refs: []string{"bb"}, Type: "image", Format: "{{index .RepoTags 0}}"}, "localhost/bb:latest\n", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, out, errOut := testIO()
			fake := &fakeEngine{
				inspects:    map[string]*engine.ContainerInspect{"web": web},
				imgInspects: map[string]*engine.ImageInspect{"bb": bb},
			}
			opts := tt.opts
			opts.IO, opts.Engine = ios, use[inspectEngine](fake)
			code := reportError(errOut, nil, runInspect(context.Background(), &opts))
			checkOutput(t, code, out.String(), errOut.String(), tt.wantCode, tt.wantOut, tt.wantErrOut)
		})
	}
}

// TestInspectJSON checks the default output, a JSON array of a container
// and an image document, against testdata/inspect.json.golden.
func TestInspectJSON(t *testing.T) {
	created := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	web := &engine.ContainerInspect{
		ID: "2455260fa90bf5cd2180328cdbb296fa0f19ddb26ee6edaa25922ca5d5143895", Created: created,
		Path: "sh", Args: []string{"-c", "echo hi"}, Name: "web", Image: "b58b9d6b0736", ImageName: "localhost/bb:latest",
		State:  engine.InspectState{Status: "exited", ExitCode: 3, StartedAt: created, FinishedAt: created.Add(time.Second)},
		Mounts: []engine.InspectMount{{Type: "bind", Source: "/srv", Destination: "/data", Options: []string{"rbind"}, RW: true}},
		Config: engine.InspectConfig{Hostname: "2455260fa90b", Env: []string{"PATH=/bin"}, Cmd: []string{"sh", "-c", "echo hi"},
			Labels: map[string]string{"a": "b"}, StopSignal: "SIGTERM", StopTimeout: 10},
		HostConfig: engine.InspectHostConfig{NetworkMode: "none", AutoRemove: true},
	}
	bb := &engine.ImageInspect{ID: "b58b9d6b0736d89f809244237eb2fda052e4f84d97733e16cff100b492e6ed86",
		RepoTags: []string{"localhost/bb:latest"}, Created: created, Architecture: "amd64", Os: "linux", Size: 1987655,
		Config: engine.ImageConfig{Cmd: []string{"sh"}},
		RootFS: engine.ImageRootFS{Type: "layers", Layers: []string{"sha256:0d199a04cdd03f4f86d186a5a87519d4d4d77ac0a97ea3e2319596622845711e"}}}
	ios, _, out, errOut := testIO()
	fake := &fakeEngine{
		inspects:    map[string]*engine.ContainerInspect{"web": web},
		imgInspects: map[string]*engine.ImageInspect{"bb": bb},
	}
	opts := &inspectOptions{IO: ios, Engine: use[inspectEngine](fake), Refs: []string{"web", "bb"}, Type: "all"}
	code := reportError(errOut, nil, runInspect(context.Background(), opts))
	checkOutput(t, code, "", errOut.String(), 0, "", "")
	golden(t, "inspect.json", out.Bytes())
}

func TestInspectEngineErrorIsNotMasked(t *testing.T) {
	ios, _, out, errOut := testIO()
	fake := &fakeEngine{errs: map[string]error{"Inspect web": errDisk}}
	opts := &inspectOptions{IO: ios, Engine: use[inspectEngine](fake), Refs: []string{"web"}, Type: "all"}
	code := reportError(errOut, nil, runInspect(context.Background(), opts))
	checkOutput(t, code, out.String(), errOut.String(), 125, "[]\n", "Error: disk on fire\n")
}
