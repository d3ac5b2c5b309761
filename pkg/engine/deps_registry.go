package engine

import "context"

// imageDistributor moves images between the store and registries
// (pkg/image's pull and push over pkg/registry, with pkg/auth's
// credentials and pkg/signature's policy and signer).
type imageDistributor interface {
	// Pull stores ref's image (verified against hutch.yaml's signature
	// policy) and returns it.
	Pull(ctx context.Context, ref string, o PullOptions) (*imageMeta, error)
	// RemoteDigests returns the digests that identify ref's image in its
	// registry (the manifest's; an index's too), for --pull=newer.
	RemoteDigests(ctx context.Context, ref string, o PullOptions) ([]string, error)
	// Push uploads local image src to dest (src's own name when empty)
	// and returns the manifest digest.
	Push(ctx context.Context, src, dest string, o PushOptions) (string, error)
	// Sign signs the manifest registry reference ref points to and
	// stores the signature next to it; it returns the signed digest.
	Sign(ctx context.Context, ref string, o SignOptions) (string, error)
}

// loginStore keeps registry credentials (pkg/auth), checked against the
// registry (pkg/registry) before they are stored. It needs no storage and
// no user namespace.
type loginStore interface {
	Login(ctx context.Context, registry string, o LoginOptions) error
	Logout(ctx context.Context, registry string, o LogoutOptions) error
}
