// Package monitor is the per-container monitor (the job conmon does for
// Podman) and its clients.
//
// For each running container one detached monitor process stays alive: a
// re-exec of hutch with _HUTCH_ROLE=monitor (main.go calls Main). Launch
// starts it and waits until the container's process was exec'd. The monitor
//
//   - holds the container's monitor lock for its whole life, so "is the
//     monitor alive?" is a non-blocking flock attempt (state.Store.MonitorAlive);
//   - is a child subreaper and starts the container's init through pkg/ns;
//   - owns the container's stdio (pipes, or the pty master for -t), writes
//     every line to the k8s-file log (package logfile) and relays it to attach
//     clients over a unix socket in the container's run directory;
//   - records the state transitions (running; exited with code, signal and
//     time), runs the engine's cleanup command, sends the exit code to attach
//     clients, and exits.
//
// The monitor is one process per running container, so it stays small: it
// must not depend on cobra or pkg/engine (a depcheck test enforces it).
//
// Attach, Dial and ReadLog are the client side, used by `run`, `start -a`,
// `attach` and `logs`.
package monitor
