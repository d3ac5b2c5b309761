package bridge

import (
	"bufio"
	"fmt"
	"net"
	"net/netip"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hutchctr/hutch/internal/testutil"
)

// newNetNS starts a process in a new network namespace (a stand-in for a
// container's init, or for the namespace holder) with lo up, and returns
// the namespace's path. The process is killed at the end of the test.
func newNetNS(t *testing.T) string {
	t.Helper()
	cmd := exec.Command("/bin/sleep", "infinity")
	// No Pdeathsig: it would fire when the forking thread exits, and
	// Namespace.Do retires threads.
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start a process in a new network namespace: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	path := fmt.Sprintf("/proc/%d/ns/net", cmd.Process.Pid)
	n := openNS(t, path)
	lo, err := n.nl.LinkByName("lo")
	if err != nil {
		t.Fatal(err)
	}
	if err := n.nl.LinkSetUp(lo); err != nil {
		t.Fatal(err)
	}
	return path
}

func openNS(t *testing.T, path string) *Namespace {
	t.Helper()
	n, err := Open(path)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() { n.Close() })
	return n
}

// inNS runs a command in the network namespace with a timeout and
// returns its combined output.
func inNS(ns string, timeout time.Duration, args ...string) (string, error) {
	return testutil.InNetNS(ns, timeout, args...)
}

// mustNS is inNS that fails the test on error.
func mustNS(t *testing.T, ns string, args ...string) string {
	t.Helper()
	out, err := inNS(ns, 10*time.Second, args...)
	if err != nil {
		t.Fatalf("%s in %s: %v: %s", strings.Join(args, " "), ns, err, out)
	}
	return out
}

// ping sends one echo request from ns to ip (busybox ping).
func ping(ns string, ip string) error { return testutil.Ping(ns, ip) }

func wantPing(t *testing.T, from, fromName, ip string) {
	t.Helper()
	if err := ping(from, ip); err != nil {
		t.Errorf("%s cannot reach %s: %v", fromName, ip, err)
	}
}

func wantNoPing(t *testing.T, from, fromName, ip string) {
	t.Helper()
	if err := ping(from, ip); err == nil {
		t.Errorf("%s reaches %s, want no connectivity", fromName, ip)
	}
}

// serve listens on addr (proto tcp or udp) in the namespace and sends the
// address of each client on the channel; it answers each with "pong".
func serve(t *testing.T, ns *Namespace, proto, addr string) <-chan string {
	t.Helper()
	peers := make(chan string, 16)
	var closeFn func()
	err := ns.Do(func() error {
		switch proto {
		case "tcp":
			l, err := net.Listen("tcp4", addr)
			if err != nil {
				return err
			}
			closeFn = func() { l.Close() }
			go func() {
				for {
					c, err := l.Accept()
					if err != nil {
						return
					}
					peers <- c.RemoteAddr().(*net.TCPAddr).IP.String()
					fmt.Fprintln(c, "pong")
					c.Close()
				}
			}()
		case "udp":
			c, err := net.ListenPacket("udp4", addr)
			if err != nil {
				return err
			}
			closeFn = func() { c.Close() }
			go func() {
				buf := make([]byte, 64)
				for {
					_, from, err := c.ReadFrom(buf)
					if err != nil {
						return
					}
					peers <- from.(*net.UDPAddr).IP.String()
					c.WriteTo([]byte("pong\n"), from)
				}
			}()
		}
		return nil
	})
	if err != nil {
		t.Fatalf("serve %s %s: %v", proto, addr, err)
	}
	t.Cleanup(closeFn)
	return peers
}

// dial connects from the namespace to addr, sends a line and expects
// "pong" back.
func dial(ns *Namespace, proto, addr string) error {
	return ns.Do(func() error {
		c, err := net.DialTimeout(proto+"4", addr, 2*time.Second)
		if err != nil {
			return err
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(2 * time.Second))
		if _, err := fmt.Fprintln(c, "ping"); err != nil {
			return err
		}
		line, err := bufio.NewReader(c).ReadString('\n')
		if err != nil {
			return err
		}
		if line != "pong\n" {
			return fmt.Errorf("answer %q, want pong", line)
		}
		return nil
	})
}

// peer waits for the next client address a server reports.
func peer(t *testing.T, peers <-chan string) string {
	t.Helper()
	select {
	case p := <-peers:
		return p
	case <-time.After(3 * time.Second):
		t.Fatal("the server saw no client")
		return ""
	}
}

func pfx(s string) netip.Prefix { return netip.MustParsePrefix(s) }
func ip(s string) netip.Addr    { return netip.MustParseAddr(s) }
