package ns

import (
	"errors"
	"os"
	"path/filepath"
	"strings"

	"github.com/moby/sys/user"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// defaultPath is searched when the process's environment has no PATH.
const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// prepareProcess is the common last step of init and exec before the
// user's command: umask, working directory, credentials, capabilities and
// no_new_privs. It runs before init reports ready, so that a bad cwd or
// user fails Start rather than Exec.
func prepareProcess(p *specs.Process) error {
	unix.Umask(umask(p.User))
	cwd := p.Cwd
	if cwd == "" {
		cwd = "/"
	}
	// Enter cwd while still root: a directory the user cannot search is
	// still a valid cwd (runc does the same); retry afterwards for the
	// odd case of root being refused (root_squash NFS).
	chdirErr := unix.Chdir(cwd)
	if err := setCredentials(p); err != nil {
		return err
	}
	if chdirErr != nil {
		if err := unix.Chdir(cwd); err != nil {
			return stepf(err, "chdir %s", cwd)
		}
	}
	return nil
}

// execCommand looks the command up in the container's PATH and execs it.
// It returns only on failure: the errno goes to the parent as
// msgExecFailed and is returned as an *ExecError.
func execCommand(c *syncConn, p *specs.Process) error {
	env := withHome(p.Env, p.User.UID)
	path, err := lookPath(p.Args[0], env)
	if err == nil {
		err = unix.Exec(path, p.Args, env)
	}
	ee := &ExecError{Path: p.Args[0], Errno: errnoOf(err)}
	// The parent learns the outcome from this message or, on success,
	// from EOF; there is nobody else to tell if the send fails.
	_ = c.send(syncMsg{Type: msgExecFailed, Path: ee.Path, Errno: ee.Errno})
	return ee
}

// lookPath resolves name through PATH of the container's environment, the
// way execvp does: a name with a slash is used as is (execve reports what
// is wrong with it); otherwise the first executable regular file wins,
// EACCES is reported if only unusable candidates (directories,
// non-executable files) were found, and ENOENT if none existed.
func lookPath(name string, env []string) (string, error) {
	if strings.Contains(name, "/") {
		return name, nil
	}
	search := defaultPath
	if v, ok := lookupEnv(env, "PATH"); ok {
		search = v
	}
	errno := unix.ENOENT
	for _, dir := range filepath.SplitList(search) {
		if dir == "" {
			dir = "."
		}
		p := filepath.Join(dir, name)
		st, err := os.Stat(p)
		if err != nil {
			continue
		}
		if st.Mode().IsRegular() && unix.Access(p, unix.X_OK) == nil {
			return p, nil
		}
		errno = unix.EACCES
	}
	return "", errno
}

// lookupEnv finds key the way the process's getenv(3) will: first match.
func lookupEnv(env []string, key string) (string, bool) {
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok && k == key {
			return v, true
		}
	}
	return "", false
}

// withHome adds HOME from the container's /etc/passwd when the process has
// none, as runc does ("/" when the uid has no entry).
func withHome(env []string, uid uint32) []string {
	if _, ok := lookupEnv(env, "HOME"); ok {
		return env
	}
	home := "/"
	users, err := user.ParsePasswdFileFilter("/etc/passwd", func(u user.User) bool { return u.Uid == int(uid) })
	if err == nil && len(users) > 0 && users[0].Home != "" {
		home = users[0].Home
	}
	return append(append([]string(nil), env...), "HOME="+home)
}

// errnoOf extracts the errno of err, or EINVAL when it has none.
func errnoOf(err error) unix.Errno {
	var e unix.Errno
	if errors.As(err, &e) {
		return e
	}
	return unix.EINVAL
}
