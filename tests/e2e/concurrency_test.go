//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestConcurrentRuns starts 30 containers at once, 10 of them with the same
// name: exactly one of those and all 20 others succeed, the 9 losers fail
// cleanly, and every record on disk is whole.
func TestConcurrentRuns(t *testing.T) {
	t.Parallel()
	h := newLoadedEnv(t)
	const total, same = 30, 10
	names := make([]string, total)
	results := make([]result, total)
	var wg sync.WaitGroup
	for i := range names {
		names[i] = fmt.Sprintf("unique-%02d", i)
		if i < same {
			names[i] = "contested"
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = h.runWith(t, runOpts{Timeout: 3 * time.Minute},
				"run", "-d", "--stop-timeout", "1", "--name", names[i], imageName, "sleep", "60")
		}()
	}
	wg.Wait()
	var winners []string
	losers := 0
	for i, r := range results {
		switch {
		case r.Code == 0 && fullIDRE.MatchString(r.Out()):
			winners = append(winners, names[i])
		case names[i] == "contested":
			losers++
			wantUserError(t, r, 125, "already in use")
		default:
			t.Errorf("run of %s failed: %v", names[i], r)
		}
	}
	want := []string{"contested"}
	for i := same; i < total; i++ {
		want = append(want, names[i])
	}
	sort.Strings(winners)
	if diff := cmp.Diff(winners, want); diff != "" {
		t.Errorf("successful runs (-got +want):\n%s", diff)
	}
	if losers != same-1 {
		t.Errorf("%d runs of the contested name failed, want %d", losers, same-1)
	}
	if got := sortedFields(h.ok(t, "ps", "--filter", "status=running", "--format", "{{.Names}}")); !cmp.Equal(got, want) {
		t.Errorf("running containers: %v", got)
	}
	checkRecords(t, h, len(want))
}

// checkRecords parses every container record on disk.
func checkRecords(t *testing.T, h *hutchEnv, want int) {
	t.Helper()
	dirs := visibleEntries(filepath.Join(h.root, "containers"))
	if len(dirs) != want {
		t.Errorf("%d container directories, want %d: %v", len(dirs), want, dirs)
	}
	for _, d := range dirs {
		for _, f := range []string{"config.json", "state.json"} {
			p := filepath.Join(h.root, "containers", d, f)
			data, err := os.ReadFile(p)
			var doc map[string]any
			if err == nil {
				err = json.Unmarshal(data, &doc)
			}
			if err != nil {
				t.Errorf("%s: %v", p, err)
			}
		}
	}
	if names := visibleEntries(filepath.Join(h.root, "names")); len(names) != want {
		t.Errorf("%d reserved names, want %d: %s", len(names), want, strings.Join(names, " "))
	}
}
