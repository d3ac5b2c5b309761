package dns

import (
	"context"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"time"

	mdns "github.com/miekg/dns"

	"github.com/hutchctr/hutch/pkg/network"
)

// SearchDomain is the domain under which container names resolve besides
// their bare form ("web" and "web.dns.hutch"). Containers on networks with
// DNS list it in the search line of their resolv.conf (pkg/network writes
// it, hence the one definition there); the responder is authoritative for
// it, so an unknown name under it is NXDOMAIN and never leaves the network.
const SearchDomain = network.DNSSearchDomain

// answerTTL is the TTL of the responder's own records. Zero: a container's
// name must stop resolving when it stops, so no client should cache it.
const answerTTL = 0

// Entry is a container attached to the network.
type Entry struct {
	// ID is the container's ID. Required.
	ID string
	// Names are the names it answers to on this network: its name, its
	// aliases there and its short ID, in any case. The first one names it
	// in PTR answers.
	Names []string
	// Addrs are its addresses on the network.
	Addrs []netip.Addr
	// Running reports whether its process runs: only running containers
	// resolve. An attached container that is not running (its monitor is
	// still setting it up or tearing it down) keeps the responder alive.
	Running bool
}

// Source reads who is attached to one network. Entries is called for
// queries and lifetime checks and must read the current state each time.
type Source interface {
	Entries(ctx context.Context) ([]Entry, error)
}

// Resolver answers DNS queries for one network (a miekg/dns Handler):
// the names of its running containers from src, everything else through
// the forwarder.
type Resolver struct {
	names *nameTable
	fwd   *forwarder
	log   *slog.Logger
}

// NewResolver returns a Resolver answering from src and forwarding to
// upstreams ("ip" or "ip:port"), each tried for at most timeout. Snapshots
// of src are reused for at most maxAge (never on a miss). log may be nil.
func NewResolver(src Source, upstreams []string, timeout, maxAge time.Duration, log *slog.Logger) *Resolver {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Resolver{
		names: &nameTable{src: src, maxAge: maxAge, now: time.Now},
		fwd:   newForwarder(upstreams, timeout),
		log:   log,
	}
}

// ServeDNS implements mdns.Handler.
func (r *Resolver) ServeDNS(w mdns.ResponseWriter, req *mdns.Msg) {
	resp := r.answer(context.Background(), req, transport(w))
	if resp == nil {
		return
	}
	if transport(w) == "udp" {
		// A forwarded answer may exceed what the client can take over
		// UDP; Truncate sets TC so that it retries over TCP.
		resp.Truncate(udpSize(req))
	}
	if err := w.WriteMsg(resp); err != nil {
		r.log.Debug("write answer", "err", err)
	}
}

// answer computes the reply to req received over netw ("udp" or "tcp").
func (r *Resolver) answer(ctx context.Context, req *mdns.Msg, netw string) *mdns.Msg {
	if req.Opcode != mdns.OpcodeQuery {
		return new(mdns.Msg).SetRcode(req, mdns.RcodeNotImplemented)
	}
	if len(req.Question) != 1 {
		return new(mdns.Msg).SetRcode(req, mdns.RcodeFormatError)
	}
	q := req.Question[0]
	if q.Qclass == mdns.ClassINET {
		resp, handled, err := r.local(ctx, req, q)
		if err != nil {
			r.log.Warn("read network state", "name", q.Name, "err", err)
			return new(mdns.Msg).SetRcode(req, mdns.RcodeServerFailure)
		}
		if handled {
			return resp
		}
	}
	resp, err := r.fwd.forward(ctx, req, netw)
	if err != nil {
		r.log.Debug("forward", "name", q.Name, "type", mdns.TypeToString[q.Qtype], "err", err)
		return new(mdns.Msg).SetRcode(req, mdns.RcodeServerFailure)
	}
	return resp
}

// local answers q if it is the network's to answer: a container's name,
// a name under SearchDomain, or the reverse of a container's address.
func (r *Resolver) local(ctx context.Context, req *mdns.Msg, q mdns.Question) (*mdns.Msg, bool, error) {
	name := strings.TrimSuffix(strings.ToLower(q.Name), ".")
	if q.Qtype == mdns.TypePTR {
		return r.reverse(ctx, req, q, name)
	}
	bare, inZone := stripZone(name)
	addrs, ok, err := r.names.lookup(ctx, bare)
	if err != nil {
		return nil, false, err
	}
	switch {
	case ok:
		return reply(req, addressRecords(q, addrs)), true, nil
	case inZone && bare == "":
		return reply(req, nil), true, nil // the zone apex: exists, no records
	case inZone:
		m := reply(req, nil)
		m.Rcode = mdns.RcodeNameError
		return m, true, nil
	}
	return nil, false, nil
}

