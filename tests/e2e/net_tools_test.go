//go:build e2e

package e2e

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hutchctr/hutch/internal/testutil"
)

// Servers and clients of the networking tests. In containers they are
// busybox applets (Debian's busybox-static: nc without UDP, netstat,
// nslookup, ip) plus socat for UDP, copied with its shared libraries into
// the "nettools" image. On the test's side they are Go sockets, opened in
// the right namespace by netNS.do.

// Ports the container-side servers listen on.
const (
	// replyPort answers every connection with "reply-from-NAME".
	replyPort = 8080
	// peerPort answers with the container's TCP connection table
	// (busybox netstat -tn), from which the test reads the client address
	// the server saw.
	peerPort = 8081
	// udpPort (nettools only) answers each datagram with
	// "udp-from-ADDRESS", the sender's address as the server saw it.
	udpPort = 9000
)

// Images of the networking tests, besides the busybox fixture.
const (
	netToolsImage = "nettools"
	exposedImage  = "exposed"
)

// serverScript is the shell command of a server container named name:
// the reply and peer servers, plus the UDP one where socat exists.
func serverScript(name string) string {
	return fmt.Sprintf("nc -ll -p %d -e echo reply-from-%s & nc -ll -p %d -e busybox netstat -tn & "+
		"if command -v socat >/dev/null; then socat UDP4-RECVFROM:%d,fork SYSTEM:'echo udp-from-$SOCAT_PEERADDR' & fi; wait",
		replyPort, name, peerPort, udpPort)
}

// serverArgs are `run -d` arguments for a server container: --name NAME,
// extra (network flags...), the image and serverScript.
func serverArgs(name, image string, extra ...string) []string {
	args := append([]string{"--name", name}, extra...)
	return append(args, image, "sh", "-c", serverScript(name))
}

// sleeperArgs are `run -d` arguments for an idle client container.
func sleeperArgs(name string, extra ...string) []string {
	args := append([]string{"--name", name}, extra...)
	return append(args, imageName, "sleep", "1000")
}

// netToolsArchive is busybox plus socat and the shared libraries it needs,
// taken from the host (package socat, installed by make deps).
func netToolsArchive(t testing.TB) string {
	return sharedFixture(t, "nettools-docker.tar", func(t testing.TB, p string) {
		layer := hostBinaryLayer(t, "socat")
		testutil.WriteDockerArchive(t, busyboxImage(t, testutil.WithLayer(layer)), netToolsImage+":latest", p)
	})
}

// exposedArchive is busybox with EXPOSE 8080/tcp and 9000/udp, for -P.
func exposedArchive(t testing.TB) string {
	return sharedFixture(t, "exposed-docker.tar", func(t testing.TB, p string) {
		img := busyboxImage(t, testutil.WithExposedPorts(fmt.Sprintf("%d/tcp", replyPort), fmt.Sprintf("%d/udp", udpPort)))
		testutil.WriteDockerArchive(t, img, exposedImage+":latest", p)
	})
}

// lddPathRE matches the paths in ldd's output: "libc.so.6 => /lib/... (0x...)"
// and "/lib64/ld-linux-x86-64.so.2 (0x...)".
var lddPathRE = regexp.MustCompile(`(?m)(?:=>\s+|^\s*)(/\S+)\s+\(0x`)

// hostBinaryLayer returns a layer holding the host's binaries (by name, from
// PATH) under usr/bin, and their shared libraries and dynamic loader at the
// paths ldd names: Debian's loader searches /lib/x86_64-linux-gnu without a
// cache, so nothing else is needed.
func hostBinaryLayer(t testing.TB, names ...string) []byte {
	t.Helper()
	files := map[string]string{} // path in the image -> host file
	for _, name := range names {
		bin, err := exec.LookPath(name)
		if err != nil {
			t.Fatalf("%s not found (make deps installs it): %v", name, err)
		}
		files["usr/bin/"+name] = bin
		out, err := exec.Command("ldd", bin).Output()
		if err != nil {
			t.Fatalf("ldd %s: %v", bin, err)
		}
		for _, m := range lddPathRE.FindAllStringSubmatch(string(out), -1) {
			files[strings.TrimPrefix(m[1], "/")] = m[1]
		}
	}
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	var entries []testutil.Entry
	dirs := map[string]bool{}
	for _, p := range paths {
		for d := filepath.Dir(p); d != "."; d = filepath.Dir(d) {
			dirs[d+"/"] = true
		}
	}
	dirList := make([]string, 0, len(dirs))
	for d := range dirs {
		dirList = append(dirList, d)
	}
	sort.Strings(dirList)
	for _, d := range dirList {
		entries = append(entries, testutil.Entry{Name: d})
	}
	for _, p := range paths {
		body, err := os.ReadFile(files[p])
		if err != nil {
			t.Fatal(err)
		}
		entries = append(entries, testutil.Entry{Name: p, Mode: 0o755, Body: body})
	}
	return testutil.MustTar(entries...)
}

