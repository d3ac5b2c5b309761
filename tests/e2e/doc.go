// Package e2e is hutch's end-to-end suite: it drives the real binary the way
// a user does and checks both what the user sees (stdout, stderr, exit code)
// and what the kernel did (namespaces, mounts, ownership, processes).
//
// The tests carry the build tag e2e, so `go test ./...` does not run them.
// The Makefile's root and rootless lanes compile them with
//
//	go test -c -tags e2e,exclude_graphdriver_btrfs,containers_image_openpgp ./tests/e2e
//
// and run the binary with HUTCH_BINARY pointing at bin/hutch; a plain
// `go test -tags e2e,... ./tests/e2e` builds hutch itself.
package e2e
