package image

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hutchctr/hutch/internal/testutil"
)

// TestTimings reports how long Open takes cold (first use of the run root:
// storage probes overlay features) and warm, each in a fresh process
// (storage caches stores per process), and how long Load takes for the
// busybox image. Run with -v to see the numbers.
func TestTimings(t *testing.T) {
	testutil.Requires(t, testutil.Root(), inPrivateMountNS(), testutil.Busybox())
	dir := t.TempDir()
	archive := busyboxArchive(t, "docker", "busybox")
	for _, phase := range []string{"cold", "warm", "warm"} {
		cmd := exec.Command("/proc/self/exe")
		cmd.Env = withRole("open-timing", envGraph+"="+filepath.Join(dir, "graph"), envRun+"="+filepath.Join(dir, "run"))
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("open-timing: %v: %s", err, out)
		}
		t.Logf("%s: %s", phase, strings.TrimSpace(string(out)))
	}
	s := newStore(t)
	start := time.Now()
	mustLoad(t, s, archive)
	t.Logf("load busybox docker-archive: %v", time.Since(start))
	start = time.Now()
	mustLoad(t, s, busyboxArchive(t, "oci", "busybox2"))
	t.Logf("load busybox oci-archive (layer reused, fixture build included): %v", time.Since(start))
	start = time.Now()
	if _, err := s.List(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Logf("list: %v", time.Since(start))
}

// openTiming opens the store once and prints the time Open and List took.
func openTiming() int {
	start := time.Now()
	s, err := Open(Options{GraphRoot: os.Getenv(envGraph), RunRoot: os.Getenv(envRun)})
	if err != nil {
		fmt.Println(err)
		return 1
	}
	opened := time.Since(start)
	if _, err := s.List(context.Background()); err != nil {
		fmt.Println(err)
		return 1
	}
	listed := time.Since(start) - opened
	if err := s.Close(); err != nil {
		fmt.Println(err)
		return 1
	}
	fmt.Printf("open %v, list %v, close %v", opened, listed, time.Since(start)-opened-listed)
	return 0
}
