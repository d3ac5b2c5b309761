// Package vm is the VM lane's suite: it proves on a real cgroup v2 kernel
// what this cgroup v1 host cannot show, namely resource limits (memory and
// the OOM killer, pids, cpu), freezing, live updates and cgroup removal,
// as root and as a user with a delegated subtree.
//
// The tests carry the build tag vm and run only inside the guest that
// tests/lanes/vm.sh boots with qemu (Debian's kernel, an initramfs made by
// tests/vm/mkinitramfs.sh, /init from tests/vm/init.sh). The guest runs the
// compiled suite twice, as root and as uid 1000, and prints the results
// on its serial console. TestMain refuses to run anywhere else: the root
// tests create cgroups and bridges wherever they run.
//
//	make test-vm
package vm
