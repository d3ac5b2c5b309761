package signature_test

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/hutchctr/hutch/pkg/config"
	"github.com/hutchctr/hutch/pkg/errdefs"
	"github.com/hutchctr/hutch/pkg/signature"
)

// Example signs an image's manifest digest and checks it under a
// sigstore-signed policy. A real caller pushes the signature image under
// SignatureTag and fetches it back from the registry.
func Example() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "hutch-sign-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	keyFile, pubFile, err := signature.GenerateKeyPair(dir)
	if err != nil {
		panic(err)
	}

	ref, _ := name.ParseReference("127.0.0.1:5000/app:v1")
	digest, _ := v1.NewHash("sha256:d7e70e10a479e6e75f783862f59ea466cc66a11c0f6a57b30944beea8f25a6d3")
	sigs, err := signature.Sign(ctx, keyFile, ref, digest, nil)
	if err != nil {
		panic(err)
	}
	tag, _ := signature.SignatureTag(ref, digest)
	fmt.Println("push the signatures to", tag)

	policy, err := signature.NewPolicy(config.Policy{
		Default: "reject",
		Scopes: map[string]config.PolicyRequirement{
			"127.0.0.1:5000/app": {Type: "sigstore-signed", Key: pubFile},
		},
	})
	if err != nil {
		panic(err)
	}
	fetch := func(context.Context) (v1.Image, error) { return sigs, nil }
	fmt.Println("signed:", policy.Verify(ctx, ref, digest, fetch))

	none := func(context.Context) (v1.Image, error) { return nil, nil }
	err = policy.Verify(ctx, ref, digest, none)
	fmt.Println("unsigned refused:", errors.Is(err, errdefs.ErrPermission))
	// Output:
	// push the signatures to 127.0.0.1:5000/app:sha256-d7e70e10a479e6e75f783862f59ea466cc66a11c0f6a57b30944beea8f25a6d3.sig
	// signed: <nil>
	// unsigned refused: true
}
