package cmd

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/hutchctr/hutch/pkg/engine"
	"github.com/hutchctr/hutch/pkg/errdefs"
)

type rmEngine interface {
	Remove(ctx context.Context, ref string, o engine.RemoveOptions) error
	List(ctx context.Context, o engine.ListOptions) ([]engine.ContainerSummary, error)
}

var _ rmEngine = (*engine.Engine)(nil)

type rmOptions struct {
	IO     *IOStreams
	Engine func() (rmEngine, error)

	Refs    []string
	All     bool
	Force   bool
	Timeout *uint
}

func newRmCmd(f *Factory, runF func(context.Context, *rmOptions) error) *cobra.Command {
	opts := &rmOptions{IO: f.IO, Engine: engineFor[rmEngine](f)}
	var timeout uint
	c := &cobra.Command{
		Use:     "rm [flags] CONTAINER [CONTAINER...]",
		Aliases: []string{"remove"},
		Short:   "Remove one or more containers",
		Long: "Rm removes containers and prints each one removed. Exit status, as in Podman: 0 all removed,\n" +
			"1 a container did not exist, 2 a container is running (use -f), 125 another failure.",
		Args:              refsOrAll,
		ValidArgsFunction: newCompleter(f).args(true, allContainers),
		RunE: func(c *cobra.Command, args []string) error {
			opts.Refs = args
			opts.Timeout = uintIfChanged(c.Flags(), "time", timeout)
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runRm(c.Context(), opts)
		},
	}
	c.Flags().BoolVarP(&opts.Force, "force", "f", false, "stop running containers first, and ignore missing ones")
	c.Flags().BoolVarP(&opts.All, "all", "a", false, "remove all containers")
	c.Flags().UintVarP(&timeout, "time", "t", 10, "seconds to wait for a forced stop before killing the container")
	return c
}

func runRm(ctx context.Context, opts *rmOptions) error {
	e, err := opts.Engine()
	if err != nil {
		return err
	}
	refs := opts.Refs
	if opts.All {
		if refs, err = containerIDs(ctx, e, true); err != nil {
			return err
		}
	}
	var errs []error
	for _, ref := range refs {
		err := e.Remove(ctx, ref, engine.RemoveOptions{Force: opts.Force, Timeout: opts.Timeout})
		switch {
		case err == nil:
			fmt.Fprintln(opts.IO.Out, ref)
		case opts.Force && errors.Is(err, errdefs.ErrNotFound):
			// -f means "make sure it is gone": it is.
		default:
			errs = append(errs, err)
		}
	}
	return removalError(errs)
}

// removalError gives rm's and rmi's failures Podman's exit codes: 1 when
// only missing objects failed, 2 when one is in use (and nothing worse
// happened), else 125.
func removalError(errs []error) error {
	if len(errs) == 0 {
		return nil
	}
	code := 1
	for _, err := range errs {
		switch {
		case errors.Is(err, errdefs.ErrNotFound):
		case errors.Is(err, errdefs.ErrConflict):
			code = max(code, 2)
		default:
			code = exitHutch
		}
	}
	return &engine.ExitError{Code: code, Err: joinErrors(errs)}
}
