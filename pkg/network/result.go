package network

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"sync"
	"time"

	"github.com/hutchctr/hutch/pkg/bridge"
)

// Result is a wired container: its attachments and ports as they ended up
// (the Plan's, filled in), and the DHCP leases that its owner keeps alive
// with Maintain and gives back with Close.
type Result struct {
	Attachments []Attachment
	Ports       []PortMapping

	mu     sync.Mutex
	leases []*dhcpLease
	// ns holds the container's network namespace open while leases live:
	// a RELEASE is sent from the leased address, after the container's
	// processes may have exited.
	ns *os.File
}

type dhcpLease struct {
	network, ifname string
	client          *bridge.DHCPClient
	lease           *bridge.Lease
	route           bool
	retry           time.Time // after a failed renewal
}

func (d *dhcpLease) gateways() []netip.Addr {
	if d.route && d.lease.Router.IsValid() {
		return []netip.Addr{d.lease.Router}
	}
	return nil
}

// due is when the lease must be renewed next.
func (d *dhcpLease) due() time.Time {
	if !d.retry.IsZero() {
		return d.retry
	}
	return d.lease.Renew
}

func (r *Result) holdNS(path string) error {
	if r.ns != nil {
		return nil
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("container network namespace: %w", err)
	}
	r.ns = f
	return nil
}

// nsPath names the held namespace (valid while r.ns is open).
func (r *Result) nsPath() string { return fmt.Sprintf("/proc/self/fd/%d", r.ns.Fd()) }

// HasLeases reports whether Maintain has anything to do.
func (r *Result) HasLeases() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.leases) > 0
}

// Maintain renews the DHCP leases when they are due (at T1; after a
// failure, again at half the time left) until ctx ends. Without leases it
// returns at once. The caller runs it in a goroutine it owns and cancels
// ctx before Close.
func (r *Result) Maintain(ctx context.Context) error {
	if !r.HasLeases() {
		return nil
	}
	for {
		r.mu.Lock()
		next := r.leases[0].due()
		for _, d := range r.leases[1:] {
			if d.due().Before(next) {
				next = d.due()
			}
		}
		r.mu.Unlock()
		t := time.NewTimer(time.Until(next))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
		r.renewDue(ctx)
	}
}

func (r *Result) renewDue(ctx context.Context) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := time.Now()
	for _, d := range r.leases {
		if d.due().After(now) {
			continue
		}
		l, err := d.client.Renew(ctx)
		if err != nil {
			// Keep the address until it expires, and try again at half
			// the time left (RFC 2131 4.4.5), at least a minute apart.
			d.retry = now.Add(max(d.lease.Expiry.Sub(now)/2, time.Minute))
			continue
		}
		if l.Addr != d.lease.Addr || l.Router != d.lease.Router {
			old := d.lease
			d.lease = l
			bridge.SetAddrs(r.nsPath(), d.ifname, []netip.Prefix{old.Addr}, []netip.Prefix{l.Addr}, d.gateways())
		}
		d.lease, d.retry = l, time.Time{}
	}
}

// Close releases the DHCP leases (RELEASE to their servers) and the
// container's namespace.
func (r *Result) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	var errs []error
	for _, d := range r.leases {
		errs = append(errs, d.client.Release(), d.client.Close())
	}
	r.leases = nil
	if r.ns != nil {
		errs = append(errs, r.ns.Close())
		r.ns = nil
	}
	return errors.Join(errs...)
}

// closeLeases is Close for a failed Setup.
func (r *Result) closeLeases() { r.Close() }
