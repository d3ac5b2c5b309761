package monitor

import (
	"errors"
	"log/slog"
	"net"
	"sync"
	"time"
)

// exitWriteTimeout bounds how long the monitor waits, at the end, for a
// client to take its remaining output and the exit code.
const exitWriteTimeout = 5 * time.Second

// hangupWait bounds how long the monitor waits, after the exit code, for a
// client to hang up before it closes the connection itself.
const hangupWait = 2 * time.Second

// hub serves attach clients: it fans the container's output out to them
// and feeds their input to the container.
type hub struct {
	log *slog.Logger
	in  *input

	mu      sync.Mutex
	clients map[*client]struct{}
	exitMsg []byte // set by finish: later clients get it at once

	wg sync.WaitGroup // the clients' goroutines
}

func newHub(log *slog.Logger, in *input) *hub {
	return &hub{log: log, in: in, clients: map[*client]struct{}{}}
}

// add registers conn; output broadcast from now on is queued for it.
func (h *hub) add(conn net.Conn) {
	c := newClient(conn)
	h.wg.Add(2)
	h.mu.Lock()
	if h.exitMsg != nil {
		c.push(h.exitMsg, true)
		c.close()
		conn.SetWriteDeadline(time.Now().Add(exitWriteTimeout))
	} else {
		h.clients[c] = struct{}{}
	}
	h.mu.Unlock()
	go h.writeLoop(c)
	go h.readLoop(c)
}

// serve accepts clients until l is closed. It runs on its own goroutine,
// which the caller joins through the returned channel.
func (h *hub) serve(l *net.UnixListener) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			conn, err := l.AcceptUnix()
			if errors.Is(err, net.ErrClosed) {
				return
			}
			if err != nil { // EMFILE and the like: try again later
				h.log.Warn("attach socket accept", "err", err)
				time.Sleep(100 * time.Millisecond)
				continue
			}
			h.add(conn)
		}
	}()
	return done
}

// broadcast queues p (at most maxChunk bytes) for every client.
func (h *hub) broadcast(kind byte, p []byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.clients) == 0 {
		return
	}
	msg := dataMessage(kind, p) // shared, read-only
	for c := range h.clients {
		if !c.push(msg, false) {
			h.log.Warn("attach client too slow, disconnecting it")
			h.removeLocked(c)
			c.conn.Close()
		}
	}
}

func (h *hub) removeLocked(c *client) {
	if _, ok := h.clients[c]; ok {
		delete(h.clients, c)
		c.close()
	}
}

func (h *hub) remove(c *client) {
	h.mu.Lock()
	h.removeLocked(c)
	h.mu.Unlock()
}

// finish sends code to every client after their pending output, and to
// clients that connect later; each connection is closed once sent.
func (h *hub) finish(code int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.exitMsg = exitMessage(code)
	for c := range h.clients {
		c.push(h.exitMsg, true)
		c.conn.SetWriteDeadline(time.Now().Add(exitWriteTimeout))
		h.removeLocked(c)
	}
}

// wait waits for every client's goroutines. Call it after finish, after
// the listener was closed and after input was closed.
func (h *hub) wait() { h.wg.Wait() }

func (h *hub) writeLoop(c *client) {
	defer h.wg.Done()
	defer c.conn.Close() // ends readLoop too
	for {
		msg, ok := c.pop()
		if !ok {
			break
		}
		if _, err := c.conn.Write(msg); err != nil {
			h.remove(c)
			return
		}
	}
	// Everything is sent. Closing now could leave a message the client
	// sent meanwhile (its hello, a resize) unread, and a unix socket
	// closed with unread data resets the peer, which may then lose the
	// output and exit code still waiting to be read. So stop writing,
	// and let the reader consume what comes until the client hangs up.
	if uc, ok := c.conn.(*net.UnixConn); ok {
		uc.CloseWrite()
	}
	select {
	case <-c.readDone:
	case <-time.After(hangupWait):
	}
}

func (h *hub) readLoop(c *client) {
	defer h.wg.Done()
	defer close(c.readDone)
	defer h.remove(c) // a client that hung up gets no more output
	buf := make([]byte, maxPacket)
	wantsStdin := false
	for {
		n, err := c.conn.Read(buf)
		if err != nil || n == 0 {
			return
		}
		p := buf[:n]
		switch p[0] {
		case msgHello:
			hl, err := decodeHello(p)
			if err != nil {
				h.log.Warn("attach client", "err", err)
				return
			}
			wantsStdin = hl.Stdin
			h.in.resize(hl.Rows, hl.Cols)
		case msgStdin:
			if wantsStdin {
				h.in.write(p[1:])
			}
		case msgStdinEOF:
			if wantsStdin {
				h.in.eof()
			}
		case msgResize:
			if rows, cols, err := decodeResize(p); err == nil {
				h.in.resize(rows, cols)
			}
		default:
			h.log.Warn("attach client sent an unknown message", "type", p[0])
			return
		}
	}
}
