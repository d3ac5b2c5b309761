package ns

import (
	"errors"

	"github.com/moby/sys/capability"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// Everything here changes per-thread state (credentials via raw
// prctl/capset, the capability sets, no_new_privs): callers run on the
// locked OS thread that later calls execve, because execve keeps only the
// calling thread's attributes.

// setRlimits applies the spec's rlimits, lowering a request the kernel
// refuses. Raising a hard limit needs CAP_SYS_RESOURCE in the initial user
// namespace and never goes above fs.nr_open, so rootless containers (and
// root ones asking for more than nr_open) would otherwise fail to start, as
// Podman's do on hosts with a low hard RLIMIT_NOFILE.
func setRlimits(rls []specs.POSIXRlimit) error {
	for _, r := range rls {
		res, err := rlimitResource(r.Type)
		if err != nil {
			return step("rlimit", err)
		}
		lim := unix.Rlimit{Cur: r.Soft, Max: r.Hard}
		// unix.Prlimit goes through package syscall, which then stops
		// restoring Go's saved RLIMIT_NOFILE at execve.
		err = unix.Prlimit(0, res, &lim, nil)
		if errors.Is(err, unix.EPERM) {
			var cur unix.Rlimit
			if err := unix.Prlimit(0, res, nil, &cur); err != nil {
				return stepf(err, "get rlimit %s", r.Type)
			}
			lim.Max = min(lim.Max, cur.Max)
			lim.Cur = min(lim.Cur, lim.Max)
			err = unix.Prlimit(0, res, &lim, nil)
		}
		if err != nil {
			return stepf(err, "set rlimit %s", r.Type)
		}
	}
	return nil
}

// capSets builds the capability state the process asks for, dropping
// capabilities this kernel does not know (as runc does).
func capSets(c *specs.LinuxCapabilities) (capability.Capabilities, error) {
	caps, err := capability.NewPid2(0)
	if err != nil {
		return nil, step("capabilities", err)
	}
	last, err := capability.LastCap()
	if err != nil {
		return nil, step("capabilities", err)
	}
	caps.Clear(capability.CAPS | capability.BOUNDS | capability.AMBS)
	sets := []struct {
		which capability.CapType
		names []string
	}{
		{capability.BOUNDING, c.Bounding},
		{capability.EFFECTIVE, c.Effective},
		{capability.PERMITTED, c.Permitted},
		{capability.INHERITABLE, c.Inheritable},
		{capability.AMBIENT, c.Ambient},
	}
	for _, s := range sets {
		list, err := parseCaps(s.names)
		if err != nil {
			return nil, step("capabilities", err)
		}
		for _, cp := range list {
			if cp <= last {
				caps.Set(s.which, cp)
			}
		}
	}
	return caps, nil
}

// setCredentials switches to the process's user and capabilities:
// bounding set first (dropping needs CAP_SETPCAP, which setuid may take
// away), then groups and ids with PR_SET_KEEPCAPS so that a non-root uid
// keeps its permitted set, then the capability sets and the ambient set.
func setCredentials(p *specs.Process) error {
	var caps capability.Capabilities
	if p.Capabilities != nil {
		var err error
		if caps, err = capSets(p.Capabilities); err != nil {
			return err
		}
		if err := caps.Apply(capability.BOUNDS); err != nil {
			return step("drop bounding capabilities", err)
		}
	}
	if err := setIDs(p.User); err != nil {
		return err
	}
	if caps != nil {
		if err := caps.Apply(capability.CAPS | capability.AMBS); err != nil {
			return step("set capabilities", err)
		}
	}
	// Changing credentials clears the parent-death signal; the container
	// must still die with its monitor.
	if err := unix.Prctl(unix.PR_SET_PDEATHSIG, uintptr(unix.SIGKILL), 0, 0, 0); err != nil {
		return step("set parent death signal", err)
	}
	if p.NoNewPrivileges {
		if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
			return step("set no_new_privs", err)
		}
	}
	return nil
}

func setIDs(u specs.User) error {
	gids := make([]int, 0, len(u.AdditionalGids))
	for _, g := range u.AdditionalGids {
		gids = append(gids, int(g))
	}
	// A user namespace whose gid map was written without newgidmap denies
	// setgroups; with no extra groups to set, that is harmless.
	if err := unix.Setgroups(gids); err != nil && !(errors.Is(err, unix.EPERM) && len(gids) == 0) {
		return step("setgroups", err)
	}
	if err := unix.Setresgid(int(u.GID), int(u.GID), int(u.GID)); err != nil {
		return stepf(err, "setresgid %d", u.GID)
	}
	if err := unix.Prctl(unix.PR_SET_KEEPCAPS, 1, 0, 0, 0); err != nil {
		return step("set keepcaps", err)
	}
	if err := unix.Setresuid(int(u.UID), int(u.UID), int(u.UID)); err != nil {
		return stepf(err, "setresuid %d", u.UID)
	}
	if err := unix.Prctl(unix.PR_SET_KEEPCAPS, 0, 0, 0, 0); err != nil {
		return step("clear keepcaps", err)
	}
	return nil
}

// umask returns the process's umask, 0022 by default as in runc.
func umask(u specs.User) int {
	if u.Umask != nil {
		return int(*u.Umask)
	}
	return 0o022
}
