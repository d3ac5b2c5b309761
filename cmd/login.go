package cmd

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/hutchctr/hutch/pkg/auth"
	"github.com/hutchctr/hutch/pkg/engine"
)

type loginEngine interface {
	Login(ctx context.Context, registry string, o engine.LoginOptions) error
}

var _ loginEngine = (*engine.Engine)(nil)

type loginOptions struct {
	IO     *IOStreams
	Engine func() (loginEngine, error)

	Registry      string
	PasswordStdin bool
	Login         engine.LoginOptions
}

// newLoginCmd is `hutch login`.
func newLoginCmd(f *Factory, runF func(context.Context, *loginOptions) error) *cobra.Command {
	opts := &loginOptions{IO: f.IO, Engine: engineFor[loginEngine](f)}
	var rf registryFlags
	c := &cobra.Command{
		Use:   "login [flags] REGISTRY",
		Short: "Log in to a registry",
		Long: "Login checks a user name and password with the registry and stores them in hutch's\n" +
			"auth file (auth.json next to hutch.yaml, mode 0600), or in --authfile. Missing values\n" +
			"are asked for on the terminal; --password-stdin reads the password from stdin.",
		Args:              exactArgs(1),
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(c *cobra.Command, args []string) error {
			opts.Registry = args[0]
			if opts.PasswordStdin && c.Flags().Changed("password") {
				return flagErrorf("--password and --password-stdin are mutually exclusive")
			}
			if opts.PasswordStdin && opts.Login.Username == "" {
				return flagErrorf("--password-stdin needs --username")
			}
			opts.Login.TLSVerify, opts.Login.AuthFile = tlsVerifyFlag(c, &rf), rf.authFile
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runLogin(c.Context(), opts)
		},
	}
	fl := c.Flags()
	fl.StringVarP(&opts.Login.Username, "username", "u", "", "user name")
	fl.StringVarP(&opts.Login.Password, "password", "p", "", "password (visible to other users in the process list: prefer --password-stdin)")
	fl.BoolVar(&opts.PasswordStdin, "password-stdin", false, "read the password from stdin")
	addRegistryFlags(c, &rf, false)
	return c
}

func runLogin(ctx context.Context, opts *loginOptions) error {
	o := opts.Login
	var err error
	if o.Username == "" {
		if o.Username, err = opts.IO.ReadLine("Username: "); err != nil {
			return err
		}
	}
	switch {
	case opts.PasswordStdin:
		if o.Password, err = auth.ReadPassword(opts.IO.In); err != nil {
			return err
		}
	case o.Password == "":
		if o.Password, err = opts.IO.ReadPassword("Password: "); err != nil {
			return err
		}
	}
	e, err := opts.Engine()
	if err != nil {
		return err
	}
	if err := e.Login(ctx, opts.Registry, o); err != nil {
		return err
	}
	fmt.Fprintln(opts.IO.Out, "Login Succeeded!")
	return nil
}
