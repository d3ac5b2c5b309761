package network

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hutchctr/hutch/pkg/errdefs"
)

func addrs(ps []netip.Prefix) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.String())
	}
	return out
}

func TestAllocate(t *testing.T) {
	type step struct {
		id        string
		requested string
		want      []string // nil with an error
		class     error
	}
	tests := []struct {
		name    string
		subnets []Subnet
		alive   []string
		steps   []step
	}{
		{"sequential, skipping network and gateway", []Subnet{{Subnet: pfx("10.1.0.0/29")}}, []string{"a", "b"}, []step{
			{"a", "", []string{"10.1.0.2/29"}, nil},
			{"b", "", []string{"10.1.0.3/29"}, nil},
			{"a", "", []string{"10.1.0.2/29"}, nil}, // held already
		}},
		{"full pool, broadcast excluded", []Subnet{{Subnet: pfx("10.1.0.0/30")}}, []string{"a", "b"}, []step{
			{"a", "", []string{"10.1.0.2/30"}, nil},
			{"b", "", nil, errdefs.ErrConflict},
		}},
		{"full pool reclaims the dead", []Subnet{{Subnet: pfx("10.1.0.0/30")}}, []string{"b"}, []step{
			{"a", "", []string{"10.1.0.2/30"}, nil},
			{"b", "", []string{"10.1.0.2/30"}, nil},
		}},
		{"ip range", []Subnet{{Subnet: pfx("10.1.0.0/24"), IPRange: pfx("10.1.0.128/30")}}, []string{"a", "b", "c", "d", "e"}, []step{
			{"a", "", []string{"10.1.0.128/24"}, nil},
			{"b", "", []string{"10.1.0.129/24"}, nil},
			{"c", "", []string{"10.1.0.130/24"}, nil},
			{"d", "", []string{"10.1.0.131/24"}, nil},
			{"e", "", nil, errdefs.ErrConflict},
			{"e", "10.1.0.7", []string{"10.1.0.7/24"}, nil}, // requested: anywhere in the subnet
		}},
		{"requested", []Subnet{{Subnet: pfx("10.1.0.0/24")}}, []string{"a", "b"}, []step{
			{"a", "10.1.0.77", []string{"10.1.0.77/24"}, nil},
			{"b", "10.1.0.77", nil, errdefs.ErrConflict},
			{"b", "10.2.0.1", nil, errdefs.ErrInvalidArgument},
			{"b", "10.1.0.1", nil, errdefs.ErrInvalidArgument}, // the gateway
			{"b", "10.1.0.255", nil, errdefs.ErrInvalidArgument},
			{"a", "10.1.0.78", []string{"10.1.0.78/24"}, nil}, // moves a
			{"b", "10.1.0.77", []string{"10.1.0.77/24"}, nil}, // freed by the move
		}},
		{"requested from a dead owner", []Subnet{{Subnet: pfx("10.1.0.0/24")}}, []string{"b"}, []step{
			{"a", "10.1.0.9", []string{"10.1.0.9/24"}, nil},
			{"b", "10.1.0.9", []string{"10.1.0.9/24"}, nil},
		}},
		{"dual stack", []Subnet{{Subnet: pfx("10.1.0.0/24")}, {Subnet: pfx("fd00:1::/64")}}, []string{"a", "b"}, []step{
			{"a", "", []string{"10.1.0.2/24", "fd00:1::2/64"}, nil},
			{"b", "fd00:1::99", []string{"10.1.0.3/24", "fd00:1::99/64"}, nil},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			live := map[string]bool{}
			for _, id := range tt.alive {
				live[id] = true
			}
			s := newStore(t, func(id string) bool { return live[id] })
			n := mustCreate(t, s, Network{Name: "n", Subnets: tt.subnets})
			for i, st := range tt.steps {
				var req netip.Addr
				if st.requested != "" {
					req = addr(st.requested)
				}
				got, err := s.Allocate(n, st.id, req)
				if !errors.Is(err, tt.steps[i].class) || (err != nil) != (st.class != nil) {
					t.Fatalf("step %d: Allocate(%s, %q) error = %v, want %v", i, st.id, st.requested, err, st.class)
				}
				if diff := cmp.Diff(addrs(got), st.want); diff != "" {
					t.Fatalf("step %d: Allocate(%s, %q) (-got +want):\n%s", i, st.id, st.requested, diff)
				}
			}
		})
	}
}

