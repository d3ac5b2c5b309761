package ns

import (
	"errors"
	"runtime"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/hutchctr/hutch/pkg/spec"
)

// InitMain is the "init" role's entry point (see main.go). It runs as pid 1
// of the container's new namespaces and returns only if the container could
// not be started; the exit code then matters little (the parent got the
// error over the sync socket): 125, or 127/126 when execve failed.
func InitMain() int {
	// Credentials, capabilities and no_new_privs are per thread, and
	// execve keeps only the calling thread's: do everything on this one.
	runtime.LockOSThread()
	c, boot, err := childBootstrap()
	if err == nil && (boot.Spec == nil || boot.Plan == nil || boot.Spec.Process == nil) {
		err = errors.New("bootstrap has no spec")
	}
	if err != nil {
		// Init's stderr is the container's: report only to the parent.
		c.sendError(step("bootstrap", err))
		return 125
	}
	err = runInit(c, boot)
	var ee *ExecError
	if errors.As(err, &ee) {
		return exitCodeFor(ee.Errno)
	}
	c.sendError(err)
	return 125
}

// runInit is init's sequence, in runc's order. It returns only on failure.
func runInit(c *syncConn, boot *bootstrap) error {
	spec := boot.Spec
	proc := spec.Process
	if boot.UnshareCgroup {
		// Only now: the parent moved this process into the container's
		// cgroup before it sent the bootstrap, so the namespace is rooted
		// there (/proc/self/cgroup reads "0::/"). This thread is the one
		// that execs, and execve keeps the caller's namespaces; it still
		// has CAP_SYS_ADMIN, which the credentials step drops.
		if err := unix.Unshare(unix.CLONE_NEWCGROUP); err != nil {
			return step("unshare cgroup namespace", err)
		}
	}
	rs := &rootfsSetup{rootfs: spec.Root.Path, plan: boot.Plan, cwd: proc.Cwd, console: proc.Terminal}
	if err := rs.prepare(); err != nil {
		return err
	}
	if err := rs.finish(); err != nil {
		return err
	}
	if err := resolveUser(spec); err != nil {
		return err
	}
	if spec.Hostname != "" {
		if err := unix.Sethostname([]byte(spec.Hostname)); err != nil {
			return step("sethostname", err)
		}
	}
	if spec.Domainname != "" {
		if err := unix.Setdomainname([]byte(spec.Domainname)); err != nil {
			return step("setdomainname", err)
		}
	}
	if err := setRlimits(proc.Rlimits); err != nil {
		return err
	}
	if proc.Terminal {
		if err := setupConsole(c, proc, true); err != nil {
			return err
		}
	}
	if err := prepareProcess(proc); err != nil {
		return err
	}
	if err := c.send(syncMsg{Type: msgReady}); err != nil {
		return step("sync", err)
	}
	if err := c.expect(msgGo); err != nil {
		return step("wait for go", err)
	}
	return execCommand(c, proc)
}

// exitCodeFor maps an execve errno to a shell-style exit code.
func exitCodeFor(errno unix.Errno) int {
	if errno == unix.ENOENT {
		return 127
	}
	return 126
}

// UserAnnotation, when present in a spec, holds a --user value ("name",
// "uid:gid", "name:group", or "" for the image's default) that init
// resolves in the container's own /etc/passwd and /etc/group once its rootfs
// is mounted, replacing Process.User and setting HOME if the environment
// has none. The engine cannot resolve names itself: the rootfs is mounted
// only in the container's mount namespace.
const UserAnnotation = "io.hutch.user"

func resolveUser(s *specs.Spec) error {
	u, ok := s.Annotations[UserAnnotation]
	if !ok {
		return nil
	}
	user, home, err := spec.ResolveUser("/", u)
	if err != nil {
		return &InitError{Op: "resolve user", Text: err.Error()}
	}
	s.Process.User = user
	if spec.LookupEnv(s.Process.Env, "HOME") == "" {
		s.Process.Env = append(s.Process.Env, "HOME="+home)
	}
	return nil
}
