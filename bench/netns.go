package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// netNS is a network namespace of this run, held by a sleeper process: root
// hutch and root Podman both put their default bridge on 10.88.0.0/16 and
// their firewall rules in the namespace they run in, so each engine gets
// one of its own, inside the run's namespace (nothing reaches the host).
type netNS struct {
	cmd  *exec.Cmd
	path string // /proc/PID/ns/net
}

// newNetNS starts the sleeper in a new network namespace and brings its
// loopback up.
func newNetNS(ctx context.Context) (*netNS, error) {
	self, err := os.Readlink("/proc/self/ns/net")
	if err != nil {
		return nil, fmt.Errorf("netns: %w", err)
	}
	cmd := exec.Command("unshare", "--net", "--", "sleep", "infinity")
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("netns: unshare (util-linux): %w", err)
	}
	ns := &netNS{cmd: cmd, path: fmt.Sprintf("/proc/%d/ns/net", cmd.Process.Pid)}
	// unshare has switched once the namespace differs from ours and the
	// process has become sleep.
	for deadline := time.Now().Add(10 * time.Second); ; {
		link, err := os.Readlink(ns.path)
		comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", cmd.Process.Pid))
		if err == nil && link != self && strings.TrimSpace(string(comm)) == "sleep" {
			break
		}
		if time.Now().After(deadline) {
			ns.close()
			return nil, errors.New("netns: unshare did not switch namespaces within 10 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if out, err := ns.command(ctx, "ip", "link", "set", "lo", "up").CombinedOutput(); err != nil {
		ns.close()
		return nil, fmt.Errorf("netns: loopback up: %w: %s", err, out)
	}
	return ns, nil
}

// command runs args inside the namespace (nsenter execs them: no extra
// process stays in between).
func (ns *netNS) command(ctx context.Context, args ...string) *exec.Cmd {
	return exec.CommandContext(ctx, "nsenter", append([]string{"--net=" + ns.path, "--"}, args...)...)
}

// confine makes every command of t run in the namespace.
func (ns *netNS) confine(t *tool) {
	t.global = append([]string{"--net=" + ns.path, "--", t.bin}, t.global...)
	t.bin = "nsenter"
}

// loopbackUp brings up loopback in the run's own network namespace (the
// program re-executed itself under unshare --net), for the host-loopback
// baseline and the rootless engines' published ports.
func loopbackUp() error {
	if out, err := exec.Command("ip", "link", "set", "lo", "up").CombinedOutput(); err != nil {
		return fmt.Errorf("loopback up: %w: %s", err, out)
	}
	return nil
}

func (ns *netNS) close() {
	_ = ns.cmd.Process.Kill()
	_ = ns.cmd.Wait()
}

// privateRun covers the host's /run/containers (or, where it does not
// exist, all of /run) with an empty tmpfs in this private mount namespace:
// root Podman keeps netavark's IPAM database in /run/containers/networks
// whatever its flags say, and this harness never writes host paths. It
// returns the undo.
func privateRun() (func(), error) {
	target := "/run/containers"
	if fi, err := os.Stat(target); err != nil || !fi.IsDir() {
		target = "/run"
	}
	if err := unix.Mount("tmpfs", target, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "mode=0755"); err != nil {
		return func() {}, fmt.Errorf("private %s: %w", target, err)
	}
	return func() { _ = unix.Unmount(target, unix.MNT_DETACH) }, nil
}
