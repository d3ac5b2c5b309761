package bridge

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
)

// Rootless containers reach the outside through slirp4netns, which also
// forwards one address of its network (GatewayIP, 10.0.2.2) to the host's
// loopback: to every service the user's host listens on at 127.0.0.1. The
// holder starts slirp4netns with that forwarding on, and these rules in the
// holder's namespace decide per container: forwarding to the address is
// dropped unless the container asked for it (allow_host_loopback=true).
// Processes of the holder's namespace itself are not forwarded, so hutch's
// own helpers there are not affected.

const (
	tagGuard    = "guard"
	hostLoopTag = " hostloop"
)

// GuardHostLoopback installs the rule that drops forwarding to gw (once;
// it is idempotent). Call it before any container can send there.
func (n *Namespace) GuardHostLoopback(gw netip.Addr) error {
	err := n.retryBatch(func(c *nftables.Conn) error {
		st, err := ensureBase(c)
		if err != nil {
			return err
		}
		old, err := rulesTagged(c, st, []string{chainHostLoop}, func(s string) bool { return s == tagGuard })
		if err != nil {
			return err
		}
		if len(old) == 1 {
			return nil
		}
		for _, o := range old {
			if err := c.DelRule(o); err != nil {
				return err
			}
		}
		c.AddRule(&nftables.Rule{Table: st.t, Chain: st.chains[chainHostLoop],
			Exprs:    join(matchPrefix(netip.PrefixFrom(gw, gw.BitLen()), false, expr.CmpOpEq), []expr.Any{verdict(expr.VerdictDrop)}),
			UserData: comment(tagGuard)})
		return c.Flush()
	})
	if err != nil {
		return fmt.Errorf("host loopback guard: %w", err)
	}
	return nil
}

// AllowHostLoopback lets the container's addresses reach gw, ahead of the
// guard. It replaces the container's earlier rules.
func (n *Namespace) AllowHostLoopback(containerID string, addrs []netip.Addr, gw netip.Addr) error {
	tag := tagContainer + containerID + hostLoopTag
	err := n.retryBatch(func(c *nftables.Conn) error {
		st, err := ensureBase(c)
		if err != nil {
			return err
		}
		old, err := rulesTagged(c, st, []string{chainHostLoop}, func(s string) bool { return s == tag })
		if err != nil {
			return err
		}
		for _, o := range old {
			if err := c.DelRule(o); err != nil {
				return err
			}
		}
		for _, a := range addrs {
			if a.Is4() != gw.Is4() {
				continue
			}
			// Inserted at the head: the guard stays last.
			c.InsertRule(&nftables.Rule{Table: st.t, Chain: st.chains[chainHostLoop],
				Exprs: join(matchPrefix(netip.PrefixFrom(a, a.BitLen()), true, expr.CmpOpEq),
					matchPrefix(netip.PrefixFrom(gw, gw.BitLen()), false, expr.CmpOpEq), []expr.Any{verdict(expr.VerdictAccept)}),
				UserData: comment(tag)})
		}
		return c.Flush()
	})
	if err != nil {
		return fmt.Errorf("allow host loopback for container %s: %w", shortID(containerID), err)
	}
	return nil
}

// DisallowHostLoopback deletes the container's exception. Missing rules
// are no error.
func (n *Namespace) DisallowHostLoopback(containerID string) error {
	_, err := n.deleteHostLoop(func(id string) bool { return id == containerID })
	return err
}

// deleteHostLoop deletes the exceptions of the containers match selects.
func (n *Namespace) deleteHostLoop(match func(id string) bool) ([]string, error) {
	gone, err := n.deleteContainerRules(chainHostLoop, func(comment string) (string, bool) {
		id, ok := strings.CutSuffix(strings.TrimPrefix(comment, tagContainer), hostLoopTag)
		return id, ok
	}, match)
	if err != nil {
		return nil, fmt.Errorf("host loopback exceptions: %w", err)
	}
	return gone, nil
}
