//go:build e2e

package e2e

import (
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	mrand "math/rand/v2"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/hutchctr/hutch/internal/testutil"
)

// The test's own registry client (go-containerregistry) puts fixtures into
// registries and checks what hutch pushed, independently of hutch.

// remoteOptions are the test client's options for r: its transport and,
// when the registry wants authentication, the first user's credentials.
func (r *regServer) remoteOptions(ctx context.Context) []remote.Option {
	opts := []remote.Option{remote.WithTransport(r.transport()), remote.WithContext(ctx)}
	users := r.opts.Users
	if r.opts.Token != nil {
		users = r.opts.Token.users
	}
	if len(users) > 0 {
		names := make([]string, 0, len(users))
		for u := range users {
			names = append(names, u)
		}
		sort.Strings(names)
		opts = append(opts, remote.WithAuth(&authn.Basic{Username: names[0], Password: users[names[0]]}))
	}
	return opts
}

// parseRef parses repo (with a tag or digest) on r.
func (r *regServer) parseRef(t testing.TB, repo string) name.Reference {
	t.Helper()
	ref, err := name.ParseReference(r.Ref(repo))
	if err != nil {
		t.Fatal(err)
	}
	return ref
}

// push uploads img as repo (with a tag) and returns its manifest digest.
func (r *regServer) push(t testing.TB, repo string, img v1.Image) string {
	t.Helper()
	if err := remote.Write(r.parseRef(t, repo), img, r.remoteOptions(t.Context())...); err != nil {
		t.Fatalf("push %s to %s: %v\n%s", repo, r.Host, err, r.logTail())
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d.String()
}

// pushIndex uploads a multi-platform index and returns its digest.
func (r *regServer) pushIndex(t testing.TB, repo string, idx v1.ImageIndex) string {
	t.Helper()
	if err := remote.WriteIndex(r.parseRef(t, repo), idx, r.remoteOptions(t.Context())...); err != nil {
		t.Fatalf("push index %s to %s: %v\n%s", repo, r.Host, err, r.logTail())
	}
	d, err := idx.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d.String()
}

// digestOf returns the manifest digest the registry serves for repo:tag.
func (r *regServer) digestOf(t testing.TB, repo string) string {
	t.Helper()
	desc, err := remote.Head(r.parseRef(t, repo), r.remoteOptions(t.Context())...)
	if err != nil {
		t.Fatalf("HEAD %s on %s: %v", repo, r.Host, err)
	}
	return desc.Digest.String()
}

// fetch returns the image the registry serves for repo (resolving an index
// to the host's platform).
func (r *regServer) fetch(t testing.TB, repo string) v1.Image {
	t.Helper()
	img, err := remote.Image(r.parseRef(t, repo), r.remoteOptions(t.Context())...)
	if err != nil {
		t.Fatalf("fetch %s from %s: %v", repo, r.Host, err)
	}
	return img
}

// fileLayer is an uncompressed tar holding one file.
func fileLayer(path, content string) []byte {
	return testutil.MustTar(testutil.Entry{Name: path, Body: []byte(content)})
}

// layeredImage is the busybox fixture plus extra layers, each holding
// /layers/N with salt in it: images with different salts share only the
// busybox layer. The image's command prints /layers/0.
func layeredImage(t testing.TB, salt string, extra int) v1.Image {
	t.Helper()
	opts := []testutil.ImageOption{testutil.WithLabels(map[string]string{"salt": salt})}
	for i := 0; i < extra; i++ {
		opts = append(opts, testutil.WithLayer(fileLayer(fmt.Sprintf("layers/%d", i), fmt.Sprintf("%s layer %d\n", salt, i))))
	}
	return busyboxImage(t, opts...)
}

// bigLayerImage is the busybox fixture plus a layer with one file of size
// pseudo-random (incompressible) bytes from seed.
func bigLayerImage(t testing.TB, seed uint64, size int) v1.Image {
	t.Helper()
	data := make([]byte, size)
	rng := mrand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8), byte(seed >> 16)})
	rng.Read(data)
	return busyboxImage(t, testutil.WithLayer(testutil.MustTar(testutil.Entry{Name: "big.bin", Body: data})))
}

