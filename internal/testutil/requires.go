package testutil

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"strings"
	"testing"
)

// AllowSkipEnv, when set to a non-empty value, turns a failed requirement
// into a skip. By default a missing prerequisite fails the test: `make test`
// runs as root on a prepared host, where a silent skip would hide a lane
// that did not run.
const AllowSkipEnv = "HUTCH_TEST_ALLOW_SKIP"

// Requirement is a host prerequisite of a test.
type Requirement struct {
	// Name says what is required, for the failure message.
	Name string
	// Check returns nil when the requirement is met.
	Check func() error
}

// Requires checks reqs in order and fails the test (or skips it, when
// AllowSkipEnv is set) at the first one that is not met.
func Requires(t testing.TB, reqs ...Requirement) {
	t.Helper()
	for _, r := range reqs {
		if err := r.Check(); err != nil {
			if os.Getenv(AllowSkipEnv) != "" {
				t.Skipf("requires %s: %v", r.Name, err)
			}
			t.Fatalf("requires %s: %v (set %s=1 to skip instead)", r.Name, err, AllowSkipEnv)
		}
	}
}

// Root requires euid 0.
func Root() Requirement {
	return Requirement{"root", func() error {
		if os.Geteuid() != 0 {
			return fmt.Errorf("running as uid %d", os.Geteuid())
		}
		return nil
	}}
}

// Busybox requires Debian's busybox-static at BusyboxPath.
func Busybox() Requirement {
	return Requirement{"busybox-static", func() error {
		_, err := os.Stat(BusyboxPath)
		return err
	}}
}

// Newuidmap requires the setuid newuidmap and newgidmap helpers (uidmap).
func Newuidmap() Requirement {
	return Requirement{"newuidmap and newgidmap", func() error {
		for _, b := range []string{"newuidmap", "newgidmap"} {
			p, err := exec.LookPath(b)
			if err != nil {
				return err
			}
			st, err := os.Stat(p)
			if err != nil {
				return err
			}
			if st.Mode()&os.ModeSetuid == 0 && !hasFileCaps(p) {
				return fmt.Errorf("%s is neither setuid nor has file capabilities", p)
			}
		}
		return nil
	}}
}

func hasFileCaps(path string) bool {
	out, err := exec.Command("getcap", path).Output()
	return err == nil && len(strings.TrimSpace(string(out))) > 0
}

// UserNS requires that unprivileged user namespaces are enabled.
func UserNS() Requirement {
	return Requirement{"user namespaces", func() error {
		b, err := os.ReadFile("/proc/sys/user/max_user_namespaces")
		if err != nil {
			return err
		}
		if strings.TrimSpace(string(b)) == "0" {
			return errors.New("user.max_user_namespaces is 0")
		}
		if b, err := os.ReadFile("/proc/sys/kernel/unprivileged_userns_clone"); err == nil && strings.TrimSpace(string(b)) == "0" {
			return errors.New("kernel.unprivileged_userns_clone is 0")
		}
		return nil
	}}
}

// SubIDUser requires a user with ranges in /etc/subuid and /etc/subgid.
func SubIDUser(name string) Requirement {
	return Requirement{"user " + name + " with subordinate ids", func() error {
		u, err := user.Lookup(name)
		if err != nil {
			return err
		}
		for _, f := range []string{"/etc/subuid", "/etc/subgid"} {
			if _, _, err := SubIDRange(f, u.Username, u.Uid); err != nil {
				return err
			}
		}
		return nil
	}}
}

// SubIDRange returns the first range for the user (by name or numeric id)
// in an /etc/subuid-style file.
func SubIDRange(file, name, id string) (start, count int, err error) {
	f, err := os.Open(file)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		parts := strings.Split(strings.TrimSpace(sc.Text()), ":")
		if len(parts) != 3 || (parts[0] != name && parts[0] != id) {
			continue
		}
		if _, err := fmt.Sscanf(parts[1]+" "+parts[2], "%d %d", &start, &count); err == nil {
			return start, count, nil
		}
	}
	return 0, 0, fmt.Errorf("%s: no range for %s", file, name)
}
