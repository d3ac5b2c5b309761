package network

import "net/netip"

// lastAddr returns the highest address of p (the broadcast address of an
// IPv4 subnet).
func lastAddr(p netip.Prefix) netip.Addr {
	a := p.Masked().Addr().AsSlice()
	bits := p.Bits()
	for i := range a {
		for b := 0; b < 8; b++ {
			if i*8+b >= bits {
				a[i] |= 0x80 >> b
			}
		}
	}
	last, _ := netip.AddrFromSlice(a)
	return last
}

// hostRange returns the first and last addresses a container may get
// dynamically in s: its IPRange (or the whole subnet) without the subnet's
// network address and, for IPv4, its broadcast address. Both are invalid if
// the range holds no such address. The gateway is not excluded here.
func hostRange(s Subnet) (first, last netip.Addr) {
	r := s.Subnet
	if s.IPRange.IsValid() {
		r = s.IPRange
	}
	first, last = r.Masked().Addr(), lastAddr(r)
	if first == s.Subnet.Masked().Addr() {
		first = first.Next()
	}
	if s.Subnet.Addr().Is4() && last == lastAddr(s.Subnet) {
		last = last.Prev()
	}
	if !first.IsValid() || !last.IsValid() || last.Less(first) {
		return netip.Addr{}, netip.Addr{}
	}
	return first, last
}

// usable reports whether a may be given to a container in s: inside the
// subnet, neither its network nor (IPv4) its broadcast address, and not the
// gateway.
func usable(s Subnet, a netip.Addr) bool {
	p := s.Subnet
	if !p.Contains(a) || a == p.Masked().Addr() || a == s.Gateway {
		return false
	}
	return !(a.Is4() && a == lastAddr(p))
}
