package slirp

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// The RPC helper is a hutch command joined into the holder that stays up
// and does what the test asks, one JSON request per stdin line, one JSON
// reply per stdout line: it plays the monitor (publishing ports, building a
// container's network namespace wired to N by a veth) and a client in N.
const (
	helperRPC      = "_SLIRP_TEST_RPC"
	helperLoopback = "_SLIRP_TEST_LOOPBACK"
	// helperServe makes the test binary a server reporting the client's
	// address: "tcp:PORT,udp:PORT".
	helperServe = "_SLIRP_TEST_SERVE"
)

type rpcRequest struct {
	Op string
	// dial (from N), listen (in the helper's own, host, namespace)
	Addr, Proto string
	// ctr: a container network namespace running Argv with Env, wired to
	// N by a veth named Veth; N's end gets HostCIDR, the container's eth0
	// CtrCIDR.
	Argv, Env               []string
	Veth, HostCIDR, CtrCIDR string
	MTU                     int // of the veth; 0: the kernel's 1500
	// add, remove, reclaim
	ContainerID string
	Specs       []PortSpec
	IDs         []int
	Dead        []string
}

type rpcReply struct {
	Err       string `json:",omitempty"`
	NetNSPath string `json:",omitempty"`
	// netinfo: N as `ip -j` shows it, and its ip_forward
	Addrs, Routes string `json:",omitempty"`
	IPForward     string `json:",omitempty"`
	NetNS         string `json:",omitempty"` // the helper's own network namespace
	Data          string `json:",omitempty"`
	PID           int    `json:",omitempty"`
	IDs           []int  `json:",omitempty"`
	Reclaimed     []string
}

func rpcMain() int {
	o := Options{RunDir: os.Getenv(helperRunDir), Version: os.Getenv(helperVer),
		AllowHostLoopback: os.Getenv(helperLoopback) == "1"}
	if err := EnsureJoined(context.Background(), o); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 125
	}
	in := bufio.NewScanner(os.Stdin)
	out := json.NewEncoder(os.Stdout)
	var keep []io.Closer // listeners of "listen", alive until exit
	for in.Scan() {
		var req rpcRequest
		if err := json.Unmarshal(in.Bytes(), &req); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		rep, c := serveRPC(o.RunDir, req)
		if c != nil {
			keep = append(keep, c)
		}
		if err := out.Encode(rep); err != nil {
			return 1
		}
	}
	for _, c := range keep {
		c.Close()
	}
	return 0
}

func serveRPC(runDir string, req rpcRequest) (rpcReply, io.Closer) {
	var rep rpcReply
	var err error
	var c io.Closer
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	switch req.Op {
	case "netinfo":
		rep, err = netInfo(runDir)
	case "dial":
		rep.Data, err = dialInN(runDir, req.Addr)
	case "ctr":
		rep.PID, err = startContainer(runDir, req)
	case "execN":
		rep.Data, err = execInN(runDir, req.Argv)
	case "listen":
		c, err = net.Listen(req.Proto, req.Addr)
	case "add":
		rep.IDs, err = AddPorts(ctx, runDir, req.ContainerID, req.Specs)
	case "remove":
		err = RemovePorts(ctx, runDir, req.ContainerID, req.IDs)
	case "reclaim":
		rep.Reclaimed, err = ReclaimPorts(ctx, runDir, func(id string) bool {
			return !strings.Contains(","+strings.Join(req.Dead, ",")+",", ","+id+",")
		})
	default:
		err = fmt.Errorf("unknown op %q", req.Op)
	}
	if err != nil {
		rep.Err = err.Error()
	}
	return rep, c
}

func netInfo(runDir string) (rpcReply, error) {
	var rep rpcReply
	var err error
	if rep.NetNSPath, err = NetNSPath(runDir); err != nil {
		return rep, err
	}
	rep.NetNS, _ = os.Readlink("/proc/self/ns/net")
	err = inNetNS(rep.NetNSPath, func() error {
		a, err := exec.Command("ip", "-j", "addr", "show").Output()
		if err != nil {
			return err
		}
		r, err := exec.Command("ip", "-j", "route", "show").Output()
		if err != nil {
			return err
		}
		f, err := os.ReadFile("/proc/sys/net/ipv4/ip_forward")
		rep.Addrs, rep.Routes, rep.IPForward = string(a), string(r), strings.TrimSpace(string(f))
		return err
	})
	return rep, err
}

