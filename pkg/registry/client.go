package registry

import (
	"context"
	"net/http"
	"sync"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/hutchctr/hutch/pkg/config"
)

// Credentials finds the authenticator for a registry host ("docker.io",
// "127.0.0.1:5000"). pkg/auth's Store implements it. A provider with
// nothing for the host returns authn.Anonymous.
type Credentials interface {
	Credentials(ctx context.Context, registry string) (authn.Authenticator, error)
}

// SignatureFetcher returns the image stored under a manifest's cosign
// signature tag ("sha256-<hex>.sig" in the same repository), or nil, nil
// when there is none.
type SignatureFetcher func(ctx context.Context) (v1.Image, error)

// Verifier decides whether an image may be pulled, before anything of it is
// stored. ref is the source reference (not a mirror's) as the user's name
// resolved; Docker Hub is spelled index.docker.io in it, as in
// go-containerregistry (FamiliarName gives "docker.io/..."). manifestDigest
// is the digest the reference points to: the index's for a multi-platform
// image, as cosign signs it. pkg/signature's Policy implements it.
type Verifier interface {
	Verify(ctx context.Context, ref name.Reference, manifestDigest v1.Hash, fetch SignatureFetcher) error
}

// SignatureWriter stores sig under the signature tag of one manifest
// (see Target.SignatureWriter).
type SignatureWriter func(ctx context.Context, sig v1.Image) error

// Options configure a Client.
type Options struct {
	// Config is hutch.yaml as config.Load returns it; nil means the
	// defaults.
	Config *config.File
	// TLSVerify is --tls-verify, which overrides hutch.yaml's insecure
	// settings for one command, as Podman's does: nil (the flag absent)
	// leaves them in force; true requires verified TLS with every
	// registry and mirror, even those marked insecure; false allows plain
	// HTTP and unverified TLS with every registry (and its token server).
	TLSVerify *bool
	// Credentials provides authenticators; nil means anonymous access.
	Credentials Credentials
	// Transport replaces the network (tests). TLS settings (certs-dir,
	// verification) then do not apply; the plain-HTTP rule still does.
	Transport http.RoundTripper
	// UserAgent is sent with every request ("hutch/<version>").
	UserAgent string
}

// Client resolves names and opens connections to registries. It is safe
// for concurrent use; connections and tokens are shared by its callers.
type Client struct {
	cfg  *config.File
	opts Options
	tr   *transports

	mu       sync.Mutex
	sessions map[sessionKey]*session
}

// New returns a client for the configuration in o.
func New(o Options) *Client {
	cfg := o.Config
	if cfg == nil {
		// An empty hutch.yaml, without per-host certificates.
		cfg = &config.File{
			UnqualifiedSearchRegistries: []string{config.DefaultSearchRegistry},
			ParallelDownloads:           config.DefaultParallelDownloads,
			RegistryTimeout:             config.DefaultRegistryTimeout,
		}
	}
	idle := cfg.RegistryTimeout
	if idle <= 0 {
		idle = config.DefaultRegistryTimeout
	}
	return &Client{
		cfg:      cfg,
		opts:     o,
		tr:       newTransports(cfg.CertsDir, o.Transport, o.UserAgent, idle),
		sessions: map[sessionKey]*session{},
	}
}

// insecure decides whether an endpoint may use plain HTTP and unverified
// TLS, from its hutch.yaml setting and --tls-verify.
func (o Options) insecure(configured bool) bool {
	if o.TLSVerify != nil {
		return !*o.TLSVerify
	}
	return configured
}

// insecureEverywhere reports --tls-verify=false: every host, token servers
// and blob redirects included, may use plain HTTP and unverified TLS.
func (o Options) insecureEverywhere() bool {
	return o.TLSVerify != nil && !*o.TLSVerify
}

// verifyForced reports --tls-verify=true.
func (o Options) verifyForced() bool {
	return o.TLSVerify != nil && *o.TLSVerify
}

// Close drops the client's idle connections. Requests in flight are not
// affected; the client stays usable.
func (c *Client) Close() {
	c.tr.closeIdle()
}

// ParallelDownloads returns how many blobs a pull should fetch at once.
func (c *Client) ParallelDownloads() int {
	if c.cfg.ParallelDownloads < 1 {
		return config.DefaultParallelDownloads
	}
	return c.cfg.ParallelDownloads
}

// auth returns the authenticator for host.
func (c *Client) auth(ctx context.Context, host string) (authn.Authenticator, error) {
	if c.opts.Credentials == nil {
		return authn.Anonymous, nil
	}
	a, err := c.opts.Credentials.Credentials(ctx, host)
	if err != nil {
		return nil, err
	}
	if a == nil {
		return authn.Anonymous, nil
	}
	return a, nil
}
