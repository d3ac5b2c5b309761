package monitor

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// monitorLogName is the monitor's own diagnostics file (its stderr) in the
// container's data directory.
const monitorLogName = "monitor.log"

// Started describes a container whose process was exec'd.
type Started struct {
	// MonitorPid is the monitor's pid, Pid the container init's host pid.
	MonitorPid int
	Pid        int

	id  string
	cmd *exec.Cmd
}

// Wait waits for the monitor to exit, which it does after the container
// exited and its state was recorded, and reaps it. The monitor stays a
// child of Launch's caller until that exits; a short-lived CLI need not
// call Wait, a long-lived caller should (or collect the zombie otherwise).
func (s *Started) Wait() error {
	err := s.cmd.Wait()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return fmt.Errorf("monitor of container %s: %v", shortID(s.id), ee)
	}
	return err
}

// Launch starts a detached monitor for the container (its own session, stdio
// /dev/null, diagnostics to monitor.log in the container's directory) and
// waits until the container's process was exec'd, or failed to be.
//
// attach, when not nil, is one end of a SocketPair: the monitor serves it
// as its first attach client, so the caller sees all output from the first
// byte. Launch does not close it.
//
// An exec failure comes back as an error wrapping *ns.ExecError; another
// monitor holding the container's monitor lock, or a container in a state
// that cannot start, as errdefs.ErrConflict. If ctx ends first, the monitor
// is killed (and the container with it) and ctx's error returned.
func Launch(ctx context.Context, cfg Config, attach *os.File) (*Started, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	p, err := Spawn(attach, cfg.env...)
	if err != nil {
		return nil, err
	}
	return p.Launch(ctx, cfg)
}

// Pending is a monitor process started ahead of its container (Spawn):
// its start-up overlaps the caller's work on the container, and Launch
// then hands it the configuration.
type Pending struct {
	cmd    *exec.Cmd
	config *os.File // write end: the launch document, then EOF
	report *os.File // read end of the report pipe
	attach bool
}

// Spawn starts a monitor that waits for its configuration. attach is as for
// Launch. Every Pending must be Launched or Aborted.
func Spawn(attach *os.File, extraEnv ...string) (*Pending, error) {
	cr, cw, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("monitor config pipe: %w", err)
	}
	defer cr.Close()
	rr, rw, err := os.Pipe()
	if err != nil {
		cw.Close()
		return nil, fmt.Errorf("monitor report pipe: %w", err)
	}
	defer rw.Close() // EOF on rr once the monitor (and only it) closed its copy
	env := append(withoutRoleEnv(os.Environ()), roleEnv+"=monitor")
	cmd := &exec.Cmd{
		Path: "/proc/self/exe",
		Args: []string{"hutch-monitor"},
		Env:  append(env, extraEnv...),
		// fd 3: report, 4: config, 5: the first attach client.
		ExtraFiles: []*os.File{rw, cr},
		// Its own session: the monitor outlives the CLI and its terminal,
		// and the terminal's ^C must not reach it.
		SysProcAttr: &syscall.SysProcAttr{Setsid: true},
	}
	if attach != nil {
		cmd.ExtraFiles = append(cmd.ExtraFiles, attach)
	}
	if err := cmd.Start(); err != nil {
		cw.Close()
		rr.Close()
		return nil, fmt.Errorf("start monitor: %w", err)
	}
	return &Pending{cmd: cmd, config: cw, report: rr, attach: attach != nil}, nil
}

// Abort ends a monitor that will not be launched.
func (p *Pending) Abort() {
	p.config.Close() // EOF without a document: the monitor exits at once
	p.report.Close()
	p.cmd.Wait()
}

// Launch gives the monitor its configuration and waits, as the package's
// Launch does.
func (p *Pending) Launch(ctx context.Context, cfg Config) (*Started, error) {
	defer p.report.Close()
	if err := cfg.validate(); err != nil {
		p.config.Close()
		p.cmd.Wait()
		return nil, err
	}
	doc, err := json.Marshal(launchDoc{Config: cfg, Attach: p.attach})
	if err == nil {
		_, err = p.config.Write(doc)
	}
	p.config.Close()
	if err != nil {
		p.cmd.Process.Kill()
		p.cmd.Wait()
		return nil, fmt.Errorf("configure monitor: %w", err)
	}
	rep, err := readReport(ctx, p.report)
	if err != nil {
		p.cmd.Process.Kill()
		p.cmd.Wait()
		return nil, err
	}
	if rep == nil {
		werr := p.cmd.Wait()
		logPath := filepath.Join(cfg.DataDir, "containers", cfg.ID, monitorLogName)
		return nil, fmt.Errorf("monitor of container %s exited before the container started (%v)%s", shortID(cfg.ID), werr, lastLine(logPath))
	}
	if err := rep.err(); err != nil {
		p.cmd.Wait() // it exits right after reporting
		return nil, err
	}
	return &Started{MonitorPid: p.cmd.Process.Pid, Pid: rep.Pid, id: cfg.ID, cmd: p.cmd}, nil
}

// readReport reads the monitor's report; nil if it closed the pipe without
// one (it died).
func readReport(ctx context.Context, r *os.File) (*report, error) {
	// The pipe is pollable, so a past deadline interrupts the read.
	stop := context.AfterFunc(ctx, func() { r.SetReadDeadline(time.Unix(1, 0)) })
	data, err := io.ReadAll(io.LimitReader(r, 1<<20))
	stop()
	if ctx.Err() != nil {
		return nil, fmt.Errorf("waiting for the container to start: %w", ctx.Err())
	}
	if err != nil {
		return nil, fmt.Errorf("monitor report: %w", err)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, nil
	}
	var rep report
	if err := json.Unmarshal(data, &rep); err != nil {
		return nil, fmt.Errorf("monitor report: %w", err)
	}
	return &rep, nil
}

// lastLine returns ": " and the most telling recent line of the monitor's
// log (a panic, an error), to make a dead monitor's error actionable.
func lastLine(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return ""
	}
	buf := make([]byte, 8<<10)
	n, _ := f.ReadAt(buf, max(st.Size()-int64(len(buf)), 0))
	lines := bytes.Split(bytes.TrimSpace(buf[:n]), []byte{'\n'})
	pick := lines[len(lines)-1]
	for i := len(lines) - 1; i >= 0; i-- {
		l := lines[i]
		if bytes.HasPrefix(l, []byte("panic: ")) || bytes.HasPrefix(l, []byte("fatal error: ")) || bytes.Contains(l, []byte("level=ERROR")) {
			pick = l
			break
		}
	}
	if pick = bytes.TrimSpace(pick); len(pick) == 0 {
		return ""
	}
	return fmt.Sprintf(": %s (see %s)", pick, path)
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
