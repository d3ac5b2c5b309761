//go:build e2e

package e2e

import (
	"strings"
	"testing"
	"time"
)

func TestExec(t *testing.T) {
	t.Parallel()
	h := newLoadedEnv(t)
	h.runDetached(t, "--name", "e1", "--hostname", "exechost", imageName, "sleep", "1000")
	tests := []struct {
		name     string
		args     []string
		stdin    string
		wantCode int
		wantOut  string
		wantErr  string // for codes >= 125: the one line of stderr mentions it
	}{
		{name: "echo", args: []string{"e1", "echo", "hi"}, wantOut: "hi"},
		{name: "env", args: []string{"-e", "FOO=bar", "e1", "sh", "-c", "echo $FOO $PATH"}, wantOut: "bar " + imagePath},
		{name: "workdir", args: []string{"-w", "/tmp", "e1", "pwd"}, wantOut: "/tmp"},
		{name: "user", args: []string{"-u", "tester", "e1", "id", "-u"}, wantOut: "1000"},
		{name: "user and group", args: []string{"--user", "1000:65534", "e1", "id", "-g"}, wantOut: "65534"},
		{name: "stdin", args: []string{"-i", "e1", "cat"}, stdin: "via stdin\n", wantOut: "via stdin"},
		{name: "no stdin without -i", args: []string{"e1", "cat"}, stdin: "ignored\n", wantOut: ""},
		{name: "exit code", args: []string{"e1", "sh", "-c", "exit 3"}, wantCode: 3},
		{name: "not found", args: []string{"e1", "no-such-command"}, wantCode: 127, wantErr: "no-such-command"},
		{name: "directory", args: []string{"e1", "/etc"}, wantCode: 126, wantErr: "/etc"},
		{name: "unknown container", args: []string{"no-such-ctr", "true"}, wantCode: 125, wantErr: "no-such-ctr"},
		// The exec'd process is in the container's namespaces, not pid 1.
		{name: "namespaces", args: []string{"e1", "sh", "-c",
			`[ "$$" != 1 ] && [ "$(readlink /proc/self/ns/pid)" = "$(readlink /proc/1/ns/pid)" ] && [ "$(readlink /proc/self/ns/mnt)" = "$(readlink /proc/1/ns/mnt)" ] && hostname`},
			wantOut: "exechost"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"exec"}, tt.args...)
			r := h.runWith(t, runOpts{Stdin: tt.stdin}, args...)
			if tt.wantCode >= 125 {
				wantUserError(t, r, tt.wantCode, tt.wantErr)
				return
			}
			wantCode(t, r, tt.wantCode)
			if r.Out() != tt.wantOut {
				t.Errorf("got stdout %q, want %q", r.Out(), tt.wantOut)
			}
		})
	}
	t.Run("detached", func(t *testing.T) {
		t.Parallel()
		r := h.run(t, "exec", "-d", "e1", "sh", "-c", "sleep 1; echo done > /tmp/detached")
		wantCode(t, r, 0)
		if r.Took > 5*time.Second {
			t.Errorf("exec -d took %v: it must not wait for the process", r.Took)
		}
		eventually(t, 20*time.Second, func() bool { return h.run(t, "exec", "e1", "cat", "/tmp/detached").Out() == "done" },
			func() string { return "the detached exec to write its file" })
	})
}

func TestExecStopped(t *testing.T) {
	t.Parallel()
	h := newLoadedEnv(t)
	idle := h.ok(t, "create", "--name", "idle", imageName, "sleep", "100")
	wantUserErrorAny(t, h.run(t, "exec", "idle", "true"), 125, "idle", idle[:12])
	h.ok(t, "run", "--name", "done", imageName, "true")
	done := h.inspect(t, "done", "{{.ID}}")
	r := h.run(t, "exec", "done", "true")
	wantUserErrorAny(t, r, 125, "done", done[:12])
	if strings.Contains(r.Stderr, "panic") {
		t.Errorf("exec into an exited container: %v", r)
	}
}
