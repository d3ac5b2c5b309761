package engine

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
	"golang.org/x/term"
)

// relayConsole connects the caller's streams to a pty master: the caller's
// terminal goes raw, input is copied in, output out, and window size changes
// follow. The returned func waits briefly for the output to drain and
// restores the terminal.
func relayConsole(ctx context.Context, console *os.File, s Streams) (stop func()) {
	var restore func()
	if s.Terminal != nil {
		if old, err := term.MakeRaw(int(s.Terminal.Fd())); err == nil {
			restore = func() { term.Restore(int(s.Terminal.Fd()), old) }
		}
		resize(s.Terminal, console)
	}
	winch := make(chan os.Signal, 1)
	signal.Notify(winch, syscall.SIGWINCH)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-winch:
				if s.Terminal != nil {
					resize(s.Terminal, console)
				}
			case <-done:
				return
			case <-ctx.Done():
				return
			}
		}
	}()
	if s.In != nil {
		go io.Copy(console, s.In)
	}
	drained := make(chan struct{})
	go func() {
		if s.Out != nil {
			io.Copy(s.Out, console) // ends with EIO once the process is gone
		}
		close(drained)
	}()
	return func() {
		select {
		case <-drained:
		case <-time.After(2 * time.Second):
		}
		signal.Stop(winch)
		close(done)
		console.Close()
		if restore != nil {
			restore()
		}
	}
}

// resize copies the caller's terminal size to the pty.
func resize(from, to *os.File) {
	ws, err := unix.IoctlGetWinsize(int(from.Fd()), unix.TIOCGWINSZ)
	if err != nil {
		return
	}
	unix.IoctlSetWinsize(int(to.Fd()), unix.TIOCSWINSZ, ws)
}
