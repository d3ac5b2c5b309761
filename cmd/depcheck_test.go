package cmd

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"slices"
	"testing"
)

const module = "github.com/hutchctr/hutch"

// goList returns `go list -deps`'s view of pkg: its direct imports and
// all its dependencies.
func goList(t *testing.T, pkg string) (imports, deps []string) {
	t.Helper()
	c := exec.Command("go", "list", "-e", "-json=ImportPath,Imports,Deps",
		"-tags", "exclude_graphdriver_btrfs,containers_image_openpgp", pkg)
	var stderr bytes.Buffer
	c.Stderr = &stderr
	out, err := c.Output()
	if err != nil {
		t.Fatalf("go list %s: %v\n%s", pkg, err, stderr.String())
	}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p struct {
			ImportPath    string
			Imports, Deps []string
		}
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("decode go list output: %v", err)
		}
		if p.ImportPath == pkg {
			return p.Imports, p.Deps
		}
	}
	t.Fatalf("go list did not describe %s", pkg)
	return nil, nil
}

// TestDeps enforces DESIGN.md's layering: cmd reaches the kernel only
// through the engine, and the monitor, a long-lived re-executed role,
// carries neither the CLI nor the engine.
func TestDeps(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Fatalf("the dependency check needs the go tool in PATH: %v", err)
	}
	imports, _ := goList(t, module+"/cmd")
	for _, banned := range []string{module + "/pkg/ns", module + "/pkg/cgroupsv2", "syscall", "golang.org/x/sys/unix"} {
		if slices.Contains(imports, banned) {
			t.Errorf("cmd imports %s; go through pkg/engine instead", banned)
		}
	}
	_, deps := goList(t, module+"/pkg/monitor")
	for _, banned := range []string{"github.com/spf13/cobra", module + "/pkg/engine", module + "/cmd"} {
		if slices.Contains(deps, banned) {
			t.Errorf("pkg/monitor depends on %s", banned)
		}
	}
}
