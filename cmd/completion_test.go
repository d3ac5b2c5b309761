package cmd

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/cobra"
)

var update = flag.Bool("update", false, "rewrite completions/ from the current command tree")

// TestCompletionScripts keeps completions/ in sync with what
// `hutch completion SHELL` prints. Run with -update to regenerate.
func TestCompletionScripts(t *testing.T) {
	for shell, file := range map[string]string{"bash": "hutch.bash", "zsh": "_hutch", "fish": "hutch.fish"} {
		t.Run(shell, func(t *testing.T) {
			ios, _, out, errOut := testIO()
			if code := run(context.Background(), ios, []string{"completion", shell}); code != 0 {
				t.Fatalf("hutch completion %s: exit %d: %s", shell, code, errOut)
			}
			path := filepath.Join("..", "completions", file)
			if *update {
				if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run `go test ./cmd -run TestCompletionScripts -update` to create it)", err)
			}
			if !bytes.Equal(out.Bytes(), want) {
				t.Errorf("%s is out of date (run `go test ./cmd -run TestCompletionScripts -update`):\n%s",
					path, cmp.Diff(out.String(), string(want)))
			}
		})
	}
}

func TestCompleter(t *testing.T) {
	fake := &fakeEngine{names: []string{"web", "db", "old"}, runningNames: []string{"web"}, imageNames: []string{"localhost/bb:latest", "alpine"}}
	c := completer{names: use[nameLister](fake)}
	tests := []struct {
		name       string
		fn         cobra.CompletionFunc
		args       []string
		toComplete string
		want       []string
		wantDir    cobra.ShellCompDirective
	}{
		{"running", c.args(true, runningContainers), nil, "", []string{"web"}, cobra.ShellCompDirectiveNoFileComp},
		{"all, prefix", c.args(true, allContainers), nil, "o", []string{"old"}, cobra.ShellCompDirectiveNoFileComp},
		{"repeat skips given", c.args(true, allContainers), []string{"web"}, "", []string{"db", "old"}, cobra.ShellCompDirectiveNoFileComp},
		{"images", c.args(false, images), nil, "", []string{"localhost/bb:latest", "alpine"}, cobra.ShellCompDirectiveNoFileComp},
		{"files after the image", c.args(false, images), []string{"alpine"}, "", nil, cobra.ShellCompDirectiveDefault},
		{"containers and images", c.args(true, containersAndImages), []string{"web", "db", "old"}, "",
			[]string{"localhost/bb:latest", "alpine"}, cobra.ShellCompDirectiveNoFileComp},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, dir := tt.fn(&cobra.Command{}, tt.args, tt.toComplete)
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("completions mismatch (-got +want):\n%s", diff)
			}
			if dir != tt.wantDir {
				t.Errorf("directive = %v, want %v", dir, tt.wantDir)
			}
		})
	}
}

func TestCompleterEngineFailure(t *testing.T) {
	c := completer{names: errEngine[nameLister]()}
	got, dir := c.args(true, allContainers)(&cobra.Command{}, nil, "")
	if len(got) != 0 || dir != cobra.ShellCompDirectiveNoFileComp {
		t.Errorf("got %v, %v; want nothing and no files", got, dir)
	}
}

// TestFlagCompletion drives cobra's hidden __complete command through the
// whole tree: fixed-value flags complete without an engine.
func TestFlagCompletion(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"ps", "--format", ""}, "table\njson\nyaml\n:4\n"},
		{[]string{"run", "--network", ""}, "none\nhost\nbridge\ncontainer:\n:4\n"},
		{[]string{"save", "--format", ""}, "docker-archive\noci-archive\n:4\n"},
		{[]string{"inspect", "--type", ""}, "container\nimage\nall\n:4\n"},
		{[]string{"completion", ""}, "bash\nzsh\nfish\n:4\n"},
	}
	for _, tt := range tests {
		ios, _, out, _ := testIO()
		args := append([]string{cobra.ShellCompNoDescRequestCmd}, tt.args...)
		if code := run(context.Background(), ios, args); code != 0 {
			t.Errorf("%v: exit %d", tt.args, code)
		}
		if got := out.String(); got != tt.want {
			t.Errorf("%v: completions %q, want %q", tt.args, got, tt.want)
		}
	}
}
