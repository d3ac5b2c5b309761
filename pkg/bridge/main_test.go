package bridge

import (
	"os"
	"testing"

	"github.com/hutchctr/hutch/internal/testutil"
)

// The test binary re-executes itself in its own network namespace, and
// in a user namespace for TestRootless: see testutil.NetTestMain.
const (
	netnsEnv  = "_BRIDGE_TEST_NETNS"
	usernsEnv = "_BRIDGE_TEST_USERNS"
)

func TestMain(m *testing.M) {
	os.Exit(testutil.NetTestMain(m, netnsEnv, usernsEnv))
}
