//go:build e2e

package e2e

import (
	"crypto/x509"
	"encoding/base64"
	"path/filepath"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/secure-systems-lab/go-securesystemslib/encrypted"
)

// TestRegistrySignatures: under a `sigstore-signed` policy entry, images
// signed by hutch (push --sign-by-sigstore-key, image sign --key) or by
// hand in cosign's format with the policy's key are pulled; unsigned
// ones, and signatures made with another key, tampered with, or naming
// another digest or repository are refused with an error naming the
// policy entry, before anything is stored (pull and run alike). A
// `reject` entry refuses everything under it, and the default accepts.
func TestRegistrySignatures(t *testing.T) {
	t.Parallel()
	r := startRegistry(t, regOptions{})
	keys := mkdirTemp(t, t.TempDir(), "keys-")
	key, otherKey := newCosignKey(t, keys, "hutch"), newCosignKey(t, keys, "other")
	scope, rejected := r.Host+"/signed", r.Host+"/nope"
	cfg := hutchConfig{Registries: insecure(r.Host), Policy: &policyConfig{
		Default: "accept",
		Scopes: map[string]policyRequirement{
			scope:    {Type: "sigstore-signed", Key: key.PubPath},
			rejected: {Type: "reject"},
		},
	}}

	// hutch signs: on push, and an image already in the registry.
	signer := newLoadedRegEnv(t)
	signer.writeConfig(t, cfg)
	signer.ok(t, "push", "--sign-by-sigstore-key", key.PrivPath, imageName, r.Ref("signed/pushed:v1"))
	pushed := r.digestOf(t, "signed/pushed:v1")
	r.digestOf(t, "signed/pushed:"+signatureTag(pushed))
	remoteImg := layeredImage(t, "image-sign", 0)
	signedRemote := r.push(t, "signed/imgsign:v1", remoteImg)
	signer.ok(t, "image", "sign", "--key", key.PrivPath, r.Ref("signed/imgsign:v1"))
	r.digestOf(t, "signed/imgsign:"+signatureTag(signedRemote))

	// The same key encrypted as cosign generate-key-pair writes it: its
	// password comes from COSIGN_PASSWORD; a wrong one, or none without a
	// terminal to ask on, is one line of error and nothing is pushed.
	encKey := writeEncryptedCosignKey(t, keys, "encrypted", key, "e2e pass")
	encImg := layeredImage(t, "image-sign-encrypted", 0)
	signedEnc := r.push(t, "signed/encrypted:v1", encImg)
	withPassword := func(pw string) runOpts { return runOpts{Env: []string{"COSIGN_PASSWORD=" + pw}} }
	wantUserError(t, signer.runWith(t, withPassword("wrong"), "image", "sign", "--key", encKey, r.Ref("signed/encrypted:v1")),
		125, "image sign: key "+encKey+": wrong password (or not a cosign key)")
	wantUserError(t, signer.run(t, "image", "sign", "--key", encKey, r.Ref("signed/encrypted:v1")), 125, encKey, "COSIGN_PASSWORD")
	if _, err := remote.Head(r.parseRef(t, "signed/encrypted:"+signatureTag(signedEnc)), r.remoteOptions(t.Context())...); err == nil {
		t.Errorf("a signature was pushed without the key's password")
	}
	if res := signer.runWith(t, withPassword("e2e pass"), "image", "sign", "--key", encKey, r.Ref("signed/encrypted:v1")); res.Code != 0 {
		t.Fatalf("sign with an encrypted key: %v", res)
	}
	r.digestOf(t, "signed/encrypted:"+signatureTag(signedEnc))

	// Signatures made here, in cosign's format.
	images := map[string]string{} // repo:tag → image ID
	sigFor := func(repo string, k cosignKey, mutate func(payload []byte, sig string) ([]byte, string)) {
		img := layeredImage(t, repo, 0)
		digest := r.push(t, repo+":v1", img)
		images[repo] = configID(t, img)
		if mutate == nil && k.priv == nil {
			return
		}
		payload := simpleSigningPayload(t, r.Ref(repo), digest)
		sig := k.sign(t, payload)
		if mutate != nil {
			payload, sig = mutate(payload, sig)
		}
		r.push(t, repo+":"+signatureTag(digest), signatureImage(t, payload, sig))
	}
	sigFor("signed/handmade", key, nil)
	sigFor("signed/unsigned", cosignKey{}, nil)
	sigFor("signed/wrongkey", otherKey, nil)
	sigFor("signed/tampered", key, func(p []byte, sig string) ([]byte, string) {
		raw, _ := base64.StdEncoding.DecodeString(sig)
		raw[len(raw)-1] ^= 0x01
		return p, base64.StdEncoding.EncodeToString(raw)
	})
	sigFor("signed/otherdigest", key, func(_ []byte, _ string) ([]byte, string) {
		p := simpleSigningPayload(t, r.Ref("signed/otherdigest"), "sha256:"+configID(t, remoteImg))
		return p, key.sign(t, p)
	})
	sigFor("signed/otherrepo", key, func(_ []byte, _ string) ([]byte, string) {
		// A valid signature of this digest, but for another repository.
		p := simpleSigningPayload(t, r.Ref("signed/elsewhere"), r.digestOf(t, "signed/otherrepo:v1"))
		return p, key.sign(t, p)
	})
	sigFor("nope/img", key, nil)
	sigFor("other/img", cosignKey{}, nil)

	e := newRegEnv(t)
	e.writeConfig(t, cfg)
	e.snapshotStorage(t)
	for _, repo := range []string{"signed/unsigned", "signed/wrongkey", "signed/tampered", "signed/otherdigest", "signed/otherrepo"} {
		wantUserError(t, e.run(t, "pull", r.Ref(repo+":v1")), 125, scope)
	}
	wantUserError(t, e.run(t, "pull", r.Ref("nope/img:v1")), 125, rejected)
	wantUserError(t, e.run(t, "run", "--rm", r.Ref("signed/unsigned:v1"), "true"), 125, scope)
	e.wantBaselineStorage(t, "after refused pulls")

	wantPulled(t, e.run(t, "pull", r.Ref("signed/pushed:v1")), fixtureImageID(t))
	wantPulled(t, e.run(t, "pull", r.Ref("signed/imgsign:v1")), configID(t, remoteImg))
	wantPulled(t, e.run(t, "pull", r.Ref("signed/encrypted:v1")), configID(t, encImg))
	wantPulled(t, e.run(t, "pull", r.Ref("signed/handmade:v1")), images["signed/handmade"])
	wantPulled(t, e.run(t, "pull", r.Ref("other/img:v1")), images["other/img"])
	e.snapshotStorage(t)
}

// writeEncryptedCosignKey writes k's private key into dir as cosign
// generate-key-pair does: PKCS#8 sealed with password by
// go-securesystemslib's encrypted package (scrypt and NaCl secretbox), in
// an "ENCRYPTED SIGSTORE PRIVATE KEY" PEM block.
func writeEncryptedCosignKey(t testing.TB, dir, name string, k cosignKey, password string) string {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(k.priv)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := encrypted.Encrypt(der, []byte(password))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name+".key")
	writeFile(t, path, pemBlock("ENCRYPTED SIGSTORE PRIVATE KEY", sealed), 0o600)
	return path
}
