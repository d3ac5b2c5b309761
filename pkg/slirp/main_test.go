package slirp

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
)

// The test binary plays hutch's roles (the holder re-executes
// /proc/self/exe, which is this binary) and, with helperEnv set, a hutch
// command that calls EnsureJoined (TestMain re-exec dispatch).
const (
	helperEnv    = "_SLIRP_TEST_HELPER"
	helperRunDir = "_SLIRP_TEST_RUNDIR"
	helperVer    = "_SLIRP_TEST_VERSION"
	helperTouch  = "_SLIRP_TEST_TOUCH"
	helperNoJoin = "_SLIRP_TEST_NOJOIN"
)

func TestMain(m *testing.M) {
	switch os.Getenv(envRole) {
	case "holder":
		os.Exit(HolderMain())
	case "holder-child":
		os.Exit(HolderChildMain())
	case "pause":
		os.Exit(PauseMain())
	}
	switch {
	case os.Getenv(helperServe) != "":
		os.Exit(serveMain())
	case os.Getenv(helperRPC) != "":
		os.Exit(rpcMain())
	case os.Getenv(helperEnv) != "":
		os.Exit(helperMain())
	}
	os.Exit(m.Run())
}

// helperReport is what the helper command prints once joined.
type helperReport struct {
	UID, GID       int
	UIDMap, GIDMap string
	UserNS, MntNS  string
	Cwd            string
	Env            map[string]string
}

func helperMain() int {
	if os.Getenv(helperNoJoin) == "" {
		o := Options{RunDir: os.Getenv(helperRunDir), Version: os.Getenv(helperVer)}
		if err := EnsureJoined(context.Background(), o); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 125
		}
	}
	r := helperReport{UID: os.Getuid(), GID: os.Getgid(), Env: map[string]string{}}
	r.UIDMap = readMap("/proc/self/uid_map")
	r.GIDMap = readMap("/proc/self/gid_map")
	r.UserNS, _ = os.Readlink("/proc/self/ns/user")
	r.MntNS, _ = os.Readlink("/proc/self/ns/mnt")
	r.Cwd, _ = os.Getwd()
	for _, kv := range os.Environ() {
		if k, v, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "_CONTAINERS_") ||
			strings.HasPrefix(k, "_HUTCH_ROOTLESS") || strings.HasPrefix(k, "_HUTCH_NSENTER") {
			r.Env[k] = v
		}
	}
	if p := os.Getenv(helperTouch); p != "" {
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	if err := json.NewEncoder(os.Stdout).Encode(r); err != nil {
		return 1
	}
	return 0
}

// readMap returns an ID map with the kernel's padding squeezed out.
func readMap(path string) string {
	b, _ := os.ReadFile(path)
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		lines = append(lines, strings.Join(strings.Fields(l), " "))
	}
	return strings.Join(lines, "\n")
}
