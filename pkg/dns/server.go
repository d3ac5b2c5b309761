package dns

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"syscall"
	"time"

	mdns "github.com/miekg/dns"
)

// bindWait bounds how long listen retries an address the kernel does not
// have yet (a fresh IPv6 gateway address is unusable until duplicate
// address detection has run on the bridge) or a port still in use (the
// responder of a network removed and created again under the same name
// exits at its next idle check).
const bindWait = 4 * time.Second

// server is a responder's set of listeners: UDP and TCP on each address.
type server struct {
	running []*served
}

// served is one listener and the result of its serving goroutine.
type served struct {
	srv  *mdns.Server
	errc chan error // ActivateAndServe's result; buffered
}

// listen binds UDP and TCP sockets on each address at port and serves h on
// them. It returns once every socket is served, or the first bind error.
func listen(addrs []netip.Addr, port int, h mdns.Handler) (*server, error) {
	s := &server{}
	for _, a := range addrs {
		hostport := net.JoinHostPort(a.String(), strconv.Itoa(port))
		pc, err := retryBind(func() (any, error) { return net.ListenPacket("udp", hostport) })
		if err != nil {
			s.close()
			return nil, fmt.Errorf("listen on %s/udp: %w", hostport, err)
		}
		l, err := retryBind(func() (any, error) { return net.Listen("tcp", hostport) })
		if err != nil {
			pc.(net.PacketConn).Close()
			s.close()
			return nil, fmt.Errorf("listen on %s/tcp: %w", hostport, err)
		}
		s.serve(&mdns.Server{PacketConn: pc.(net.PacketConn), Handler: h, UDPSize: mdns.MaxMsgSize})
		s.serve(&mdns.Server{Listener: l.(net.Listener), Handler: h})
	}
	return s, nil
}

// serve runs srv in a goroutine (owned by s: close stops it) and waits
// until it reads from its socket, so that close cannot race its start.
func (s *server) serve(srv *mdns.Server) {
	started := make(chan struct{})
	srv.NotifyStartedFunc = func() { close(started) }
	sv := &served{srv: srv, errc: make(chan error, 1)}
	s.running = append(s.running, sv)
	go func() { sv.errc <- srv.ActivateAndServe() }()
	select {
	case <-started:
	case err := <-sv.errc:
		sv.errc <- err // close collects it
	}
}

// close stops every listener and waits for their goroutines.
func (s *server) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	for _, sv := range s.running {
		if err := sv.srv.ShutdownContext(ctx); err != nil {
			// It was not serving (it had failed): close its socket.
			if sv.srv.PacketConn != nil {
				sv.srv.PacketConn.Close()
			}
			if sv.srv.Listener != nil {
				sv.srv.Listener.Close()
			}
		}
		<-sv.errc
	}
	s.running = nil
}

// retryBind calls bind until it does not fail with EADDRNOTAVAIL or
// EADDRINUSE, for at most bindWait.
func retryBind(bind func() (any, error)) (any, error) {
	deadline := time.Now().Add(bindWait)
	for {
		c, err := bind()
		retry := errors.Is(err, syscall.EADDRNOTAVAIL) || errors.Is(err, syscall.EADDRINUSE)
		if !retry || time.Now().After(deadline) {
			return c, err
		}
		time.Sleep(50 * time.Millisecond)
	}
}
