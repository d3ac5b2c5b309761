package main

import (
	"os"
	"os/exec"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestKillLeftovers starts a process that names a work directory only in
// its environment, as Podman's pause process does, and checks that it is
// found, that the test itself (whose arguments do not name it) is not, and
// that killLeftovers ends it.
func TestKillLeftovers(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command("sleep", "60")
	cmd.Env = append(os.Environ(), "XDG_RUNTIME_DIR="+dir+"/run")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	t.Cleanup(func() { _ = cmd.Process.Kill() })

	if diff := cmp.Diff(ourProcesses(dir), []int{cmd.Process.Pid}); diff != "" {
		t.Fatalf("processes naming the dir (-got +want):\n%s", diff)
	}
	killLeftovers(dir)
	if err := <-waited; err == nil {
		t.Errorf("sleep exited cleanly, want it killed")
	}
	if got := ourProcesses(dir); len(got) != 0 {
		t.Errorf("got %v after killLeftovers, want none", got)
	}
}

func TestAncestorsIncludeSelfAndParent(t *testing.T) {
	got := ancestors()
	for _, pid := range []int{os.Getpid(), os.Getppid()} {
		if !got[pid] {
			t.Errorf("ancestors %v lack %d", got, pid)
		}
	}
}
