package bridge

import (
	"errors"
	"fmt"
	"net/netip"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"
)

// NetworkRules are a network's firewall rules.
type NetworkRules struct {
	// Network is the network's name (the rules' owner tag). Required.
	Network string
	// Bridge is its bridge. Required.
	Bridge string
	// Subnets are its subnets.
	Subnets []netip.Prefix
	// Internal networks get no masquerade and no forwarding in or out.
	Internal bool
}

var loopback4 = netip.MustParsePrefix("127.0.0.0/8")

// networkRules returns the rules of r, per chain.
func networkRules(r NetworkRules, set *nftables.Set) map[string][][]expr.Any {
	masq := []expr.Any{&expr.Masq{}}
	drop := []expr.Any{verdict(expr.VerdictDrop)}
	out := map[string][][]expr.Any{}
	for _, s := range r.Subnets {
		if !r.Internal {
			// Traffic leaving the network leaves with the host's address.
			out[chainMasq] = append(out[chainMasq], join(matchPrefix(s, true, expr.CmpOpEq), matchPrefix(s, false, expr.CmpOpNeq), masq))
		}
		// Hairpin: a container reaching a port published by a container
		// of its own network through a host address must get the answer
		// from that address, so the server must answer the host.
		out[chainMasq] = append(out[chainMasq], join(matchOIF(r.Bridge, expr.CmpOpEq), matchDNATed(), matchPrefix(s, true, expr.CmpOpEq), masq))
	}
	// Published ports reached on the host's 127.0.0.1: the DNATed packet
	// keeps its loopback source (allowed out by route_localnet), which the
	// container could not answer.
	out[chainMasq] = append(out[chainMasq], join(matchOIF(r.Bridge, expr.CmpOpEq), matchPrefix(loopback4, true, expr.CmpOpEq), masq))
	if r.Internal {
		out[chainInternal] = [][]expr.Any{
			join(matchIIF(r.Bridge, expr.CmpOpEq), matchOIF(r.Bridge, expr.CmpOpNeq), drop),
			join(matchOIF(r.Bridge, expr.CmpOpEq), matchIIF(r.Bridge, expr.CmpOpNeq), drop),
		}
	}
	out[chainIsolate] = [][]expr.Any{join(matchIIF(r.Bridge, expr.CmpOpEq), matchOIF(r.Bridge, expr.CmpOpNeq), matchOIFSet(set), drop)}
	return out
}

var networkChains = []string{chainMasq, chainInternal, chainIsolate}

// EnsureNetworkRules installs the network's rules (and hutch's table, if
// missing), replacing any older version of them. It does nothing when the
// network's rules are in place already.
func (n *Namespace) EnsureNetworkRules(r NetworkRules) error {
	tag := tagNetwork + r.Network
	err := n.retryBatch(func(c *nftables.Conn) error {
		st, err := ensureBase(c)
		if err != nil {
			return err
		}
		want := networkRules(r, st.set)
		old, err := rulesTagged(c, st, networkChains, func(s string) bool { return s == tag })
		if err != nil {
			return err
		}
		count := 0
		for _, rs := range want {
			count += len(rs)
		}
		if len(old) == count && hasElement(c, st.set, r.Bridge) {
			return nil
		}
		for _, o := range old {
			if err := c.DelRule(o); err != nil {
				return err
			}
		}
		for _, chain := range networkChains {
			for _, e := range want[chain] {
				c.AddRule(&nftables.Rule{Table: st.t, Chain: st.chains[chain], Exprs: e, UserData: comment(tag)})
			}
		}
		if err := c.SetAddElements(st.set, []nftables.SetElement{{Key: ifname(r.Bridge)}}); err != nil {
			return err
		}
		return c.Flush()
	})
	if err != nil {
		return fmt.Errorf("firewall rules of network %q: %w", r.Network, err)
	}
	return nil
}

func hasElement(c *nftables.Conn, s *nftables.Set, name string) bool {
	els, err := c.GetSetElements(s)
	if err != nil {
		return false
	}
	key := string(ifname(name))
	for _, e := range els {
		if string(e.Key) == key {
			return true
		}
	}
	return false
}

// RemoveNetworkRules deletes the network's rules. Missing rules or table
// are no error. The table itself stays (with its fixed rules only): it
// cannot be deleted atomically on the condition that it is unused, and a
// deletion racing another process's new rules would lose them. Use
// RemoveFirewall to delete it.
func (n *Namespace) RemoveNetworkRules(network, bridge string) error {
	tag := tagNetwork + network
	err := n.retryBatch(func(c *nftables.Conn) error {
		st, err := existingState(c)
		if err != nil || st == nil {
			return err
		}
		old, err := rulesTagged(c, st, networkChains, func(s string) bool { return s == tag })
		if err != nil {
			return err
		}
		for _, o := range old {
			if err := c.DelRule(o); err != nil {
				return err
			}
		}
		if st.set != nil && hasElement(c, st.set, bridge) {
			if err := c.SetDeleteElements(st.set, []nftables.SetElement{{Key: ifname(bridge)}}); err != nil {
				return err
			}
		}
		return c.Flush()
	})
	if err != nil {
		return fmt.Errorf("remove firewall rules of network %q: %w", network, err)
	}
	return nil
}

// existingState returns the table's chains and set without creating
// anything, or nil when the table does not exist.
func existingState(c *nftables.Conn) (*fwState, error) {
	t := table()
	if _, err := c.ListTableOfFamily(TableName, nftables.TableFamilyINet); err != nil {
		if errors.Is(err, unix.ENOENT) {
			return nil, nil
		}
		return nil, fmt.Errorf("nftables table %s: %w", TableName, err)
	}
	st := &fwState{t: t, chains: map[string]*nftables.Chain{}}
	chains, err := c.ListChainsOfTableFamily(nftables.TableFamilyINet)
	if err != nil {
		return nil, fmt.Errorf("nftables chains: %w", err)
	}
	for _, ch := range chains {
		if ch.Table.Name == TableName {
			ch.Table = t
			st.chains[ch.Name] = ch
		}
	}
	if s, err := c.GetSetByName(t, setBridges); err == nil {
		st.set = s
	}
	return st, nil
}
