package dns

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	mdns "github.com/miekg/dns"
)

// forwarder relays queries that are not the network's to upstream
// resolvers, in order, until one answers.
type forwarder struct {
	upstreams []string // host:port
	timeout   time.Duration
}

func newForwarder(upstreams []string, timeout time.Duration) *forwarder {
	f := &forwarder{timeout: timeout}
	for _, u := range upstreams {
		f.upstreams = append(f.upstreams, withPort(u))
	}
	return f
}

// withPort adds port 53 to an address given without one.
func withPort(addr string) string {
	if _, _, err := net.SplitHostPort(addr); err == nil {
		return addr
	}
	return net.JoinHostPort(addr, "53")
}

// forward sends req to each upstream in turn over netw ("udp" or "tcp",
// the transport the client used, so that a truncated UDP answer makes the
// client retry over TCP end to end) and returns the first answer, whatever
// its rcode: an upstream's NXDOMAIN or SERVFAIL is its answer to give.
func (f *forwarder) forward(ctx context.Context, req *mdns.Msg, netw string) (*mdns.Msg, error) {
	if len(f.upstreams) == 0 {
		return nil, errors.New("no upstream resolver")
	}
	var errs []error
	for _, up := range f.upstreams {
		resp, err := f.exchange(ctx, req.Copy(), netw, up)
		if err == nil {
			resp.Id = req.Id
			return resp, nil
		}
		errs = append(errs, fmt.Errorf("%s: %w", up, err))
		if ctx.Err() != nil {
			break
		}
	}
	return nil, errors.Join(errs...)
}

func (f *forwarder) exchange(ctx context.Context, req *mdns.Msg, netw, upstream string) (*mdns.Msg, error) {
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	c := &mdns.Client{Net: netw, Timeout: f.timeout}
	if opt := req.IsEdns0(); opt != nil {
		c.UDPSize = opt.UDPSize() // read buffer for the upstream's answer
	}
	resp, _, err := c.ExchangeContext(ctx, req, upstream)
	return resp, err
}
