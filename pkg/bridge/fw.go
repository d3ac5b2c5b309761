package bridge

import (
	"errors"
	"fmt"
	"strings"

	"github.com/google/nftables"
	"github.com/google/nftables/binaryutil"
	"github.com/google/nftables/expr"
	"github.com/google/nftables/userdata"
	"golang.org/x/sys/unix"
)

// TableName is hutch's nftables table (family inet). Nothing outside it is
// touched.
const TableName = "hutch"

// The table's chains and set:
//
//	prerouting  nat hook prerouting  -100: fib daddr type local jump ports
//	output      nat hook output      -100: fib daddr type local jump ports
//	postrouting nat hook postrouting  100: jump masq
//	forward     filter hook forward     0: jump hostloop; jump internal; ct status dnat accept; jump isolate
//	redirects   filter hook output      0: no ICMP redirects out of a bridge
//	ports       per container: DNAT of its published ports             (ctr:<id>)
//	masq        per network: masquerade out, of 127/8 sources and hairpins (net:<name>)
//	internal    per internal network: drop forwarding into or out of it (net:<name>)
//	isolate     per network: drop forwarding to another hutch bridge      (net:<name>)
//	hostloop    rootless only: slirp4netns's host-loopback address is     (guard)
//	            dropped, except for containers that allow it          (ctr:<id> hostloop)
//	bridges     set of the bridges' names
//
// The base chains hold only these fixed rules; everything that changes is
// in the regular chains, one comment-tagged rule group per owner.
const (
	chainPrerouting  = "prerouting"
	chainOutput      = "output"
	chainPostrouting = "postrouting"
	chainForward     = "forward"
	chainRedirects   = "redirects"
	chainPorts       = "ports"
	chainMasq        = "masq"
	chainInternal    = "internal"
	chainIsolate     = "isolate"
	chainHostLoop    = "hostloop"
	setBridges       = "bridges"
)

var regularChains = []string{chainPorts, chainMasq, chainInternal, chainIsolate, chainHostLoop}

// Owner tags in rule comments.
const (
	tagNetwork   = "net:"
	tagContainer = "ctr:"
)

