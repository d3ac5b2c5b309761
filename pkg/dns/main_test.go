package dns

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

// TestMain makes the test binary the responder when a Starter re-executes
// it (TestMain re-exec dispatch, as rootlesskit's and runc's test suites
// do): Starter.Exe defaults to /proc/self/exe, which is this binary, and
// the nsenter constructor linked through pkg/ns/nsenter has already joined
// the network namespace by then.
func TestMain(m *testing.M) {
	if os.Getenv(roleEnv) == roleName {
		os.Exit(Main())
	}
	goleak.VerifyTestMain(m) // every goroutine the package starts must end
}
