package ns

import (
	"encoding/json"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// placeEnv asks an exec'd process to announce itself before it reads its
// bootstrap (ExecConfig.Place).
const placeEnv = "_HUTCH_EXEC_PLACE"

// msgHello (exec child → parent) says the process exists and waits for
// its bootstrap. The parent receives it with SO_PASSCRED, so the kernel
// attaches the sender's pid translated into the parent's pid namespace:
// the only way the parent learns the host pid of a process that the
// nsenter constructor forked inside the container's pid namespace.
const msgHello msgType = "hello"

// setPassCred turns the kernel's credential passing on or off for what the
// other end sends from now on.
func setPassCred(c *syncConn, on bool) error {
	v := 0
	if on {
		v = 1
	}
	if err := unix.SetsockoptInt(c.fd, unix.SOL_SOCKET, unix.SO_PASSCRED, v); err != nil {
		return fmt.Errorf("sync socket: SO_PASSCRED: %w", err)
	}
	return nil
}

// placeExec waits for the exec'd process's hello and hands its host pid to
// place, before the process gets its bootstrap and does anything else.
func placeExec(c *syncConn, place func(int) error) error {
	pid, err := c.recvHello()
	if err != nil {
		return err
	}
	// Later messages carry descriptors only (recv parses SCM_RIGHTS).
	if err := setPassCred(c, false); err != nil {
		return err
	}
	return place(pid)
}

// recvHello reads the hello message and the pid the kernel attached.
func (c *syncConn) recvHello() (int, error) {
	buf := make([]byte, maxMsg)
	oob := make([]byte, unix.CmsgSpace(unix.SizeofUcred))
	n, oobn, _, _, err := unix.Recvmsg(c.fd, buf, oob, 0)
	for err == unix.EINTR {
		n, oobn, _, _, err = unix.Recvmsg(c.fd, buf, oob, 0)
	}
	if err != nil {
		return 0, fmt.Errorf("exec: receive hello: %w", err)
	}
	if n == 0 {
		return 0, fmt.Errorf("exec: the process died before it said hello")
	}
	var m syncMsg
	if err := json.Unmarshal(buf[:n], &m); err != nil {
		return 0, fmt.Errorf("exec: decode hello: %w", err)
	}
	if m.Type == msgError {
		return 0, m.initError()
	}
	if m.Type != msgHello {
		return 0, fmt.Errorf("sync: got %q message, want %q", m.Type, msgHello)
	}
	cmsgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil || len(cmsgs) == 0 {
		return 0, fmt.Errorf("exec: hello without credentials: %v", err)
	}
	cred, err := unix.ParseUnixCredentials(&cmsgs[0])
	if err != nil {
		return 0, fmt.Errorf("exec: hello credentials: %w", err)
	}
	return int(cred.Pid), nil
}

// sayHello is the exec child's first step when its parent asked for it.
func sayHello() error {
	if os.Getenv(placeEnv) == "" {
		return nil
	}
	os.Unsetenv(placeEnv)
	c := &syncConn{fd: childSyncFd}
	return c.send(syncMsg{Type: msgHello})
}
