package signature

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/hutchctr/hutch/pkg/config"
	"github.com/hutchctr/hutch/pkg/errdefs"
)

const (
	testRepo  = "127.0.0.1:5000/signed"
	otherHash = "sha256:1111111111111111111111111111111111111111111111111111111111111111"
)

// keyPair is a generated key pair in a temp dir.
type keyPair struct{ key, pub string }

func newKeyPair(t *testing.T, gen func(string) (string, string, error)) keyPair {
	t.Helper()
	k, p, err := gen(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return keyPair{k, p}
}

func signedPolicy(t *testing.T, pub string) *Policy {
	t.Helper()
	p, err := NewPolicy(config.Policy{Default: TypeAccept, Scopes: map[string]config.PolicyRequirement{
		testRepo:                {Type: TypeSigstoreSigned, Key: pub},
		"127.0.0.1:5000/nope":   {Type: TypeReject},
		"127.0.0.1:5000/nokey":  {Type: TypeSigstoreSigned, Key: filepath.Join(t.TempDir(), "gone.pub")},
		"127.0.0.1:5000/public": {Type: TypeAccept},
	}})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func fetchImage(img v1.Image) Fetcher {
	return func(context.Context) (v1.Image, error) { return img, nil }
}

func sign(t *testing.T, keyFile, ref, digest string, existing v1.Image) v1.Image {
	t.Helper()
	img, err := Sign(t.Context(), keyFile, mustRef(t, ref), mustHash(t, digest), existing)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func TestSignVerifyRoundTrip(t *testing.T) {
	for _, alg := range []struct {
		name string
		gen  func(string) (string, string, error)
	}{{"ecdsa-p256", GenerateKeyPair}, {"ed25519", GenerateEd25519KeyPair}} {
		t.Run(alg.name, func(t *testing.T) {
			kp := newKeyPair(t, alg.gen)
			p := signedPolicy(t, kp.pub)
			sigs := sign(t, kp.key, testRepo+":v1", vectorDigest, nil)
			for _, ref := range []string{testRepo + ":v1", testRepo + ":v2", testRepo + "@" + vectorDigest, testRepo} {
				if err := p.Verify(t.Context(), mustRef(t, ref), mustHash(t, vectorDigest), fetchImage(sigs)); err != nil {
					t.Errorf("Verify(%s) = %v", ref, err)
				}
			}
			m, err := sigs.Manifest()
			if err != nil {
				t.Fatal(err)
			}
			if m.MediaType != types.OCIManifestSchema1 || m.Config.MediaType != types.OCIConfigJSON || len(m.Layers) != 1 ||
				m.Layers[0].MediaType != PayloadMediaType || m.Layers[0].Annotations[SignatureAnnotation] == "" {
				t.Errorf("signature manifest is not cosign-shaped: %+v", m)
			}
		})
	}
}

// refused runs Verify and checks that it refused with a permission error
// whose message names the image, the scope and what is wrong.
func refused(t *testing.T, p *Policy, ref, digest string, fetch Fetcher, want ...string) {
	t.Helper()
	err := p.Verify(t.Context(), mustRef(t, ref), mustHash(t, digest), fetch)
	if !errors.Is(err, errdefs.ErrPermission) {
		t.Fatalf("Verify(%s) = %v, want a permission error", ref, err)
	}
	if errors.Is(err, errdefs.ErrNotFound) {
		t.Errorf("Verify(%s) = %v also matches ErrNotFound", ref, err)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("Verify(%s) = %q, want it to contain %q", ref, err, w)
		}
	}
}

func TestVerifyRefusals(t *testing.T) {
	kp := newKeyPair(t, GenerateKeyPair)
	other := newKeyPair(t, GenerateEd25519KeyPair)
	p := signedPolicy(t, kp.pub)
	scope := fmt.Sprintf(`"%s" (sigstore-signed, key %s)`, testRepo, kp.pub)
	good := sign(t, kp.key, testRepo, vectorDigest, nil)

	tests := []struct {
		name   string
		ref    string
		digest string
		sigs   v1.Image
		want   string
	}{
		{"wrong key", testRepo + ":v1", vectorDigest, sign(t, other.key, testRepo, vectorDigest, nil), "does not verify with the key"},
		{"digest mismatch", testRepo + ":v1", otherHash, good, "signature is for manifest " + vectorDigest},
		{"reference mismatch", testRepo + ":v1", vectorDigest, sign(t, kp.key, "127.0.0.1:5000/elsewhere", vectorDigest, nil), `signature is for "127.0.0.1:5000/elsewhere"`},
		{"tampered payload", testRepo + ":v1", otherHash, tamper(t, good, otherHash), "does not verify with the key"},
		{"no signature image", testRepo + ":v1", vectorDigest, nil, "no signature"},
		{"empty signature image", testRepo + ":v1", vectorDigest, emptySignatures(), "no signature"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			refused(t, p, tt.ref, tt.digest, fetchImage(tt.sigs), "image "+testRepo, scope, tt.want)
		})
	}
	t.Run("fetch not found", func(t *testing.T) {
		fetch := func(context.Context) (v1.Image, error) { return nil, fmt.Errorf("tag: %w", errdefs.ErrNotFound) }
		refused(t, p, testRepo+":v1", vectorDigest, fetch, scope, "no signature")
	})
	t.Run("fetch fails", func(t *testing.T) {
		fetch := func(context.Context) (v1.Image, error) { return nil, errors.New("connection refused") }
		refused(t, p, testRepo+":v1", vectorDigest, fetch, scope, "fetch signatures: connection refused")
	})
	t.Run("reject", func(t *testing.T) {
		refused(t, p, "127.0.0.1:5000/nope:v1", vectorDigest, fetchImage(good), `signature policy "127.0.0.1:5000/nope" (reject)`)
	})
	t.Run("default reject", func(t *testing.T) {
		strict, err := NewPolicy(config.Policy{Default: TypeReject})
		if err != nil {
			t.Fatal(err)
		}
		refused(t, strict, "a.io/x", vectorDigest, nil, "image a.io/x", "signature policy default (reject)")
	})
	t.Run("key file missing", func(t *testing.T) {
		refused(t, p, "127.0.0.1:5000/nokey:v1", vectorDigest, fetchImage(good), "gone.pub does not exist")
	})
	t.Run("accept does not fetch", func(t *testing.T) {
		fetch := func(context.Context) (v1.Image, error) { t.Error("fetch called"); return nil, nil }
		if err := p.Verify(t.Context(), mustRef(t, "127.0.0.1:5000/public"), mustHash(t, vectorDigest), fetch); err != nil {
			t.Error(err)
		}
	})
	t.Run("canceled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		fetch := func(ctx context.Context) (v1.Image, error) { return nil, ctx.Err() }
		err := p.Verify(ctx, mustRef(t, testRepo), mustHash(t, vectorDigest), fetch)
		if !errors.Is(err, context.Canceled) || errors.Is(err, errdefs.ErrPermission) {
			t.Errorf("Verify = %v, want context.Canceled only", err)
		}
	})
}

