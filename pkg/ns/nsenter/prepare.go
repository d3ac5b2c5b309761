package nsenter

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Namespace kinds, as in /proc/PID/ns/KIND.
const (
	User   = "user"
	Mount  = "mnt"
	Net    = "net"
	UTS    = "uts"
	IPC    = "ipc"
	Cgroup = "cgroup"
	PID    = "pid"
)

// Environment variables read (and removed) by the constructor.
const (
	envJoin = "_HUTCH_NSENTER"
	envFork = "_HUTCH_NSENTER_FORK"
	envCwd  = "_HUTCH_NSENTER_CWD"
)

// Namespace is a namespace to join.
type Namespace struct {
	// Kind is one of the kinds above. Required.
	Kind string
	// File is the open /proc/PID/ns/KIND file. Required. The caller keeps
	// ownership and closes it after the process has started.
	File *os.File
}

// Prepare makes cmd, a re-execution of hutch, join nss at start-up: it
// appends the files to cmd.ExtraFiles and the constructor's variables to
// cmd.Env (os.Environ() if cmd.Env is nil). fork asks for the fork that a
// pid join needs; cwd, if not empty, is the directory to change to after
// joining.
func Prepare(cmd *exec.Cmd, nss []Namespace, fork bool, cwd string) {
	pairs := make([]string, 0, len(nss))
	for _, ns := range nss {
		// ExtraFiles[i] becomes fd 3+i in the child.
		pairs = append(pairs, ns.Kind+"="+strconv.Itoa(3+len(cmd.ExtraFiles)))
		cmd.ExtraFiles = append(cmd.ExtraFiles, ns.File)
	}
	env := cmd.Env
	if env == nil {
		env = os.Environ()
	}
	cmd.Env = withVars(env, pairs, fork, cwd)
}

// PrepareExec returns env extended so that a syscall.Exec of hutch joins nss
// at start-up, the files keeping their descriptor numbers. It clears their
// close-on-exec flag, which Go sets on every file it opens.
func PrepareExec(env []string, nss []Namespace, fork bool, cwd string) ([]string, error) {
	pairs := make([]string, 0, len(nss))
	for _, ns := range nss {
		fd := int(ns.File.Fd())
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFD, 0); err != nil {
			return nil, fmt.Errorf("keep %s namespace fd %d open across exec: %w", ns.Kind, fd, err)
		}
		pairs = append(pairs, ns.Kind+"="+strconv.Itoa(fd))
	}
	return withVars(env, pairs, fork, cwd), nil
}

func withVars(env, pairs []string, fork bool, cwd string) []string {
	out := make([]string, 0, len(env)+3)
	for _, kv := range env {
		if k, _, _ := strings.Cut(kv, "="); k != envJoin && k != envFork && k != envCwd {
			out = append(out, kv)
		}
	}
	if len(pairs) > 0 {
		out = append(out, envJoin+"="+strings.Join(pairs, ","))
	}
	if fork {
		out = append(out, envFork+"=1")
	}
	if cwd != "" {
		out = append(out, envCwd+"="+cwd)
	}
	return out
}
