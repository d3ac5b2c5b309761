//go:build !cgo

package nsenter

// Linked reports whether the constructor is part of this binary. Without
// cgo it is not, and no namespace can be joined at start-up.
const Linked = false
