package testutil

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// CLIResult is what one hutch command did (the e2e and VM suites).
type CLIResult struct {
	Args   []string
	Stdout string
	Stderr string
	// Code is the exit code, 128+N when hutch was killed by signal N, and
	// -1 when it could not be started or timed out.
	Code int
	Took time.Duration
}

func (r CLIResult) String() string {
	return fmt.Sprintf("hutch %s: exit %d after %v\n--- stdout:\n%s--- stderr:\n%s",
		strings.Join(r.Args, " "), r.Code, r.Took.Round(time.Millisecond), r.Stdout, r.Stderr)
}

// Out is stdout without the trailing newline.
func (r CLIResult) Out() string { return strings.TrimRight(r.Stdout, "\n") }

// RunCLI runs the command build makes (given a context that ends after
// timeout) for hutch's args, and returns what it did. It fails t only for
// a timeout, a child that kept hutch's stdout or stderr open, or a command
// that could not start.
func RunCLI(t testing.TB, timeout time.Duration, args []string, build func(ctx context.Context) *exec.Cmd) CLIResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	c := build(ctx)
	var stdout, stderr bytes.Buffer
	c.Stdout, c.Stderr = &stdout, &stderr
	start := time.Now()
	err := c.Run()
	r := CLIResult{Args: args, Took: time.Since(start), Code: ExitCode(c.ProcessState)}
	r.Stdout, r.Stderr = stdout.String(), stderr.String()
	switch {
	case ctx.Err() != nil:
		t.Errorf("timed out after %v: %v", timeout, r)
		r.Code = -1
	case errors.Is(err, exec.ErrWaitDelay):
		t.Errorf("hutch exited but a child kept its stdout or stderr open: %v", r)
	case err != nil && c.ProcessState == nil:
		t.Errorf("start hutch: %v", err)
	}
	return r
}

// ExitCode is a finished command's exit code as a shell reports it: 128+N
// when killed by signal N, -1 when it never ran.
func ExitCode(ps *os.ProcessState) int {
	if ps == nil {
		return -1
	}
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ps.ExitCode()
}

// Eventually polls cond every interval until it holds, or fails the test
// once timeout has passed; what describes what was awaited.
func Eventually(t testing.TB, timeout, interval time.Duration, cond func() bool, what func() string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for %s", timeout, what())
		}
		time.Sleep(interval)
	}
}

// WantCode fails the test unless r exited with code.
func WantCode(t testing.TB, r CLIResult, code int) {
	t.Helper()
	if r.Code != code {
		t.Errorf("got exit %d, want %d: %v", r.Code, code, r)
	}
}
