package ns

// The parent <-> child protocol of a container init (Start, Init.Exec) and
// of a process exec'd into a running container (StartExec). It is the only
// channel between the two besides the exit status.
//
//   parent (monitor / hutch exec)                child (init / exec role)
//   -----------------------------                ------------------------
//   socketpair(SEQPACKET) + pipe, clone ──────▶  fd 3: sync socket, made close-on-exec
//                                                fd 4: bootstrap pipe
//   [init] Config.Place(pid): the monitor
//     moves init into the container's cgroup
//                  ◀────────────────────────────  [exec, with ExecConfig.Place] msgHello,
//                                                   received with SO_PASSCRED: the host pid
//   [exec] ExecConfig.Place(pid)
//   write bootstrap JSON, close ──────────────▶  read fd 4 to EOF
//                                                [init] unshare(CLONE_NEWCGROUP) when
//                                                the spec asks for a new cgroup ns
//                                                [init] mounts, devices, pivot_root,
//                                                masked paths, hostname
//                                                rlimits
//                  ◀────────────────────────────  msgConsole + SCM_RIGHTS(pty master)
//                                                   (Process.Terminal only)
//                                                cwd, groups, gid, uid, capabilities,
//                                                no_new_privs
//                  ◀────────────────────────────  msgReady            (init only)
//   Init.Exec: msgGo ─────────────────────────▶                       (init only)
//                                                PATH lookup, execve
//                  ◀────────────────────────────  EOF: execve succeeded (fd 3 was
//                                                   close-on-exec)
//              or  ◀────────────────────────────  msgExecFailed{path, errno}
//
//   Before execve any step may instead send msgError{op, errno, text} and
//   exit. EOF before msgReady means the child died.
//
// Messages are JSON, one per SEQPACKET datagram, so no framing is needed and
// a file descriptor travels with the message it belongs to.

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/hutchctr/hutch/pkg/overlay"
)

// Child-side descriptor numbers: ExtraFiles[i] becomes fd 3+i.
const (
	childSyncFd      = 3
	childBootstrapFd = 4
)

// msgType names a sync message.
type msgType string

const (
	// msgConsole (child → parent) carries the pty master as SCM_RIGHTS.
	msgConsole msgType = "console"
	// msgReady (child → parent): init is set up and waits for msgGo.
	msgReady msgType = "ready"
	// msgGo (parent → child): exec the user's process now.
	msgGo msgType = "go"
	// msgError (child → parent): a step before execve failed.
	msgError msgType = "error"
	// msgExecFailed (child → parent): execve itself failed with Errno.
	msgExecFailed msgType = "exec-failed"
)

// syncMsg is one message. Fields other than Type are set per type.
type syncMsg struct {
	Type msgType `json:"type"`
	// Op is the step that failed (msgError), e.g. "mount /etc/hosts".
	Op string `json:"op,omitempty"`
	// Errno is the system error (msgError when there is one, msgExecFailed).
	Errno syscall.Errno `json:"errno,omitempty"`
	// Text is the error's full text (msgError).
	Text string `json:"text,omitempty"`
	// Path is the command that could not be executed (msgExecFailed).
	Path string `json:"path,omitempty"`
}

// bootstrap is what the parent writes to the child's fd 4.
type bootstrap struct {
	// Spec and Plan are set for init.
	Spec *specs.Spec   `json:"spec,omitempty"`
	Plan *overlay.Plan `json:"plan,omitempty"`
	// Process is set for an exec'd process.
	Process *specs.Process `json:"process,omitempty"`
	// UnshareCgroup asks init for a new cgroup namespace, taken first
	// thing: the parent has placed init in the container's cgroup by the
	// time the bootstrap arrives.
	UnshareCgroup bool `json:"unshareCgroup,omitempty"`
}

// syncConn is one end of the sync socket.
type syncConn struct{ fd int }

// maxMsg bounds a message; ours are a few hundred bytes.
const maxMsg = 64 << 10

func (c *syncConn) send(m syncMsg, fds ...int) error {
	b, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("encode %s message: %w", m.Type, err)
	}
	var oob []byte
	if len(fds) > 0 {
		oob = unix.UnixRights(fds...)
	}
	if err := unix.Sendmsg(c.fd, b, oob, nil, 0); err != nil {
		return fmt.Errorf("send %s message: %w", m.Type, err)
	}
	return nil
}

// recv reads one message and the descriptors sent with it (close-on-exec).
// It returns io.EOF when the other end is closed.
func (c *syncConn) recv() (syncMsg, []int, error) {
	buf := make([]byte, maxMsg)
	oob := make([]byte, unix.CmsgSpace(4*4))
	var n, oobn int
	var err error
	for {
		n, oobn, _, _, err = unix.Recvmsg(c.fd, buf, oob, unix.MSG_CMSG_CLOEXEC)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		return syncMsg{}, nil, fmt.Errorf("receive sync message: %w", err)
	}
	if n == 0 {
		return syncMsg{}, nil, io.EOF
	}
	fds, err := parseRights(oob[:oobn])
	if err != nil {
		return syncMsg{}, nil, err
	}
	var m syncMsg
	if err := json.Unmarshal(buf[:n], &m); err != nil {
		closeAll(fds)
		return syncMsg{}, nil, fmt.Errorf("decode sync message: %w", err)
	}
	return m, fds, nil
}