// readAll reads from conn until EOF or the deadline.
func readAll(conn net.Conn, timeout time.Duration) (string, error) {
	conn.SetDeadline(time.Now().Add(timeout))
	b, err := io.ReadAll(conn)
	return string(b), err
}

// tcpAsk connects to addr from hutch's host namespace and returns what the
// server sent before closing.
func (n *netEnv) tcpAsk(addr string) (got string, err error) {
	err = n.ns.do(func() error {
		var err error
		got, err = tcpAskDirect(addr)
		return err
	})
	return got, err
}

// tcpAskDirect is tcpAsk from the calling thread's namespace.
func tcpAskDirect(addr string) (string, error) {
	conn, err := net.DialTimeout("tcp", addr, 3*time.Second)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	return readAll(conn, 5*time.Second)
}

// udpAsk sends a datagram to addr from hutch's host namespace and returns
// the first answer; UDP may drop, so it tries a few times.
func (n *netEnv) udpAsk(addr string) (got string, err error) {
	err = n.ns.do(func() error {
		var err error
		got, err = udpAskDirect(addr)
		return err
	})
	return got, err
}

// udpAskDirect is udpAsk from the calling thread's namespace.
func udpAskDirect(addr string) (string, error) {
	conn, err := net.DialTimeout("udp", addr, 3*time.Second)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	var last error
	for range 5 {
		if _, err := conn.Write([]byte("ping\n")); err != nil {
			return "", err
		}
		conn.SetReadDeadline(time.Now().Add(time.Second))
		buf := make([]byte, 512)
		k, err := conn.Read(buf)
		if err == nil {
			return string(buf[:k]), nil
		}
		last = err
	}
	return "", last
}

// waitAnswer retries ask until it returns an answer containing want (the
// server may still be starting), and returns that answer.
func waitAnswer(t testing.TB, what string, timeout time.Duration, ask func() (string, error), want string) string {
	t.Helper()
	var got string
	var err error
	eventually(t, timeout, func() bool {
		got, err = ask()
		return err == nil && strings.Contains(got, want)
	}, func() string { return fmt.Sprintf("%s to answer %q; last: %q, %v", what, want, got, err) })
	return got
}

// peerFrom returns the remote address of the connection to port in a
// netstat -tn listing taken by the server (the client as the server saw
// it), without the IPv4-mapped prefix and the port.
func peerFrom(netstat string, port int) string {
	suffix := fmt.Sprintf(":%d", port)
	sc := bufio.NewScanner(strings.NewReader(netstat))
	// Earlier connections may linger in TIME_WAIT: the one asking now is
	// the established one.
	var fallback string
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 6 || !strings.HasPrefix(f[0], "tcp") || !strings.HasSuffix(f[3], suffix) {
			continue
		}
		// Unbracketed IPv6 ("::ffff:10.0.0.1:80"): the port follows the last colon.
		i := strings.LastIndexByte(f[4], ':')
		if i < 0 {
			continue
		}
		addr := strings.TrimPrefix(f[4][:i], "::ffff:")
		if f[5] == "ESTABLISHED" {
			return addr
		}
		if fallback == "" {
			fallback = addr
		}
	}
	return fallback
}

// udpPeer returns the address in a "udp-from-ADDRESS" answer.
func udpPeer(answer string) string {
	a := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(answer), "udp-from-"))
	return strings.TrimPrefix(a, "::ffff:")
}

// fromContainer runs busybox nc in container ctr against host:port and
// returns the result. nc's connect timeout is 3 s; a name that does not
// resolve may take the C library's resolver two 5-second tries per
// nameserver first.
func (n *netEnv) fromContainer(t testing.TB, ctr, host string, port int) result {
	t.Helper()
	return n.runWith(t, runOpts{Timeout: 45 * time.Second}, "exec", ctr, "nc", "-w", "3", host, fmt.Sprint(port))
}

