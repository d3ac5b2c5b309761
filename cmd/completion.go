package cmd

import (
	"github.com/spf13/cobra"
)

func newCompletionCmd(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "completion bash|zsh|fish",
		Short: "Print a shell completion script",
		Long: "Completion prints the script that makes SHELL complete hutch's commands, flags, and\n" +
			"container and image names. For example:\n\n" +
			"  hutch completion bash > /etc/bash_completion.d/hutch\n" +
			"  hutch completion zsh > \"${fpath[1]}/_hutch\"\n" +
			"  hutch completion fish > ~/.config/fish/completions/hutch.fish",
		Args:                  exactArgs(1),
		ValidArgs:             []string{"bash", "zsh", "fish"},
		DisableFlagsInUseLine: true,
		RunE: func(c *cobra.Command, args []string) error {
			return writeCompletion(c.Root(), args[0], f.IO.Out)
		},
	}
}
