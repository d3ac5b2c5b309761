//go:build e2e

package e2e

import (
	"encoding/json"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"
)

// psFixture makes a running, a created and an exited container.
func psFixture(t *testing.T) (h *hutchEnv, webID string) {
	t.Helper()
	h = newLoadedEnv(t)
	webID = h.runDetached(t, "--name", "web", "-l", "app=web", imageName, "sleep", "100")
	h.ok(t, "create", "--name", "idle", "-l", "app=db", imageName, "true")
	h.ok(t, "run", "--name", "done", imageName, "true")
	return h, webID
}

func TestPsFilters(t *testing.T) {
	t.Parallel()
	h, webID := psFixture(t)
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"running only", nil, []string{"web"}},
		{"all", []string{"-a"}, []string{"done", "idle", "web"}},
		{"name", []string{"-a", "--filter", "name=web"}, []string{"web"}},
		{"status exited", []string{"-a", "--filter", "status=exited"}, []string{"done"}},
		{"status created", []string{"-a", "--filter", "status=created"}, []string{"idle"}},
		{"status running", []string{"-a", "--filter", "status=running"}, []string{"web"}},
		{"label", []string{"-a", "--filter", "label=app=db"}, []string{"idle"}},
		{"label key", []string{"-a", "--filter", "label=app"}, []string{"idle", "web"}},
		{"id prefix", []string{"-a", "--filter", "id=" + webID[:8]}, []string{"web"}},
		{"same key ORed", []string{"-a", "--filter", "name=web", "--filter", "name=idle"}, []string{"idle", "web"}},
		{"keys ANDed", []string{"-a", "--filter", "name=web", "--filter", "label=app=db"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			args := append(append([]string{"ps"}, tt.args...), "--format", "{{.Names}}")
			got := sortedFields(h.ok(t, args...))
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("ps %v (-got +want):\n%s", tt.args, diff)
			}
		})
	}
}

func TestPsFormats(t *testing.T) {
	t.Parallel()
	h, webID := psFixture(t)
	t.Run("table", func(t *testing.T) {
		lines := strings.Split(h.ok(t, "ps"), "\n")
		if got := strings.Join(strings.Fields(lines[0]), " "); got != "CONTAINER ID IMAGE COMMAND CREATED STATUS PORTS NAMES" {
			t.Errorf("header %q", lines[0])
		}
		if len(lines) != 2 || !strings.HasPrefix(lines[1], webID[:12]) || !strings.HasSuffix(lines[1], "web") ||
			!strings.Contains(lines[1], fullImageName) || !strings.Contains(lines[1], "Up ") {
			t.Errorf("rows %q", lines[1:])
		}
	})
	t.Run("quiet", func(t *testing.T) {
		for _, tt := range []struct {
			args []string
			re   string
		}{{[]string{"-a", "-q"}, `^[0-9a-f]{12}$`}, {[]string{"-a", "-q", "--no-trunc"}, `^[0-9a-f]{64}$`}} {
			lines := strings.Split(h.ok(t, append([]string{"ps"}, tt.args...)...), "\n")
			if len(lines) != 3 {
				t.Errorf("ps %v: %q", tt.args, lines)
			}
			for _, l := range lines {
				if !regexp.MustCompile(tt.re).MatchString(l) {
					t.Errorf("ps %v: line %q", tt.args, l)
				}
			}
		}
	})
	t.Run("template", func(t *testing.T) {
		lines := strings.Split(h.ok(t, "ps", "-a", "--format", "{{.Names}} {{.Status}}"), "\n")
		sort.Strings(lines)
		if len(lines) != 3 || !strings.HasPrefix(lines[0], "done Exited (0) ") || lines[1] != "idle Created" ||
			!strings.HasPrefix(lines[2], "web Up ") {
			t.Errorf("got %q", lines)
		}
	})
	t.Run("table template", func(t *testing.T) {
		lines := strings.Split(h.ok(t, "ps", "--format", "table {{.ID}}\t{{.Image}}"), "\n")
		want := []string{"CONTAINER ID  IMAGE", webID[:12] + "  " + fullImageName}
		if diff := cmp.Diff(lines, want); diff != "" {
			t.Errorf("(-got +want):\n%s", diff)
		}
	})
	t.Run("json", func(t *testing.T) {
		var rows []map[string]any
		if err := json.Unmarshal([]byte(h.ok(t, "ps", "--format", "json")), &rows); err != nil {
			t.Fatal(err)
		}
		checkPsRow(t, rows, webID)
		if got := h.ok(t, "ps", "--filter", "name=nothing", "--format", "json"); got != "[]" {
			t.Errorf("empty json list: %q", got)
		}
	})
	t.Run("yaml", func(t *testing.T) {
		var rows []map[string]any
		if err := yaml.Unmarshal([]byte(h.ok(t, "ps", "--format", "yaml")), &rows); err != nil {
			t.Fatal(err)
		}
		checkPsRow(t, rows, webID)
	})
}