// layerDigests returns the compressed digests of img's layers, base first.
func layerDigests(t testing.TB, img v1.Image) []string {
	t.Helper()
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range layers {
		d, err := l.Digest()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, d.String())
	}
	return out
}

// configID is the image ID: the hex digest of the config blob.
func configID(t testing.TB, img v1.Image) string {
	t.Helper()
	h, err := img.ConfigName()
	if err != nil {
		t.Fatal(err)
	}
	return h.Hex
}

// withArch returns img claiming architecture arch (the content stays the
// host's busybox: these images are pulled and inspected, not run).
func withArch(t testing.TB, img v1.Image, arch string) v1.Image {
	t.Helper()
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cfg = cfg.DeepCopy()
	cfg.Architecture = arch
	out, err := mutate.ConfigFile(img, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// platformIndex is an OCI index of two images, for the host's architecture
// and for the other of amd64/arm64; it returns the index and the images by
// architecture.
func platformIndex(t testing.TB, salt string) (v1.ImageIndex, map[string]v1.Image) {
	t.Helper()
	imgs := map[string]v1.Image{}
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, arch := range []string{"amd64", "arm64"} {
		img := withArch(t, layeredImage(t, salt+"-"+arch, 1), arch)
		imgs[arch] = img
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{
			Add:        img,
			Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: arch}},
		})
	}
	return idx, imgs
}

// cosignKey is an ECDSA P-256 key pair as PEM files, in the formats cosign
// and hutch's `sigstore-signed` policy use (PKCS#8 private, PKIX public).
type cosignKey struct {
	priv              *ecdsa.PrivateKey
	PrivPath, PubPath string
}

func newCosignKey(t testing.TB, dir, name string) cosignKey {
	t.Helper()
	k := cosignKey{priv: newECKey(t)}
	privDER, err := x509.MarshalPKCS8PrivateKey(k.priv)
	if err != nil {
		t.Fatal(err)
	}
	pubDER, err := x509.MarshalPKIXPublicKey(&k.priv.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	k.PrivPath, k.PubPath = filepath.Join(dir, name+".key"), filepath.Join(dir, name+".pub")
	writeFile(t, k.PrivPath, pemBlock("PRIVATE KEY", privDER), 0o600)
	writeFile(t, k.PubPath, pemBlock("PUBLIC KEY", pubDER), 0o644)
	return k
}

// simpleSigningPayload is the payload a cosign signature signs.
func simpleSigningPayload(t testing.TB, dockerRef, digest string) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{
		"critical": map[string]any{
			"identity": map[string]string{"docker-reference": dockerRef},
			"image":    map[string]string{"docker-manifest-digest": digest},
			"type":     "cosign container image signature",
		},
		"optional": nil,
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sign returns the base64 ECDSA signature (ASN.1) of payload's sha256.
func (k cosignKey) sign(t testing.TB, payload []byte) string {
	t.Helper()
	sum := sha256.Sum256(payload)
	sig, err := ecdsa.SignASN1(rand.Reader, k.priv, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(sig)
}

// signatureImage is a cosign signature image: one layer holding payload,
// its signature in the layer's dev.cosignproject.cosign/signature
// annotation.
func signatureImage(t testing.TB, payload []byte, sig string) v1.Image {
	t.Helper()
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	img, err := mutate.Append(img, mutate.Addendum{
		Layer:       static.NewLayer(payload, "application/vnd.dev.cosign.simplesigning.v1+json"),
		Annotations: map[string]string{"dev.cosignproject.cosign/signature": sig},
	})
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// signatureTag is the tag cosign stores the signatures of digest under.
func signatureTag(digest string) string {
	return strings.Replace(digest, ":", "-", 1) + ".sig"
}

// hostArch is the host's architecture, one of the two platformIndex holds.
func hostArch(t testing.TB) string {
	t.Helper()
	if a := runtime.GOARCH; a == "amd64" || a == "arm64" {
		return a
	}
	t.Fatalf("the multi-platform fixture has amd64 and arm64 images; this host is %s", runtime.GOARCH)
	return ""
}
