// Command hutch is a daemonless, rootless container engine. The same binary
// plays several roles; re-executed copies say which in _HUTCH_ROLE.
package main

import (
	"os"

	"github.com/hutchctr/hutch/cmd"
	"github.com/hutchctr/hutch/pkg/dns"
	"github.com/hutchctr/hutch/pkg/monitor"
	"github.com/hutchctr/hutch/pkg/ns"
	_ "github.com/hutchctr/hutch/pkg/ns/nsenter" // the cgo constructor that joins namespaces before Go starts
	"github.com/hutchctr/hutch/pkg/slirp"
	"go.podman.io/storage/pkg/reexec"
)

func main() {
	// containers/storage re-executes the binary under names it registered
	// (storage-untar, ...) to unpack layers in a chroot; reexec.Init runs
	// those and reports whether it did.
	if reexec.Init() {
		return
	}
	switch os.Getenv("_HUTCH_ROLE") {
	case "init":
		os.Exit(ns.InitMain())
	case "exec":
		os.Exit(ns.ExecMain())
	case "monitor":
		os.Exit(monitor.Main())
	case "holder":
		os.Exit(slirp.HolderMain())
	case "holder-child":
		os.Exit(slirp.HolderChildMain())
	case "pause":
		os.Exit(slirp.PauseMain())
	case "dns":
		os.Exit(dns.Main())
	}
	os.Exit(cmd.Main())
}