// reverse answers a PTR query for a container's address with its name
// under SearchDomain; other addresses are not the network's.
func (r *Resolver) reverse(ctx context.Context, req *mdns.Msg, q mdns.Question, name string) (*mdns.Msg, bool, error) {
	addr, ok := parseReverse(name)
	if !ok {
		return nil, false, nil
	}
	target, ok, err := r.names.nameOf(ctx, addr)
	if err != nil || !ok {
		return nil, false, err
	}
	ptr := &mdns.PTR{
		Hdr: mdns.RR_Header{Name: q.Name, Rrtype: mdns.TypePTR, Class: mdns.ClassINET, Ttl: answerTTL},
		Ptr: mdns.Fqdn(target + "." + SearchDomain),
	}
	return reply(req, []mdns.RR{ptr}), true, nil
}

// stripZone removes SearchDomain from name and reports whether it was
// there.
func stripZone(name string) (string, bool) {
	if name == SearchDomain {
		return "", true
	}
	if bare, ok := strings.CutSuffix(name, "."+SearchDomain); ok {
		return bare, true
	}
	return name, false
}

// addressRecords are the records of addrs that q asks for: A for IPv4,
// AAAA for IPv6, both for ANY, none for other types (a NODATA answer).
func addressRecords(q mdns.Question, addrs []netip.Addr) []mdns.RR {
	var rrs []mdns.RR
	for _, a := range addrs {
		hdr := mdns.RR_Header{Name: q.Name, Class: mdns.ClassINET, Ttl: answerTTL}
		switch {
		case a.Is4() && (q.Qtype == mdns.TypeA || q.Qtype == mdns.TypeANY):
			hdr.Rrtype = mdns.TypeA
			rrs = append(rrs, &mdns.A{Hdr: hdr, A: net.IP(a.AsSlice())})
		case a.Is6() && (q.Qtype == mdns.TypeAAAA || q.Qtype == mdns.TypeANY):
			hdr.Rrtype = mdns.TypeAAAA
			rrs = append(rrs, &mdns.AAAA{Hdr: hdr, AAAA: net.IP(a.AsSlice())})
		}
	}
	return rrs
}

// reply is an authoritative answer to req carrying rrs.
func reply(req *mdns.Msg, rrs []mdns.RR) *mdns.Msg {
	m := new(mdns.Msg).SetReply(req)
	m.Authoritative = true
	m.RecursionAvailable = true
	m.Answer = rrs
	return m
}

// parseReverse returns the address named by an in-addr.arpa or ip6.arpa
// name (lower case, without the final dot).
func parseReverse(name string) (netip.Addr, bool) {
	if rest, ok := strings.CutSuffix(name, ".in-addr.arpa"); ok {
		labels := strings.Split(rest, ".")
		if len(labels) != 4 {
			return netip.Addr{}, false
		}
		a, err := netip.ParseAddr(labels[3] + "." + labels[2] + "." + labels[1] + "." + labels[0])
		return a, err == nil
	}
	if rest, ok := strings.CutSuffix(name, ".ip6.arpa"); ok {
		nibbles := strings.Split(rest, ".")
		if len(nibbles) != 32 {
			return netip.Addr{}, false
		}
		var b strings.Builder
		for i := 31; i >= 0; i-- {
			if len(nibbles[i]) != 1 {
				return netip.Addr{}, false
			}
			b.WriteString(nibbles[i])
			if i%4 == 0 && i > 0 {
				b.WriteByte(':')
			}
		}
		a, err := netip.ParseAddr(b.String())
		return a, err == nil && a.Is6()
	}
	return netip.Addr{}, false
}

// transport is the network a query came over: "tcp" or "udp".
func transport(w mdns.ResponseWriter) string {
	if _, ok := w.RemoteAddr().(*net.TCPAddr); ok {
		return "tcp"
	}
	return "udp"
}

// udpSize is the largest UDP answer req's sender accepts.
func udpSize(req *mdns.Msg) int {
	if opt := req.IsEdns0(); opt != nil && int(opt.UDPSize()) > mdns.MinMsgSize {
		return int(opt.UDPSize())
	}
	return mdns.MinMsgSize
}
