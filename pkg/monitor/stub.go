package monitor

// CONTRACT STUB written by the integrator so main.go compiles; the monitor's
// implementer replaces this file.

// Main is the "monitor" role's entry point (see main.go).
func Main() int { panic("monitor.Main: not implemented yet") }
