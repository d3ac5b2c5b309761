package monitor

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/hutchctr/hutch/pkg/monitor/logfile"
	"github.com/hutchctr/hutch/pkg/ns"
)

// session holds what the monitor sets up around the container: its stdio,
// the log, and the attach server.
type session struct {
	log      *slog.Logger
	spec     *specs.Spec
	wantsIn  bool // -i
	logw     *logfile.Writer
	in       *input
	hub      *hub
	relay    *relay
	ln       *net.UnixListener
	served   <-chan struct{}
	sockPath string

	// The monitor's ends of the stdio pipes (nil with a terminal), and the
	// container's ends, which are closed once the runtime has passed them on.
	stdinW, stdoutR, stderrR *os.File
	stdinR, stdoutW, stderrW *os.File
	relaying                 bool // the relay owns stdoutR/stderrR
}

// setup prepares everything the container's start needs, so that no
// output can be lost: the first attach client is registered and the socket
// listens before init exists.
func (m *monitor) setup(first net.Conn) (_ *session, err error) {
	s := &session{log: m.log, wantsIn: m.cfg.Stdin, in: newInput()}
	s.in.resize(m.cfg.Rows, m.cfg.Cols)
	s.hub = newHub(m.log, s.in)
	if first != nil {
		s.hub.add(first)
	}
	defer func() {
		if err != nil {
			s.hub.finish(125)
			s.shutdown()
		}
	}()
	if s.spec, err = loadSpec(m.cfg.SpecPath); err != nil {
		return s, err
	}
	if s.logw, err = logfile.Open(m.store.LogPath(m.cfg.ID)); err != nil {
		return s, err
	}
	s.relay = newRelay(m.log, s.logw, s.hub)
	runDir, err := m.store.MkRunDir(m.cfg.ID)
	if err != nil {
		return s, fmt.Errorf("run directory: %w", err)
	}
	s.sockPath = SocketPath(runDir)
	if s.ln, err = listen(s.sockPath); err != nil {
		return s, err
	}
	s.served = s.hub.serve(s.ln)
	if s.spec.Process.Terminal {
		return s, nil // the runtime makes the pty
	}
	if s.stdoutR, s.stdoutW, err = os.Pipe(); err != nil {
		return s, fmt.Errorf("stdout pipe: %w", err)
	}
	if s.stderrR, s.stderrW, err = os.Pipe(); err != nil {
		return s, fmt.Errorf("stderr pipe: %w", err)
	}
	if s.wantsIn {
		if s.stdinR, s.stdinW, err = os.Pipe(); err != nil {
			return s, fmt.Errorf("stdin pipe: %w", err)
		}
	}
	return s, nil
}

// nsConfig is the runtime's view of the container's stdio. Nil files are
// /dev/null; with a terminal the runtime ignores them.
func (s *session) nsConfig() ns.Config {
	return ns.Config{Spec: s.spec, Stdin: s.stdinR, Stdout: s.stdoutW, Stderr: s.stderrW}
}

// closeChildEnds closes the container's ends of the pipes in the monitor:
// otherwise the monitor itself would keep the output pipes from reaching
// EOF when the container exits.
func (s *session) closeChildEnds() {
	for _, f := range []**os.File{&s.stdinR, &s.stdoutW, &s.stderrW} {
		if *f != nil {
			(*f).Close()
			*f = nil
		}
	}
}

// connect starts relaying the container's output and lets attach clients'
// input through, once init exists. console is the pty master or nil.
func (s *session) connect(console *os.File) {
	s.relaying = true
	if console != nil {
		s.relay.start(console, logfile.Stdout, msgStdout)
		s.in.set(nil, console)
		if s.wantsIn {
			s.in.useConsoleForStdin()
		}
		return
	}
	s.relay.start(s.stdoutR, logfile.Stdout, msgStdout)
	s.relay.start(s.stderrR, logfile.Stderr, msgStderr)
	s.in.set(s.stdinW, nil) // input owns the stdin pipe now
	s.stdinW = nil
}

func (s *session) closeLog(log *slog.Logger) {
	if s.logw == nil {
		return
	}
	if err := s.logw.Close(); err != nil {
		log.Error("container log", "err", err)
	}
}

// shutdown releases everything. Call it after hub.finish: it waits for the
// attach clients to take the exit code (exitWriteTimeout at most).
func (s *session) shutdown() {
	s.in.close()
	s.closeChildEnds()
	for _, f := range []*os.File{s.stdinW, s.stdoutR, s.stderrR} {
		if f != nil && !s.relaying {
			f.Close()
		}
	}
	if s.relay != nil {
		s.relay.closeSources()
	}
	if s.ln != nil {
		s.ln.Close()
		<-s.served
		if err := os.Remove(s.sockPath); err != nil && !errors.Is(err, os.ErrNotExist) {
			s.log.Warn("remove attach socket", "err", err)
		}
	}
	s.hub.wait()
	if s.logw != nil {
		s.logw.Close()
	}
}
