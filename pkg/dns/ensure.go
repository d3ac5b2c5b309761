package dns

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/gofrs/flock"
	"golang.org/x/sys/unix"

	"github.com/hutchctr/hutch/pkg/errdefs"
	"github.com/hutchctr/hutch/pkg/network"
	"github.com/hutchctr/hutch/pkg/ns/nsenter"
)

// Starter starts per-network responders on demand. It implements
// pkg/network's DNSStarter. The zero value is not usable: DataDir and
// RunDir are required.
type Starter struct {
	// DataDir and RunDir are hutch's data and run directories. Required.
	DataDir string
	RunDir  string
	// Upstreams are the resolvers ("ip" or "ip:port") that responders
	// forward other names to. Empty: the nameservers of /etc/resolv.conf as
	// the responder reads it at start (right as root, where the responder
	// runs in the host's network namespace). Rootless callers pass
	// slirp4netns's resolver, 10.0.2.3, which is what reaches the host's
	// resolvers from the namespace holder's network namespace.
	Upstreams []string
	// LogLevel is hutch's --log-level, passed on to responders.
	LogLevel string
	// Exe is the hutch binary to run; "" means /proc/self/exe.
	Exe string
	// Port is the port to serve on; 0 means 53. Tests only.
	Port int
	// Grace and Interval tune the responder's idle checks (the first after
	// Grace, then every Interval); zero means 10s and 3s. Tests only.
	Grace, Interval time.Duration
}

// EnsureResponder starts the DNS responder of network n unless one is
// alive, and returns once it listens on n's gateways. hostNetNS is the
// path of the network namespace holding n's bridge (rootless: the
// namespace holder's), "" for the caller's; joining it needs the
// capabilities the monitor has there. It does nothing for a network
// without DNS. Callers must have recorded their container's endpoint on n
// first (pkg/network's Setup does): a responder that is about to exit
// re-checks for endpoints under the start lock this takes.
func (s *Starter) EnsureResponder(ctx context.Context, n network.Network, hostNetNS string) error {
	if !n.DNSEnabled {
		return nil
	}
	nets, err := network.Open(s.DataDir, network.Options{})
	if err != nil {
		return err
	}
	t := target{name: n.Name, id: n.ID, dir: nets.Dir(n.Name)}
	for _, gw := range n.Gateways() {
		t.gateways = append(t.gateways, gw.Addr())
	}
	return s.ensure(ctx, t, hostNetNS)
}

// target is the network a responder serves.
type target struct {
	name     string
	id       string
	dir      string       // the network's state directory
	gateways []netip.Addr // where to listen
}

// ensure starts the responder for t unless one is alive, and returns once
// it listens. hostNetNS is the path of the network namespace holding the
// bridge, "" for the caller's.
func (s *Starter) ensure(ctx context.Context, t target, hostNetNS string) error {
	if len(t.gateways) == 0 {
		return errdefs.Errorf(errdefs.ErrInvalidArgument, "network %s has no gateway address for its dns responder", t.name)
	}
	if _, err := os.Stat(t.dir); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("network %s: %w", t.name, errdefs.ErrNotFound)
		}
		return fmt.Errorf("network %s: %w", t.name, err)
	}
	unlock, err := lockStart(ctx, filepath.Join(t.dir, startLockFile), 0)
	if err != nil {
		return fmt.Errorf("dns responder of network %s: %w", t.name, err)
	}
	defer unlock()
	// Take dns.lock for the responder: it inherits this open file, and
	// with it the lock, so no one can see the network without a live
	// responder between here and its first instruction. Closing our copy
	// does not release it while the responder holds its own.
	lf, err := os.OpenFile(filepath.Join(t.dir, lockFile), os.O_RDWR|os.O_CREATE|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return fmt.Errorf("dns responder of network %s: %w", t.name, err)
	}
	defer lf.Close()
	if err := unix.Flock(int(lf.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		if !errors.Is(err, unix.EWOULDBLOCK) {
			return fmt.Errorf("dns responder of network %s: lock %s: %w", t.name, lf.Name(), err)
		}
		// Alive, and it cannot decide to exit while we hold the start
		// lock. It is the one we need unless it serves another namespace.
		if ok, err := servesNS(t.dir, hostNetNS); err != nil || ok {
			return err
		}
		if err := terminate(ctx, t.dir, lf); err != nil {
			return fmt.Errorf("dns responder of network %s serves a network namespace that is not the bridge's any more, and cannot be replaced: %w", t.name, err)
		}
	}
	return s.spawn(ctx, t, hostNetNS, lf)
}

// servesNS reports whether the live responder of dir serves the network
// namespace at path ("" for the caller's).
func servesNS(dir, path string) (bool, error) {
	if path == "" {
		path = "/proc/self/ns/net"
	}
	want, err := nsIdentity(path)
	if err != nil {
		return false, err
	}
	i, err := readInfo(dir)
	return err == nil && i.NetNS == want, nil
}

