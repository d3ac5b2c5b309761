package monitor

import (
	"net"
	"sync"
)

// clientBudget is how many bytes of output may wait for one client. A
// client further behind is disconnected: it must never hold up the
// container or the other clients. (With the socket's own buffer, a client
// may lag about 8.2 MiB.)
const clientBudget = 8 << 20

// client is one attach connection. Its writer goroutine sends the queued
// messages; its reader goroutine handles what the client sends.
type client struct {
	conn net.Conn

	mu     sync.Mutex
	queue  [][]byte // messages not yet written, oldest first
	queued int      // their total size
	closed bool     // nothing more will be queued
	wake   chan struct{}
	// readDone is closed when the reader goroutine has returned: the
	// client hung up, or its connection was closed.
	readDone chan struct{}
}

func newClient(conn net.Conn) *client {
	return &client{conn: conn, wake: make(chan struct{}, 1), readDone: make(chan struct{})}
}

// push queues msg (shared, read-only). It reports false, queuing nothing,
// when that would exceed the budget or the client is closed. force ignores
// the budget (the exit message).
func (c *client) push(msg []byte, force bool) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || !force && c.queued+len(msg) > clientBudget {
		return false
	}
	c.queue = append(c.queue, msg)
	c.queued += len(msg)
	select {
	case c.wake <- struct{}{}:
	default:
	}
	return true
}

// close marks the end of the queue: the writer sends what is queued, then
// stops.
func (c *client) close() {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// pop waits for the next message; false once closed and drained.
func (c *client) pop() ([]byte, bool) {
	for {
		c.mu.Lock()
		if len(c.queue) > 0 {
			msg := c.queue[0]
			c.queue[0] = nil
			c.queue = c.queue[1:]
			c.queued -= len(msg)
			if len(c.queue) == 0 {
				c.queue = nil // let the backing array go
			}
			c.mu.Unlock()
			return msg, true
		}
		closed := c.closed
		c.mu.Unlock()
		if closed {
			return nil, false
		}
		<-c.wake
	}
}