func parseRights(oob []byte) ([]int, error) {
	if len(oob) == 0 {
		return nil, nil
	}
	cmsgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return nil, fmt.Errorf("parse sync control message: %w", err)
	}
	var fds []int
	for _, cm := range cmsgs {
		r, err := unix.ParseUnixRights(&cm)
		if err != nil {
			closeAll(fds)
			return nil, fmt.Errorf("parse sync rights: %w", err)
		}
		fds = append(fds, r...)
	}
	return fds, nil
}

func closeAll(fds []int) {
	for _, fd := range fds {
		unix.Close(fd)
	}
}

func (c *syncConn) close() error { return unix.Close(c.fd) }

// sendError reports a failed step to the parent.
func (c *syncConn) sendError(err error) {
	m := syncMsg{Type: msgError, Op: "setup", Text: err.Error()}
	var se *stepError
	if errors.As(err, &se) {
		m.Op, m.Text = se.op, se.err.Error()
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		m.Errno = errno
	}
	// Nothing is left to report a failed report to: the parent sees EOF
	// and the exit status instead.
	_ = c.send(m)
}

// initError turns a msgError into the error Start or Exec returns.
func (m syncMsg) initError() error {
	return &InitError{Op: m.Op, Errno: m.Errno, Text: m.Text}
}

// expect reads the next message and fails unless it has type want; a
// msgError becomes an *InitError.
func (c *syncConn) expect(want msgType) error {
	m, fds, err := c.recv()
	closeAll(fds)
	if err != nil {
		return err
	}
	switch m.Type {
	case want:
		return nil
	case msgError:
		return m.initError()
	}
	return fmt.Errorf("sync: got %q message, want %q", m.Type, want)
}

// awaitExec waits for the child's execve: EOF means it succeeded.
func (c *syncConn) awaitExec() error {
	m, fds, err := c.recv()
	closeAll(fds)
	if errors.Is(err, io.EOF) {
		return nil
	}
	if err != nil {
		return err
	}
	switch m.Type {
	case msgExecFailed:
		return &ExecError{Path: m.Path, Errno: m.Errno}
	case msgError:
		return m.initError()
	}
	return fmt.Errorf("sync: unexpected %q message before execve", m.Type)
}

// childPipes are the parent's ends and the child's ends of both channels.
type childPipes struct {
	sync       *syncConn
	childSync  *os.File
	bootW      *os.File
	childBootR *os.File
}

func newChildPipes() (*childPipes, error) {
	// SOCK_CLOEXEC keeps the parent's end out of any other child the
	// caller starts; os/exec clears the flag on the child's copies.
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("sync socketpair: %w", err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		closeAll(fds[:])
		return nil, fmt.Errorf("bootstrap pipe: %w", err)
	}
	return &childPipes{
		sync:       &syncConn{fd: fds[0]},
		childSync:  os.NewFile(uintptr(fds[1]), "sync"),
		bootW:      w,
		childBootR: r,
	}, nil
}

// childFiles are the files that become fds 3 and 4 in the child.
func (p *childPipes) childFiles() []*os.File { return []*os.File{p.childSync, p.childBootR} }

// closeChildEnds drops the parent's copies of the child's ends, so that
// the child's death (or execve) shows as EOF.
func (p *childPipes) closeChildEnds() {
	p.childSync.Close()
	p.childBootR.Close()
}

// release closes everything (error paths).
func (p *childPipes) release() {
	p.closeChildEnds()
	p.bootW.Close()
	p.sync.close()
}

// writeBootstrap sends b and closes the pipe.
func (p *childPipes) writeBootstrap(b bootstrap) error {
	defer p.bootW.Close()
	if err := json.NewEncoder(p.bootW).Encode(b); err != nil {
		return fmt.Errorf("write bootstrap: %w", err)
	}
	return nil
}

// childBootstrap is the child's first step: take fd 3 and read fd 4.
func childBootstrap() (*syncConn, *bootstrap, error) {
	// fd 3 must not survive execve: its EOF is how the parent learns
	// that execve succeeded.
	unix.CloseOnExec(childSyncFd)
	c := &syncConn{fd: childSyncFd}
	f := os.NewFile(childBootstrapFd, "bootstrap")
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		return c, nil, fmt.Errorf("read bootstrap: %w", err)
	}
	var boot bootstrap
	if err := json.Unmarshal(b, &boot); err != nil {
		return c, nil, fmt.Errorf("decode bootstrap: %w", err)
	}
	return c, &boot, nil
}
