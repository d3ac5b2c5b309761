// Package testutil builds the fixture images and archives that hutch's unit
// and e2e tests use, without any network: a minimal root filesystem made from
// Debian's static busybox, images assembled with go-containerregistry, and
// docker-archive, oci-archive and rootfs tarballs written to disk. It also
// builds deliberately broken archives (corrupt, truncated, digest mismatch,
// entries that escape the rootfs) for negative tests, and a Requires helper
// that checks a test's host prerequisites.
package testutil
