// Package ns is hutch's container runtime: it starts a container's init in
// new namespaces from an OCI runtime-spec document, and starts processes
// inside a running container.
//
// hutch is one binary. Start re-executes /proc/self/exe with
// _HUTCH_ROLE=init; main.go dispatches that role to InitMain, which builds
// the container's filesystem from a pkg/overlay plan, pivots into it, sets
// the hostname, rlimits, console, credentials and capabilities, then waits
// for Init.Exec to let it execve the user's command. StartExec re-executes
// with _HUTCH_ROLE=exec after pkg/ns/nsenter's constructor has joined the
// container's namespaces; ExecMain finishes the job the same way.
//
// The parent <-> child protocol is in sync.go. Only this package (and
// pkg/userns) mounts, pivots or changes namespaces.
package ns
