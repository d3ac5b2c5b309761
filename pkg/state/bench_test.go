package state

import (
	"fmt"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// BenchmarkList reads 200 records the size of real ones (a full runtime
// spec each), which is what `hutch ps -a` does.
func BenchmarkList(b *testing.B) {
	s, err := Open(b.TempDir(), b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	sp := &specs.Spec{Process: &specs.Process{Args: []string{"sh"}, Env: make([]string, 10)},
		Mounts: make([]specs.Mount, 12), Linux: &specs.Linux{MaskedPaths: make([]string, 11)}}
	for i := 0; i < 200; i++ {
		h, err := s.Create(Config{ID: fmt.Sprintf("%064x", i+1), Name: fmt.Sprintf("c%d", i), Spec: sp})
		if err != nil {
			b.Fatal(err)
		}
		h.Unlock()
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		list, err := s.List()
		if err != nil || len(list) != 200 {
			b.Fatal(len(list), err)
		}
	}
}
