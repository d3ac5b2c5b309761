package bridge

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"

	"github.com/hutchctr/hutch/internal/procnet"

	"golang.org/x/sys/unix"

	"github.com/hutchctr/hutch/pkg/errdefs"
)

// PortInUseError is returned by CheckPortFree for a host port a process
// of the namespace holds.
type PortInUseError struct {
	Proto  string
	HostIP netip.Addr // invalid: every address
	Port   uint16
	// Holder names the process, when it could be found ("process 42 (nc)").
	Holder string
}

func (e *PortInUseError) Error() string {
	s := fmt.Sprintf("host port %s is already in use", hostPortString(e.Proto, e.HostIP, e.Port))
	if e.Holder != "" {
		s += " by " + e.Holder
	}
	return s
}

func (e *PortInUseError) Unwrap() error { return errdefs.ErrConflict }

func listenAddr(ip netip.Addr, port uint16) string {
	if !ip.IsValid() {
		ip = netip.IPv4Unspecified()
	}
	return netip.AddrPortFrom(ip, port).String()
}

// bind binds a socket of proto to ip:port in the calling thread's
// namespace and returns the port it got and a function closing it.
func bind(proto string, ip netip.Addr, port uint16) (uint16, func(), error) {
	network := proto + "4"
	if ip.Is6() {
		network = proto + "6"
	}
	switch proto {
	case "tcp":
		l, err := net.Listen(network, listenAddr(ip, port))
		if err != nil {
			return 0, nil, err
		}
		return uint16(l.Addr().(*net.TCPAddr).Port), func() { l.Close() }, nil
	case "udp":
		c, err := net.ListenPacket(network, listenAddr(ip, port))
		if err != nil {
			return 0, nil, err
		}
		return uint16(c.LocalAddr().(*net.UDPAddr).Port), func() { c.Close() }, nil
	}
	return 0, nil, errdefs.Errorf(errdefs.ErrInvalidArgument, "protocol %q: tcp or udp", proto)
}

// CheckPortFree reports whether a process of the namespace could bind
// ip:port (ip invalid: every address) by binding it for a moment. A port in
// use is a *PortInUseError naming its holder where /proc tells.
func (n *Namespace) CheckPortFree(proto string, ip netip.Addr, port uint16) error {
	return n.Do(func() error {
		_, closeFn, err := bind(proto, ip, port)
		if err == nil {
			closeFn()
			return nil
		}
		if errors.Is(err, unix.EADDRINUSE) {
			return &PortInUseError{Proto: proto, HostIP: ip, Port: port, Holder: holderOf(proto, port)}
		}
		if errors.Is(err, unix.EACCES) {
			return errdefs.Errorf(errdefs.ErrPermission, "host port %s: %v", hostPortString(proto, ip, port), err)
		}
		if errors.Is(err, unix.EADDRNOTAVAIL) {
			return errdefs.Errorf(errdefs.ErrInvalidArgument, "host address %s is not an address of this host", ip)
		}
		return fmt.Errorf("host port %s: %w", hostPortString(proto, ip, port), err)
	})
}

// FreePort returns a port of proto that nothing of the namespace holds on
// ip (invalid: every address), as the kernel picks one for a bind to port 0.
func (n *Namespace) FreePort(proto string, ip netip.Addr) (uint16, error) {
	var port uint16
	err := n.Do(func() error {
		p, closeFn, err := bind(proto, ip, 0)
		if err != nil {
			return fmt.Errorf("pick a free %s port: %w", proto, err)
		}
		closeFn()
		port = p
		return nil
	})
	return port, err
}

// UnprivilegedPortStart returns net.ipv4.ip_unprivileged_port_start of
// the namespace: the lowest port an unprivileged process may bind.
func (n *Namespace) UnprivilegedPortStart() (int, error) {
	v, err := n.Sysctl("net/ipv4/ip_unprivileged_port_start")
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(v)
}

// holderOf finds the process holding a socket bound to port in the
// calling thread's network namespace (its /proc/thread-self/net tables).
func holderOf(proto string, port uint16) string {
	return procnet.Holder("/proc/thread-self/net", proto, port)
}
