package cmd

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/term"

	"github.com/hutchctr/hutch/pkg/engine"
	"github.com/hutchctr/hutch/pkg/errdefs"
)

// IOStreams are a command's standard streams and what it knows about them.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer

	stdinTTY, stdoutTTY, stderrTTY bool
	// stdin is the process's stdin file, handed to the engine as the
	// terminal to put in raw mode; nil in tests.
	stdin *os.File
}

// SystemIO returns the process's streams.
func SystemIO() *IOStreams {
	return &IOStreams{
		In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr,
		stdinTTY:  term.IsTerminal(int(os.Stdin.Fd())),
		stdoutTTY: term.IsTerminal(int(os.Stdout.Fd())),
		stderrTTY: term.IsTerminal(int(os.Stderr.Fd())),
		stdin:     os.Stdin,
	}
}

// IsStdinTTY reports whether stdin is a terminal.
func (s *IOStreams) IsStdinTTY() bool { return s.stdinTTY }

// IsStdoutTTY reports whether stdout is a terminal.
func (s *IOStreams) IsStdoutTTY() bool { return s.stdoutTTY }

// IsStderrTTY reports whether stderr is a terminal: pulls draw their
// progress there only then.
func (s *IOStreams) IsStderrTTY() bool { return s.stderrTTY }

// SetStderrTTY overrides the stderr terminal check (for tests).
func (s *IOStreams) SetStderrTTY(v bool) { s.stderrTTY = v }

// SetStdinTTY overrides the stdin terminal check (for tests).
func (s *IOStreams) SetStdinTTY(v bool) { s.stdinTTY = v }

// SetStdoutTTY overrides the stdout terminal check (for tests).
func (s *IOStreams) SetStdoutTTY(v bool) { s.stdoutTTY = v }

// TerminalFile returns stdin's file when it is a terminal, else nil.
func (s *IOStreams) TerminalFile() *os.File {
	if !s.stdinTTY {
		return nil
	}
	return s.stdin
}

// ReadPassword prompts on stderr and reads a line from the terminal
// without echo. Without a terminal there is nobody to ask: the caller
// should have used --password-stdin or a flag.
func (s *IOStreams) ReadPassword(prompt string) (string, error) {
	if !s.stdinTTY || s.stdin == nil {
		return "", errdefs.Errorf(errdefs.ErrInvalidArgument, "a password is needed and stdin is not a terminal to ask for it: use --password-stdin or give it in the flag")
	}
	fmt.Fprint(s.ErrOut, prompt)
	b, err := term.ReadPassword(int(s.stdin.Fd()))
	fmt.Fprintln(s.ErrOut)
	if err != nil {
		return "", fmt.Errorf("read the password: %w", err)
	}
	return string(b), nil
}

// ReadLine prompts on stderr and reads one line from stdin, without its
// line ending (login's user name).
func (s *IOStreams) ReadLine(prompt string) (string, error) {
	if !s.stdinTTY {
		return "", errdefs.Errorf(errdefs.ErrInvalidArgument, "stdin is not a terminal to ask for %q", strings.TrimSpace(strings.TrimSuffix(prompt, ": ")))
	}
	fmt.Fprint(s.ErrOut, prompt)
	line, err := bufio.NewReader(s.In).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", fmt.Errorf("read %s: %w", strings.TrimSuffix(prompt, ": "), err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// engineStreams are the streams for an attached session: stdin only when
// the user asked for it (-i), and the terminal when a pty is wanted (-t)
// and stdin is one.
func (s *IOStreams) engineStreams(stdin, tty bool) engine.Streams {
	st := engine.Streams{Out: s.Out, Err: s.ErrOut}
	if stdin {
		st.In = s.In
	}
	if tty {
		st.Terminal = s.TerminalFile()
	}
	return st
}

// spoolStdin copies stdin to a temporary file for engine calls that take a
// path (load, import): archives are read more than once, which a pipe
// cannot do. cleanup removes the file.
func (s *IOStreams) spoolStdin(pattern string) (path string, cleanup func(), err error) {
	if s.stdinTTY {
		return "", nil, fmt.Errorf("cannot read an archive from a terminal: redirect stdin or name a file")
	}
	f, err := os.CreateTemp("", pattern)
	if err != nil {
		return "", nil, fmt.Errorf("spool stdin: %w", err)
	}
	cleanup = func() { os.Remove(f.Name()) }
	_, err = io.Copy(f, s.In)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		cleanup()
		return "", nil, fmt.Errorf("spool stdin to %s: %w", f.Name(), err)
	}
	return f.Name(), cleanup, nil
}

// tempOutput returns a path in a fresh private directory for an engine call
// that writes a file (save to stdout); cleanup removes the directory.
func tempOutput(name string) (path string, cleanup func(), err error) {
	dir, err := os.MkdirTemp("", "hutch-out-")
	if err != nil {
		return "", nil, fmt.Errorf("create temporary output: %w", err)
	}
	return filepath.Join(dir, name), func() { os.RemoveAll(dir) }, nil
}
