package procnet

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestHolder finds this test process as the holder of a TCP listener and
// a bound UDP socket, and nobody for a free port.
func TestHolder(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	u, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	self := fmt.Sprintf("process %d (%s)", os.Getpid(), filepath.Base(os.Args[0]))
	for _, c := range []struct {
		proto string
		port  int
	}{
		{"tcp", l.Addr().(*net.TCPAddr).Port},
		{"udp", u.LocalAddr().(*net.UDPAddr).Port},
	} {
		if got := Holder("/proc/net", c.proto, uint16(c.port)); got != self {
			t.Errorf("%s port %d: holder %q, want %q", c.proto, c.port, got, self)
		}
	}
	free, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := free.Addr().(*net.TCPAddr).Port
	free.Close()
	if got := Holder("/proc/net", "tcp", uint16(port)); got != "" {
		t.Errorf("free port %d: holder %q, want none", port, got)
	}
}

// TestBound reads a hand-made table: listening sockets only for TCP.
func TestBound(t *testing.T) {
	// Two listeners on port 8080 (0x1F90), one connection from it, one
	// listener on another port.
	table := `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 111 1 0000000000000000 100 0 0 10 0
   1: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 222 1 0000000000000000 100 0 0 10 0
   2: 0100007F:1F90 0100007F:C350 01 00000000:00000000 00:00000000 00000000  1000        0 333 1 0000000000000000 20 4 30 10 -1
   3: 0100007F:1F91 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 444 1 0000000000000000 100 0 0 10 0
`
	path := filepath.Join(t.TempDir(), "tcp")
	if err := os.WriteFile(path, []byte(table), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		listenOnly bool
		want       map[string]bool
	}{
		{name: "tcp", listenOnly: true, want: map[string]bool{"111": true, "222": true}},
		{name: "udp", want: map[string]bool{"111": true, "222": true, "333": true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := map[string]bool{}
			bound(path, tt.listenOnly, 8080, got)
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("inodes (-got +want):\n%s", diff)
			}
		})
	}
}
