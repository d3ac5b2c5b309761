// Package cmd is hutch's command line: one cobra command per file, in the
// GitHub CLI's factory style. Each verb has an xxxOptions struct (its
// dependencies and flag values), newXxxCmd(f, runF) that parses flags into
// the options, and runXxx(ctx, opts) that calls the engine and prints
// through f.IO. Tests pass a runF to capture parsed options, or call runXxx
// with a fake engine and buffered streams.
//
// The engine is opened lazily by Factory.Engine, so `version`, `completion`
// and `help` never touch storage or the user namespace. Errors are printed
// once, by the exit-code mapper in exit.go. This package makes no syscalls:
// the kernel is the engine's business.
package cmd
