// Package overlay computes how a container's filesystem is assembled: the
// ordered list of mounts, device nodes, symlinks, masked and read-only paths
// that turn an already mounted image rootfs into the container's view.
//
// The package is pure data: NewPlan reads a runtime-spec document and returns
// a Plan; it never mounts anything. pkg/ns executes the plan inside the
// container's mount namespace, resolving every target with Resolve so that a
// symlink planted in the image cannot redirect a mount outside the rootfs.
package overlay
