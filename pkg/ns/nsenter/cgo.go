//go:build cgo

package nsenter

// The C constructor in nsenter.c is compiled and linked because this file
// imports "C"; nothing is called from Go.

// #cgo CFLAGS: -Wall -Wextra -O2
import "C"

// Linked reports whether the constructor is part of this binary.
const Linked = true
