package cmd

import (
	"fmt"

	"github.com/spf13/cobra"
)

// The argument validators return FlagErrors, so the mapper prints usage.

func noArgs(c *cobra.Command, args []string) error {
	if len(args) > 0 {
		return flagErrorf("%q takes no arguments, got %q", c.CommandPath(), args[0])
	}
	return nil
}

func exactArgs(n int) cobra.PositionalArgs {
	return func(c *cobra.Command, args []string) error {
		if len(args) != n {
			return flagErrorf("%q requires exactly %d %s, got %d", c.CommandPath(), n, plural(n, "argument"), len(args))
		}
		return nil
	}
}

func minArgs(n int) cobra.PositionalArgs {
	return func(c *cobra.Command, args []string) error {
		if len(args) < n {
			return flagErrorf("%q requires at least %d %s, got %d", c.CommandPath(), n, plural(n, "argument"), len(args))
		}
		return nil
	}
}

func rangeArgs(lo, hi int) cobra.PositionalArgs {
	return func(c *cobra.Command, args []string) error {
		if len(args) < lo || len(args) > hi {
			return flagErrorf("%q requires %d to %d arguments, got %d", c.CommandPath(), lo, hi, len(args))
		}
		return nil
	}
}

// refsOrAll validates the arguments of verbs that take containers or --all
// (stop, rm): at least one name unless --all, and no names with it.
func refsOrAll(c *cobra.Command, args []string) error {
	all, _ := c.Flags().GetBool("all")
	switch {
	case all && len(args) > 0:
		return flagErrorf("--all and container names or IDs are mutually exclusive")
	case !all && len(args) == 0:
		return flagErrorf("%q requires at least one container name or ID, or --all", c.CommandPath())
	}
	return nil
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return fmt.Sprintf("%ss", word)
}
