package monitor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"golang.org/x/term"
)

// Streams are the caller's side of an attach session.
type Streams struct {
	// In is read for the container's stdin when Attach is asked to forward
	// it. Optional.
	In io.Reader
	// Out receives the container's stdout (everything, with a terminal);
	// Err its stderr (Out when nil).
	Out, Err io.Writer
	// Terminal is the caller's terminal when the container has one: Attach
	// puts it in raw mode, sends its size and forwards SIGWINCH, and
	// restores it on return. Nil otherwise.
	Terminal *os.File
}

// Attach relays a container's stdio over conn (from Dial or SocketPair),
// which it closes, until the container exits; it returns the exit code
// (128+N when killed by signal N). With stdin it forwards s.In, and the
// end of s.In closes the container's stdin (with -i and no terminal).
//
// If the connection drops first (the monitor disconnects clients that do
// not keep up, or died), it returns -1 and an error; if ctx ends, ctx's
// error. A Read of s.In in progress is not interrupted: its goroutine ends
// at that Read's return.
func Attach(ctx context.Context, conn net.Conn, s Streams, stdin bool) (int, error) {
	defer conn.Close()
	stdin = stdin && s.In != nil
	h := hello{Stdin: stdin}
	if s.Terminal != nil {
		fd := int(s.Terminal.Fd())
		h.Rows, h.Cols, _ = TerminalSize(s.Terminal)
		old, err := term.MakeRaw(fd)
		if err != nil {
			return -1, fmt.Errorf("attach: terminal raw mode: %w", err)
		}
		defer term.Restore(fd, old)
		defer forwardResize(conn, fd)()
	}
	// A monitor that already finished (a short-lived container on a first
	// client) has closed its end: the write fails, but its output and exit
	// code still wait in the socket to be read.
	conn.Write(h.encode())
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	if stdin {
		go sendStdin(conn, s.In)
	}
	code, err := receive(conn, s)
	if ctx.Err() != nil {
		return -1, ctx.Err()
	}
	return code, err
}

// receive writes the container's output until the exit message.
func receive(conn net.Conn, s Streams) (int, error) {
	errw := s.Err
	if errw == nil {
		errw = s.Out
	}
	buf := make([]byte, maxPacket)
	for {
		n, err := conn.Read(buf)
		if err != nil || n == 0 {
			if err == nil || errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return -1, fmt.Errorf("attach: lost the connection to the container's monitor before the container exited: %w", err)
		}
		var w io.Writer
		switch buf[0] {
		case msgStdout:
			w = s.Out
		case msgStderr:
			w = errw
		case msgExit:
			return decodeExit(buf[:n])
		default:
			continue // a newer monitor's message
		}
		if w == nil {
			continue
		}
		if _, err := w.Write(buf[1:n]); err != nil {
			return -1, fmt.Errorf("attach: write output: %w", err)
		}
	}
}

// sendStdin forwards in until it ends, then tells the monitor.
func sendStdin(conn net.Conn, in io.Reader) {
	buf := make([]byte, maxPacket)
	buf[0] = msgStdin
	for {
		n, err := in.Read(buf[1:])
		if n > 0 {
			if _, werr := conn.Write(buf[:1+n]); werr != nil {
				return
			}
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				conn.Write([]byte{msgStdinEOF})
			}
			return
		}
	}
}

// forwardResize sends the terminal's size to the monitor on every
// SIGWINCH until the returned function is called.
func forwardResize(conn net.Conn, fd int) (stop func()) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGWINCH)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-done:
				return
			case <-ch:
				if cols, rows, err := term.GetSize(fd); err == nil {
					conn.Write(resizeMessage(uint16(rows), uint16(cols)))
				}
			}
		}
	}()
	return func() {
		signal.Stop(ch)
		close(done)
		wg.Wait()
	}
}

// TerminalSize returns the size of the terminal f, for Config.Rows and
// Cols; ok is false when f is not a terminal.
func TerminalSize(f *os.File) (rows, cols uint16, ok bool) {
	c, r, err := term.GetSize(int(f.Fd()))
	if err != nil || r <= 0 || c <= 0 || r > 0xffff || c > 0xffff {
		return 0, 0, false
	}
	return uint16(r), uint16(c), true
}
