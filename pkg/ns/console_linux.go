package ns

import (
	"fmt"
	"os"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// consoleTarget is where init binds the pty slave; exec'd processes only
// get the pty on their stdio.
const consoleTarget = "/dev/console"

// setupConsole gives the process a pty from the container's own devpts
// instance: the slave becomes stdio and the controlling terminal, the
// master goes to the parent, which relays it. Opening the pty inside the
// container (rather than passing in a host pty) keeps the host's devpts
// out of the container, and makes /dev/pts/N mean the same thing inside.
// The caller must be a session leader.
func setupConsole(c *syncConn, p *specs.Process, bindConsole bool) error {
	// /dev/pts/ptmx is the devpts instance's own multiplexer; /dev/ptmx is
	// only a symlink to it.
	master, err := unix.Open("/dev/pts/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return step("open pty (a terminal needs a devpts mount on /dev/pts)", err)
	}
	defer unix.Close(master)
	if err := unix.IoctlSetPointerInt(master, unix.TIOCSPTLCK, 0); err != nil {
		return step("unlock pty", err)
	}
	n, err := unix.IoctlGetUint32(master, unix.TIOCGPTN)
	if err != nil {
		return step("get pty number", err)
	}
	// TIOCGPTPEER opens the slave through the master, with no path lookup
	// that a symlink in the container could redirect.
	slave, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(master), unix.TIOCGPTPEER, unix.O_RDWR|unix.O_NOCTTY)
	if errno != 0 {
		return step("open pty slave", errno)
	}
	if err := configureSlave(int(slave), p); err != nil {
		unix.Close(int(slave))
		return err
	}
	if bindConsole {
		slavePath := fmt.Sprintf("/dev/pts/%d", n)
		if err := unix.Mount(slavePath, consoleTarget, "", unix.MS_BIND, ""); err != nil {
			unix.Close(int(slave))
			return stepf(err, "mount %s", consoleTarget)
		}
	}
	if err := slaveAsStdio(int(slave)); err != nil {
		return err
	}
	return c.send(syncMsg{Type: msgConsole}, master)
}

// configureSlave gives the slave to the process's user (so that it can
// reopen its own tty, as `tty` and ssh-like tools do) and the requested size.
func configureSlave(slave int, p *specs.Process) error {
	if err := unix.Fchown(slave, int(p.User.UID), -1); err != nil {
		return step("chown pty slave", err)
	}
	if p.ConsoleSize != nil {
		ws := &unix.Winsize{Row: uint16(p.ConsoleSize.Height), Col: uint16(p.ConsoleSize.Width)}
		if err := unix.IoctlSetWinsize(slave, unix.TIOCSWINSZ, ws); err != nil {
			return step("set console size", err)
		}
	}
	return nil
}

// slaveAsStdio makes slave fds 0-2 and the controlling terminal, so that
// ^C typed on the master reaches the foreground process group as SIGINT.
func slaveAsStdio(slave int) error {
	for fd := 0; fd <= 2; fd++ {
		if fd == slave {
			continue
		}
		if err := unix.Dup3(slave, fd, 0); err != nil {
			return stepf(err, "dup pty slave to fd %d", fd)
		}
	}
	if slave > 2 {
		unix.Close(slave)
	}
	if err := unix.IoctlSetInt(0, unix.TIOCSCTTY, 0); err != nil {
		return step("set controlling terminal", err)
	}
	return nil
}

// consoleFile wraps a received pty master.
func consoleFile(fds []int) (*os.File, error) {
	if len(fds) != 1 {
		closeAll(fds)
		return nil, fmt.Errorf("console message carried %d descriptors, want 1", len(fds))
	}
	return os.NewFile(uintptr(fds[0]), "pty-master"), nil
}
