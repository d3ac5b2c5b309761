package slirp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/rootless-containers/rootlesskit/v3/pkg/parent"
	"golang.org/x/sys/unix"

	"github.com/hutchctr/hutch/pkg/userns"
)

// readyTimeout bounds the wait for a new holder when ctx has no deadline.
// A start takes about a tenth of a second; this only catches a hung one.
const readyTimeout = 30 * time.Second

// Environment of the holder's processes.
const (
	envRole       = "_HUTCH_ROLE"
	envStateDir   = "_HUTCH_HOLDER_DIR"
	envVersion    = "_HUTCH_HOLDER_VERSION"
	envPipeFD     = "_HUTCH_HOLDER_PIPEFD"
	envActivation = "_HUTCH_HOLDER_ACTIVATION"
	envActHelper  = "_HUTCH_HOLDER_ACTIVATION_HELPER"
	envLifeline   = "_HUTCH_HOLDER_LIFELINE"
	// envHostLoopback is "1" when Options.AllowHostLoopback is set.
	envHostLoopback = "_HUTCH_HOLDER_HOST_LOOPBACK"
)

// startHolder starts a detached holder in a new instance directory under
// root, waits until it is ready and makes it current. The start lock must
// be held.
func startHolder(ctx context.Context, o Options, root string, m userns.Mapping) error {
	if err := userns.CheckHelpers(exec.LookPath); err != nil {
		return err
	}
	if err := checkNetworkPrereqs(); err != nil {
		return err
	}
	dir, err := os.MkdirTemp(root, instancePrefix)
	if err != nil {
		return fmt.Errorf("create holder directory: %w", err)
	}
	logPath := filepath.Join(o.RunDir, logName)
	pid, err := spawn(dir, o, logPath)
	if err != nil {
		os.RemoveAll(dir)
		return err
	}
	// Trial-write the map while the holder starts up (the probe costs about
	// as much as that start-up, so it runs alongside, not before): if
	// newuidmap refuses the map, the user gets its message in words they
	// can act on rather than a dead holder's log.
	err = userns.Probe(ctx, m, pauseCommand())
	if err == nil {
		err = waitReady(ctx, pid, dir, logPath)
	}
	if err != nil {
		if !errors.Is(err, errHolderExited) {
			// Our child, not yet reaped: its pid (and so its process
			// group, which it leads) cannot have been reused.
			_ = unix.Kill(-pid, unix.SIGKILL)
			_, _ = unix.Wait4(pid, nil, 0, nil)
		}
		os.RemoveAll(dir)
		return err
	}
	return setCurrent(root, dir)
}

// pauseCommand is a process that blocks until killed, used as the
// throwaway target of the map probe.
func pauseCommand() *exec.Cmd {
	cmd := exec.Command("/proc/self/exe")
	cmd.Env = []string{envRole + "=pause"}
	return cmd
}

// spawn starts the holder's parent detached: a new session (no terminal
// signals reach it, and it leads its own process group), stdin /dev/null,
// output to the log, cwd / so that it pins no directory.
func spawn(dir string, o Options, logPath string) (int, error) {
	_ = os.Rename(logPath, logPath+".old")
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return 0, fmt.Errorf("create holder log: %w", err)
	}
	defer logf.Close()
	null, err := os.Open(os.DevNull)
	if err != nil {
		return 0, err
	}
	defer null.Close()
	env := append(holderEnv(os.Environ()),
		envRole+"=holder", envStateDir+"="+dir, envVersion+"="+o.Version)
	if o.AllowHostLoopback {
		env = append(env, envHostLoopback+"=1")
	}
	p, err := os.StartProcess("/proc/self/exe", []string{"hutch-holder"}, &os.ProcAttr{
		Dir:   "/",
		Env:   env,
		Files: []*os.File{null, logf, logf},
		Sys:   &syscall.SysProcAttr{Setsid: true},
	})
	if err != nil {
		return 0, fmt.Errorf("start namespace holder: %w", err)
	}
	return p.Pid, nil
}

// holderEnv drops variables that must not reach the holder: hutch's own
// role and join variables, and systemd socket activation (rootlesskit
// would take the sockets).
func holderEnv(env []string) []string {
	out := make([]string, 0, len(env)+3)
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "_HUTCH_") || strings.HasPrefix(k, "LISTEN_") {
			continue
		}
		out = append(out, kv)
	}
	return out
}

// errHolderExited means the holder died (and was reaped) before it was ready.
var errHolderExited = errors.New("namespace holder exited")

// waitReady polls until rootlesskit has written child_pid and api.sock
// (the user namespace is mapped and the child runs) and the pause process
// has marked the holder ready (N is configured), or the holder dies.
func waitReady(ctx context.Context, pid int, dir, logPath string) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, readyTimeout)
		defer cancel()
	}
	tick := time.NewTicker(3 * time.Millisecond)
	defer tick.Stop()
	for {
		var ws unix.WaitStatus
		if wpid, err := unix.Wait4(pid, &ws, unix.WNOHANG, nil); wpid == pid || err != nil {
			return fmt.Errorf("%w during start-up (%s); %s", errHolderExited, describe(ws, err), logTail(logPath))
		}
		if exists(filepath.Join(dir, parent.StateFileChildPID)) && exists(filepath.Join(dir, parent.StateFileAPISock)) &&
			exists(filepath.Join(dir, readyName)) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("namespace holder not ready: %w; %s", ctx.Err(), logTail(logPath))
		case <-tick.C:
		}
	}
}

func describe(ws unix.WaitStatus, err error) string {
	switch {
	case err != nil:
		return err.Error()
	case ws.Signaled():
		return "killed by " + ws.Signal().String()
	default:
		return fmt.Sprintf("exit status %d", ws.ExitStatus())
	}
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// logTail returns the end of the holder's log for an error message.
func logTail(path string) string {
	const max = 2048
	f, err := os.Open(path)
	if err != nil {
		return "no log"
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Size() > max {
		_, _ = f.Seek(-max, io.SeekEnd)
	}
	b, err := io.ReadAll(f)
	if err != nil && !errors.Is(err, io.EOF) {
		return "log unreadable"
	}
	return fmt.Sprintf("%s says: %s", path, strings.TrimSpace(string(b)))
}
