package cmd

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/hutchctr/hutch/pkg/engine"
)

type execEngine interface {
	Exec(ctx context.Context, ref string, o engine.ExecOptions) error
}

var _ execEngine = (*engine.Engine)(nil)

type execOptions struct {
	IO     *IOStreams
	Engine func() (execEngine, error)

	Ref  string
	Exec engine.ExecOptions
}

func newExecCmd(f *Factory, runF func(context.Context, *execOptions) error) *cobra.Command {
	opts := &execOptions{IO: f.IO, Engine: engineFor[execEngine](f)}
	c := &cobra.Command{
		Use:   "exec [flags] CONTAINER COMMAND [ARG...]",
		Short: "Run a command in a running container",
		Long: "Exec runs COMMAND in a running container and exits with its code\n" +
			"(126: it cannot be executed, 127: it was not found).",
		Args:              minArgs(2),
		ValidArgsFunction: newCompleter(f).args(false, runningContainers),
		RunE: func(c *cobra.Command, args []string) error {
			opts.Ref = args[0]
			opts.Exec.Command = args[1:]
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runExec(c.Context(), opts)
		},
	}
	fl := c.Flags()
	// Flags after the container belong to the command.
	fl.SetInterspersed(false)
	o := &opts.Exec
	fl.BoolVarP(&o.Interactive, "interactive", "i", false, "keep stdin open")
	fl.BoolVarP(&o.Terminal, "tty", "t", false, "allocate a pseudo-terminal")
	fl.BoolVarP(&o.Detach, "detach", "d", false, "run the command in the background")
	fl.StringArrayVarP(&o.Env, "env", "e", nil, "set an environment variable: KEY=VALUE, or KEY to copy hutch's (repeatable)")
	fl.StringArrayVar(&o.EnvFiles, "env-file", nil, "read environment variables from a file (repeatable)")
	fl.StringVarP(&o.Workdir, "workdir", "w", "", "working directory inside the container")
	fl.StringVarP(&o.User, "user", "u", "", "user[:group] to run as, by name or number")
	fl.BoolVar(&o.Privileged, "privileged", false, "give the process all capabilities")
	return c
}

func runExec(ctx context.Context, opts *execOptions) error {
	e, err := opts.Engine()
	if err != nil {
		return err
	}
	o := opts.Exec
	if !o.Detach {
		o.Streams = opts.IO.engineStreams(o.Interactive, o.Terminal)
	}
	return e.Exec(ctx, opts.Ref, o)
}
