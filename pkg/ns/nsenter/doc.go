// Package nsenter joins existing namespaces at process start, before the Go
// runtime exists. It holds hutch's only C: a constructor (nsenter.c) that a
// re-executed hutch runs when the environment asks it to. A multithreaded
// process cannot setns(2) into a user or mount namespace, and Go is
// multithreaded from its first instruction, so this must happen earlier.
//
// The contract, read from the environment by the constructor:
//
//   - _HUTCH_NSENTER: comma-separated kind=fd pairs, kind one of user, mnt,
//     net, uts, ipc, cgroup, pid, fd an inherited open /proc/PID/ns/KIND
//     file. The user namespace is joined first (it grants CAP_SYS_ADMIN over
//     the others; it is skipped if the process is already in it), then mnt,
//     net, uts, ipc, cgroup, pid. The fds are closed. After joining a user
//     namespace the process becomes its root: setgroups (when allowed),
//     setresgid(0,0,0), setresuid(0,0,0).
//   - _HUTCH_NSENTER_CWD=/abs/path: chdir there after joining (setns of a
//     mount namespace moves the process to that namespace's root).
//   - _HUTCH_NSENTER_FORK=1: fork after joining; required after a pid join,
//     since only children enter the new pid namespace and Go cannot start
//     threads otherwise. The parent forwards SIGINT, SIGTERM, SIGHUP,
//     SIGQUIT, SIGUSR1, SIGUSR2 and SIGWINCH to the child, waits, and exits
//     with the child's status (dying of the same signal if the child was
//     killed). The child, which gets PR_SET_PDEATHSIG(SIGKILL), continues
//     into Go.
//
// The variables are removed before Go starts. On error the constructor
// prints "hutch: nsenter: <step>: <reason>" and exits 125.
//
// The constructor is linked into every binary that imports this package;
// hutch's main.go blank-imports it. A build without cgo compiles (Prepare
// still sets the environment) but cannot join anything: the variables are
// then ignored, so hutch must always be built with cgo.
package nsenter