// dialInN connects to addr over TCP from N and returns the first line the
// server sends.
func dialInN(runDir, addr string) (string, error) {
	path, err := NetNSPath(runDir)
	if err != nil {
		return "", err
	}
	var conn net.Conn
	err = inNetNS(path, func() error {
		// The socket belongs to N from its creation on.
		conn, err = net.DialTimeout("tcp", addr, 2*time.Second)
		return err
	})
	if err != nil {
		return "", err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(2 * time.Second))
	return bufio.NewReader(conn).ReadString('\n')
}

// startContainer runs req.Argv in a new network namespace C, connected to
// N by a veth pair, as pkg/bridge will connect containers (without the
// bridge). It returns the process id.
func startContainer(runDir string, req rpcRequest) (int, error) {
	path, err := NetNSPath(runDir)
	if err != nil {
		return 0, err
	}
	cmd := exec.Command(req.Argv[0], req.Argv[1:]...)
	cmd.Env = append(os.Environ(), req.Env...)
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET, Pdeathsig: syscall.SIGKILL}
	// Pdeathsig fires when the forking thread exits, and inNetNS retires
	// threads here: fork from a thread locked until the process ends.
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		cmd.Wait()
	}()
	if err := <-started; err != nil {
		return 0, err
	}
	pid := strconv.Itoa(cmd.Process.Pid)
	hostIP, _, _ := strings.Cut(req.HostCIDR, "/")
	mtu := "1500"
	if req.MTU > 0 {
		mtu = strconv.Itoa(req.MTU)
	}
	err = inNetNS(path, func() error {
		return runAll([][]string{
			{"ip", "link", "add", req.Veth, "mtu", mtu, "type", "veth", "peer", "name", "eth0", "mtu", mtu, "netns", pid},
			{"ip", "addr", "add", req.HostCIDR, "dev", req.Veth},
			{"ip", "link", "set", req.Veth, "up"},
		})
	})
	if err == nil {
		in := []string{"nsenter", "-t", pid, "-n"}
		err = runAll([][]string{
			append(in, "ip", "link", "set", "lo", "up"),
			append(in, "ip", "addr", "add", req.CtrCIDR, "dev", "eth0"),
			append(in, "ip", "link", "set", "eth0", "up"),
			append(in, "ip", "route", "add", "default", "via", hostIP),
		})
	}
	if err != nil {
		cmd.Process.Kill()
		return 0, err
	}
	return cmd.Process.Pid, nil
}

// execInN runs argv in N and returns its output.
func execInN(runDir string, argv []string) (string, error) {
	path, err := NetNSPath(runDir)
	if err != nil {
		return "", err
	}
	var out []byte
	err = inNetNS(path, func() error {
		out, err = exec.Command(argv[0], argv[1:]...).Output()
		return err
	})
	return string(out), err
}

func runAll(cmds [][]string) error {
	for _, c := range cmds {
		if out, err := exec.Command(c[0], c[1:]...).CombinedOutput(); err != nil {
			return fmt.Errorf("%v: %v: %s", c, err, out)
		}
	}
	return nil
}

// serveMain is a server that answers each TCP connection and each UDP
// datagram with "from <client address>\n".
func serveMain() int {
	errc := make(chan error, 2)
	for _, l := range strings.Split(os.Getenv(helperServe), ",") {
		proto, p, _ := strings.Cut(l, ":")
		switch proto {
		case "tcp":
			ln, err := net.Listen("tcp", ":"+p)
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
			go func() {
				for {
					c, err := ln.Accept()
					if err != nil {
						errc <- err
						return
					}
					fmt.Fprintf(c, "from %s\n", c.RemoteAddr())
					c.Close()
				}
			}()
		case "udp":
			pc, err := net.ListenPacket("udp", ":"+p)
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
			go func() {
				buf := make([]byte, 2048)
				for {
					_, addr, err := pc.ReadFrom(buf)
					if err != nil {
						errc <- err
						return
					}
					pc.WriteTo([]byte("from "+addr.String()+"\n"), addr)
				}
			}()
		}
	}
	fmt.Fprintln(os.Stderr, <-errc)
	return 1
}
