package monitor

import (
	"os"
	"sync"

	"golang.org/x/sys/unix"
)

// input is where attach clients' keystrokes and window sizes go: the
// container's stdin pipe or its pty master. It becomes ready once the
// container's stdio exists (the pty master only after the runtime started
// init); until then writers wait and resizes are remembered.
type input struct {
	ready     chan struct{}
	readyOnce sync.Once
	wmu       sync.Mutex // serialises writes so clients' packets do not interleave

	mu         sync.Mutex
	w          *os.File // stdin pipe or pty master; nil discards input
	eofCloses  bool     // w is a pipe the monitor owns: client EOF closes it
	console    *os.File // pty master, for resize; not owned
	rows, cols uint16   // last size asked for
	shut       bool
}

func newInput() *input { return &input{ready: make(chan struct{})} }

// set installs the container's stdin and console and makes input ready.
// stdinPipe, if not nil, is owned by input from now on.
func (in *input) set(stdinPipe, console *os.File) {
	in.mu.Lock()
	switch {
	case in.shut:
		if stdinPipe != nil {
			stdinPipe.Close()
		}
	case stdinPipe != nil:
		in.w, in.eofCloses = stdinPipe, true
	}
	in.console = console
	if console != nil && in.rows != 0 && in.cols != 0 {
		setWinsize(console, in.rows, in.cols)
	}
	in.mu.Unlock()
	in.readyOnce.Do(func() { close(in.ready) })
}

// useConsoleForStdin forwards input to the pty master (-it).
func (in *input) useConsoleForStdin() {
	in.mu.Lock()
	if !in.shut && in.console != nil {
		in.w, in.eofCloses = in.console, false
	}
	in.mu.Unlock()
}

func (in *input) write(p []byte) {
	<-in.ready
	in.wmu.Lock()
	defer in.wmu.Unlock()
	in.mu.Lock()
	w := in.w
	in.mu.Unlock()
	if w != nil {
		// A container that exited or closed its stdin makes this fail;
		// there is no one to tell.
		w.Write(p)
	}
}

// eof closes the container's stdin pipe, so that `echo hi | run -i cat`
// ends. With a terminal there is nothing to close.
func (in *input) eof() {
	<-in.ready
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.eofCloses && in.w != nil {
		in.w.Close()
		in.w = nil
	}
}

func (in *input) resize(rows, cols uint16) {
	if rows == 0 || cols == 0 {
		return
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	in.rows, in.cols = rows, cols
	if in.console != nil {
		setWinsize(in.console, rows, cols)
	}
}

// close releases waiting writers and closes the stdin pipe; a write
// blocked on a full pipe returns. The console is closed by its owner.
func (in *input) close() {
	in.mu.Lock()
	in.shut = true
	if in.eofCloses && in.w != nil {
		in.w.Close()
	}
	in.w, in.console = nil, nil
	in.mu.Unlock()
	in.readyOnce.Do(func() { close(in.ready) })
}

// setWinsize sets the pty's window size, which also sends SIGWINCH to the
// container's foreground process group. It goes through SyscallConn rather
// than Fd, which would switch the master to blocking mode and stop Close
// from interrupting the relay's read.
func setWinsize(console *os.File, rows, cols uint16) {
	rc, err := console.SyscallConn()
	if err != nil {
		return
	}
	rc.Control(func(fd uintptr) {
		unix.IoctlSetWinsize(int(fd), unix.TIOCSWINSZ, &unix.Winsize{Row: rows, Col: cols})
	})
}
