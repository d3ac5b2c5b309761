package userns

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"syscall"
	"testing"

	"github.com/hutchctr/hutch/internal/testutil"

	"github.com/hutchctr/hutch/pkg/errdefs"
)

// roleEnv makes the test binary run one check as a re-executed helper
// (TestMain dispatch) instead of the tests.
const roleEnv = "_USERNS_TEST_ROLE"

func TestMain(m *testing.M) {
	if role := os.Getenv(roleEnv); role != "" {
		os.Exit(runRole(role))
	}
	os.Exit(m.Run())
}

func runRole(role string) int {
	switch role {
	case "inuserns":
		fmt.Print(InUserNamespace())
		return 0
	case "probe-real", "probe-outside":
		m, err := ForUID(os.Getuid(), Files{})
		if err != nil {
			fmt.Print(err)
			return 0
		}
		if role == "probe-outside" {
			// A range the user was never granted: newuidmap must refuse it.
			m = NewMapping(m.User, m.HostUID, m.HostGID, []Range{{900000, 10}}, []Range{{900000, 10}})
		}
		err = Probe(context.Background(), m, exec.Command("sleep", "100"))
		fmt.Printf("%v permission=%v", err, errors.Is(err, errdefs.ErrPermission))
		return 0
	}
	return 2
}

// TestProbe runs Probe as the unprivileged test user, whose /etc/subuid
// range is 100000:65536 on hutch's test machines.
func TestProbe(t *testing.T) {
	uid, gid := testutil.TestUserIDs(t)
	bin := testutil.PublicCopy(t, "userns.test")
	tests := []struct {
		role string
		want string
	}{
		{role: "probe-real", want: `^<nil> permission=false$`},
		{role: "probe-outside", want: `^newuidmap \d+ 0 ` + strconv.Itoa(int(uid)) +
			` 1 1 900000 10: newuidmap: .+ \(exit status 1\) permission=true$`},
	}
	for _, tt := range tests {
		t.Run(tt.role, func(t *testing.T) {
			cmd := exec.Command(bin)
			cmd.Env = []string{roleEnv + "=" + tt.role, "PATH=/usr/sbin:/usr/bin:/sbin:/bin"}
			cmd.SysProcAttr = &syscall.SysProcAttr{
				Credential: &syscall.Credential{Uid: uid, Gid: gid, Groups: []uint32{}},
				Pdeathsig:  syscall.SIGKILL,
			}
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("%v: %s", err, out)
			}
			if !regexp.MustCompile(tt.want).Match(out) {
				t.Errorf("got %q, want match of %q", out, tt.want)
			}
		})
	}
}

func TestInUserNamespace(t *testing.T) {
	uid, _ := testutil.TestUserIDs(t)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(self)
	cmd.Env = []string{roleEnv + "=inuserns"}
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags:  syscall.CLONE_NEWUSER,
		UidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: int(uid), Size: 1}},
		GidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: 0, Size: 1}},
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if got := string(out); got != "true" {
		t.Errorf("got InUserNamespace() = %s in a new user namespace, want true", got)
	}
}
