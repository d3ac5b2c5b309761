// Package slirp runs rootless hutch's per-user namespace holder, joins
// commands into it, and publishes containers' ports through it.
//
// The holder is made with rootlesskit's library. Its parent ("holder"
// role) stays in the host namespaces and runs slirp4netns and the host
// side of rootlesskit's builtin port driver (listening on the user's host
// ports). Its child ("holder-child" role) owns user namespace U (uid 0 ↦
// the user, 1..N ↦ the /etc/subuid range, written by newuidmap/newgidmap),
// mount namespace M (propagation rslave, so host mounts propagate in) and
// network namespace N, runs the port driver's child side (which dials
// containers' addresses in N) and a pause process.
//
// N is detached (rootlesskit's detach-netns mode): a namespace of its own,
// bind-mounted in M at the instance directory's "netns" (NetNSPath), not
// the namespace of the holder's processes. They, and commands joined into
// U+M, stay in the host's network namespace, which is therefore what
// --network host gets. In N: lo, tap0 from slirp4netns (TapIP/24, default
// route via GatewayIP, DNS at DNSIP, MTU 65520) and IPv4 forwarding on;
// pkg/bridge adds bridges and NAT there. The host's loopback is reachable
// from N (at GatewayIP) only with Options.AllowHostLoopback.
//
// Layout under Options.RunDir:
//
//	holder.log          the current holder's stdout and stderr (holder.log.old: the previous one)
//	holder/start.lock   serialises starting a holder
//	holder/current      symlink to the live instance directory
//	holder/hNNNN/       one instance: rootlesskit's state dir
//	    lock            held by the holder for its whole life: liveness
//	    child_pid       pid of the process owning U and M (written when ready)
//	    api.sock        rootlesskit's API: ports are added and removed there
//	    holder.json     the hutch version, ID maps and network options the holder was made with
//	    netns           N, bind-mounted in M (an empty file elsewhere)
//	    ready           written by the pause process once N is configured
//	    .bp.sock        the port driver's parent-to-child socket
//	    ports/ID.json   the ports container ID published, for ReclaimPorts
//
// Each holder gets a fresh instance directory because rootlesskit removes
// its state directory when it exits, after releasing the lock: a shared
// directory could be removed under a successor. Published ports and their
// records live and die with the holder.
//
// Commands call EnsureJoined, which re-executes them inside U+M through the
// nsenter constructor (see package nsenter). A thread of a process in U
// that joins N cannot return to the host's network namespace (it belongs
// to the initial user namespace): such threads must be retired, see
// inNetNS.
package slirp
