package nsenter

import (
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"
)

// roleEnv makes the test binary act as a joined process instead of running
// tests (TestMain re-exec dispatch, as rootlesskit's testsuite and runc's
// integration tests do). The constructor has already run by then.
const roleEnv = "_NSENTER_TEST_ROLE"

func TestMain(m *testing.M) {
	if role := os.Getenv(roleEnv); role != "" {
		os.Exit(runRole(role))
	}
	os.Exit(m.Run())
}

// report is what the "report" role prints about itself.
type report struct {
	UID, GID     int
	Pid          int
	User, Mnt    string
	PidNS        string
	Cwd          string
	LeftoverVars []string
}

func runRole(role string) int {
	switch role {
	case "report":
		return printReport()
	case "exit42":
		return 42
	case "killself":
		_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
		time.Sleep(time.Minute)
		return 1
	case "waitsig":
		return waitSignals()
	case "sleep":
		// No handler: the Go runtime dies of SIGTERM with the default action.
		fmt.Println("ready")
		time.Sleep(time.Minute)
		return 1
	}
	fmt.Fprintf(os.Stderr, "unknown role %q\n", role)
	return 2
}

func printReport() int {
	r := report{UID: os.Getuid(), GID: os.Getgid(), Pid: os.Getpid()}
	r.User, _ = os.Readlink("/proc/self/ns/user")
	r.Mnt, _ = os.Readlink("/proc/self/ns/mnt")
	r.PidNS, _ = os.Readlink("/proc/self/ns/pid")
	r.Cwd, _ = os.Getwd()
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "_HUTCH_NSENTER") {
			r.LeftoverVars = append(r.LeftoverVars, kv)
		}
	}
	if err := json.NewEncoder(os.Stdout).Encode(r); err != nil {
		return 1
	}
	return 0
}

// waitSignals prints the name of each forwarded signal it gets; SIGTERM
// makes it exit 43.
func waitSignals() int {
	c := make(chan os.Signal, 4)
	signal.Notify(c, syscall.SIGUSR1, syscall.SIGWINCH, syscall.SIGTERM)
	fmt.Println("ready")
	for s := range c {
		if s == syscall.SIGTERM {
			return 43
		}
		fmt.Println(s.(syscall.Signal).String())
	}
	return 1
}
