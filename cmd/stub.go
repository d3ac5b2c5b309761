package cmd

// CONTRACT STUB written by the integrator so main.go compiles; the CLI's
// implementer replaces this file.

// Main runs the CLI and returns the process exit code.
func Main() int { return 125 }
