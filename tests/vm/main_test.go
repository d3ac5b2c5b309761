//go:build vm

package vm

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The suite's inputs travel in the environment, set by the guest's /init
// and by TestMain, so that no package-level variable is needed.
const (
	// binaryEnv names the hutch binary under test (set by /init).
	binaryEnv = "HUTCH_BINARY"
	// fixturesEnv names the directory where tests share fixture archives.
	fixturesEnv = "HUTCH_VM_FIXTURES"
	// guestMark is on the guest kernel's command line (tests/lanes/vm.sh).
	guestMark = "hutchvm=1"
)

func TestMain(m *testing.M) {
	code, err := testMain(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, "vm:", err)
		code = 1
	}
	os.Exit(code)
}

func testMain(m *testing.M) (int, error) {
	cmdline, err := os.ReadFile("/proc/cmdline")
	if err != nil {
		return 1, err
	}
	if !strings.Contains(" "+string(cmdline)+" ", " "+guestMark+" ") {
		return 1, errors.New("this suite runs only inside the VM lane's guest (make test-vm): " +
			"its root tests create cgroups and bridges on the machine they run on")
	}
	bin := os.Getenv(binaryEnv)
	if fi, err := os.Stat(bin); err != nil || fi.Mode()&0o111 == 0 {
		return 1, fmt.Errorf("%s=%q is not an executable file", binaryEnv, bin)
	}
	work, err := os.MkdirTemp("", "hutch-vm-")
	if err != nil {
		return 1, err
	}
	defer os.RemoveAll(work)
	fix := filepath.Join(work, "fixtures")
	if err := os.Mkdir(fix, 0o755); err != nil {
		return 1, err
	}
	os.Setenv(fixturesEnv, fix)
	return m.Run(), nil
}
