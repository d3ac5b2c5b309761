package cmd

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/hutchctr/hutch/pkg/engine"
)

type logoutEngine interface {
	Logout(ctx context.Context, registry string, o engine.LogoutOptions) error
}

var _ logoutEngine = (*engine.Engine)(nil)

type logoutOptions struct {
	IO     *IOStreams
	Engine func() (logoutEngine, error)

	Registry string
	Logout   engine.LogoutOptions
}

// newLogoutCmd is `hutch logout`.
func newLogoutCmd(f *Factory, runF func(context.Context, *logoutOptions) error) *cobra.Command {
	opts := &logoutOptions{IO: f.IO, Engine: engineFor[logoutEngine](f)}
	c := &cobra.Command{
		Use:   "logout [flags] REGISTRY",
		Short: "Log out of a registry",
		Long: "Logout removes a registry's credentials from hutch's auth file (or --authfile);\n" +
			"with -a, every registry's. Credentials in other tools' files are left alone.",
		Args: func(c *cobra.Command, args []string) error {
			switch {
			case opts.Logout.All && len(args) > 0:
				return flagErrorf("--all and a registry are mutually exclusive")
			case !opts.Logout.All && len(args) != 1:
				return flagErrorf("%q requires exactly one registry, or --all", c.CommandPath())
			}
			return nil
		},
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(c *cobra.Command, args []string) error {
			if len(args) > 0 {
				opts.Registry = args[0]
			}
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runLogout(c.Context(), opts)
		},
	}
	c.Flags().BoolVarP(&opts.Logout.All, "all", "a", false, "remove the credentials of every registry")
	c.Flags().StringVar(&opts.Logout.AuthFile, "authfile", "", "remove the credentials from this file")
	return c
}

func runLogout(ctx context.Context, opts *logoutOptions) error {
	e, err := opts.Engine()
	if err != nil {
		return err
	}
	if err := e.Logout(ctx, opts.Registry, opts.Logout); err != nil {
		return err
	}
	if opts.Logout.All {
		fmt.Fprintln(opts.IO.Out, "Removed login credentials for all registries")
	} else {
		fmt.Fprintf(opts.IO.Out, "Removed login credentials for %s\n", opts.Registry)
	}
	return nil
}
