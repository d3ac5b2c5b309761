package slirp

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gofrs/flock"

	"github.com/hutchctr/hutch/pkg/config"
	"github.com/hutchctr/hutch/pkg/ns/nsenter"
	"github.com/hutchctr/hutch/pkg/userns"
)

// Options configure the namespace holder.
type Options struct {
	// RunDir is hutch's run directory (config.Paths.Run); the holder's
	// state goes under RunDir/holder. Required.
	RunDir string
	// Version is hutch's version. A holder made by another version is
	// replaced.
	Version string
	// AllowHostLoopback lets the holder's network namespace reach the
	// host's loopback through slirp4netns's gateway (GatewayIP). A holder
	// made with the other setting is replaced, which cuts the network of
	// running containers: keep it fixed. hutch always sets it, and the
	// holder's firewall decides per container (pkg/bridge's
	// GuardHostLoopback and AllowHostLoopback).
	AllowHostLoopback bool
}

// EnsureJoined makes the calling process run inside the namespace holder's
// user and mount namespaces. Outside them, it checks the user's
// subordinate ID ranges, makes sure a live holder with the current hutch
// version and ID map runs (starting one, or replacing a dead or stale one),
// and re-executes os.Args there with the same environment plus the host ids
// (config.RootlessUIDEnv/GIDEnv and containers/storage's variables) and the
// same working directory. On success that exec does not return. Inside a
// non-initial user namespace (the re-executed copy) it returns nil at once,
// and so it does for root, which needs no holder.
//
// Errors about the host's set-up wrap errdefs.ErrPermission.
func EnsureJoined(ctx context.Context, o Options) error {
	if userns.InUserNamespace() || os.Getuid() == 0 {
		return nil
	}
	m, err := userns.ForUID(os.Getuid(), userns.Files{})
	if err != nil {
		return err
	}
	nss, err := holderNamespaces(ctx, o, m)
	if err != nil {
		return err
	}
	return reexec(nss, m)
}

// holderNamespaces returns the open user and mount namespaces of a live
// holder made for m and o.Version, starting one if needed.
func holderNamespaces(ctx context.Context, o Options, m userns.Mapping) ([]nsenter.Namespace, error) {
	root, err := holderRoot(o.RunDir)
	if err != nil {
		return nil, err
	}
	if nss, _, err := tryJoin(root, m, o); err == nil {
		return nss, nil
	}
	// Slow path: one process at a time decides whether to start a
	// holder, so parallel first commands create exactly one.
	lock := flock.New(filepath.Join(root, startLockName))
	if locked, err := lock.TryLockContext(ctx, 5*time.Millisecond); err != nil || !locked {
		return nil, fmt.Errorf("wait for the namespace holder start lock %s: %w", lock.Path(), err)
	}
	defer lock.Unlock()
	nss, stale, err := tryJoin(root, m, o)
	if err == nil {
		return nss, nil
	}
	if stale != nil {
		// Made for another version or ID map. Its containers' monitors
		// keep their namespaces; new commands use the new holder.
		_ = stop(stale)
	}
	if err := removeStale(root); err != nil {
		return nil, err
	}
	if err := startHolder(ctx, o, root, m); err != nil {
		return nil, err
	}
	nss, _, err = tryJoin(root, m, o)
	if err != nil {
		return nil, fmt.Errorf("join the new namespace holder: %w", err)
	}
	return nss, nil
}

// errStale means the live holder was made for another version, map or
// network options.
var errStale = errors.New("namespace holder made for another hutch version, ID map or network options")

// tryJoin opens the current holder's namespaces. It returns the instance as
// well when a live holder does not match.
func tryJoin(root string, m userns.Mapping, o Options) ([]nsenter.Namespace, *instance, error) {
	inst, err := current(root)
	if err != nil {
		return nil, nil, err
	}
	if !inst.rec.matches(m, o) {
		if held, _ := lockHeld(inst.dir); held {
			return nil, inst, errStale
		}
		return nil, nil, errNoHolder
	}
	nss, err := openNamespaces(inst)
	return nss, nil, err
}

// openNamespaces opens U and M through the child's pid, then checks that
// the holder still holds its lock. If it does, the child could not have
// exited and been reaped before the open (the holder reaps it, then
// unlocks), so the pid was not reused and the files are the holder's.
func openNamespaces(inst *instance) ([]nsenter.Namespace, error) {
	var nss []nsenter.Namespace
	closeAll := func() {
		for _, ns := range nss {
			ns.File.Close()
		}
	}
	for _, kind := range []string{nsenter.User, nsenter.Mount} {
		f, err := os.Open("/proc/" + strconv.Itoa(inst.childPID) + "/ns/" + kind)
		if err != nil {
			closeAll()
			return nil, errNoHolder
		}
		nss = append(nss, nsenter.Namespace{Kind: kind, File: f})
	}
	if held, err := lockHeld(inst.dir); err != nil || !held {
		closeAll()
		return nil, errNoHolder
	}
	return nss, nil
}

// reexec replaces the process with itself joined into nss. No fork is
// needed: no pid namespace is joined.
func reexec(nss []nsenter.Namespace, m userns.Mapping) error {
	// A deleted cwd cannot be kept; the command then starts in /.
	cwd, _ := os.Getwd()
	env, err := nsenter.PrepareExec(rootlessEnv(os.Environ(), m.HostUID, m.HostGID), nss, false, cwd)
	if err != nil {
		return err
	}
	err = syscall.Exec("/proc/self/exe", os.Args, env)
	runtime.KeepAlive(nss) // the files must stay open until the exec
	return fmt.Errorf("re-execute hutch in the namespace holder: %w", err)
}

// rootlessEnv sets the host ids for hutch (pkg/config) and for
// containers/storage, which otherwise takes uid 0 inside the namespace for
// the real user.
func rootlessEnv(env []string, uid, gid int) []string {
	set := []string{
		config.RootlessUIDEnv + "=" + strconv.Itoa(uid),
		config.RootlessGIDEnv + "=" + strconv.Itoa(gid),
		"_CONTAINERS_USERNS_CONFIGURED=done",
		"_CONTAINERS_ROOTLESS_UID=" + strconv.Itoa(uid),
		"_CONTAINERS_ROOTLESS_GID=" + strconv.Itoa(gid),
	}
	out := make([]string, 0, len(env)+len(set))
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		replaced := false
		for _, s := range set {
			if strings.HasPrefix(s, k+"=") {
				replaced = true
				break
			}
		}
		if !replaced {
			out = append(out, kv)
		}
	}
	return append(out, set...)
}
