// Package image keeps hutch's local images and container root filesystems in
// a containers/storage store (overlay driver) and moves images in and out of
// docker-archive, oci-archive and rootfs tarballs.
//
// Loading is streaming and verifying: every layer goes from the archive file
// through decompression, a digest check and a tar validator straight into
// storage's PutLayer, with no temporary copy. A layer whose digest does not
// match, a truncated or corrupt archive, or a tar entry that would escape the
// root filesystem aborts the load, and everything the load added to storage
// is deleted before the error is returned.
//
// Image IDs are the hex sha256 of the image configuration blob, as in Podman,
// and the configuration is stored byte for byte, so an image keeps its ID
// through save and load. Layers are stored under their OCI chain IDs so that
// an image sharing layers with one already present reuses them.
//
// Storage runs children re-executed from /proc/self/exe (storage-untar,
// storage-applyLayer, storage-mountfrom): a program using this package must
// call go.podman.io/storage/pkg/reexec.Init() first thing in main.
package image
