package cmd

import (
	"io"

	"github.com/spf13/cobra"

	"github.com/hutchctr/hutch/pkg/errdefs"
)

// writeCompletion writes root's completion script for shell. The scripts
// only call back `hutch __complete`, so they do not change when verbs do;
// completions/ holds them, kept in sync by a test.
func writeCompletion(root *cobra.Command, shell string, w io.Writer) error {
	switch shell {
	case "bash":
		return root.GenBashCompletionV2(w, true)
	case "zsh":
		return root.GenZshCompletion(w)
	case "fish":
		return root.GenFishCompletion(w, true)
	}
	return errdefs.Errorf(errdefs.ErrInvalidArgument, "unsupported shell %q: use bash, zsh or fish", shell)
}
