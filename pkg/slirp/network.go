package slirp

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"syscall"

	"github.com/rootless-containers/rootlesskit/v3/pkg/messages"
	"github.com/rootless-containers/rootlesskit/v3/pkg/network"
	"github.com/rootless-containers/rootlesskit/v3/pkg/network/slirp4netns"
	"github.com/rootless-containers/rootlesskit/v3/pkg/parent"
	"github.com/rootless-containers/rootlesskit/v3/pkg/port"
	builtinport "github.com/rootless-containers/rootlesskit/v3/pkg/port/builtin"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/hutchctr/hutch/pkg/config"
	"github.com/hutchctr/hutch/pkg/errdefs"
)

// The holder's network namespace N as slirp4netns sets it up (its default
// 10.0.2.0/24 network).
const (
	// TapName is N's link to slirp4netns, N's default route.
	TapName = "tap0"
	// TapIP is N's address on TapName (prefix length 24).
	TapIP = "10.0.2.100"
	// GatewayIP is slirp4netns's router; with host loopback allowed it is
	// also the way to the host's 127.0.0.1.
	GatewayIP = "10.0.2.2"
	// DNSIP is slirp4netns's DNS forwarder to the host's resolvers.
	DNSIP = "10.0.2.3"
	// MTU is TapName's MTU: slirp4netns moves large frames cheaply, so a
	// big MTU is most of its throughput.
	MTU = 65520
)

const (
	// netnsName is N's bind mount in the instance directory. rootlesskit's
	// child makes it in M, so it exists only there; on the host the same
	// path is an empty file.
	netnsName = parent.StateFileNetNs
	// readyName is created by the pause process: rootlesskit starts it
	// only after N is configured, whereas child_pid and api.sock appear
	// before.
	readyName = "ready"
	// slirpBinary is looked up in PATH.
	slirpBinary = "slirp4netns"
	// sbinPath is added to the holder's PATH: rootlesskit runs ip, nsenter,
	// nft and sysctl by name, and users' PATHs often lack the sbin
	// directories.
	sbinPath = "/usr/sbin:/sbin"
)

// NetNSPath returns the path of the live holder's network namespace N. It
// can be opened (setns, netlink.NewHandleAt) only inside the holder's
// mount namespace M, where processes joined by EnsureJoined and the
// monitors run: the path is a bind mount that exists in M alone. The
// holder's processes other than slirp4netns stay in the host's network
// namespace, as do commands joined into U+M.
//
// It fails wrapping errdefs.ErrNotFound when no holder runs, and
// errdefs.ErrInvalidArgument when called outside M.
func NetNSPath(runDir string) (string, error) {
	inst, err := liveInstance(runDir)
	if err != nil {
		return "", err
	}
	p := filepath.Join(inst.dir, netnsName)
	var st unix.Statfs_t
	if err := unix.Statfs(p, &st); err != nil {
		return "", fmt.Errorf("holder network namespace: %w", err)
	}
	if st.Type != unix.NSFS_MAGIC {
		return "", fmt.Errorf("%s is not a network namespace in this mount namespace: open it from inside the namespace holder (slirp.EnsureJoined): %w",
			p, errdefs.ErrInvalidArgument)
	}
	return p, nil
}

