// Package network is hutch's network model: network configurations and
// their on-disk store, address management (IPAM), the parsing of the user's
// networking flags (-p, -P, --add-host, --dns…), the Plan a container's
// monitor follows to wire it, the files a container gets (/etc/hosts,
// /etc/resolv.conf), and the Manager that carries a Plan out with
// pkg/bridge (Setup and Teardown).
//
// Layout under <data>/networks/:
//
//	.lock                        serialises creating and removing networks
//	.ports.lock                  serialises checking and publishing host ports
//	<name>/network.json          the configuration (atomic writes)
//	<name>/lock                  held while the network's bridge and firewall are set up
//	<name>/ipam/<ip>             one allocated address: holds the owner's container ID
//	<name>/ipam/.lock            serialises releases and reclaims (never allocations)
//	<name>/ipam/.next            where the next search starts (a hint only)
//	<name>/endpoints/<id>.json   an attached container: name, aliases, addresses
//
// An address is allocated by link(2) of a file that already holds the
// container ID onto <name>/ipam/<ip>: it fails if the name exists, so two
// processes can never both get one address and a reader never sees an
// allocation without its owner. Nothing is read, modified and written back.
// Allocations whose container is no longer alive (its monitor lock is free)
// are reclaimed by Reclaim, and by an allocation that finds the pool full.
//
// The default network "hutch" (bridge hutch0, 10.88.0.0/16 unless
// configured otherwise, no DNS, as Podman's default) exists implicitly:
// Store.Default writes it on first use.
//
// Wiring a container. The engine writes a Plan (WritePlan) next to the
// container's spec; the monitor, once init waits with its network
// namespace made, calls Manager.Setup, which allocates addresses (so they
// belong to a container whose monitor is alive), creates the bridge and
// its firewall rules if needed, attaches the container, records its
// endpoint, publishes its ports (DNAT rules as root, the PortForwarder
// rootless) and starts DNS responders (DNSStarter), undoing everything if
// a step fails. At exit the monitor calls Result.Close (DHCP leases) and
// Manager.Teardown; after a crash, the next command's Manager.Reconcile
// frees what a dead container left.
package network
