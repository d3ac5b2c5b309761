//go:build e2e

package e2e

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestNetDefaultSubnetConfig: hutch.yaml's network.default-subnet sets the
// default network's subnet; a malformed one is refused naming the file's
// key.
func TestNetDefaultSubnetConfig(t *testing.T) {
	t.Parallel()
	e := newConfigEnv(t, true)
	e.load(t)
	cfg := filepath.Join(e.cfg, "hutch.yaml")
	writeFile(t, cfg, []byte("network:\n  default-subnet: 10.77.0.0/24\n"), 0o644)
	addr := e.ok(t, "run", "--rm", imageName, "ip", "-4", "-o", "addr", "show", "eth0")
	if !strings.Contains(addr, " 10.77.0.") {
		t.Errorf("the container's address is not in the configured 10.77.0.0/24:\n%s", addr)
	}
	if got := e.ok(t, "network", "inspect", "--format", "{{range .Subnets}}{{.Subnet}}{{end}}", "hutch"); got != "10.77.0.0/24" {
		t.Errorf("network inspect hutch: subnets %q, want 10.77.0.0/24", got)
	}
	writeFile(t, cfg, []byte("network:\n  default-subnet: 10.77.0.1/24\n"), 0o644)
	wantUserError(t, e.run(t, "run", "--rm", imageName, "true"), 125, "default-subnet")
}
