package cmd

import (
	"context"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/hutchctr/hutch/pkg/engine"
)

type pushEngine interface {
	Push(ctx context.Context, src, dest string, o engine.PushOptions) (string, error)
}

var _ pushEngine = (*engine.Engine)(nil)

type pushOptions struct {
	IO     *IOStreams
	Engine func() (pushEngine, error)

	Src, Dest  string
	Quiet      bool
	DigestFile string
	Push       engine.PushOptions
}

// newPushCmd is `hutch push` (and `hutch image push`).
func newPushCmd(f *Factory, runF func(context.Context, *pushOptions) error) *cobra.Command {
	opts := &pushOptions{IO: f.IO, Engine: engineFor[pushEngine](f)}
	var rf registryFlags
	c := &cobra.Command{
		Use:   "push [flags] IMAGE [DESTINATION]",
		Short: "Push an image to a registry",
		Long: "Push uploads a local image to a registry: to DESTINATION, or to the image's own name.\n" +
			"Blobs the registry has are not sent again. With --sign-by-sigstore-key the pushed\n" +
			"manifest is signed, and the signature pushed under cosign's sha256-<digest>.sig tag.",
		Args:              rangeArgs(1, 2),
		ValidArgsFunction: newCompleter(f).args(false, images),
		RunE: func(c *cobra.Command, args []string) error {
			opts.Src = args[0]
			if len(args) > 1 {
				opts.Dest = args[1]
			}
			opts.Push.TLSVerify = tlsVerifyFlag(c, &rf)
			creds, err := credsFlag(opts.IO, &rf)
			if err != nil {
				return err
			}
			opts.Push.Creds, opts.Push.AuthFile = creds, rf.authFile
			opts.Push.KeyPassword = keyPassword(opts.IO)
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runPush(c.Context(), opts)
		},
	}
	fl := c.Flags()
	fl.BoolVarP(&opts.Quiet, "quiet", "q", false, "show no progress")
	fl.StringVar(&opts.DigestFile, "digestfile", "", "write the pushed manifest's digest to this file")
	fl.StringVar(&opts.Push.SignBySigstoreKey, "sign-by-sigstore-key", "", "sign the pushed image with this private key file (PEM; a cosign encrypted key reads $COSIGN_PASSWORD or asks)")
	addRegistryFlags(c, &rf, true)
	return c
}

func runPush(ctx context.Context, opts *pushOptions) error {
	e, err := opts.Engine()
	if err != nil {
		return err
	}
	o := opts.Push
	o.Progress, o.Terminal = pullProgress(opts.IO, opts.Quiet)
	digest, err := e.Push(ctx, opts.Src, opts.Dest, o)
	if err != nil {
		return err
	}
	if opts.DigestFile != "" {
		if err := os.WriteFile(opts.DigestFile, []byte(digest), 0o644); err != nil {
			return fmt.Errorf("write the digest file: %w", err)
		}
	}
	return nil
}