func TestReleaseAndReclaim(t *testing.T) {
	live := map[string]bool{"a": true, "b": true, "c": true}
	s := newStore(t, func(id string) bool { return live[id] })
	n := mustCreate(t, s, Network{Name: "n", Subnets: []Subnet{{Subnet: pfx("10.1.0.0/24")}, {Subnet: pfx("fd00::/64")}}})
	for _, id := range []string{"a", "b", "c"} {
		if _, err := s.Allocate(n, id, netip.Addr{}); err != nil {
			t.Fatal(err)
		}
	}
	freed, err := s.Release("n", "a")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(fmt.Sprint(freed), "[10.1.0.2 fd00::2]"); diff != "" {
		t.Errorf("Release(a) (-got +want):\n%s", diff)
	}
	live["b"] = false
	freed, err = s.Reclaim("n", nil)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(fmt.Sprint(freed), "[10.1.0.3 fd00::3]"); diff != "" {
		t.Errorf("Reclaim() (-got +want):\n%s", diff)
	}
	left, err := s.Allocations("n")
	if err != nil {
		t.Fatal(err)
	}
	want := map[netip.Addr]string{addr("10.1.0.4"): "c", addr("fd00::4"): "c"}
	if diff := cmp.Diff(left, want, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
		t.Errorf("Allocations() (-got +want):\n%s", diff)
	}
	// A freed address is not handed out again at once.
	got, err := s.Allocate(n, "d", netip.Addr{})
	if err != nil || got[0].Addr() != addr("10.1.0.5") {
		t.Errorf("Allocate(d) = %v, %v; want 10.1.0.5 (after the last one given)", got, err)
	}
	if freed, err := s.Release("gone", "a"); err != nil || freed != nil {
		t.Errorf("Release(missing network) = %v, %v; want nothing", freed, err)
	}
}

// checkDistinct fails unless got holds n distinct addresses.
func checkDistinct(t *testing.T, got []string, n int) {
	t.Helper()
	sort.Strings(got)
	for i := 1; i < len(got); i++ {
		if got[i] == got[i-1] {
			t.Errorf("address %s allocated twice", got[i])
		}
	}
	if len(got) != n {
		t.Errorf("%d addresses allocated, want %d", len(got), n)
	}
}

func TestAllocateParallelGoroutines(t *testing.T) {
	s := newStore(t, nil)
	n := mustCreate(t, s, Network{Name: "n", Subnets: []Subnet{{Subnet: pfx("10.1.0.0/24")}}})
	var mu sync.Mutex
	var got []string
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Each goroutine opens its own Store, as separate commands do.
			s2, err := Open(strings.TrimSuffix(s.dir, "/networks"), Options{})
			if err != nil {
				t.Error(err)
				return
			}
			p, err := s2.Allocate(n, fmt.Sprintf("ctr%02d", i), netip.Addr{})
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			got = append(got, p[0].Addr().String())
			mu.Unlock()
		}()
	}
	wg.Wait()
	checkDistinct(t, got, 50)
}

func TestAllocateParallelProcesses(t *testing.T) {
	s := newStore(t, nil)
	mustCreate(t, s, Network{Name: "n", Subnets: []Subnet{{Subnet: pfx("10.1.0.0/24")}}})
	data := strings.TrimSuffix(s.dir, "/networks")
	cmds := make([]*exec.Cmd, 50)
	outs := make([]strings.Builder, 50)
	for i := range cmds {
		cmds[i] = exec.Command(os.Args[0])
		cmds[i].Env = append(os.Environ(), fmt.Sprintf("%s=%s n proc%02d", allocEnv, data, i))
		cmds[i].Stdout, cmds[i].Stderr = &outs[i], &outs[i]
	}
	for _, c := range cmds {
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	for i, c := range cmds {
		if err := c.Wait(); err != nil {
			t.Errorf("process %d: %v: %s", i, err, outs[i].String())
			continue
		}
		got = append(got, strings.TrimSpace(outs[i].String()))
	}
	checkDistinct(t, got, 50)
	allocs, err := s.Allocations("n")
	if err != nil || len(allocs) != 50 {
		t.Errorf("Allocations() = %d entries, %v; want 50", len(allocs), err)
	}
}