// checkPsRow checks the one running container's row, with Podman's field
// names.
func checkPsRow(t *testing.T, rows []map[string]any, webID string) {
	t.Helper()
	if len(rows) != 1 {
		t.Fatalf("got %d rows, want 1: %v", len(rows), rows)
	}
	r := rows[0]
	for _, k := range []string{"Id", "Names", "Image", "ImageID", "Command", "Created", "CreatedAt", "State", "Status",
		"Exited", "ExitCode", "StartedAt", "Labels", "Pid", "AutoRemove", "Mounts", "Networks", "Ports"} {
		if _, ok := r[k]; !ok {
			t.Errorf("row lacks Podman's field %q: %v", k, r)
		}
	}
	got := map[string]any{"Id": r["Id"], "Names": r["Names"], "Image": r["Image"], "State": r["State"], "Labels": r["Labels"]}
	want := map[string]any{"Id": webID, "Names": []any{"web"}, "Image": fullImageName, "State": "running",
		"Labels": map[string]any{"app": "web"}}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("row (-got +want):\n%s", diff)
	}
}

func TestInspect(t *testing.T) {
	t.Parallel()
	h, webID := psFixture(t)
	var docs []map[string]any
	if err := json.Unmarshal([]byte(h.ok(t, "inspect", "web")), &docs); err != nil {
		t.Fatal(err)
	}
	if len(docs) != 1 {
		t.Fatalf("inspect web: %d documents", len(docs))
	}
	d := docs[0]
	state, _ := d["State"].(map[string]any)
	config, _ := d["Config"].(map[string]any)
	got := map[string]any{"Id": d["Id"], "Name": d["Name"], "Status": state["Status"], "Running": state["Running"],
		"Labels": config["Labels"], "Cmd": config["Cmd"]}
	want := map[string]any{"Id": webID, "Name": "web", "Status": "running", "Running": true,
		"Labels": map[string]any{"app": "web"}, "Cmd": []any{"sleep", "100"}}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("inspect (-got +want):\n%s", diff)
	}
	if pid, _ := state["Pid"].(float64); !procAlive(int(pid)) {
		t.Errorf("State.Pid %v is not a live process", state["Pid"])
	}
	if env, _ := config["Env"].([]any); !containsAny(env, "PATH="+imagePath) {
		t.Errorf("Config.Env %v lacks the image's PATH", env)
	}
	// Templates name fields as Go does (.ID); Podman also accepts the JSON
	// spelling .Id, which Docker users write.
	for _, tmpl := range []string{"{{.ID}}", "{{.Id}}"} {
		if got := h.inspect(t, "web", tmpl); got != webID {
			t.Errorf("inspect --format %s: %q", tmpl, got)
		}
	}
	if got := h.ok(t, "inspect", "--format", "{{.State.Status}}", "web", "idle", "done"); got != "running\ncreated\nexited" {
		t.Errorf("inspect --format of three containers: %q", got)
	}
	for _, f := range []string{"json", "yaml"} {
		out := h.ok(t, "inspect", "--format", f, "done")
		var docs []map[string]any
		if err := yaml.Unmarshal([]byte(out), &docs); err != nil || len(docs) != 1 || docs[0]["Name"] != "done" {
			t.Errorf("inspect --format %s: %v, %q", f, err, out)
		}
	}
	wantUserError(t, h.run(t, "inspect", "no-such-thing"), 125, "no-such-thing")
	// With no container of that name, inspect falls back to images.
	if got := h.inspect(t, imageName, "{{index .RepoTags 0}}"); got != fullImageName {
		t.Errorf("inspect of an image: %q", got)
	}
}

func containsAny(list []any, want string) bool {
	for _, v := range list {
		if v == want {
			return true
		}
	}
	return false
}
