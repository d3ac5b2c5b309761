package bridge

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4/nclient4"
	"github.com/vishvananda/netns"
)

// Lease is a DHCPv4 lease.
type Lease struct {
	// Addr is the leased address with the subnet's prefix length.
	Addr netip.Prefix
	// Router is the default gateway offered (invalid: none).
	Router netip.Addr
	// DNS are the offered name servers.
	DNS []netip.Addr
	// Server is the DHCP server's identifier.
	Server netip.Addr
	// Renew (T1), Rebind (T2) and Expiry are when the lease must be
	// renewed, rebound, and when it ends.
	Renew, Rebind, Expiry time.Time

	raw *nclient4.Lease
}

// DHCPClient is a DHCP client for a container's interface. Its raw socket
// is opened inside the container's namespace and stays there; the client
// works from any thread afterwards.
type DHCPClient struct {
	c     *nclient4.Client
	lease *Lease
}

// NewDHCPClient opens a DHCP client on the interface ifname of the
// container's network namespace.
func NewDHCPClient(containerNS, ifname string) (*DHCPClient, error) {
	ns, err := netns.GetFromPath(containerNS)
	if err != nil {
		return nil, fmt.Errorf("container network namespace %s: %w", containerNS, err)
	}
	defer ns.Close()
	var c *nclient4.Client
	err = doIn(ns, containerNS, func() error {
		var err error
		// The interface lookup and the packet socket happen here, in
		// the container's namespace.
		c, err = nclient4.New(ifname, nclient4.WithTimeout(2*time.Second), nclient4.WithRetry(3))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("dhcp client on %s: %w", ifname, err)
	}
	return &DHCPClient{c: c}, nil
}

// Acquire gets a lease (DISCOVER, OFFER, REQUEST, ACK).
func (d *DHCPClient) Acquire(ctx context.Context) (*Lease, error) {
	l, err := d.c.Request(ctx)
	if err != nil {
		return nil, fmt.Errorf("dhcp: no lease: %w", err)
	}
	d.lease = newLease(l)
	return d.lease, nil
}

// Renew extends the current lease (a REQUEST to its server).
func (d *DHCPClient) Renew(ctx context.Context) (*Lease, error) {
	if d.lease == nil {
		return nil, fmt.Errorf("dhcp: no lease to renew")
	}
	l, err := d.c.Renew(ctx, d.lease.raw)
	if err != nil {
		return nil, fmt.Errorf("dhcp: renew %s: %w", d.lease.Addr, err)
	}
	d.lease = newLease(l)
	return d.lease, nil
}

// Release gives the current lease back (a RELEASE to its server); without
// one it does nothing.
func (d *DHCPClient) Release() error {
	if d.lease == nil {
		return nil
	}
	if err := d.c.Release(d.lease.raw); err != nil {
		return fmt.Errorf("dhcp: release %s: %w", d.lease.Addr, err)
	}
	d.lease = nil
	return nil
}

// Close closes the client's socket.
func (d *DHCPClient) Close() error { return d.c.Close() }

func newLease(l *nclient4.Lease) *Lease {
	ack := l.ACK
	ones, _ := ack.SubnetMask().Size()
	if ones == 0 {
		ones = 24 // servers should send a mask; a /24 is the usual one
	}
	a, _ := netip.AddrFromSlice(ack.YourIPAddr.To4())
	out := &Lease{Addr: netip.PrefixFrom(a, ones), raw: l}
	if r := ack.Router(); len(r) > 0 {
		out.Router = addrOf(r[0])
	}
	for _, d := range ack.DNS() {
		out.DNS = append(out.DNS, addrOf(d))
	}
	out.Server = addrOf(ack.ServerIdentifier())
	life := ack.IPAddressLeaseTime(time.Hour)
	out.Expiry = l.CreationTime.Add(life)
	out.Renew = l.CreationTime.Add(ack.IPAddressRenewalTime(life / 2))
	out.Rebind = l.CreationTime.Add(ack.IPAddressRebindingTime(life * 7 / 8))
	return out
}

func addrOf(ip net.IP) netip.Addr {
	a, _ := netip.AddrFromSlice(ip.To4())
	return a
}
