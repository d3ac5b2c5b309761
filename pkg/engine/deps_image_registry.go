package engine

import (
	"context"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/hutchctr/hutch/pkg/auth"
	"github.com/hutchctr/hutch/pkg/config"
	"github.com/hutchctr/hutch/pkg/image"
	"github.com/hutchctr/hutch/pkg/registry"
	"github.com/hutchctr/hutch/pkg/signature"
	"github.com/hutchctr/hutch/pkg/version"
)

// registryEnv is what talking to registries needs, read once per command:
// hutch.yaml (registries, mirrors, certificates, signature policy) and the
// credentials.
type registryEnv struct {
	paths config.Paths
	// config is hutch.yaml, read once per command (Engine.hutchConfig).
	config func() (*config.File, error)
}

// client returns a registry client for one operation's flags: --tls-verify
// (false allows plain HTTP and unverified TLS everywhere; true requires
// verified TLS even where hutch.yaml marks a registry insecure; unset
// leaves it to hutch.yaml), --creds (these credentials for every registry)
// and --authfile (only that file).
func (r *registryEnv) client(tlsVerify *bool, creds, authFile string) (*registry.Client, error) {
	var c registry.Credentials
	switch {
	case creds != "":
		user, password, _, err := auth.ParseCreds(creds)
		if err != nil {
			return nil, err
		}
		c = auth.Fixed{Auth: auth.Basic("", user, password)}
	case authFile != "":
		c = auth.FromFile(authFile)
	default:
		c = auth.Default(r.paths)
	}
	return r.clientWith(tlsVerify, c)
}

// clientWith returns a registry client with the given credentials.
func (r *registryEnv) clientWith(tlsVerify *bool, c registry.Credentials) (*registry.Client, error) {
	cfg, err := r.config()
	if err != nil {
		return nil, err
	}
	return registry.New(registry.Options{
		Config:      cfg,
		TLSVerify:   tlsVerify,
		Credentials: c,
		UserAgent:   "hutch/" + version.Version,
	}), nil
}

// verifier returns hutch.yaml's signature policy.
func (r *registryEnv) verifier() (registry.Verifier, error) {
	cfg, err := r.config()
	if err != nil {
		return nil, err
	}
	p, err := signature.NewPolicy(cfg.Policy)
	if err != nil {
		return nil, err
	}
	return policyVerifier{p}, nil
}

// policyVerifier adapts signature.Policy, whose fetcher parameter is an
// unnamed function type (pkg/signature does not import pkg/registry), to
// registry.Verifier.
type policyVerifier struct{ p *signature.Policy }

func (v policyVerifier) Verify(ctx context.Context, ref name.Reference, d v1.Hash, fetch registry.SignatureFetcher) error {
	return v.p.Verify(ctx, ref, d, fetch)
}

func platform(s string) (*v1.Platform, error) {
	if s == "" {
		return nil, nil
	}
	return registry.ParsePlatform(s)
}

// imageAdapter's side of imageDistributor.

func (a imageAdapter) Pull(ctx context.Context, ref string, o PullOptions) (*imageMeta, error) {
	c, err := a.reg.client(o.TLSVerify, o.Creds, o.AuthFile)
	if err != nil {
		return nil, err
	}
	defer c.Close() // idle connections would outlive the command's goroutines
	v, err := a.reg.verifier()
	if err != nil {
		return nil, err
	}
	p, err := platform(o.Platform)
	if err != nil {
		return nil, err
	}
	img, err := a.Store.Pull(ctx, ref, image.PullOptions{
		Registry: c, Platform: p, Verifier: v, Progress: o.Progress, Terminal: o.Terminal, Quiet: o.Progress == nil,
	})
	if err != nil {
		return nil, err
	}
	return toMeta(img), nil
}

func (a imageAdapter) RemoteDigests(ctx context.Context, ref string, o PullOptions) ([]string, error) {
	c, err := a.reg.client(o.TLSVerify, o.Creds, o.AuthFile)
	if err != nil {
		return nil, err
	}
	defer c.Close() // idle connections would outlive the command's goroutines
	p, err := platform(o.Platform)
	if err != nil {
		return nil, err
	}
	rem, err := c.Fetch(ctx, ref, p)
	if err != nil {
		return nil, err
	}
	out := []string{rem.Manifest.Digest.String()}
	if rem.Index != nil {
		out = append(out, rem.Index.Digest.String())
	}
	return out, nil
}

func (a imageAdapter) Push(ctx context.Context, src, dest string, o PushOptions) (string, error) {
	c, err := a.reg.client(o.TLSVerify, o.Creds, o.AuthFile)
	if err != nil {
		return "", err
	}
	defer c.Close() // idle connections would outlive the command's goroutines
	po := image.PushOptions{Registry: c, Progress: o.Progress, Terminal: o.Terminal, Quiet: o.Progress == nil}
	if o.SignBySigstoreKey != "" {
		// Load the key first: a bad key fails before anything is pushed.
		signer, err := signature.LoadSignerWith(o.SignBySigstoreKey, signature.KeyPassword(o.KeyPassword))
		if err != nil {
			return "", err
		}
		po.Sign = func(ctx context.Context, ref name.Reference, d v1.Hash, write registry.SignatureWriter) error {
			fetch, err := c.SignatureFetcher(ref, d)
			if err != nil {
				return err
			}
			return signer.SignTo(ctx, ref, d, fetch, write)
		}
	}
	return a.Store.Push(ctx, src, dest, po)
}

// Sign signs what the registry holds under ref: for a multi-platform image,
// the index, as cosign does and as pulls verify.
func (a imageAdapter) Sign(ctx context.Context, ref string, o SignOptions) (string, error) {
	signer, err := signature.LoadSignerWith(o.Key, signature.KeyPassword(o.KeyPassword))
	if err != nil {
		return "", err
	}
	c, err := a.reg.client(o.TLSVerify, o.Creds, o.AuthFile)
	if err != nil {
		return "", err
	}
	defer c.Close() // idle connections would outlive the command's goroutines
	rem, err := c.Fetch(ctx, ref, nil)
	if err != nil {
		return "", err
	}
	d := rem.TopDigest()
	t, err := c.PushTarget(ctx, rem.Name)
	if err != nil {
		return "", err
	}
	fetch, err := c.SignatureFetcher(rem.Ref, d)
	if err != nil {
		return "", err
	}
	if err := signer.SignTo(ctx, rem.Ref, d, fetch, t.SignatureWriter(d)); err != nil {
		return "", err
	}
	return d.String(), nil
}
