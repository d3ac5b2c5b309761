package cmd

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/hutchctr/hutch/pkg/engine"
)

type signEngine interface {
	SignImage(ctx context.Context, ref string, o engine.SignOptions) (string, error)
}

var _ signEngine = (*engine.Engine)(nil)

type signOptions struct {
	IO     *IOStreams
	Engine func() (signEngine, error)

	Refs []string
	Sign engine.SignOptions
}

// newSignCmd is `hutch image sign`.
func newSignCmd(f *Factory, runF func(context.Context, *signOptions) error) *cobra.Command {
	opts := &signOptions{IO: f.IO, Engine: engineFor[signEngine](f)}
	var rf registryFlags
	c := &cobra.Command{
		Use:   "sign [flags] IMAGE [IMAGE...]",
		Short: "Sign images in a registry",
		Long: "Sign signs the manifest a registry reference points to with a private key (PEM:\n" +
			"ECDSA P-256 or Ed25519) and pushes the signature next to it, under cosign's\n" +
			"sha256-<digest>.sig tag, for hutch.yaml's sigstore-signed policies to check.\n" +
			"A key encrypted by cosign generate-key-pair is opened with $COSIGN_PASSWORD when\n" +
			"it is set (even empty), else with a password asked on the terminal.",
		Args:              minArgs(1),
		ValidArgsFunction: newCompleter(f).args(true, images),
		RunE: func(c *cobra.Command, args []string) error {
			opts.Refs = args
			if opts.Sign.Key == "" {
				return flagErrorf("--sign-by-sigstore-key is required")
			}
			opts.Sign.TLSVerify = tlsVerifyFlag(c, &rf)
			creds, err := credsFlag(opts.IO, &rf)
			if err != nil {
				return err
			}
			opts.Sign.Creds, opts.Sign.AuthFile = creds, rf.authFile
			opts.Sign.KeyPassword = keyPassword(opts.IO)
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runSign(c.Context(), opts)
		},
	}
	c.Flags().StringVar(&opts.Sign.Key, "sign-by-sigstore-key", "", "private key file to sign with (required)")
	c.Flags().StringVar(&opts.Sign.Key, "key", "", "alias of --sign-by-sigstore-key")
	addRegistryFlags(c, &rf, true)
	return c
}

func runSign(ctx context.Context, opts *signOptions) error {
	e, err := opts.Engine()
	if err != nil {
		return err
	}
	for _, ref := range opts.Refs {
		if _, err := e.SignImage(ctx, ref, opts.Sign); err != nil {
			return fmt.Errorf("image sign: %w", err)
		}
	}
	return nil
}
