package cmd

import (
	"context"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hutchctr/hutch/pkg/engine"
)

// nameLister is what shell completion asks the engine.
type nameLister interface {
	ContainerNames(ctx context.Context, all bool) ([]string, error)
	ImageNames(ctx context.Context) ([]string, error)
}

var _ nameLister = (*engine.Engine)(nil)

// completer offers container and image names to cobra's dynamic
// completion. Failures complete nothing: a shell prompt is no place for
// errors.
type completer struct {
	names func() (nameLister, error)
}

func newCompleter(f *Factory) completer { return completer{names: engineFor[nameLister](f)} }

// What to complete at an argument position.
const (
	noNames = iota
	runningContainers
	allContainers
	images
	containersAndImages
)

// args completes the first len(kinds) arguments by kind; after that the
// last kind repeats when repeat is set, else files are completed (the
// command of run and exec).
func (c completer) args(repeat bool, kinds ...int) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		kind := noNames
		switch {
		case len(args) < len(kinds):
			kind = kinds[len(args)]
		case repeat && len(kinds) > 0:
			kind = kinds[len(kinds)-1]
		default:
			return nil, cobra.ShellCompDirectiveDefault
		}
		names := c.list(cmd.Context(), kind)
		var out []cobra.Completion
		for _, n := range names {
			// Skip names already on the command line (rm a <TAB>).
			if strings.HasPrefix(n, toComplete) && !slices.Contains(args, n) {
				out = append(out, n)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

func (c completer) list(ctx context.Context, kind int) []string {
	if kind == noNames {
		return nil
	}
	if ctx == nil {
		ctx = context.Background()
	}
	e, err := c.names()
	if err != nil {
		return nil
	}
	var out []string
	if kind != images {
		ns, err := e.ContainerNames(ctx, kind != runningContainers)
		if err == nil {
			out = append(out, ns...)
		}
	}
	if kind == images || kind == containersAndImages {
		ns, err := e.ImageNames(ctx)
		if err == nil {
			out = append(out, ns...)
		}
	}
	return out
}

// fixedValues completes a flag from a fixed list.
func fixedValues(values ...string) cobra.CompletionFunc {
	return cobra.FixedCompletions(values, cobra.ShellCompDirectiveNoFileComp)
}

// signalNames are the signals worth offering for kill and --stop-signal.
func signalNames() []string {
	return []string{
		"SIGTERM", "SIGKILL", "SIGINT", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2",
		"SIGSTOP", "SIGCONT", "SIGWINCH", "SIGPWR", "SIGALRM",
	}
}
