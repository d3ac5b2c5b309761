//go:build e2e

package e2e

import (
	"bufio"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestLogs(t *testing.T) {
	t.Parallel()
	h := newLoadedEnv(t)
	// The pauses order the lines in the log: the monitor reads stdout and
	// stderr from two pipes.
	h.ok(t, "run", "--name", "l1", imageName, "sh", "-c", "echo out1; sleep 0.3; echo err1 >&2; sleep 0.3; echo out2; printf partial")
	tests := []struct {
		name       string
		args       []string
		wantStdout string
		wantStderr string
	}{
		{"all", nil, "out1\nout2\npartial", "err1\n"},
		{"tail 1", []string{"--tail", "1"}, "partial", ""},
		{"tail 2", []string{"--tail", "2"}, "out2\npartial", ""},
		{"since the future", []string{"--since", time.Now().Add(time.Hour).UTC().Format(time.RFC3339)}, "", ""},
		{"since 10m", []string{"--since", "10m"}, "out1\nout2\npartial", "err1\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			args := append(append([]string{"logs"}, tt.args...), "l1")
			r := h.run(t, args...)
			wantCode(t, r, 0)
			if r.Stdout != tt.wantStdout || r.Stderr != tt.wantStderr {
				t.Errorf("got stdout %q stderr %q, want %q and %q", r.Stdout, r.Stderr, tt.wantStdout, tt.wantStderr)
			}
		})
	}
	t.Run("timestamps", func(t *testing.T) {
		t.Parallel()
		out := h.ok(t, "logs", "-t", "l1")
		var texts []string
		for _, l := range strings.Split(out, "\n") {
			ts, text, _ := strings.Cut(l, " ")
			when, err := time.Parse(time.RFC3339Nano, ts)
			if err != nil || time.Since(when) > time.Hour || time.Since(when) < 0 {
				t.Errorf("line %q does not start with a recent RFC 3339 time", l)
			}
			texts = append(texts, text)
		}
		if diff := cmp.Diff(texts, []string{"out1", "out2", "partial"}); diff != "" {
			t.Errorf("logs -t text (-got +want):\n%s", diff)
		}
	})
}

// TestLogsFollow: `logs -f` shows lines as the container writes them, not
// when it exits, and ends when the container exits.
func TestLogsFollow(t *testing.T) {
	t.Parallel()
	h := newLoadedEnv(t)
	h.runDetached(t, "--name", "ticker", imageName, "sh", "-c",
		"for i in $(seq 1 15); do echo line$i; sleep 0.2; done")
	c := h.command(t.Context(), "logs", "-f", "ticker")
	stdout, err := c.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	type line struct {
		text string
		at   time.Time
	}
	lines := make(chan line)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- line{sc.Text(), time.Now()}
		}
	}()
	var got []line
	deadline := time.After(30 * time.Second)
collect:
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				break collect
			}
			got = append(got, l)
		case <-deadline:
			c.Process.Kill()
			t.Fatalf("logs -f still running 30 s later; lines so far: %v", got)
		}
	}
	if err := c.Wait(); err != nil {
		t.Errorf("logs -f: %v", err)
	}
	var texts []string
	for _, l := range got {
		texts = append(texts, l.text)
	}
	var want []string
	for i := 1; i <= 15; i++ {
		want = append(want, fmt.Sprintf("line%d", i))
	}
	if diff := cmp.Diff(texts, want); diff != "" {
		t.Fatalf("logs -f (-got +want):\n%s", diff)
	}
	// The container spends 2.8 s between line1 and line15; lines that all
	// arrive at once were read after the fact.
	if spread := got[14].at.Sub(got[0].at); spread < time.Second {
		t.Errorf("line1 to line15 arrived within %v: logs -f did not follow the output as it appeared", spread)
	}
}
