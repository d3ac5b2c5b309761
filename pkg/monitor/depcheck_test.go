package monitor

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDepcheck keeps the monitor, one process per running container, free
// of the CLI and the engine, and of the heavy image and storage libraries.
func TestDepcheck(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to list dependencies: %v", err)
	}
	out, err := exec.Command(goBin, "list", "-tags", "exclude_graphdriver_btrfs,containers_image_openpgp",
		"-deps", "github.com/hutchctr/hutch/pkg/monitor").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	forbidden := []string{
		"github.com/spf13/cobra",
		"github.com/hutchctr/hutch/cmd",
		"github.com/hutchctr/hutch/pkg/engine",
		"github.com/hutchctr/hutch/pkg/image",
		"go.podman.io/storage",
		"github.com/google/go-containerregistry",
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, f := range forbidden {
			if dep == f || strings.HasPrefix(dep, f+"/") {
				t.Errorf("pkg/monitor depends on %s", dep)
			}
		}
	}
}
