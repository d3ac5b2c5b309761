package monitor

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/hutchctr/hutch/pkg/errdefs"
)

// socketName is the attach socket's name in the container's run directory.
const socketName = "attach"

// maxSunPath is the room for a path in sockaddr_un, with its final NUL.
const maxSunPath = len(unix.RawSockaddrUnix{}.Path)

// SocketPath is the attach socket of the container whose run directory
// (state.Store.RunDir) is runDir.
func SocketPath(runDir string) string { return filepath.Join(runDir, socketName) }

// withShortPath calls fn with a name for path that fits in sockaddr_un.
// Run directories under long temp dirs (tests, deep XDG_RUNTIME_DIR) exceed
// the 108 bytes, so a long path goes through /proc/self/fd/N/<name> with N
// an O_PATH descriptor of its directory; the kernel resolves that magic
// link like the directory itself, for bind and for connect.
func withShortPath(path string, fn func(addr string) error) error {
	if len(path) < maxSunPath {
		return fn(path)
	}
	dir, err := unix.Open(filepath.Dir(path), unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return &fs.PathError{Op: "open", Path: filepath.Dir(path), Err: err}
	}
	defer unix.Close(dir)
	return fn("/proc/self/fd/" + strconv.Itoa(dir) + "/" + filepath.Base(path))
}

// listen creates the attach socket at path, mode 0600, replacing a stale
// one (the caller holds the monitor lock, so no live monitor owns it).
func listen(path string) (*net.UnixListener, error) {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("attach socket: %w", err)
	}
	var l *net.UnixListener
	err := withShortPath(path, func(addr string) error {
		var err error
		l, err = net.ListenUnix("unixpacket", &net.UnixAddr{Name: addr, Net: "unixpacket"})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("attach socket %s: %w", path, err)
	}
	// The listener would unlink its bind name on Close, which for a long
	// path is a /proc/self/fd name that no longer exists; the monitor
	// removes the real path itself.
	l.SetUnlinkOnClose(false)
	if err := os.Chmod(path, 0o600); err != nil {
		l.Close()
		os.Remove(path)
		return nil, fmt.Errorf("attach socket: %w", err)
	}
	return l, nil
}

// Dial connects to the attach socket of a running container's monitor
// (path from SocketPath). When no monitor listens there, the error wraps
// errdefs.ErrConflict: the container is not running.
func Dial(path string) (net.Conn, error) {
	var c net.Conn
	err := withShortPath(path, func(addr string) error {
		var err error
		c, err = net.DialUnix("unixpacket", nil, &net.UnixAddr{Name: addr, Net: "unixpacket"})
		return err
	})
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ECONNREFUSED) {
			return nil, fmt.Errorf("attach %s: the container's monitor is not running: %w", path, errdefs.ErrConflict)
		}
		return nil, fmt.Errorf("attach %s: %w", path, err)
	}
	return c, nil
}

// SocketPair returns a connected pair of attach sockets for a foreground
// `run` or `start -a`: pass forMonitor to Launch (and close it after
// Launch returns) and forClient to Attach. The monitor serves it as its
// first client, so the caller sees the output from the first byte.
func SocketPair() (forMonitor *os.File, forClient net.Conn, err error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("attach socket pair: %w", err)
	}
	forMonitor = os.NewFile(uintptr(fds[0]), "attach-monitor")
	cf := os.NewFile(uintptr(fds[1]), "attach-client")
	defer cf.Close() // FileConn dups it
	forClient, err = net.FileConn(cf)
	if err != nil {
		forMonitor.Close()
		return nil, nil, fmt.Errorf("attach socket pair: %w", err)
	}
	return forMonitor, forClient, nil
}
