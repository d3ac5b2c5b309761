package bridge

import (
	"errors"
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"

	"github.com/hutchctr/hutch/pkg/errdefs"
)

// PortRule publishes one host port to a container.
type PortRule struct {
	// Proto is tcp or udp.
	Proto string
	// HostIP limits the rule to one local address; invalid: every local
	// address of the namespace.
	HostIP   netip.Addr
	HostPort uint16
	// ContainerIP is the container's (IPv4) address on its bridge.
	ContainerIP   netip.Addr
	ContainerPort uint16
}

// Published is a host port published by a container's rule.
type Published struct {
	ContainerID string
	Proto       string
	HostIP      netip.Addr // invalid: every address
	HostPort    uint16
}

// PortConflictError is returned by Publish for a host port that another
// container has published.
type PortConflictError struct{ Published }

func (e *PortConflictError) Error() string {
	return fmt.Sprintf("host port %s is already published by container %s", hostPortString(e.Proto, e.HostIP, e.HostPort), shortID(e.ContainerID))
}

func (e *PortConflictError) Unwrap() error { return errdefs.ErrConflict }

func hostPortString(proto string, ip netip.Addr, port uint16) string {
	if !ip.IsValid() {
		return fmt.Sprintf("%d/%s", port, proto)
	}
	return fmt.Sprintf("%s/%s", netip.AddrPortFrom(ip, port), proto)
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// portComment is a port rule's comment: the owner tag, then what it
// publishes, so conflicts and listings need not decode expressions.
func portComment(id string, r PortRule) string {
	ip := "*"
	if r.HostIP.IsValid() {
		ip = r.HostIP.String()
	}
	return fmt.Sprintf("%s%s %s %s %d", tagContainer, id, r.Proto, ip, r.HostPort)
}

func parsePortComment(s string) (Published, bool) {
	f := strings.Fields(s)
	if len(f) != 4 || !strings.HasPrefix(f[0], tagContainer) {
		return Published{}, false
	}
	p := Published{ContainerID: strings.TrimPrefix(f[0], tagContainer), Proto: f[1]}
	if f[2] != "*" {
		a, err := netip.ParseAddr(f[2])
		if err != nil {
			return Published{}, false
		}
		p.HostIP = a
	}
	port, err := strconv.ParseUint(f[3], 10, 16)
	if err != nil {
		return Published{}, false
	}
	p.HostPort = uint16(port)
	return p, true
}

func (p Published) overlaps(proto string, ip netip.Addr, port uint16) bool {
	return p.Proto == proto && p.HostPort == port && (!p.HostIP.IsValid() || !ip.IsValid() || p.HostIP == ip)
}

// Publish adds DNAT rules for the container's ports (prerouting for
// traffic from elsewhere, output for the namespace's own, both only to
// local addresses), replacing any it had. A host port another container
// publishes is a *PortConflictError; nothing is changed then.
func (n *Namespace) Publish(containerID string, rules []PortRule) error {
	for _, r := range rules {
		if !r.ContainerIP.Is4() || (r.HostIP.IsValid() && !r.HostIP.Is4()) {
			return errdefs.Errorf(errdefs.ErrNotImplemented, "publishing %s: only IPv4 ports can be published", hostPortString(r.Proto, r.HostIP, r.HostPort))
		}
		if r.Proto != "tcp" && r.Proto != "udp" {
			return errdefs.Errorf(errdefs.ErrInvalidArgument, "publishing port %d: protocol %q: tcp or udp", r.HostPort, r.Proto)
		}
	}
	err := n.retryBatch(func(c *nftables.Conn) error {
		st, err := ensureBase(c)
		if err != nil {
			return err
		}
		all, err := rulesTagged(c, st, []string{chainPorts}, hasPrefix(tagContainer))
		if err != nil {
			return err
		}
		for _, old := range all {
			p, ok := parsePortComment(ruleComment(old))
			if ok && p.ContainerID == containerID {
				if err := c.DelRule(old); err != nil {
					return err
				}
				continue
			}
			for _, r := range rules {
				if ok && p.overlaps(r.Proto, r.HostIP, r.HostPort) {
					return &PortConflictError{p}
				}
			}
		}
		for _, r := range rules {
			e := join(matchFamily(r.ContainerIP))
			if r.HostIP.IsValid() {
				e = join(e, matchPrefix(netip.PrefixFrom(r.HostIP, 32), false, expr.CmpOpEq))
			}
			e = join(e, matchPort(r.Proto, r.HostPort), dnatTo(r.ContainerIP, r.ContainerPort))
			c.AddRule(&nftables.Rule{Table: st.t, Chain: st.chains[chainPorts], Exprs: e, UserData: comment(portComment(containerID, r))})
		}
		return c.Flush()
	})
	if err != nil {
		var pc *PortConflictError
		if errors.As(err, &pc) {
			return err
		}
		return fmt.Errorf("publish ports of %s: %w", shortID(containerID), err)
	}
	return nil
}

// Unpublish deletes the container's port rules. None is no error.
func (n *Namespace) Unpublish(containerID string) error {
	_, err := n.deletePorts(func(id string) bool { return id == containerID })
	return err
}

// Reconcile deletes the port rules and host-loopback exceptions of
// containers that are not alive and returns the IDs whose ports it
// deleted.
func (n *Namespace) Reconcile(alive func(containerID string) bool) ([]string, error) {
	if _, err := n.deleteHostLoop(func(id string) bool { return !alive(id) }); err != nil {
		return nil, err
	}
	return n.deletePorts(func(id string) bool { return !alive(id) })
}

func (n *Namespace) deletePorts(match func(id string) bool) ([]string, error) {
	gone, err := n.deleteContainerRules(chainPorts, func(comment string) (string, bool) {
		p, ok := parsePortComment(comment)
		return p.ContainerID, ok
	}, match)
	if err != nil {
		return nil, fmt.Errorf("remove published ports: %w", err)
	}
	return gone, nil
}

// deleteContainerRules deletes, in one batch, the rules of chain whose
// comment owner names (id, ok) a container that match selects, and
// returns those containers' IDs, sorted.
func (n *Namespace) deleteContainerRules(chain string, owner func(comment string) (string, bool), match func(id string) bool) ([]string, error) {
	var gone []string
	err := n.retryBatch(func(c *nftables.Conn) error {
		gone = nil
		st, err := existingState(c)
		if err != nil || st == nil {
			return err
		}
		rules, err := rulesTagged(c, st, []string{chain}, hasPrefix(tagContainer))
		if err != nil {
			return err
		}
		seen := map[string]bool{}
		for _, r := range rules {
			id, ok := owner(ruleComment(r))
			if !ok || !match(id) {
				continue
			}
			if err := c.DelRule(r); err != nil {
				return err
			}
			if !seen[id] {
				seen[id] = true
				gone = append(gone, id)
			}
		}
		if len(gone) == 0 {
			return nil
		}
		return c.Flush()
	})
	sort.Strings(gone)
	return gone, err
}

// Published lists the host ports published in the namespace.
func (n *Namespace) Published() ([]Published, error) {
	c, err := n.nft()
	if err != nil {
		return nil, err
	}
	defer c.CloseLasting()
	st, err := existingState(c)
	if err != nil || st == nil {
		return nil, err
	}
	rules, err := rulesTagged(c, st, []string{chainPorts}, hasPrefix(tagContainer))
	if err != nil {
		return nil, err
	}
	var out []Published
	for _, r := range rules {
		if p, ok := parsePortComment(ruleComment(r)); ok {
			out = append(out, p)
		}
	}
	return out, nil
}
