package slirp

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hutchctr/hutch/pkg/userns"
)

// TestEnsureJoined runs two commands as hutchtest: the first starts the
// holder, the second reuses it.
func TestEnsureJoined(t *testing.T) {
	e := newTestEnv(t)
	file := filepath.Join(e.work, "made-inside")
	first := e.run(t, "v1", helperTouch+"="+file)

	uid, gid := strconv.Itoa(int(e.uid)), strconv.Itoa(int(e.gid))
	want := helperReport{
		UID: 0, GID: 0,
		UIDMap: "0 " + uid + " 1\n1 100000 65536",
		GIDMap: "0 " + gid + " 1\n1 100000 65536",
		UserNS: first.UserNS, MntNS: first.MntNS,
		Cwd: e.work,
		Env: map[string]string{
			"_HUTCH_ROOTLESS_UID": uid, "_HUTCH_ROOTLESS_GID": gid,
			"_CONTAINERS_USERNS_CONFIGURED": "done",
			"_CONTAINERS_ROOTLESS_UID":      uid, "_CONTAINERS_ROOTLESS_GID": gid,
		},
	}
	if diff := cmp.Diff(first, want); diff != "" {
		t.Errorf("first command (-got +want):\n%s", diff)
	}
	if self, _ := os.Readlink("/proc/self/ns/user"); first.UserNS == self {
		t.Errorf("got the host user namespace %s, want the holder's", self)
	}
	var st syscall.Stat_t
	must(t, syscall.Stat(file, &st))
	if st.Uid != e.uid || st.Gid != e.gid {
		t.Errorf("file made as root inside is owned by %d:%d on the host, want %d:%d", st.Uid, st.Gid, e.uid, e.gid)
	}

	second := e.run(t, "v1")
	if second.UserNS != first.UserNS || second.MntNS != first.MntNS {
		t.Errorf("second command joined %s %s, want the same holder %s %s",
			second.UserNS, second.MntNS, first.UserNS, first.MntNS)
	}
	if got := len(e.instanceDirs(t)); got != 1 {
		t.Errorf("got %d holder directories, want 1", got)
	}
}

// TestHolderKilled SIGKILLs the holder: its namespaces go away with it and
// the next command starts a new one.
func TestHolderKilled(t *testing.T) {
	e := newTestEnv(t)
	first := e.run(t, "v1")
	old, err := current(e.holderRoot())
	must(t, err)
	must(t, syscall.Kill(old.rec.PID, syscall.SIGKILL))
	if !waitFor(func() bool { return !alive(old.childPID) }) {
		t.Errorf("the killed holder's child %d is still alive", old.childPID)
	}

	second := e.run(t, "v1")
	if second.UserNS == first.UserNS {
		t.Errorf("got the dead holder's user namespace %s again", second.UserNS)
	}
	if second.UID != 0 {
		t.Errorf("got uid %d in the new holder, want 0", second.UID)
	}
	if got, want := e.instanceDirs(t), 1; len(got) != want {
		t.Errorf("got holder directories %v, want %d (the dead one removed)", got, want)
	}
}

// TestParallelFirstCommands starts 10 commands at once with no holder:
// exactly one holder is created and all of them join it.
func TestParallelFirstCommands(t *testing.T) {
	e := newTestEnv(t)
	const n = 10
	reports := make([]helperReport, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			reports[i], errs[i] = e.tryRun("v1")
		}()
	}
	wg.Wait()
	seen := map[string]int{}
	for i := range n {
		if errs[i] != nil {
			t.Errorf("command %d: %v", i, errs[i])
			continue
		}
		seen[reports[i].UserNS]++
	}
	if len(seen) != 1 {
		t.Errorf("got user namespaces %v, want one shared by all", seen)
	}
	if got := len(e.instanceDirs(t)); got != 1 {
		t.Errorf("got %d holder directories, want 1", got)
	}
}

