package bridge

import (
	"errors"
	"fmt"
	"runtime"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/hutchctr/hutch/pkg/errdefs"
)

// Namespace is an open network namespace.
type Namespace struct {
	path string
	ns   netns.NsHandle
	nl   *netlink.Handle
	// self: the caller's own namespace, which needs no setns (and a
	// rootless caller may not even setns into it: it belongs to the
	// host's user namespace).
	self bool
}

// Open opens the network namespace at path (a /proc/<pid>/ns/net or a
// bind mount of one); "" is the calling thread's namespace.
func Open(path string) (*Namespace, error) {
	var (
		h   netns.NsHandle
		err error
	)
	if path == "" {
		h, err = netns.Get()
	} else {
		h, err = netns.GetFromPath(path)
	}
	if err != nil {
		if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ESRCH) {
			return nil, fmt.Errorf("network namespace %s: %w", path, errdefs.ErrNotFound)
		}
		return nil, fmt.Errorf("network namespace %q: %w", path, err)
	}
	n := &Namespace{path: path, ns: h, self: path == ""}
	err = n.Do(func() error {
		var err error
		n.nl, err = netlink.NewHandle()
		return err
	})
	if err != nil {
		h.Close()
		return nil, fmt.Errorf("netlink in network namespace %q: %w", path, err)
	}
	return n, nil
}

// Close releases the namespace.
func (n *Namespace) Close() error {
	n.nl.Close()
	return n.ns.Close()
}

// Path is the path the namespace was opened from ("" for the caller's).
func (n *Namespace) Path() string { return n.path }

// Fd is the namespace's file descriptor (valid until Close).
func (n *Namespace) Fd() int { return int(n.ns) }

// Do runs fn on an OS thread inside the namespace.
func (n *Namespace) Do(fn func() error) error {
	if n.self {
		return fn() // every thread of the process is in it
	}
	return doIn(n.ns, n.path, fn)
}

// doIn runs fn on an OS thread inside the namespace ns. The thread is
// locked and never unlocked, so the runtime discards it when fn returns: no
// other goroutine ever runs in the wrong namespace, and nothing needs
// restoring. Restoring may not even be possible: a rootless caller is root
// in the holder's user namespace, but not over its own (the host's)
// network namespace, so it can enter the holder's and never come back.
// (That is also why this package never uses netlink.NewHandleAt or
// nftables.WithNetNSFd, which switch a thread there and back.)
func doIn(ns netns.NsHandle, path string, fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		// setns(CLONE_NEWNET) acts on this thread only; it needs
		// CAP_SYS_ADMIN over the namespace's owning user namespace.
		if err := unix.Setns(int(ns), unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("join network namespace %q: %w", path, err)
			return
		}
		errc <- fn()
	}()
	return <-errc
}

// newHandleIn opens a netlink handle whose sockets live in ns: they are
// created by a thread inside it, and sockets keep their namespace.
func newHandleIn(ns netns.NsHandle, path string) (*netlink.Handle, error) {
	var h *netlink.Handle
	err := doIn(ns, path, func() error {
		var err error
		h, err = netlink.NewHandle()
		return err
	})
	return h, err
}

// retryDump repeats a netlink dump interrupted by a concurrent change
// (netlink.ErrDumpInterrupted), whose result may be inconsistent.
func retryDump[T any](f func() (T, error)) (T, error) {
	var (
		v   T
		err error
	)
	for i := 0; i < 5; i++ {
		if v, err = f(); !errors.Is(err, netlink.ErrDumpInterrupted) {
			return v, err
		}
	}
	return v, err
}

func isNotFound(err error) bool {
	var nf netlink.LinkNotFoundError
	return errors.As(err, &nf) || errors.Is(err, unix.ENODEV) || errors.Is(err, unix.ENOENT)
}