// tamper moves a signature to another image: it rewrites the manifest
// digest in the payload of sigs' first layer to to, keeping the signature
// annotation (what an attacker who can push to the registry would do).
func tamper(t *testing.T, sigs v1.Image, to string) v1.Image {
	t.Helper()
	m, err := sigs.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	payload := readLayer(t, sigs, m.Layers[0].Digest)
	forged := strings.Replace(string(payload), vectorDigest, to, 1)
	if forged == string(payload) {
		t.Fatal("payload does not hold the digest")
	}
	return withLayers(t, []layerSpec{{payload: []byte(forged), annotations: m.Layers[0].Annotations}})
}

func readLayer(t *testing.T, img v1.Image, d v1.Hash) []byte {
	t.Helper()
	l, err := img.LayerByDigest(d)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := l.Compressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// layerSpec is one hand-made signature layer.
type layerSpec struct {
	payload     []byte
	mediaType   types.MediaType // PayloadMediaType when empty
	annotations map[string]string
}

func withLayers(t *testing.T, specs []layerSpec) v1.Image {
	t.Helper()
	img := emptySignatures()
	for _, s := range specs {
		mt := s.mediaType
		if mt == "" {
			mt = PayloadMediaType
		}
		var err error
		img, err = mutate.Append(img, mutate.Addendum{Layer: static.NewLayer(s.payload, mt), Annotations: s.annotations})
		if err != nil {
			t.Fatal(err)
		}
	}
	return img
}

// TestVerifyHandMadeSignatures builds signature images by hand from the
// OpenSSL vectors (testdata/README.md), good and malformed.
func TestVerifyHandMadeSignatures(t *testing.T) {
	payload, err := os.ReadFile("testdata/payload.json")
	if err != nil {
		t.Fatal(err)
	}
	sigOf := func(file string) map[string]string {
		b, err := os.ReadFile(filepath.Join("testdata", file))
		if err != nil {
			t.Fatal(err)
		}
		return map[string]string{SignatureAnnotation: string(b)}
	}
	ec, ed := sigOf("payload.ec.sig"), sigOf("payload.ed25519.sig")
	ref := mustRef(t, "127.0.0.1:5000/app:v1")
	bigPayload := make([]byte, maxPayloadSize+1)
	tests := []struct {
		name    string
		key     string
		sigs    v1.Image
		wantErr string
	}{
		{"openssl ecdsa", "ec.pub", withLayers(t, []layerSpec{{payload: payload, annotations: ec}}), ""},
		{"openssl ed25519", "ed25519.pub", withLayers(t, []layerSpec{{payload: payload, annotations: ed}}), ""},
		{"second layer valid", "ed25519.pub", withLayers(t, []layerSpec{{payload: payload, annotations: ec}, {payload: payload, annotations: ed}}), ""},
		{"wrong media type", "ec.pub", withLayers(t, []layerSpec{{payload: payload, mediaType: types.OCILayer, annotations: ec}}), "signature 1: layer media type"},
		{"no annotation", "ec.pub", withLayers(t, []layerSpec{{payload: payload}}), "has no dev.cosignproject.cosign/signature annotation"},
		{"bad base64", "ec.pub", withLayers(t, []layerSpec{{payload: payload, annotations: map[string]string{SignatureAnnotation: "%%%"}}}), "not base64"},
		{"oversized payload", "ec.pub", withLayers(t, []layerSpec{{payload: bigPayload, annotations: ec}}), "outside 0.."},
		{"two bad layers", "ed25519.pub", withLayers(t, []layerSpec{{payload: payload, annotations: ec}, {payload: payload}}),
			"signature 1: signature does not verify with the key; signature 2: layer has no"},
		{"unreadable manifest", "ec.pub", brokenImage{}, "read signature image manifest: manifest unknown"},
		{"signed garbage", "ec.pub", withLayers(t, []layerSpec{{payload: []byte("garbage"), annotations: sigOf("payload.ec.sig")}}), "does not verify"},
		{"blob not matching digest", "ec.pub", lyingBlob{withLayers(t, []layerSpec{{payload: payload, annotations: ec}})}, "does not match its digest"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key, err := LoadPublicKey(filepath.Join("testdata", tt.key))
			if err != nil {
				t.Fatal(err)
			}
			err = VerifyImage(t.Context(), tt.sigs, key, ref, mustHash(t, vectorDigest))
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("VerifyImage() = %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("VerifyImage() = %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
}

// TestVerifySignedInvalidClaims signs payloads that are authentic but say
// the wrong thing (so only the claim checks can refuse them).
func TestVerifySignedInvalidClaims(t *testing.T) {
	kp := newKeyPair(t, GenerateEd25519KeyPair)
	s, err := LoadSigner(kp.key)
	if err != nil {
		t.Fatal(err)
	}
	good, err := Payload(mustRef(t, testRepo), mustHash(t, vectorDigest))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, payload, wantErr string
	}{
		{"other type", strings.Replace(string(good), PayloadType, "atomic container signature", 1), "payload type"},
		{"unknown critical claim", strings.Replace(string(good), `"type"`, `"expiry":1,"type"`, 1), `unknown key "expiry"`},
		{"not json", "signed but not json", "not a JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sig, err := signPayload(s.key, []byte(tt.payload))
			if err != nil {
				t.Fatal(err)
			}
			img := withLayers(t, []layerSpec{{payload: []byte(tt.payload), annotations: map[string]string{SignatureAnnotation: base64.StdEncoding.EncodeToString(sig)}}})
			pub, err := LoadPublicKey(kp.pub)
			if err != nil {
				t.Fatal(err)
			}
			err = VerifyImage(t.Context(), img, pub, mustRef(t, testRepo), mustHash(t, vectorDigest))
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("VerifyImage() = %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestSignAppendsToExisting(t *testing.T) {
	a, b := newKeyPair(t, GenerateKeyPair), newKeyPair(t, GenerateEd25519KeyPair)
	first := sign(t, a.key, testRepo, vectorDigest, nil)
	both := sign(t, b.key, testRepo, vectorDigest, first)
	again := sign(t, a.key, testRepo+":v9", vectorDigest, both)
	for _, img := range []v1.Image{both, again} {
		m, err := img.Manifest()
		if err != nil {
			t.Fatal(err)
		}
		if len(m.Layers) != 2 {
			t.Errorf("signature image has %d layers, want 2 (re-signing with a key adds nothing)", len(m.Layers))
		}
	}
	for _, kp := range []keyPair{a, b} {
		if err := signedPolicy(t, kp.pub).Verify(t.Context(), mustRef(t, testRepo+":v1"), mustHash(t, vectorDigest), fetchImage(again)); err != nil {
			t.Errorf("Verify with %s = %v", kp.pub, err)
		}
	}
	d1, _ := both.Digest()
	d2, _ := again.Digest()
	if d1 != d2 {
		t.Errorf("re-signing changed the signature image: %s -> %s", d1, d2)
	}
	if _, err := Sign(t.Context(), a.key, mustRef(t, testRepo), mustHash(t, vectorDigest), brokenImage{}); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Errorf("Sign onto a broken image = %v, want InvalidArgument", err)
	}
}

// brokenImage is a signature image whose manifest cannot be read.
type brokenImage struct{ v1.Image }

func (brokenImage) Manifest() (*v1.Manifest, error) { return nil, errors.New("manifest unknown") }

// lyingBlob serves other bytes (of the same size) than its manifest's
// digests name: a registry that does not check what it serves.
type lyingBlob struct{ v1.Image }

func (l lyingBlob) LayerByDigest(d v1.Hash) (v1.Layer, error) {
	real, err := l.Image.LayerByDigest(d)
	if err != nil {
		return nil, err
	}
	size, err := real.Size()
	if err != nil {
		return nil, err
	}
	return static.NewLayer([]byte(strings.Repeat("x", int(size))), PayloadMediaType), nil
}

func TestSignTo(t *testing.T) {
	a, b := newKeyPair(t, GenerateKeyPair), newKeyPair(t, GenerateEd25519KeyPair)
	var stored v1.Image // the registry's signature tag
	fetch := func(context.Context) (v1.Image, error) { return stored, nil }
	write := func(_ context.Context, img v1.Image) error { stored = img; return nil }
	for _, kp := range []keyPair{a, b} {
		s, err := LoadSigner(kp.key)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.SignTo(t.Context(), mustRef(t, testRepo), mustHash(t, vectorDigest), fetch, write); err != nil {
			t.Fatal(err)
		}
	}
	for _, kp := range []keyPair{a, b} {
		if err := signedPolicy(t, kp.pub).Verify(t.Context(), mustRef(t, testRepo), mustHash(t, vectorDigest), fetch); err != nil {
			t.Errorf("Verify with %s after two SignTo = %v", kp.pub, err)
		}
	}
	s, err := LoadSigner(a.key)
	if err != nil {
		t.Fatal(err)
	}
	failing := func(context.Context) (v1.Image, error) { return nil, errors.New("unauthorized") }
	written := false
	err = s.SignTo(t.Context(), mustRef(t, testRepo), mustHash(t, vectorDigest), failing, func(context.Context, v1.Image) error { written = true; return nil })
	if err == nil || written {
		t.Errorf("SignTo with a failing fetch = %v (written %v), want an error and no write", err, written)
	}
	if err := s.SignTo(t.Context(), mustRef(t, testRepo), mustHash(t, vectorDigest), nil, write); err != nil {
		t.Errorf("SignTo without fetch = %v", err)
	}
}
