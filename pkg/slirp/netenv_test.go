package slirp

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// netEnv is a testEnv whose commands, and so the holder's parent and
// slirp4netns, run in a private network namespace P that the test made:
// its loopback stands for the host's, and slirp4netns has no route out of
// it, so nothing the tests do reaches beyond the machine's namespaces.
type netEnv struct {
	*testEnv
	p *os.File // P
}

func newNetEnv(t testing.TB) *netEnv {
	t.Helper()
	e := &netEnv{testEnv: newTestEnv(t)}
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		home, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			errc <- err
			return
		}
		defer home.Close()
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("unshare network namespace: %w", err)
			return
		}
		if e.p, err = os.Open("/proc/thread-self/ns/net"); err != nil {
			errc <- err
			return
		}
		if out, err := exec.Command("ip", "link", "set", "lo", "up").CombinedOutput(); err != nil {
			errc <- fmt.Errorf("loopback up: %v: %s", err, out)
			return
		}
		if err := unix.Setns(int(home.Fd()), unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("return from P: %w", err) // thread left locked: discarded
			return
		}
		runtime.UnlockOSThread()
		errc <- nil
	}()
	must(t, <-errc)
	t.Cleanup(func() { e.p.Close() })
	return e
}

// inP runs fn on a thread in P; sockets fn creates and processes it starts
// belong to P. The thread returns to the host namespace afterwards (so
// that it lives on, and with it the Pdeathsig of the processes it started).
func (e *netEnv) inP(t testing.TB, fn func() error) error {
	t.Helper()
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		host, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			errc <- err
			return
		}
		defer host.Close()
		if err := unix.Setns(int(e.p.Fd()), unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("join P: %w", err)
			return
		}
		ferr := fn()
		if err := unix.Setns(int(host.Fd()), unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("return from P: %w", err) // thread discarded, still locked
			return
		}
		runtime.UnlockOSThread()
		errc <- ferr
	}()
	return <-errc
}

// rpcClient drives one RPC helper.
type rpcClient struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Scanner
}

// rpc starts an RPC helper in P as the test user, joined into the holder
// made with allowLoopback.
func (e *netEnv) rpc(t testing.TB, allowLoopback bool) *rpcClient {
	t.Helper()
	env := []string{helperRPC + "=1"}
	if allowLoopback {
		env = append(env, helperLoopback+"=1")
	}
	cmd := e.command("v1", env...)
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	must(t, err)
	out, err := cmd.StdoutPipe()
	must(t, err)
	must(t, e.inP(t, cmd.Start))
	c := &rpcClient{cmd: cmd, in: in, out: bufio.NewScanner(out)}
	t.Cleanup(c.kill)
	return c
}

func (c *rpcClient) call(t testing.TB, req rpcRequest) rpcReply {
	t.Helper()
	b, err := json.Marshal(req)
	must(t, err)
	if _, err := c.in.Write(append(b, '\n')); err != nil {
		t.Fatalf("rpc %s: %v", req.Op, err)
	}
	if !c.out.Scan() {
		t.Fatalf("rpc %s: helper exited: %v", req.Op, c.out.Err())
	}
	var rep rpcReply
	must(t, json.Unmarshal(c.out.Bytes(), &rep))
	return rep
}

// mustCall is call that fails the test on an error reply.
func (c *rpcClient) mustCall(t testing.TB, req rpcRequest) rpcReply {
	t.Helper()
	rep := c.call(t, req)
	if rep.Err != "" {
		t.Fatalf("rpc %s: %s", req.Op, rep.Err)
	}
	return rep
}

// kill SIGKILLs the helper, as a monitor may be killed.
func (c *rpcClient) kill() {
	if c.cmd.ProcessState == nil {
		c.cmd.Process.Kill()
		c.cmd.Wait()
	}
}

// readFrom connects from P to addr (proto tcp or udp), from local address
// laddr if set, and returns the first line the server sends (for udp,
// after sending one datagram).
func (e *netEnv) readFrom(t testing.TB, proto, laddr, addr string) (string, error) {
	t.Helper()
	var conn net.Conn
	err := e.inP(t, func() error {
		d := net.Dialer{Timeout: 2 * time.Second}
		if laddr != "" {
			var err error
			if d.LocalAddr, err = resolve(proto, laddr); err != nil {
				return err
			}
		}
		var err error
		conn, err = d.Dial(proto, addr)
		return err
	})
	if err != nil {
		return "", err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(3 * time.Second))
	if proto == "udp" {
		if _, err := conn.Write([]byte("ping\n")); err != nil {
			return "", err
		}
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	return strings.TrimSpace(line), err
}

func resolve(proto, addr string) (net.Addr, error) {
	if proto == "udp" {
		return net.ResolveUDPAddr(proto, addr)
	}
	return net.ResolveTCPAddr(proto, addr)
}

// freePort returns a port that is free in P for proto.
func (e *netEnv) freePort(t testing.TB) int {
	t.Helper()
	var port int
	must(t, e.inP(t, func() error {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		port = l.Addr().(*net.TCPAddr).Port
		return l.Close()
	}))
	return port
}

// netnsOf returns the network namespace of pid.
func netnsOf(pid int) string {
	s, _ := os.Readlink(fmt.Sprintf("/proc/%d/ns/net", pid))
	return s
}

// ipInP runs ip with args in P.
func (e *netEnv) ipInP(t testing.TB, args ...string) {
	t.Helper()
	must(t, e.inP(t, func() error {
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			return fmt.Errorf("ip %v: %v: %s", args, err, out)
		}
		return nil
	}))
}
