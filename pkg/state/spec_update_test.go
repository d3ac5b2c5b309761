package state

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestUpdateSpec(t *testing.T) {
	s, err := Open(t.TempDir(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	id := "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	h, err := s.Create(Config{ID: id, Name: "c", Spec: &specs.Spec{Hostname: "a", Linux: &specs.Linux{}}})
	if err != nil {
		t.Fatal(err)
	}
	h.Unlock()

	h, err = s.Lock("c")
	if err != nil {
		t.Fatal(err)
	}
	limit := int64(64 << 20)
	err = h.UpdateSpec(func(sp *specs.Spec) error {
		sp.Linux.Resources = &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: &limit}}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	if err := h.UpdateSpec(func(sp *specs.Spec) error { sp.Hostname = "changed"; return boom }); !errors.Is(err, boom) {
		t.Fatalf("failing fn: got %v, want %v", err, boom)
	}
	if got := h.Config.Spec.Hostname; got != "a" {
		t.Errorf("a failed update changed the handle's spec: hostname %q", got)
	}
	h.Unlock()

	c, err := s.Get("c")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.LoadSpec(c); err != nil {
		t.Fatal(err)
	}
	want := &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: &limit}}
	if diff := cmp.Diff(c.Config.Spec.Linux.Resources, want); diff != "" {
		t.Errorf("stored resources (-got +want):\n%s", diff)
	}
}
