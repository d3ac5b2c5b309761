package slirp

// CONTRACT STUB written by the integrator so main.go compiles; the holder's
// implementer replaces this file.

// HolderMain is the "holder" role: the namespace holder's parent, which stays
// in the host namespaces.
func HolderMain() int { panic("slirp.HolderMain: not implemented yet") }

// HolderChildMain is the "holder-child" role: the holder's child in the new
// user and mount namespaces.
func HolderChildMain() int { panic("slirp.HolderChildMain: not implemented yet") }

// PauseMain is the "pause" role: a process that only keeps the holder's
// namespaces alive.
func PauseMain() int { panic("slirp.PauseMain: not implemented yet") }
