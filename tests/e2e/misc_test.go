//go:build e2e

package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestVersion(t *testing.T) {
	t.Parallel()
	h := newEnv(t)
	out := h.ok(t, "version")
	for _, want := range []string{"Version:", "Go Version:", "Git Commit:", "Built:", "OS/Arch:", "linux/amd64"} {
		if !strings.Contains(out, want) {
			t.Errorf("version output lacks %q:\n%s", want, out)
		}
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(h.ok(t, "version", "--format", "json")), &doc); err != nil {
		t.Fatalf("version --format json: %v", err)
	}
	if client, ok := doc["Client"].(map[string]any); ok {
		doc = client
	}
	if v, _ := doc["Version"].(string); v == "" {
		t.Errorf("version json has no Version: %v", doc)
	}
	h.ok(t, "completion", "bash")
	// Neither command may touch storage or start a namespace holder.
	if _, err := os.Stat(h.root); err == nil {
		t.Errorf("version or completion created %s", h.root)
	}
}

func TestInfo(t *testing.T) {
	t.Parallel()
	h := newLoadedEnv(t)
	h.ok(t, "create", "--name", "one", imageName, "true")
	var info struct {
		Host struct {
			Rootless bool
		}
		Store struct {
			GraphRoot      string
			ContainerStore struct{ Number int }
			ImageStore     struct{ Number int }
		}
	}
	if err := json.Unmarshal([]byte(h.ok(t, "info", "--format", "json")), &info); err != nil {
		t.Fatal(err)
	}
	if info.Host.Rootless != rootless() {
		t.Errorf("info says rootless %v", info.Host.Rootless)
	}
	if !strings.HasPrefix(info.Store.GraphRoot, h.root) {
		t.Errorf("graphRoot %q is not under --root %s", info.Store.GraphRoot, h.root)
	}
	if info.Store.ContainerStore.Number != 1 || info.Store.ImageStore.Number != 1 {
		t.Errorf("info counts %d containers and %d images, want 1 and 1",
			info.Store.ContainerStore.Number, info.Store.ImageStore.Number)
	}
	if got := h.ok(t, "info", "--format", "{{.Host.Rootless}}"); got != strconv.FormatBool(rootless()) {
		t.Errorf("info --format template: %q", got)
	}
	if out := h.ok(t, "info"); !strings.Contains(out, "rootless") {
		t.Errorf("info:\n%s", out)
	}
}

// completions returns the candidates of `hutch __complete ARGS` (cobra's
// protocol: one per line, then ":DIRECTIVE").
func completions(t *testing.T, h *hutchEnv, args ...string) []string {
	t.Helper()
	lines := strings.Split(h.ok(t, append([]string{"__complete"}, args...)...), "\n")
	if len(lines) == 0 || !strings.HasPrefix(lines[len(lines)-1], ":") {
		t.Fatalf("__complete %v: no directive line in %q", args, lines)
	}
	var out []string
	for _, l := range lines[:len(lines)-1] {
		name, _, _ := strings.Cut(l, "\t")
		out = append(out, name)
	}
	return out
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func TestCompletion(t *testing.T) {
	t.Parallel()
	h := newLoadedEnv(t)
	for shell, want := range map[string]string{"bash": "hutch", "zsh": "#compdef hutch", "fish": "complete -c hutch"} {
		if out := h.ok(t, "completion", shell); !strings.Contains(out, want) {
			t.Errorf("completion %s lacks %q", shell, want)
		}
	}
	wantUserError(t, h.run(t, "completion", "tcsh"), 125, "tcsh")
	h.ok(t, "create", "--name", "completeme", imageName, "true")
	h.runDetached(t, "--name", "runner", imageName, "sleep", "100")
	if got := completions(t, h, "start", ""); !contains(got, "completeme") {
		t.Errorf("start completes %v, want the created container", got)
	}
	if got := completions(t, h, "rm", "comp"); !contains(got, "completeme") {
		t.Errorf("rm comp completes %v", got)
	}
	if got := completions(t, h, "exec", ""); !contains(got, "runner") || contains(got, "completeme") {
		t.Errorf("exec completes %v, want running containers only", got)
	}
	got := completions(t, h, "rmi", "")
	if !contains(got, imageName) && !contains(got, fullImageName) {
		t.Errorf("rmi completes %v, want the image", got)
	}
	// The generated bash script, sourced in a real bash, completes live names.
	script := filepath.Join(h.dir, "hutch.bash")
	if err := os.WriteFile(script, []byte(h.ok(t, "completion", "bash")), 0o644); err != nil {
		t.Fatal(err)
	}
	bashCompletion(t, h, script)
}

// bashCompletion drives the bash script the way bash does on <TAB> for
// `hutch start comp`.
func bashCompletion(t *testing.T, h *hutchEnv, script string) {
	t.Helper()
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Fatalf("bash is needed to test the completion script: %v", err)
	}
	// The script needs the bash-completion package (make deps installs
	// it); hutch must find its --root, so a function wraps the binary.
	prog := `source /usr/share/bash-completion/bash_completion
hutch() { "$HUTCH_BIN" --root "$HUTCH_ROOT" --runroot "$HUTCH_RUNROOT" "$@"; }
source "$1"
COMP_WORDS=(hutch start comp); COMP_CWORD=2
COMP_LINE="${COMP_WORDS[*]}"; COMP_POINT=${#COMP_LINE}
__start_hutch hutch comp hutch
printf '%s\n' "${COMPREPLY[@]}"`
	cmd := exec.Command(bash, "--norc", "-c", prog, "bash", script)
	cmd.Env = append(append([]string(nil), h.env...), "HUTCH_BIN="+os.Getenv(binaryEnv),
		"HUTCH_ROOT="+h.root, "HUTCH_RUNROOT="+h.runroot)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil || !contains(strings.Fields(string(out)), "completeme") {
		t.Errorf("bash completion of `hutch start comp`: %v\nstdout:\n%s\nstderr:\n%s", err, out, stderr.String())
	}
}
