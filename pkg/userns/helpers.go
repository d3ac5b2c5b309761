package userns

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
)

// CheckHelpers makes sure the setuid helpers that write a full ID map are
// installed. lookPath is exec.LookPath outside tests.
func CheckHelpers(lookPath func(string) (string, error)) error {
	for _, h := range []string{"newuidmap", "newgidmap"} {
		if _, err := lookPath(h); err != nil {
			return &setupError{msg: h + ` not found in PATH: install the "uidmap" package`}
		}
	}
	return nil
}

// WriteIDMaps writes m into the user namespace of process pid with
// newuidmap and newgidmap. An unprivileged process may only write a one-line
// map of its own IDs; the setuid helpers check /etc/subuid and /etc/subgid
// and write the rest. A failure carries the helper's stderr.
func WriteIDMaps(ctx context.Context, pid int, m Mapping) error {
	if err := runHelper(ctx, "newuidmap", pid, m.UIDs); err != nil {
		return err
	}
	return runHelper(ctx, "newgidmap", pid, m.GIDs)
}

func runHelper(ctx context.Context, helper string, pid int, maps []IDMap) error {
	args := append([]string{strconv.Itoa(pid)}, Args(maps)...)
	cmd := exec.CommandContext(ctx, helper, args...)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Run(); err != nil {
		if errors.Is(err, exec.ErrNotFound) {
			return &setupError{msg: helper + ` not found in PATH: install the "uidmap" package`}
		}
		out := strings.TrimSpace(stderr.String())
		if out == "" {
			out = "no output"
		}
		return &setupError{msg: fmt.Sprintf("%s %s: %s (%v)", helper, strings.Join(args, " "), out, err)}
	}
	return nil
}

// Probe checks, before anything long-lived is started, that this user can
// create a user namespace and that newuidmap/newgidmap accept m for it. It
// starts waiter in a new user namespace, writes m there and kills it.
// waiter must be a command that blocks until killed (hutch uses its own
// "pause" role), because the helpers need the process to exist.
func Probe(ctx context.Context, m Mapping, waiter *exec.Cmd) error {
	if err := CheckHelpers(exec.LookPath); err != nil {
		return err
	}
	if waiter.SysProcAttr == nil {
		waiter.SysProcAttr = &syscall.SysProcAttr{}
	}
	// The namespace must belong to this user, so our child creates it;
	// Pdeathsig keeps it from outliving us if we die before the kill below.
	waiter.SysProcAttr.Cloneflags |= syscall.CLONE_NEWUSER
	waiter.SysProcAttr.Pdeathsig = syscall.SIGKILL
	if err := waiter.Start(); err != nil {
		return &setupError{msg: fmt.Sprintf("create a user namespace: %v: "+
			"check that the sysctls kernel.unprivileged_userns_clone (if present) "+
			"and user.max_user_namespaces are not 0", err)}
	}
	defer func() {
		_ = waiter.Process.Kill()
		_ = waiter.Wait()
	}()
	return WriteIDMaps(ctx, waiter.Process.Pid, m)
}
