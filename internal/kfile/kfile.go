// Package kfile reads small kernel files (/proc, cgroup files) with plain
// system calls. Commands such as `stats` and `ps` read several per
// container, and os.ReadFile's *os.File costs as much again as the read:
// poller registration, a finalizer, a stat for the size.
package kfile

import (
	"io/fs"
	"slices"

	"golang.org/x/sys/unix"
)

// Read returns the contents of path. Errors are *fs.PathError like os's,
// so errors.Is(err, fs.ErrNotExist) works.
func Read(path string) ([]byte, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	defer unix.Close(fd)
	buf := make([]byte, 0, 512)
	for {
		buf = slices.Grow(buf, 512)
		n, err := unix.Read(fd, buf[len(buf):cap(buf)])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, &fs.PathError{Op: "read", Path: path, Err: err}
		}
		if n == 0 {
			return buf, nil
		}
		buf = buf[:len(buf)+n]
	}
}
