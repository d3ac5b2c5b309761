//go:build e2e

package e2e

import (
	"encoding/binary"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// DHCP message types (RFC 2132, option 53) the DHCP test looks for.
const (
	dhcpRequest = 3
	dhcpRelease = 7
)

// dhcpMsg is a DHCP client message seen on the LAN's wire.
type dhcpMsg struct {
	typ    int
	chaddr string // the client's MAC, lower-case with colons
	ciaddr string // the client's current address ("0.0.0.0" when it has none)
}

// dhcpSniffer records the DHCP messages sent to the server port on one
// interface. busybox udhcpd keeps its leases in memory and logs little, so
// renewals and releases are checked on the wire instead.
type dhcpSniffer struct {
	mu   sync.Mutex
	msgs []dhcpMsg
}

// sniffDHCP opens a packet socket on ifname in ns (IP packets, link header
// stripped) and records DHCP messages to port 67 until the test ends.
func sniffDHCP(t *testing.T, ns *netNS, ifname string) *dhcpSniffer {
	t.Helper()
	var fd int
	err := ns.do(func() error {
		ifi, err := net.InterfaceByName(ifname)
		if err != nil {
			return err
		}
		proto := int(htons(unix.ETH_P_IP))
		if fd, err = unix.Socket(unix.AF_PACKET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, proto); err != nil {
			return err
		}
		return unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_IP), Ifindex: ifi.Index})
	})
	if err != nil {
		t.Fatalf("packet socket on %s: %v", ifname, err)
	}
	// A receive timeout lets the reader notice the end of the test.
	tv := unix.Timeval{Usec: 200_000}
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		t.Fatal(err)
	}
	s := &dhcpSniffer{}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 2048)
		for {
			select {
			case <-stop:
				return
			default:
			}
			k, _, err := unix.Recvfrom(fd, buf, 0)
			if err != nil {
				continue
			}
			if m, ok := parseDHCP(buf[:k]); ok {
				s.mu.Lock()
				s.msgs = append(s.msgs, m)
				s.mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() {
		close(stop)
		<-done
		unix.Close(fd)
	})
	return s
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// parseDHCP decodes an IPv4 UDP packet to port 67 carrying a DHCP message.
func parseDHCP(p []byte) (dhcpMsg, bool) {
	if len(p) < 20 || p[0]>>4 != 4 || p[9] != unix.IPPROTO_UDP {
		return dhcpMsg{}, false
	}
	ihl := int(p[0]&0x0f) * 4
	if len(p) < ihl+8 || binary.BigEndian.Uint16(p[ihl+2:]) != 67 {
		return dhcpMsg{}, false
	}
	d := p[ihl+8:]
	// op, htype, hlen, hops, xid(4), secs(2), flags(2), ciaddr(4) at 12,
	// yiaddr, siaddr, giaddr, chaddr(16) at 28, sname(64), file(128),
	// magic cookie at 236, options from 240.
	if len(d) < 240 || binary.BigEndian.Uint32(d[236:]) != 0x63825363 {
		return dhcpMsg{}, false
	}
	m := dhcpMsg{
		chaddr: net.HardwareAddr(d[28:34]).String(),
		ciaddr: net.IP(d[12:16]).String(),
	}
	for opts := d[240:]; len(opts) > 0 && opts[0] != 255; {
		if opts[0] == 0 {
			opts = opts[1:]
			continue
		}
		if len(opts) < 2 || len(opts) < 2+int(opts[1]) {
			break
		}
		if opts[0] == 53 && opts[1] == 1 {
			m.typ = int(opts[2])
		}
		opts = opts[2+int(opts[1]):]
	}
	return m, m.typ != 0
}

// wait polls until a recorded message matches, or fails the test.
func (s *dhcpSniffer) wait(t testing.TB, timeout time.Duration, what string, match func(dhcpMsg) bool) {
	t.Helper()
	eventually(t, timeout, func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, m := range s.msgs {
			if match(m) {
				return true
			}
		}
		return false
	}, func() string {
		s.mu.Lock()
		defer s.mu.Unlock()
		return fmt.Sprintf("%s; DHCP messages seen: %+v", what, s.msgs)
	})
}
