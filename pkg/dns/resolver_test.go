package dns

import (
	"context"
	"net"
	"net/netip"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	mdns "github.com/miekg/dns"
)

// fakeSource is an in-memory Source whose entries a test changes.
type fakeSource struct {
	mu      sync.Mutex
	entries []Entry
	reads   int
}

func (f *fakeSource) Entries(context.Context) ([]Entry, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reads++
	return append([]Entry(nil), f.entries...), nil
}

func (f *fakeSource) set(entries ...Entry) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.entries = entries
}

func addrs(s ...string) []netip.Addr {
	var out []netip.Addr
	for _, a := range s {
		out = append(out, netip.MustParseAddr(a))
	}
	return out
}

// fakeUpstream is a resolver on 127.0.0.1 (UDP and TCP on one port) that
// knows example.test and answers NXDOMAIN otherwise; it counts queries.
type fakeUpstream struct {
	addr    string
	queries atomic.Int32
}

func startUpstream(t *testing.T) *fakeUpstream {
	t.Helper()
	pc, l, err := listenUpstream()
	if err != nil {
		t.Fatal(err)
	}
	return serveUpstream(t, pc, l)
}

// listenUpstream binds UDP and TCP on one free port of 127.0.0.1 (in the
// calling thread's network namespace).
func listenUpstream() (net.PacketConn, net.Listener, error) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, err
	}
	l, err := net.Listen("tcp", pc.LocalAddr().String())
	if err != nil {
		pc.Close()
		return nil, nil, err
	}
	return pc, l, nil
}

func serveUpstream(t *testing.T, pc net.PacketConn, l net.Listener) *fakeUpstream {
	t.Helper()
	u := &fakeUpstream{addr: pc.LocalAddr().String()}
	h := mdns.HandlerFunc(func(w mdns.ResponseWriter, req *mdns.Msg) {
		u.queries.Add(1)
		m := new(mdns.Msg).SetReply(req)
		q := req.Question[0]
		if q.Name == "example.test." && q.Qtype == mdns.TypeA {
			rr, _ := mdns.NewRR("example.test. 60 IN A 192.0.2.1")
			m.Answer = append(m.Answer, rr)
		} else {
			m.SetRcode(req, mdns.RcodeNameError)
		}
		w.WriteMsg(m)
	})
	for _, srv := range []*mdns.Server{{PacketConn: pc, Handler: h}, {Listener: l, Handler: h}} {
		started := make(chan struct{})
		srv.NotifyStartedFunc = func() { close(started) }
		done := make(chan struct{})
		go func() { srv.ActivateAndServe(); close(done) }()
		<-started
		t.Cleanup(func() { srv.Shutdown(); <-done })
	}
	return u
}

// silentUpstream is a UDP socket that never answers.
func silentUpstream(t *testing.T) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	return pc.LocalAddr().String()
}

// result is what a test compares of an answer.
type result struct {
	Rcode   string
	Auth    bool
	Answers []string
}

func summarize(m *mdns.Msg) result {
	r := result{Rcode: mdns.RcodeToString[m.Rcode], Auth: m.Authoritative}
	for _, rr := range m.Answer {
		switch v := rr.(type) {
		case *mdns.A:
			r.Answers = append(r.Answers, "A "+v.A.String())
		case *mdns.AAAA:
			r.Answers = append(r.Answers, "AAAA "+v.AAAA.String())
		case *mdns.PTR:
			r.Answers = append(r.Answers, "PTR "+v.Ptr)
		default:
			r.Answers = append(r.Answers, rr.String())
		}
	}
	sort.Strings(r.Answers)
	return r
}

func query(name string, qtype uint16) *mdns.Msg {
	m := new(mdns.Msg).SetQuestion(name, qtype)
	m.RecursionDesired = true
	return m
}

var testEntries = []Entry{
	{ID: "0123456789abcdef", Names: []string{"web", "frontend", "0123456789ab"}, Addrs: addrs("10.89.0.2", "fd00::2"), Running: true},
	{ID: "fedcba9876543210", Names: []string{"DB", "store"}, Addrs: addrs("10.89.0.3"), Running: true},
	{ID: "1111", Names: []string{"api", "store"}, Addrs: addrs("10.89.0.4"), Running: true},
	{ID: "2222", Names: []string{"old"}, Addrs: addrs("10.89.0.5"), Running: false},
}