// spawn starts the responder holding lf (locked) and waits until it is
// ready. The responder stays the caller's child: a short-lived caller
// leaves it to be reparented, a long-lived one (the monitor, a child
// subreaper) reaps it as an orphan.
func (s *Starter) spawn(ctx context.Context, t target, hostNetNS string, lf *os.File) error {
	cfg := roleConfig{
		Network: t.name, NetworkID: t.id, Dir: t.dir, DataDir: s.DataDir, RunDir: s.RunDir,
		Listen: t.gateways, Port: s.Port, Upstreams: s.Upstreams,
		Grace: s.Grace, Interval: s.Interval, LogLevel: s.LogLevel,
	}
	if cfg.Port == 0 {
		cfg.Port = 53
	}
	doc, err := json.Marshal(cfg)
	if err != nil {
		return fmt.Errorf("dns responder of network %s: %w", t.name, err)
	}
	logPath := filepath.Join(t.dir, logFile)
	logf, err := os.OpenFile(logPath, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("dns responder log: %w", err)
	}
	defer logf.Close()
	pr, pw, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("dns responder readiness pipe: %w", err)
	}
	defer pr.Close()
	cmd := s.command(t.name, string(doc), logf, lf, pw)
	if hostNetNS != "" {
		nsf, err := os.Open(hostNetNS)
		if err != nil {
			pw.Close()
			return fmt.Errorf("network namespace of network %s: %w", t.name, err)
		}
		defer nsf.Close()
		// The whole process must live in that namespace (its listeners
		// and its forwarding sockets alike), so it joins before Go starts.
		nsenter.Prepare(cmd, []nsenter.Namespace{{Kind: nsenter.Net, File: nsf}}, false, "")
	}
	err = cmd.Start()
	pw.Close() // EOF on pr once the responder (and only it) closed its copy
	if err != nil {
		return fmt.Errorf("start dns responder of network %s: %w", t.name, err)
	}
	if err := waitReady(ctx, pr); err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		return fmt.Errorf("dns responder of network %s: %w%s", t.name, err, lastLine(logPath))
	}
	cmd.Process.Release()
	return nil
}

// command is the re-execution of hutch as the responder: its own session
// (it outlives the caller and its terminal), stdin and stdout on
// /dev/null, stderr to its log, the lock on fd 3 and the pipe on fd 4.
func (s *Starter) command(network, doc string, logf, lf, pw *os.File) *exec.Cmd {
	exe := s.Exe
	if exe == "" {
		exe = "/proc/self/exe"
	}
	env := make([]string, 0, len(os.Environ())+2)
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); k != roleEnv && k != configEnv {
			env = append(env, kv)
		}
	}
	return &exec.Cmd{
		Path:        exe,
		Args:        []string{"hutch-dns", network},
		Env:         append(env, roleEnv+"="+roleName, configEnv+"="+doc),
		Stderr:      logf,
		ExtraFiles:  []*os.File{lf, pw}, // lockFD, readyFD
		SysProcAttr: &syscall.SysProcAttr{Setsid: true},
	}
}

// waitReady reads the responder's readiness report.
func waitReady(ctx context.Context, r *os.File) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	// The pipe is pollable, so a past deadline interrupts the read.
	stop := context.AfterFunc(ctx, func() { r.SetReadDeadline(time.Unix(1, 0)) })
	data, err := io.ReadAll(io.LimitReader(r, 4<<10))
	stop()
	if ctx.Err() != nil {
		return fmt.Errorf("waiting for it to listen: %w", ctx.Err())
	}
	if err != nil {
		return fmt.Errorf("readiness: %w", err)
	}
	msg := string(bytes.TrimSpace(data))
	switch {
	case msg == "ok":
		return nil
	case msg == "":
		return errors.New("it exited before listening")
	}
	return errors.New(strings.TrimPrefix(msg, "error: "))
}

// Alive reports whether a responder serves the network whose state
// directory is networkDir. It never blocks and is immune to pid reuse.
func Alive(networkDir string) (bool, error) {
	path := filepath.Join(networkDir, lockFile)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	l := flock.New(path, flock.SetFlag(os.O_RDONLY))
	ok, err := l.TryRLock()
	if err != nil {
		return false, fmt.Errorf("dns responder lock: %w", err)
	}
	if ok {
		l.Unlock()
		return false, nil
	}
	return true, nil
}

// lastLine returns ": " and the last line of the responder's log, to make
// a failed start actionable.
func lastLine(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	last := strings.TrimSpace(lines[len(lines)-1])
	if last == "" {
		return ""
	}
	return fmt.Sprintf(" (%s, see %s)", last, path)
}
