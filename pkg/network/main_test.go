package network

import (
	"fmt"
	"net/netip"
	"os"
	"testing"

	"github.com/hutchctr/hutch/internal/testutil"
)

// Test binary roles: allocEnv allocates one address and prints it (the
// multi-process IPAM test); otherwise testutil.NetTestMain re-executes the
// binary in its own network namespace, and in a user namespace for
// TestRootless.
const (
	allocEnv  = "_NETWORK_TEST_ALLOC" // "<data dir> <network> <container id>"
	netnsEnv  = "_NETWORK_TEST_NETNS"
	usernsEnv = "_NETWORK_TEST_USERNS"
)

func TestMain(m *testing.M) {
	if v := os.Getenv(allocEnv); v != "" {
		os.Exit(allocMain(v))
	}
	os.Exit(testutil.NetTestMain(m, netnsEnv, usernsEnv))
}

func allocMain(arg string) int {
	var data, name, id string
	if _, err := fmt.Sscanf(arg, "%s %s %s", &data, &name, &id); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	s, err := Open(data, Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	n, err := s.Get(name)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	got, err := s.Allocate(n, id, netip.Addr{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	for _, p := range got {
		fmt.Println(p.Addr())
	}
	return 0
}