func TestResolverAnswers(t *testing.T) {
	up := startUpstream(t)
	src := &fakeSource{}
	src.set(testEntries...)
	r := NewResolver(src, []string{up.addr}, time.Second, time.Second, nil)
	tests := []struct {
		name      string
		qname     string
		qtype     uint16
		want      result
		forwarded bool
	}{
		{"name", "web.", mdns.TypeA, result{"NOERROR", true, []string{"A 10.89.0.2"}}, false},
		{"upper case", "WEB.", mdns.TypeA, result{"NOERROR", true, []string{"A 10.89.0.2"}}, false},
		{"record in upper case", "db.", mdns.TypeA, result{"NOERROR", true, []string{"A 10.89.0.3"}}, false},
		{"search domain", "web.dns.hutch.", mdns.TypeA, result{"NOERROR", true, []string{"A 10.89.0.2"}}, false},
		{"search domain mixed case", "Web.DNS.Hutch.", mdns.TypeA, result{"NOERROR", true, []string{"A 10.89.0.2"}}, false},
		{"alias", "frontend.", mdns.TypeA, result{"NOERROR", true, []string{"A 10.89.0.2"}}, false},
		{"short id", "0123456789ab.", mdns.TypeA, result{"NOERROR", true, []string{"A 10.89.0.2"}}, false},
		{"alias shared by two", "store.", mdns.TypeA, result{"NOERROR", true, []string{"A 10.89.0.3", "A 10.89.0.4"}}, false},
		{"aaaa", "web.", mdns.TypeAAAA, result{"NOERROR", true, []string{"AAAA fd00::2"}}, false},
		{"aaaa of an ipv4-only container", "db.", mdns.TypeAAAA, result{"NOERROR", true, nil}, false},
		{"other type", "web.", mdns.TypeMX, result{"NOERROR", true, nil}, false},
		{"any", "web.", mdns.TypeANY, result{"NOERROR", true, []string{"A 10.89.0.2", "AAAA fd00::2"}}, false},
		{"ptr v4", "2.0.89.10.in-addr.arpa.", mdns.TypePTR, result{"NOERROR", true, []string{"PTR web.dns.hutch."}}, false},
		{"ptr v6", "2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa.", mdns.TypePTR, result{"NOERROR", true, []string{"PTR web.dns.hutch."}}, false},
		{"unknown in the zone", "nosuch.dns.hutch.", mdns.TypeA, result{"NXDOMAIN", true, nil}, false},
		{"zone apex", "dns.hutch.", mdns.TypeA, result{"NOERROR", true, nil}, false},
		{"stopped container", "old.", mdns.TypeA, result{"NXDOMAIN", false, nil}, true},
		{"ptr of a stopped container", "5.0.89.10.in-addr.arpa.", mdns.TypePTR, result{"NXDOMAIN", false, nil}, true},
		{"other name forwarded", "example.test.", mdns.TypeA, result{"NOERROR", false, []string{"A 192.0.2.1"}}, true},
		{"other name unknown upstream", "nowhere.test.", mdns.TypeA, result{"NXDOMAIN", false, nil}, true},
	}
	for _, tt := range tests {
		for _, netw := range []string{"udp", "tcp"} {
			t.Run(tt.name+"/"+netw, func(t *testing.T) {
				before := up.queries.Load()
				req := query(tt.qname, tt.qtype)
				resp := r.answer(context.Background(), req, netw)
				if resp.Id != req.Id {
					t.Errorf("answer id %d, want the query's %d", resp.Id, req.Id)
				}
				if diff := cmp.Diff(summarize(resp), tt.want); diff != "" {
					t.Errorf("answer (-got +want):\n%s", diff)
				}
				if got := up.queries.Load() > before; got != tt.forwarded {
					t.Errorf("forwarded: got %v, want %v", got, tt.forwarded)
				}
			})
		}
	}
}

