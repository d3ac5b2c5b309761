package dns

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// infoFile describes the live responder (dns.json in the network's
// directory). It is never proof of life (dns.lock is); it says which
// process holds the lock and which namespace it serves, so that a starter
// can replace a responder left in a namespace that is no longer the
// bridge's (a replaced namespace holder), and Stop can end it.
const infoFile = "dns.json"

// stopWait bounds how long a SIGTERMed responder may take to let go of
// dns.lock before it is killed.
const stopWait = 5 * time.Second

type info struct {
	Pid   int    `json:"pid"`
	Start uint64 `json:"start"` // field 22 of /proc/PID/stat: guards against pid reuse
	NetNS string `json:"netns"` // nsIdentity of its network namespace
}

// writeInfo records the calling process as the responder of dir.
func writeInfo(dir string) error {
	i := info{Pid: os.Getpid()}
	var err error
	if i.Start, err = pidStart(i.Pid); err != nil {
		return err
	}
	if i.NetNS, err = nsIdentity("/proc/self/ns/net"); err != nil {
		return err
	}
	data, _ := json.Marshal(i)
	tmp := filepath.Join(dir, "."+infoFile+".tmp")
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return fmt.Errorf("responder info: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, infoFile)); err != nil {
		return fmt.Errorf("responder info: %w", err)
	}
	return nil
}

func readInfo(dir string) (info, error) {
	var i info
	data, err := os.ReadFile(filepath.Join(dir, infoFile))
	if err == nil {
		err = json.Unmarshal(data, &i)
	}
	return i, err
}

// nsIdentity names the namespace file at path (a /proc/PID/ns/net or a
// bind mount of one) by device and inode, which is how the kernel
// identifies namespaces.
func nsIdentity(path string) (string, error) {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return "", fmt.Errorf("network namespace %s: %w", path, err)
	}
	return fmt.Sprintf("%d:%d", st.Dev, st.Ino), nil
}

// pidStart reads pid's start time (field 22 of /proc/PID/stat, counted
// after the last ')' since the command may hold spaces and parentheses).
func pidStart(pid int) (uint64, error) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	s := string(data)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:]) // fields[0] is field 3
	if len(fields) < 20 {
		return 0, fmt.Errorf("malformed /proc/%d/stat", pid)
	}
	return strconv.ParseUint(fields[22-3], 10, 64)
}

// terminate ends the responder holding lf's lock (lf is an open dns.lock
// of dir): SIGTERM, then SIGKILL after stopWait. It returns holding the
// lock on lf. Called with the start lock held, so no responder can start
// meanwhile, and one that is stopping does not wait for that lock.
func terminate(ctx context.Context, dir string, lf *os.File) error {
	i, err := readInfo(dir)
	if err != nil {
		return fmt.Errorf("cannot tell which process serves it (%s: %v)", infoFile, err)
	}
	if start, err := pidStart(i.Pid); err != nil || start != i.Start {
		return fmt.Errorf("%s names pid %d, which is not the responder any more", infoFile, i.Pid)
	}
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL} {
		syscall.Kill(i.Pid, sig)
		deadline := time.Now().Add(stopWait)
		for time.Now().Before(deadline) && ctx.Err() == nil {
			if unix.Flock(int(lf.Fd()), unix.LOCK_EX|unix.LOCK_NB) == nil {
				return nil
			}
			time.Sleep(startLockPoll)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	return fmt.Errorf("pid %d does not exit", i.Pid)
}

// Stop ends the DNS responder of the network whose state directory is
// networkDir, if one runs, and returns once it has gone (for `network rm
// -f`; a responder otherwise exits by itself when nothing is attached).
func Stop(ctx context.Context, networkDir string) error {
	unlock, err := lockStart(ctx, filepath.Join(networkDir, startLockFile), 0)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("stop dns responder: %w", err)
	}
	defer unlock()
	lf, err := os.OpenFile(filepath.Join(networkDir, lockFile), os.O_RDWR|os.O_CREATE|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return fmt.Errorf("stop dns responder: %w", err)
	}
	defer lf.Close()
	if err := unix.Flock(int(lf.Fd()), unix.LOCK_EX|unix.LOCK_NB); err == nil {
		return nil // none runs
	}
	if err := terminate(ctx, networkDir, lf); err != nil {
		return fmt.Errorf("stop dns responder of %s: %w", networkDir, err)
	}
	return nil
}
