package network

import (
	"bufio"
	"fmt"
	"net"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hutchctr/hutch/internal/testutil"
	"github.com/hutchctr/hutch/pkg/bridge"
)

func requireNet(t *testing.T) {
	t.Helper()
	testutil.Requires(t, testutil.Root(), testutil.Busybox())
}

// newInit starts a process in a new network namespace, a stand-in for a
// container's init waiting for its network, and returns its pid. It is
// killed at the end of the test.
func newInit(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("/bin/sleep", "infinity")
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start a process in a new network namespace: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	return cmd.Process.Pid
}

// newNetNS returns the path of a new network namespace with lo up.
func newNetNS(t *testing.T) string {
	t.Helper()
	path := containerNS(newInit(t))
	mustNS(t, path, "ip", "link", "set", "lo", "up")
	return path
}

func inNS(ns string, args ...string) (string, error) {
	return testutil.InNetNS(ns, 10*time.Second, args...)
}

func mustNS(t *testing.T, ns string, args ...string) string {
	t.Helper()
	out, err := inNS(ns, args...)
	if err != nil {
		t.Fatalf("%s in %s: %v: %s", strings.Join(args, " "), ns, err, out)
	}
	return out
}

func ping(ns, ip string) error { return testutil.Ping(ns, ip) }

func wantPing(t *testing.T, from, who, ip string) {
	t.Helper()
	if err := ping(from, ip); err != nil {
		t.Errorf("%s cannot reach %s: %v", who, ip, err)
	}
}

func wantNoPing(t *testing.T, from, who, ip string) {
	t.Helper()
	if ping(from, ip) == nil {
		t.Errorf("%s reaches %s, want no connectivity", who, ip)
	}
}

func openNS(t *testing.T, path string) *bridge.Namespace {
	t.Helper()
	n, err := bridge.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	return n
}

// listen runs fn's listener in the namespace; it answers each TCP
// connection with "pong" and is closed at the end of the test.
func listen(t *testing.T, ns, addr string) net.Listener {
	t.Helper()
	var l net.Listener
	err := openNS(t, ns).Do(func() (err error) {
		l, err = net.Listen("tcp4", addr)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			fmt.Fprintln(c, "pong")
			c.Close()
		}
	}()
	return l
}

// dial connects from the namespace and expects "pong".
func dial(t *testing.T, ns, addr string) error {
	t.Helper()
	return openNS(t, ns).Do(func() error {
		c, err := net.DialTimeout("tcp4", addr, 2*time.Second)
		if err != nil {
			return err
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(2 * time.Second))
		line, err := bufio.NewReader(c).ReadString('\n')
		if err != nil || line != "pong\n" {
			return fmt.Errorf("answer %q, %v", line, err)
		}
		return nil
	})
}
