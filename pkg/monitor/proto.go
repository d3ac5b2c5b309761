package monitor

import (
	"encoding/binary"
	"fmt"
)

// The attach protocol. Clients talk to the monitor over a SOCK_SEQPACKET
// unix socket: the kernel keeps message boundaries, so each message is one
// packet, a type byte followed by the payload, and needs no length prefix.
// No packet is ever empty (a zero-length read means EOF).
//
//	client                                        monitor
//	  |                                              |  client registered: output is
//	  | -- hello {stdin?, rows, cols} -------------> |  queued for it from now on
//	  | <----------------- stdout {bytes} ---------- |
//	  | <----------------- stderr {bytes} ---------- |  (never with a terminal)
//	  | -- stdin {bytes} --------------------------> |  forwarded if hello asked for stdin
//	  | -- resize {rows, cols} --------------------> |  TIOCSWINSZ on the pty master
//	  | -- stdin EOF ------------------------------> |  closes the container's stdin pipe
//	  | <----------------- exit {code} ------------- |  after the state was recorded and
//	  |                                              |  cleanup ran; then the monitor closes
//
// A client that does not keep up with the output is disconnected; it never
// slows the container down. Output nobody is attached for still goes to
// the log.
const (
	// msgHello (client): flags (1 byte, bit 0: wants stdin), rows, cols
	// (uint16 each, big-endian; 0 when the client has no terminal).
	msgHello byte = 'h'
	// msgStdin (client): bytes for the container's stdin.
	msgStdin byte = 'i'
	// msgStdinEOF (client): no payload.
	msgStdinEOF byte = 'e'
	// msgResize (client): rows, cols (uint16 each, big-endian).
	msgResize byte = 'r'
	// msgStdout and msgStderr (monitor): the container's output.
	msgStdout byte = '1'
	msgStderr byte = '2'
	// msgExit (monitor): the exit code, int32 big-endian (128+N for signal N).
	msgExit byte = 'x'
)

// maxChunk is the largest payload of a data message; maxPacket the largest
// packet. Receivers read with a maxPacket buffer: SOCK_SEQPACKET silently
// truncates a packet that does not fit.
const (
	maxChunk  = 16 << 10
	maxPacket = 1 + maxChunk
)

// hello is the client's first message.
type hello struct {
	Stdin      bool
	Rows, Cols uint16
}

func (h hello) encode() []byte {
	b := []byte{msgHello, 0, 0, 0, 0, 0}
	if h.Stdin {
		b[1] = 1
	}
	binary.BigEndian.PutUint16(b[2:], h.Rows)
	binary.BigEndian.PutUint16(b[4:], h.Cols)
	return b
}

func decodeHello(p []byte) (hello, error) {
	if len(p) != 6 || p[0] != msgHello {
		return hello{}, fmt.Errorf("attach: malformed hello")
	}
	return hello{
		Stdin: p[1]&1 != 0,
		Rows:  binary.BigEndian.Uint16(p[2:]),
		Cols:  binary.BigEndian.Uint16(p[4:]),
	}, nil
}

func resizeMessage(rows, cols uint16) []byte {
	b := []byte{msgResize, 0, 0, 0, 0}
	binary.BigEndian.PutUint16(b[1:], rows)
	binary.BigEndian.PutUint16(b[3:], cols)
	return b
}

func decodeResize(p []byte) (rows, cols uint16, err error) {
	if len(p) != 5 || p[0] != msgResize {
		return 0, 0, fmt.Errorf("attach: malformed resize")
	}
	return binary.BigEndian.Uint16(p[1:]), binary.BigEndian.Uint16(p[3:]), nil
}

func exitMessage(code int) []byte {
	b := []byte{msgExit, 0, 0, 0, 0}
	binary.BigEndian.PutUint32(b[1:], uint32(int32(code)))
	return b
}

func decodeExit(p []byte) (int, error) {
	if len(p) != 5 || p[0] != msgExit {
		return 0, fmt.Errorf("attach: malformed exit message")
	}
	return int(int32(binary.BigEndian.Uint32(p[1:]))), nil
}

// dataMessage frames p (at most maxChunk bytes) as a message of kind.
func dataMessage(kind byte, p []byte) []byte {
	b := make([]byte, 1+len(p))
	b[0] = kind
	copy(b[1:], p)
	return b
}