// waitReach polls fromContainer until ctr gets "reply-from-SERVER" from
// host, and fails the test if it never does.
func (n *netEnv) waitReach(t testing.TB, ctr, host, server string) {
	t.Helper()
	want := "reply-from-" + server
	var last result
	eventually(t, 20*time.Second, func() bool {
		last = n.fromContainer(t, ctr, host, replyPort)
		return last.Code == 0 && strings.Contains(last.Stdout, want)
	}, func() string { return fmt.Sprintf("%s to reach %s at %s; last: %v", ctr, server, host, last) })
}

// wantNoReach checks that ctr cannot open a connection to host's reply
// port (a positive control elsewhere must show the server is up).
func (n *netEnv) wantNoReach(t testing.TB, ctr, host, why string) {
	t.Helper()
	r := n.fromContainer(t, ctr, host, replyPort)
	if r.Code == 0 || strings.Contains(r.Stdout, "reply-from-") {
		t.Errorf("%s reached %s, which it must not (%s): %v", ctr, host, why, r)
	}
}

// ipv4Addrs returns the container's IPv4 addresses by interface, from
// `ip -o -4 addr show` run in it (loopback left out).
func (n *netEnv) ipv4Addrs(t testing.TB, ctr string) map[string]string {
	t.Helper()
	out := n.ok(t, "exec", ctr, "ip", "-o", "-4", "addr", "show")
	addrs := map[string]string{}
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		for i := 0; i+1 < len(f); i++ {
			if f[i] == "inet" && len(f) > 1 && f[1] != "lo" {
				ip, _, _ := strings.Cut(f[i+1], "/")
				addrs[f[1]] = ip
			}
		}
	}
	return addrs
}

// ipIn returns ctr's address inside subnet (CIDR), or fails the test.
func (n *netEnv) ipIn(t testing.TB, ctr, subnet string) string {
	t.Helper()
	_, ipnet, err := net.ParseCIDR(subnet)
	if err != nil {
		t.Fatal(err)
	}
	addrs := n.ipv4Addrs(t, ctr)
	for _, a := range addrs {
		if ip := net.ParseIP(a); ip != nil && ipnet.Contains(ip) {
			return a
		}
	}
	t.Fatalf("container %s has no address in %s: %v", ctr, subnet, addrs)
	return ""
}

// freePort returns a TCP and UDP port that nothing listens on where hutch
// publishes ports (the test's namespace as root, the lane's rootless,
// where parallel tests compete: the port is free when chosen).
func (n *netEnv) freePort(t testing.TB) int {
	t.Helper()
	var port int
	err := n.ns.do(func() error {
		for range 20 {
			l, err := net.Listen("tcp4", "127.0.0.1:0")
			if err != nil {
				return err
			}
			port = l.Addr().(*net.TCPAddr).Port
			l.Close()
			u, err := net.ListenPacket("udp4", fmt.Sprintf("0.0.0.0:%d", port))
			if err == nil {
				u.Close()
				return nil
			}
		}
		return fmt.Errorf("no port free for both TCP and UDP")
	})
	if err != nil {
		t.Fatal(err)
	}
	return port
}

// freeRange returns the first of count consecutive free ports.
func (n *netEnv) freeRange(t testing.TB, count int) int {
	t.Helper()
	for range 50 {
		first := n.freePort(t)
		if first+count > 65535 {
			continue
		}
		ok := true
		err := n.ns.do(func() error {
			for p := first; p < first+count && ok; p++ {
				l, err := net.Listen("tcp4", fmt.Sprintf("0.0.0.0:%d", p))
				if err != nil {
					ok = false
					break
				}
				l.Close()
			}
			return nil
		})
		if err == nil && ok {
			return first
		}
	}
	t.Fatalf("no %d consecutive free ports", count)
	return 0
}

// outsideServer is a TCP server in a namespace that plays the world outside
// hutch's host: it answers each connection with "from ADDRESS:PORT", the
// client as it saw it.
func outsideServer(t testing.TB, ns *netNS, addr string) {
	t.Helper()
	var l net.Listener
	err := ns.do(func() error {
		var err error
		l, err = net.Listen("tcp4", addr)
		return err
	})
	if err != nil {
		t.Fatalf("outside server on %s: %v", addr, err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			fmt.Fprintf(c, "from %s\n", c.RemoteAddr())
			c.Close()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		<-done
	})
}
