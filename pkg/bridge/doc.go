// Package bridge is the kernel side of hutch's networking: bridges, veth
// pairs, macvlan and ipvlan links, addresses and routes (netlink), the
// nftables rules for NAT, isolation and published ports, per-namespace
// sysctls, a DHCP client, and host-port checks.
//
// Everything operates on network namespaces given by path, never by moving
// the whole process: whatever needs to be inside a namespace (opening the
// netlink and nftables sockets, which keep their namespace, /proc/sys
// writes, test binds, DHCP sockets) runs on a locked OS thread that joins
// it and is thrown away afterwards, never switched back. So the
// same code serves root (the bridges live in the host's namespace, or the
// test's) and rootless hutch (they live in the namespace holder's network
// namespace, which the caller, root in the holder's user namespace, may
// configure).
//
// Firewall rules live in hutch's own table, "inet hutch"; nothing else of
// the namespace's ruleset is read or changed. Every rule carries a comment
// naming its owner ("net:<network>" or "ctr:<container id>"), so that the
// rules of one network or one container can be removed exactly, also by a
// later process reconciling after a crash.
package bridge
