package cmd

import (
	"log/slog"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/hutchctr/hutch/pkg/version"
)

// newRootCmd builds the whole command tree.
func newRootCmd(f *Factory, g *globalOptions, level *slog.LevelVar) *cobra.Command {
	root := newGroupCmd("hutch", "Manage containers and images without a daemon")
	root.Long = "hutch runs OCI containers without a daemon, as root or as an unprivileged user."
	root.Version = version.Version
	root.SetVersionTemplate("hutch version {{.Version}}\n")
	root.SilenceErrors = true
	root.SilenceUsage = true
	root.CompletionOptions.DisableDefaultCmd = true
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &FlagError{Err: err} })
	root.SetIn(f.IO.In)
	root.SetOut(f.IO.Out)
	root.SetErr(f.IO.ErrOut)

	pf := root.PersistentFlags()
	pf.StringVar(&g.Root, "root", "", "directory for hutch's data: storage, containers, volumes (default per user)")
	pf.StringVar(&g.RunRoot, "runroot", "", "directory for hutch's runtime state: sockets, locks (default per user)")
	pf.StringVar(&g.LogLevel, "log-level", "warn", "log messages at and above this level: trace, debug, info, warn, error, fatal, panic")
	_ = root.RegisterFlagCompletionFunc("log-level", fixedValues("trace", "debug", "info", "warn", "error", "fatal", "panic"))
	root.PersistentPreRunE = func(*cobra.Command, []string) error {
		l, err := parseLogLevel(g.LogLevel)
		if err != nil {
			return err
		}
		level.Set(l)
		return nil
	}

	root.AddCommand(containerVerbs(f)...)
	root.AddCommand(imageVerbs(f)...)
	root.AddCommand(
		newPsCmd(f, nil),
		newImagesCmd(f, nil),
		newRmiCmd(f, nil),
		newInspectCmd(f, nil),
		newVersionCmd(f, nil),
		newInfoCmd(f, nil),
		newCompletionCmd(f),
		newContainerCmd(f),
		newImageCmd(f),
		newSystemCmd(f),
		newNetworkCmd(f),
		newLoginCmd(f, nil),
		newLogoutCmd(f, nil),
	)
	return root
}

// containerVerbs are the verbs hutch and `hutch container` share.
// Commands cannot have two parents, so each call builds new ones.
func containerVerbs(f *Factory) []*cobra.Command {
	return []*cobra.Command{
		newRunCmd(f, nil), newCreateCmd(f, nil), newStartCmd(f, nil), newStopCmd(f, nil),
		newKillCmd(f, nil), newRestartCmd(f, nil), newRmCmd(f, nil), newLogsCmd(f, nil),
		newExecCmd(f, nil), newAttachCmd(f, nil), newWaitCmd(f, nil), newRenameCmd(f, nil),
		newPortCmd(f, nil), newUpdateCmd(f, nil), newPauseCmd(f, nil), newUnpauseCmd(f, nil),
		newStatsCmd(f, nil), newTopCmd(f, nil),
	}
}

// imageVerbs are the verbs hutch and `hutch image` share.
func imageVerbs(f *Factory) []*cobra.Command {
	return []*cobra.Command{
		newLoadCmd(f, nil), newImportCmd(f, nil), newSaveCmd(f, nil),
		newPullCmd(f, nil), newPushCmd(f, nil), newTagCmd(f, nil), newUntagCmd(f, nil), newHistoryCmd(f, nil),
	}
}

// newGroupCmd returns a command that only holds subcommands. Run without
// one, or with an unknown one, it fails like Podman: exit 125 with usage.
func newGroupCmd(use, short string) *cobra.Command {
	return &cobra.Command{
		Use:   use,
		Short: short,
		// Args must be non-nil: cobra would otherwise report unknown
		// subcommands itself, as a plain error without usage.
		Args: cobra.ArbitraryArgs,
		RunE: func(c *cobra.Command, args []string) error {
			if len(args) == 0 {
				return flagErrorf("missing command '%s COMMAND'", c.CommandPath())
			}
			return flagErrorf("unrecognized command `%s %s`", c.CommandPath(), args[0])
		},
		ValidArgsFunction: cobra.NoFileCompletions,
		// Runnable only to report errors: usage shows "hutch [command]".
		DisableFlagsInUseLine: true,
	}
}

// newContainerCmd is `hutch container`: the container verbs, plus ls and
// the hidden cleanup the monitor runs.
func newContainerCmd(f *Factory) *cobra.Command {
	c := newGroupCmd("container", "Manage containers")
	c.AddCommand(containerVerbs(f)...)
	ls := newPsCmd(f, nil)
	ls.Use, ls.Aliases = "ls [flags]", []string{"list", "ps"}
	c.AddCommand(ls, newContainerInspectCmd(f, nil))
	return c
}

// newImageCmd is `hutch image`.
func newImageCmd(f *Factory) *cobra.Command {
	c := newGroupCmd("image", "Manage images")
	c.AddCommand(imageVerbs(f)...)
	ls := newImagesCmd(f, nil)
	ls.Use, ls.Aliases = "ls [flags]", []string{"list"}
	rm := newRmiCmd(f, nil)
	rm.Use, rm.Aliases = "rm [flags] IMAGE [IMAGE...]", []string{"remove"}
	c.AddCommand(ls, rm, newImageInspectCmd(f, nil),
		newImagePruneCmd(f, nil), newTreeCmd(f, nil), newSignCmd(f, nil))
	return c
}

// formatFlag adds --format with completion of its keywords.
func formatFlag(c *cobra.Command, p *string, usage string, keywords ...string) {
	c.Flags().StringVar(p, "format", "", usage)
	_ = c.RegisterFlagCompletionFunc("format", fixedValues(keywords...))
}

// uintIfChanged returns a pointer to v when the flag was given, so
// the engine can tell "not set" (use the container's default) from 0.
func uintIfChanged(fs *pflag.FlagSet, name string, v uint) *uint {
	if !fs.Changed(name) {
		return nil
	}
	return &v
}
