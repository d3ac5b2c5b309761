package cgroupsv2

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

// WatchOOM calls fn each time the OOM killer kills a process of the
// cgroup while it runs, until ctx ends or the cgroup goes; it returns then.
// On v2 the kernel signals changes of memory.events through inotify. On v1
// it polls memory.oom_control's oom_kill count every oomPoll: the eventfd
// of cgroup.event_control does not fire for OOM kills on this kernel
// (6.18), which deprecates that interface.
func (c *Cgroup) WatchOOM(ctx context.Context, fn func()) error {
	switch c.ref.Layout {
	case LayoutV2:
		return c.watchOOMInotify(ctx, fn)
	case LayoutV1:
		return c.pollOOM(ctx, fn)
	}
	return nil
}

// oomPoll is how often a v1 cgroup's OOM kill count is read.
const oomPoll = time.Second

func (c *Cgroup) pollOOM(ctx context.Context, fn func()) error {
	seen, err := c.OOMKills()
	if err != nil {
		return err
	}
	t := time.NewTicker(oomPoll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		n, err := c.OOMKills()
		if err != nil {
			return nil // the cgroup is gone
		}
		if n > seen {
			seen = n
			fn()
		}
	}
}

func (c *Cgroup) watchOOMInotify(ctx context.Context, fn func()) error {
	f, err := inotifyFile(filepath.Join(c.ref.Paths[""], "memory.events"))
	if err != nil {
		return err
	}
	stop := context.AfterFunc(ctx, func() { f.Close() }) // unblocks Read
	defer stop()
	defer f.Close()
	seen, _ := c.OOMKills()
	buf := make([]byte, 4096)
	for {
		if _, err := f.Read(buf); err != nil {
			return nil // closed by ctx
		}
		n, err := c.OOMKills()
		if err != nil {
			return nil
		}
		if n > seen {
			seen = n
			fn()
		}
	}
}

// inotifyFile watches path for modifications; reads block until one.
func inotifyFile(path string) (*os.File, error) {
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return nil, fmt.Errorf("inotify: %w", err)
	}
	if _, err := unix.InotifyAddWatch(fd, path, unix.IN_MODIFY); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("watch %s: %w", path, err)
	}
	return os.NewFile(uintptr(fd), "inotify:"+path), nil // non-blocking: the runtime's poller waits
}