func TestResolverFollowsState(t *testing.T) {
	up := startUpstream(t)
	src := &fakeSource{}
	src.set(testEntries[0])
	now := time.Unix(1000, 0)
	r := NewResolver(src, []string{up.addr}, time.Second, time.Second, nil)
	r.names.now = func() time.Time { return now }
	ask := func(name string) string {
		return summarize(r.answer(context.Background(), query(name, mdns.TypeA), "udp")).Rcode
	}
	steps := []struct {
		do   func()
		name string
		want string
	}{
		{func() {}, "web.", "NOERROR"},
		// A new container resolves at once: a miss re-reads the state.
		{func() { src.set(testEntries[0], testEntries[1]) }, "db.", "NOERROR"},
		// A stopped one may be served from a snapshot for at most maxAge.
		{func() { src.set(testEntries[1]) }, "db.", "NOERROR"},
		{func() { now = now.Add(time.Second) }, "web.", "NXDOMAIN"},
		{func() {}, "db.", "NOERROR"},
		{func() { e := testEntries[1]; e.Running = false; src.set(e); now = now.Add(time.Second) }, "db.", "NXDOMAIN"},
	}
	for i, s := range steps {
		s.do()
		if got := ask(s.name); got != s.want {
			t.Errorf("step %d: %s: got %s, want %s", i, s.name, got, s.want)
		}
	}
}

func TestResolverUpstreamFailures(t *testing.T) {
	up := startUpstream(t)
	tests := []struct {
		name      string
		upstreams []string
		want      string
		maxTime   time.Duration
	}{
		{"no upstream", nil, "SERVFAIL", 100 * time.Millisecond},
		{"silent upstream", []string{silentUpstream(t)}, "SERVFAIL", 2 * time.Second},
		{"silent then working", []string{silentUpstream(t), up.addr}, "NOERROR", 2 * time.Second},
	}
	for _, tt := range tests {
		for _, netw := range []string{"udp", "tcp"} {
			t.Run(tt.name+"/"+netw, func(t *testing.T) {
				r := NewResolver(&fakeSource{}, tt.upstreams, 200*time.Millisecond, time.Second, nil)
				start := time.Now()
				resp := r.answer(context.Background(), query("example.test.", mdns.TypeA), netw)
				if got := mdns.RcodeToString[resp.Rcode]; got != tt.want {
					t.Errorf("rcode: got %s, want %s", got, tt.want)
				}
				if d := time.Since(start); d > tt.maxTime {
					t.Errorf("answered after %v, want at most %v", d, tt.maxTime)
				}
			})
		}
	}
}

func TestResolverRejects(t *testing.T) {
	r := NewResolver(&fakeSource{}, nil, time.Second, time.Second, nil)
	notify := new(mdns.Msg).SetNotify("web.")
	two := query("web.", mdns.TypeA)
	two.Question = append(two.Question, two.Question[0])
	tests := []struct {
		name string
		req  *mdns.Msg
		want string
	}{
		{"not a query", notify, "NOTIMP"},
		{"two questions", two, "FORMERR"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := mdns.RcodeToString[r.answer(context.Background(), tt.req, "udp").Rcode]; got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestUpstreams(t *testing.T) {
	conf := []byte(`# generated
search example.com
nameserver 192.0.2.53
nameserver   2001:db8::53
nameserver fe80::1%eth0
nameserver not-an-address
options ndots:2
nameserver 127.0.0.53
`)
	got := Upstreams(conf)
	want := []string{"192.0.2.53", "2001:db8::53", "fe80::1%eth0", "127.0.0.53"}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("Upstreams (-got +want):\n%s", diff)
	}
}

func TestParseReverse(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"4.3.2.1.in-addr.arpa", "1.2.3.4"},
		{"3.2.1.in-addr.arpa", "invalid IP"},
		{"b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.0.0.0.0.1.2.3.4.ip6.arpa", "4321:0:1:2:3:4:567:89ab"},
		{"x.ip6.arpa", "invalid IP"},
		{"example.com", "invalid IP"},
	}
	for _, tt := range tests {
		a, _ := parseReverse(tt.in)
		if got := a.String(); got != tt.want {
			t.Errorf("parseReverse(%q): got %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestWithoutSelf(t *testing.T) {
	listen := addrs("10.89.0.1", "fd00::1")
	got := withoutSelf([]string{"10.89.0.1", "10.89.0.1:5353", "192.0.2.53", "[fd00::1]:53", "fd00::1", "2001:db8::53"}, listen, 53)
	want := []string{"10.89.0.1:5353", "192.0.2.53", "2001:db8::53"}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("withoutSelf (-got +want):\n%s", diff)
	}
}