// TestVersionChange: a command of another hutch version replaces the
// holder, and the old one exits.
func TestVersionChange(t *testing.T) {
	e := newTestEnv(t)
	first := e.run(t, "v1")
	old, err := current(e.holderRoot())
	must(t, err)
	second := e.run(t, "v2")
	if second.UserNS == first.UserNS {
		t.Errorf("got the v1 holder's user namespace %s for v2", second.UserNS)
	}
	now, err := current(e.holderRoot())
	must(t, err)
	if now.rec.Version != "v2" {
		t.Errorf("got current holder version %q, want v2", now.rec.Version)
	}
	if !waitFor(func() bool { held, _ := lockHeld(old.dir); return !held && !alive(old.childPID) }) {
		t.Errorf("the v1 holder (pid %d) did not exit", old.rec.PID)
	}
	if third := e.run(t, "v2"); third.UserNS != second.UserNS {
		t.Errorf("got %s after the replacement, want the v2 holder's %s", third.UserNS, second.UserNS)
	}
}

func TestRecordMatches(t *testing.T) {
	m := userns.NewMapping("u", 1001, 1001, []userns.Range{{Start: 100000, Length: 65536}}, []userns.Range{{Start: 100000, Length: 65536}})
	rec := record{Version: "v1", UIDMap: m.UIDs, GIDMap: m.GIDs}
	grown := userns.NewMapping("u", 1001, 1001, []userns.Range{{Start: 100000, Length: 65537}}, []userns.Range{{Start: 100000, Length: 65536}})
	regrouped := userns.NewMapping("u", 1001, 1002, []userns.Range{{Start: 100000, Length: 65536}}, []userns.Range{{Start: 100000, Length: 65536}})
	tests := []struct {
		name string
		m    userns.Mapping
		o    Options
		want bool
	}{
		{name: "same", m: m, o: Options{Version: "v1"}, want: true},
		{name: "other version", m: m, o: Options{Version: "v2"}},
		{name: "subuid range changed", m: grown, o: Options{Version: "v1"}},
		{name: "primary group changed", m: regrouped, o: Options{Version: "v1"}},
		{name: "host loopback allowed", m: m, o: Options{Version: "v1", AllowHostLoopback: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := rec.matches(tt.m, tt.o); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestRootlessEnv(t *testing.T) {
	got := rootlessEnv([]string{"A=1", "_HUTCH_ROOTLESS_UID=7", "_CONTAINERS_ROOTLESS_GID=7", "B=2"}, 1001, 1002)
	want := []string{"A=1", "B=2", "_HUTCH_ROOTLESS_UID=1001", "_HUTCH_ROOTLESS_GID=1002",
		"_CONTAINERS_USERNS_CONFIGURED=done", "_CONTAINERS_ROOTLESS_UID=1001", "_CONTAINERS_ROOTLESS_GID=1002"}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("env (-got +want):\n%s", diff)
	}
}

// TestMeasure logs how long a first command takes (it creates the holder)
// and what joining an existing holder adds to a command. It only reports.
func TestMeasure(t *testing.T) {
	e := newTestEnv(t)
	var first []time.Duration
	for i := range 5 {
		e.runDir = filepath.Join(e.home, "run", fmt.Sprintf("m%d", i))
		first = append(first, timeRun(t, e))
	}
	base, joined := make([]time.Duration, 20), make([]time.Duration, 20)
	for i := range 20 {
		joined[i] = timeRun(t, e)
		base[i] = timeRun(t, e, helperNoJoin+"=1")
	}
	t.Logf("first command (creates the holder): median %v of %d", median(first), len(first))
	t.Logf("command joining the holder: median %v; without joining: median %v; added %v (20 runs each)",
		median(joined), median(base), median(joined)-median(base))
}

func timeRun(t *testing.T, e *testEnv, extraEnv ...string) time.Duration {
	start := time.Now()
	e.run(t, "v1", extraEnv...)
	return time.Since(start)
}

func median(d []time.Duration) time.Duration {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}
