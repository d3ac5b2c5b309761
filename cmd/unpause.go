package cmd

import (
	"context"

	"github.com/spf13/cobra"
)

// newUnpauseCmd is `hutch unpause`, pause's mirror (pause.go).
func newUnpauseCmd(f *Factory, runF func(context.Context, *pauseOptions) error) *cobra.Command {
	return pauseCmd(f, runF, true)
}