// nft opens a netlink connection to nftables inside the namespace (see
// doIn for why not nftables.WithNetNSFd). The caller closes it with
// CloseLasting.
func (n *Namespace) nft() (*nftables.Conn, error) {
	var c *nftables.Conn
	err := n.Do(func() error {
		var err error
		// Lasting: the socket is opened now, on this thread, so it
		// belongs to the namespace; a transient one would be opened
		// later on whatever thread runs the operation.
		c, err = nftables.New(nftables.AsLasting())
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("nftables: %w", err)
	}
	return c, nil
}

func table() *nftables.Table {
	return &nftables.Table{Name: TableName, Family: nftables.TableFamilyINet}
}

// fwState is what ensureBase returns: the table, its chains and the set,
// usable in the same batch.
type fwState struct {
	t      *nftables.Table
	chains map[string]*nftables.Chain
	set    *nftables.Set
}

// ensureBase queues, on c, the creation of the table, its chains, the set
// and the base chains' fixed rules, unless they all exist. It does not
// flush c. The queued commands are idempotent: "add" of an existing table,
// chain or set is a no-op, and the base chains are flushed and refilled in
// the same atomic batch, so concurrent callers converge on one copy.
func ensureBase(c *nftables.Conn) (*fwState, error) {
	t := table()
	st := &fwState{t: t, chains: map[string]*nftables.Chain{}}
	have := map[string]bool{}
	if chains, err := c.ListChainsOfTableFamily(nftables.TableFamilyINet); err == nil {
		for _, ch := range chains {
			if ch.Table.Name == TableName {
				have[ch.Name] = true
				st.chains[ch.Name] = ch
			}
		}
	}
	set, err := c.GetSetByName(t, setBridges)
	complete := err == nil && len(have) == len(regularChains)+5
	if complete {
		st.set = set
		for _, ch := range st.chains {
			ch.Table = t
		}
		return st, nil
	}
	c.AddTable(t)
	for _, name := range regularChains {
		st.chains[name] = c.AddChain(&nftables.Chain{Name: name, Table: t})
	}
	base := []struct {
		name string
		typ  nftables.ChainType
		hook *nftables.ChainHook
		prio *nftables.ChainPriority
	}{
		{chainPrerouting, nftables.ChainTypeNAT, nftables.ChainHookPrerouting, nftables.ChainPriorityNATDest},
		{chainOutput, nftables.ChainTypeNAT, nftables.ChainHookOutput, nftables.ChainPriorityNATDest},
		{chainPostrouting, nftables.ChainTypeNAT, nftables.ChainHookPostrouting, nftables.ChainPriorityNATSource},
		{chainForward, nftables.ChainTypeFilter, nftables.ChainHookForward, nftables.ChainPriorityFilter},
		{chainRedirects, nftables.ChainTypeFilter, nftables.ChainHookOutput, nftables.ChainPriorityFilter},
	}
	for _, b := range base {
		ch := c.AddChain(&nftables.Chain{Name: b.name, Table: t, Type: b.typ, Hooknum: b.hook, Priority: b.prio})
		c.FlushChain(ch)
		st.chains[b.name] = ch
	}
	// Host byte order, as nft declares ifname sets: nft then prints the
	// names (the kernel compares bytes either way).
	// ID: the set's handle within this batch (the only set in it). Left
	// zero, the library takes one from a global counter without a lock,
	// a data race between concurrent callers.
	st.set = &nftables.Set{Table: t, ID: 1, Name: setBridges, KeyType: nftables.TypeIFName, KeyByteOrder: binaryutil.NativeEndian}
	if err := c.AddSet(st.set, nil); err != nil {
		return nil, fmt.Errorf("nftables set %s: %w", setBridges, err)
	}
	tag := comment("base")
	add := func(chain string, e ...[]expr.Any) {
		c.AddRule(&nftables.Rule{Table: t, Chain: st.chains[chain], Exprs: join(e...), UserData: tag})
	}
	add(chainPrerouting, matchLocalDest(), []expr.Any{jump(chainPorts)})
	add(chainOutput, matchLocalDest(), []expr.Any{jump(chainPorts)})
	add(chainPostrouting, []expr.Any{jump(chainMasq)})
	add(chainForward, []expr.Any{jump(chainHostLoop)})
	add(chainForward, []expr.Any{jump(chainInternal)})
	add(chainForward, matchDNATed(), []expr.Any{verdict(expr.VerdictAccept)})
	add(chainForward, []expr.Any{jump(chainIsolate)})
	// A packet DNATed back into the bridge it came from (a container
	// reaching a published port through a host address) makes the kernel
	// send the client an ICMP redirect naming the server as the next hop
	// for the host's address, which breaks the client's later packets.
	// On a container network the host is the only router: no redirect is
	// ever right. (send_redirects cannot be turned off per bridge: the
	// kernel ORs it with conf/all, which is the host's to set.)
	add(chainRedirects, matchOIFSet(st.set), matchICMPRedirect(false), []expr.Any{verdict(expr.VerdictDrop)})
	add(chainRedirects, matchOIFSet(st.set), matchICMPRedirect(true), []expr.Any{verdict(expr.VerdictDrop)})
	return st, nil
}

func comment(tag string) []byte {
	return userdata.AppendString(nil, userdata.TypeComment, tag)
}

func ruleComment(r *nftables.Rule) string {
	s, _ := userdata.GetString(r.UserData, userdata.TypeComment)
	return s
}

// rulesTagged returns the rules of the regular chains whose comment starts
// with prefix (an owner tag).
func rulesTagged(c *nftables.Conn, st *fwState, chains []string, match func(comment string) bool) ([]*nftables.Rule, error) {
	var out []*nftables.Rule
	for _, name := range chains {
		ch, ok := st.chains[name]
		if !ok {
			continue
		}
		rules, err := c.GetRules(st.t, ch)
		if err != nil {
			if errors.Is(err, unix.ENOENT) {
				continue
			}
			return nil, fmt.Errorf("nftables rules of %s: %w", name, err)
		}
		for _, r := range rules {
			if match(ruleComment(r)) {
				r.Table, r.Chain = st.t, ch
				out = append(out, r)
			}
		}
	}
	return out, nil
}

func hasPrefix(prefix string) func(string) bool {
	return func(s string) bool { return strings.HasPrefix(s, prefix) }
}

// retryBatch runs fn (which queues commands on a fresh connection and
// flushes them) once more if the batch failed because the table or a rule
// vanished under it (a concurrent RemoveFirewall or cleanup).
func (n *Namespace) retryBatch(fn func(c *nftables.Conn) error) error {
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		c, cerr := n.nft()
		if cerr != nil {
			return cerr
		}
		err = fn(c)
		c.CloseLasting()
		if err == nil || !(errors.Is(err, unix.ENOENT) || errors.Is(err, unix.EBUSY)) {
			return err
		}
	}
	return err
}

// RemoveFirewall deletes hutch's table with all its rules. A missing
// table is no error.
func (n *Namespace) RemoveFirewall() error {
	c, err := n.nft()
	if err != nil {
		return err
	}
	defer c.CloseLasting()
	c.DelTable(table())
	if err := c.Flush(); err != nil && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("nftables: remove table %s: %w", TableName, err)
	}
	return nil
}