// liveInstance returns the current holder for runDir if it runs. It works
// inside the holder (getuid is 0 there; the host uid comes from the
// environment) and outside.
func liveInstance(runDir string) (*instance, error) {
	uid, _, _ := config.HostIDs()
	root := holderRootPath(runDir, uid)
	inst, err := current(root)
	if errors.Is(err, errNoHolder) || errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("namespace holder in %s: %w", root, errdefs.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	if held, err := lockHeld(inst.dir); err != nil || !held {
		return nil, fmt.Errorf("namespace holder in %s: not running: %w", inst.dir, errdefs.ErrNotFound)
	}
	return inst, nil
}

// checkNetworkPrereqs fails, in words the user can act on, when the host
// lacks what the holder's network needs. It runs before a holder starts,
// so that the user does not get a dead holder's log instead.
func checkNetworkPrereqs() error {
	if _, err := exec.LookPath(slirpBinary); err != nil {
		return fmt.Errorf("rootless networking needs slirp4netns, which is not installed (apt install slirp4netns): %w", errdefs.ErrPermission)
	}
	f, err := os.OpenFile("/dev/net/tun", os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("rootless networking needs /dev/net/tun readable and writable by the user (as root: chmod 0666 /dev/net/tun): %v: %w",
			err, errdefs.ErrPermission)
	}
	return f.Close()
}

// holderDrivers makes the holder parent's network driver (slirp4netns on
// tap0, host loopback cut off unless allowed) and port driver (rootlesskit's
// builtin one, listening in the host's network namespace; its child side
// dials in N).
func holderDrivers(dir string, allowHostLoopback bool) (network.ParentDriver, port.ParentDriver, error) {
	feat, err := slirp4netns.DetectFeatures(slirpBinary)
	if err != nil {
		return nil, nil, err
	}
	// Seccomp narrows what a compromised slirp4netns can do. The sandbox
	// option would too, but slirp4netns cannot use it with a namespace
	// given by path (rootlesskit's detach-netns mode).
	seccomp := feat.SupportsEnableSeccomp && feat.KernelSupportsEnableSeccomp
	nd, err := slirp4netns.NewParentDriver(os.Stderr, slirpBinary, MTU, nil, TapName,
		!allowHostLoopback, "", false, seccomp, false)
	if err != nil {
		return nil, nil, err
	}
	// Source IP transparency: for TCP clients that are not on the host's
	// loopback, the child side dials the container from the client's
	// address (IP_TRANSPARENT, with policy routing and an nft table that
	// rootlesskit sets up in N), so servers see the real client.
	pd, err := builtinport.NewParentDriver(os.Stderr, dir, true, "auto")
	if err != nil {
		return nil, nil, err
	}
	return nd, pd, nil
}

// childNetwork is the holder child's side of the slirp4netns driver. The
// parent made tap0 and slirp4netns serves it; rootlesskit's child would
// then configure it with four runs of ip(8). This configures it over
// netlink instead (a holder starts in a few tens of milliseconds less),
// and turns on IPv4 forwarding in N, where pkg/bridge routes containers'
// traffic out through tap0.
type childNetwork struct{ network.ChildDriver }

func (c childNetwork) ChildDriverInfo() (*network.ChildDriverInfo, error) {
	return &network.ChildDriverInfo{ConfiguresInterface: true}, nil
}

func (c childNetwork) ConfigureNetworkChild(msg *messages.ParentInitNetworkDriverCompleted, netnsPath string) (string, error) {
	dev, err := c.ChildDriver.ConfigureNetworkChild(msg, netnsPath)
	if err != nil {
		return "", err
	}
	if err := inNetNS(netnsPath, func() error { return configureTap(dev, msg) }); err != nil {
		return "", fmt.Errorf("configure the holder network namespace: %w", err)
	}
	return dev, nil
}

// configureTap gives dev, in the calling thread's network namespace, the
// MTU, address and default route of msg, and enables forwarding.
func configureTap(dev string, msg *messages.ParentInitNetworkDriverCompleted) error {
	l, err := netlink.LinkByName(dev)
	if err != nil {
		return fmt.Errorf("%s: %w", dev, err)
	}
	if err := netlink.LinkSetMTU(l, msg.MTU); err != nil {
		return fmt.Errorf("%s mtu %d: %w", dev, msg.MTU, err)
	}
	addr := &netlink.Addr{IPNet: &net.IPNet{IP: net.ParseIP(msg.IP), Mask: net.CIDRMask(msg.Netmask, 32)}}
	if err := netlink.AddrAdd(l, addr); err != nil {
		return fmt.Errorf("%s address %s: %w", dev, addr, err)
	}
	if err := netlink.LinkSetUp(l); err != nil {
		return fmt.Errorf("%s up: %w", dev, err)
	}
	gw := net.ParseIP(msg.Gateway)
	if err := netlink.RouteAdd(&netlink.Route{LinkIndex: l.Attrs().Index, Gw: gw}); err != nil {
		return fmt.Errorf("default route via %s: %w", gw, err)
	}
	// /proc/sys/net is resolved against the opening thread's namespace:
	// this is N's setting, not the host's.
	if err := os.WriteFile("/proc/sys/net/ipv4/ip_forward", []byte("1\n"), 0); err != nil {
		return fmt.Errorf("enable forwarding: %w", err)
	}
	return nil
}

// inNetNS runs fn on an OS thread that joined the network namespace at
// path; sockets fn creates and processes it starts are born there.
// setns(CLONE_NEWNET) is per thread, so it works in a multithreaded Go
// process (unlike joining a user or mount namespace). Afterwards the
// thread returns to its namespace where it may. Inside the holder's user
// namespace it may not (the host's network namespace belongs to the
// initial user namespace): the thread then stays locked, and Go discards
// it (or parks it, if it is the main thread) rather than run other
// goroutines in N. rootlesskit's port driver does the same per connection.
func inNetNS(path string, fn func() error) error {
	target, err := os.Open(path)
	if err != nil {
		return err
	}
	defer target.Close()
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		home, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			errc <- err
			return
		}
		defer home.Close()
		if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("join network namespace %s: %w", path, err)
			return
		}
		err = fn()
		if unix.Setns(int(home.Fd()), unix.CLONE_NEWNET) == nil {
			runtime.UnlockOSThread()
		}
		errc <- err
	}()
	return <-errc
}

// unshareMain stands in for unshare(1). rootlesskit's child makes its
// detached network namespace by running itself (/proc/self/exe, hutch) as
// "unshare -n CMD...", to run CMD (a bind mount of the new namespace)
// in a new network namespace. It returns the exit code.
func unshareMain(args []string) int {
	if len(args) < 2 || (args[0] != "-n" && args[0] != "--net") {
		fmt.Fprintf(os.Stderr, "[hutch:holder-child] unshare: want -n COMMAND..., got %q\n", args)
		return 2
	}
	cmd := exec.Command(args[1], args[2:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	// A clone flag, not unshare in this process: Go cannot move a
	// multithreaded process, and the namespace belongs to CMD alone.
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET}
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) && ee.ExitCode() > 0 {
			return ee.ExitCode()
		}
		fmt.Fprintf(os.Stderr, "[hutch:holder-child] unshare: %v\n", err)
		return 1
	}
	return 0
}
