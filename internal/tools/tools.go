//go:build tools

// Package tools pins dependencies that packages under development will import,
// so that concurrent work on the tree does not race on go.mod.
package tools

import (
	_ "github.com/creack/pty"
	_ "github.com/gofrs/flock"
	_ "github.com/google/go-cmp/cmp"
	_ "github.com/google/go-containerregistry/pkg/v1/layout"
	_ "github.com/google/go-containerregistry/pkg/v1/tarball"
	_ "github.com/moby/sys/capability"
	_ "github.com/moby/sys/mountinfo"
	_ "github.com/moby/sys/user"
	_ "github.com/opencontainers/runtime-spec/specs-go"
	_ "github.com/rootless-containers/rootlesskit/v3/pkg/child"
	_ "github.com/rootless-containers/rootlesskit/v3/pkg/parent"
	_ "github.com/spf13/cobra"
	_ "go.podman.io/storage"
	_ "go.uber.org/goleak"
	_ "golang.org/x/sys/unix"
	_ "golang.org/x/term"
	_ "gopkg.in/yaml.v3"
)
