package cmd

import "github.com/spf13/cobra"

// newSystemCmd is `hutch system`: df and prune.
func newSystemCmd(f *Factory) *cobra.Command {
	c := newGroupCmd("system", "Manage hutch's storage")
	c.AddCommand(newSystemDfCmd(f, nil), newSystemPruneCmd(f, nil))
	return c
}
