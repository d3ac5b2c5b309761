package monitor

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/hutchctr/hutch/pkg/errdefs"
)

// Config describes the container a monitor runs.
type Config struct {
	// ID is the container's ID. Required.
	ID string `json:"id"`
	// DataDir and RunDir are hutch's data and run roots, as given to
	// state.Open. Required.
	DataDir string `json:"dataDir"`
	RunDir  string `json:"runDir"`
	// SpecPath is the complete runtime-spec document written by the engine
	// (ns.Config.Spec). Required.
	SpecPath string `json:"specPath"`
	// Stdin keeps the container's stdin open and forwards attach clients'
	// input to it (-i). Without it the container's stdin is /dev/null.
	Stdin bool `json:"stdin,omitempty"`
	// CleanupArgs is the command run after the container exited and its
	// state was recorded, e.g. [/proc/self/exe --root R --runroot RR
	// container cleanup ID]: it unmounts the rootfs and applies --rm. The
	// monitor waits for it (cleanupTimeout at most) before it sends the exit
	// code to attach clients. Empty: no cleanup.
	CleanupArgs []string `json:"cleanupArgs,omitempty"`
	// Rows and Cols are the pty's initial size (the caller's terminal, see
	// TerminalSize), set before the container's process starts; 0 leaves
	// the kernel's default. Attach clients resize it later.
	Rows uint16 `json:"rows,omitempty"`
	Cols uint16 `json:"cols,omitempty"`
	// NetworkPlan is the path of the container's network plan
	// (network.WritePlan); the monitor wires the container before it
	// execs and unwires it when it exits. Empty: no networks.
	NetworkPlan string `json:"networkPlan,omitempty"`
	// Rootless is set when hutch runs unprivileged (inside the holder).
	Rootless bool `json:"rootless,omitempty"`
	// LogLevel is hutch's --log-level for the monitor's own diagnostics
	// (monitor.log in the container's directory): debug, info, warn, error.
	LogLevel string `json:"logLevel,omitempty"`
	// CgroupManager is hutch.yaml's cgroup-manager: cgroupfs, systemd, or
	// "" to use systemd when it is PID 1.
	CgroupManager string `json:"cgroupManager,omitempty"`

	// env is added to the monitor's environment; tests select a fake
	// runtime with it.
	env []string
}

func (c Config) validate() error {
	for _, f := range []struct{ name, v string }{
		{"ID", c.ID}, {"DataDir", c.DataDir}, {"RunDir", c.RunDir}, {"SpecPath", c.SpecPath},
	} {
		if f.v == "" {
			return fmt.Errorf("monitor config: %s is required: %w", f.name, errdefs.ErrInvalidArgument)
		}
	}
	return nil
}

// The monitor learns its configuration from the environment of the
// re-executed process, and which extra descriptors it was given.
const (
	roleEnv = "_HUTCH_ROLE"
	// configEnv was the launch document's variable; it is still dropped
	// from children's environments.
	configEnv = "_HUTCH_MONITOR"
	// reportFD is the pipe on which the monitor tells Launch how the start
	// went; configFD the pipe it reads its launch document from (the
	// monitor starts before the caller knows it: see Spawn); attachFD the
	// optional first attach client.
	reportFD = 3
	configFD = 4
	attachFD = 5
)

// launchDoc is what configEnv carries.
type launchDoc struct {
	Config
	// Attach says fd attachFD is an attach client.
	Attach bool `json:"attach,omitempty"`
}

// withoutRoleEnv drops the variables that would make a child of hutch
// (the cleanup command, the container's init) act as a monitor.
func withoutRoleEnv(env []string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		if strings.HasPrefix(kv, roleEnv+"=") || strings.HasPrefix(kv, configEnv+"=") {
			continue
		}
		out = append(out, kv)
	}
	return out
}

// readLaunchDoc reads the monitor's configuration from configFD (until
// EOF) and removes the role from the environment, so the monitor's children
// do not inherit it. ok is false when the caller closed the pipe without a
// document (Pending.Abort).
func readLaunchDoc() (doc launchDoc, ok bool, err error) {
	os.Unsetenv(roleEnv)
	f := os.NewFile(configFD, "config")
	defer f.Close()
	raw, err := io.ReadAll(io.LimitReader(f, 1<<20))
	if err != nil {
		return doc, false, fmt.Errorf("read the monitor's configuration: %w", err)
	}
	if len(raw) == 0 {
		return doc, false, nil
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return doc, false, fmt.Errorf("monitor configuration: %w", err)
	}
	return doc, true, doc.validate()
}
