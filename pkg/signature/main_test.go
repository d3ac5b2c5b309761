package signature

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain checks that the tests leave no goroutine behind (the registry
// round trip starts HTTP servers and clients).
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
