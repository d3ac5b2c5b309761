// Package dns is hutch's per-network DNS responder: the process (role
// "dns") that lets containers on a user-defined network resolve each other
// by name, and the starter that runs it on demand.
//
// One responder serves one network. It listens on the network's gateway
// addresses, port 53, UDP and TCP, inside the network namespace that holds
// the bridge (the caller's as root, the namespace holder's rootless, which
// it joins at start through pkg/ns/nsenter). It answers A, AAAA and PTR
// queries for the running containers attached to the network: their
// names, their aliases on that network and their short IDs,
// case-insensitively, bare or under SearchDomain ("dns.hutch", as Podman
// uses "dns.podman"), for which it is authoritative. Answers are computed
// from the network's state on disk (pkg/network's endpoint records, the
// containers' monitor locks and records), reused for at most a second and
// re-read on every miss, with TTL 0: a stopped container stops resolving.
// Other names go to the upstream resolvers, in order, each for at most two
// seconds; when all fail the answer is SERVFAIL.
//
// Files in the network's directory (<data>/networks/<name>/):
//
//	dns.lock        flocked by the responder for its whole life: liveness
//	dns.start.lock  serialises starting (and stopping) responders
//	dns.json        the live responder's pid, start time and namespace
//	dns.log         the responders' diagnostics
//
// Lifetime. No daemon lingers. Starter.EnsureResponder starts the
// responder detached (its own session, stdio on /dev/null, stderr to
// dns.log) unless one is alive, and returns once it listens. Liveness is
// the lock, never a pid file: the starter takes dns.lock and hands the
// locked file to the responder, so the network is never seen without one
// while it starts. dns.json only identifies the holder, to replace a
// responder left in a namespace that no longer holds the bridge (a
// replaced namespace holder) and for Stop. After a grace period the
// responder checks every few seconds whether a container is attached and
// exits when none is, or at once when its network was removed or replaced.
// It re-checks under dns.start.lock before it exits: a starter records its
// container's endpoint before it takes that lock, so a responder cannot
// exit under a container that was just promised one.
package dns
