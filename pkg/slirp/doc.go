// Package slirp runs rootless hutch's per-user namespace holder and joins
// commands into it.
//
// The holder is made with rootlesskit's library. Its parent ("holder"
// role) stays in the host namespaces; later it will also run slirp4netns
// and the port driver. Its child ("holder-child" role) owns user namespace
// U (uid 0 ↦ the user, 1..N ↦ the /etc/subuid range, written by
// newuidmap/newgidmap) and mount namespace M (propagation rslave, so host
// mounts propagate in), and runs a pause process.
//
// Layout under Options.RunDir:
//
//	holder.log          the current holder's stdout and stderr (holder.log.old: the previous one)
//	holder/start.lock   serialises starting a holder
//	holder/current      symlink to the live instance directory
//	holder/hNNNN/       one instance: rootlesskit's state dir
//	    lock            held by the holder for its whole life: liveness
//	    child_pid       pid of the process owning U and M (written when ready)
//	    api.sock        rootlesskit's API (written when ready)
//	    holder.json     the hutch version and ID maps the holder was made with
//
// Each holder gets a fresh instance directory because rootlesskit removes
// its state directory when it exits, after releasing the lock: a shared
// directory could be removed under a successor.
//
// Commands call EnsureJoined, which re-executes them inside U+M through the
// nsenter constructor (see package nsenter).
package slirp
