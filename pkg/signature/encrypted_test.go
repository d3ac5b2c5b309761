package signature

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/secure-systems-lab/go-securesystemslib/encrypted"

	"github.com/hutchctr/hutch/pkg/errdefs"
)

// writeEncryptedKey writes key as cosign's generate-key-pair does: PKCS#8
// DER sealed by go-securesystemslib's encrypted package, in a PEM block of
// type pemType.
func writeEncryptedKey(t *testing.T, key crypto.Signer, password, pemType string, kdf encrypted.KDFParameterStrength) string {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := encrypted.EncryptWithCustomKDFParameters(der, []byte(password), kdf)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "cosign.key")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: pemType, Bytes: sealed}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func password(s string) Passphrase {
	return func() ([]byte, error) { return []byte(s), nil }
}

// signAndVerify signs the test payload with s and verifies the signature
// with pub: the key that came out of the envelope is the one that went in.
func signAndVerify(t *testing.T, s *Signer, pub crypto.PublicKey) {
	t.Helper()
	payload, err := Payload(mustRef(t, testRepo+":v1"), mustHash(t, otherHash))
	if err != nil {
		t.Fatal(err)
	}
	sig, err := signPayload(s.key, payload)
	if err != nil {
		t.Fatal(err)
	}
	if !verifyPayload(pub, payload, sig) {
		t.Errorf("a signature by the decrypted key does not verify with the original public key")
	}
}

func TestEncryptedKeys(t *testing.T) {
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	_, ed, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		key      crypto.Signer
		pemType  string
		kdf      encrypted.KDFParameterStrength
		password string
	}{
		{"ecdsa sigstore", ec, sigstoreKeyType, encrypted.Standard, "s3cret"},
		{"ed25519 sigstore", ed, sigstoreKeyType, encrypted.Standard, "s3cret"},
		{"ecdsa old cosign label, legacy scrypt", ec, cosignKeyType, encrypted.Legacy, "s3cret"},
		{"ed25519 empty password", ed, sigstoreKeyType, encrypted.Standard, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeEncryptedKey(t, tt.key, tt.password, tt.pemType, tt.kdf)
			s, err := LoadSignerWith(path, password(tt.password))
			if err != nil {
				t.Fatal(err)
			}
			signAndVerify(t, s, tt.key.Public())

			_, err = LoadSignerWith(path, password(tt.password+"x"))
			want := "key " + path + ": wrong password (or not a cosign key)"
			if !errors.Is(err, errdefs.ErrInvalidArgument) || err.Error() != want {
				t.Errorf("wrong password: got %v, want %q (invalid argument)", err, want)
			}
		})
	}
}

// TestCosignWrittenKey opens a key that cosign itself encrypted
// (testdata/README.md) and checks it against its public half.
func TestCosignWrittenKey(t *testing.T) {
	pub, err := LoadPublicKey("testdata/cosign-sigstore.pub")
	if err != nil {
		t.Fatal(err)
	}
	s, err := LoadSignerWith("testdata/cosign-sigstore.key", password("hello"))
	if err != nil {
		t.Fatal(err)
	}
	if !s.Public().(*ecdsa.PublicKey).Equal(pub) {
		t.Errorf("the decrypted key's public half differs from cosign-sigstore.pub")
	}
	signAndVerify(t, s, pub)
	if _, err := LoadSignerWith("testdata/cosign-sigstore.key", password("hell")); err == nil ||
		!strings.Contains(err.Error(), "wrong password") {
		t.Errorf("wrong password: got %v", err)
	}
}

// TestPasswordFromEnv: LoadSigner takes COSIGN_PASSWORD when it is set,
// the empty string included.
func TestPasswordFromEnv(t *testing.T) {
	_, ed, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	empty := writeEncryptedKey(t, ed, "", sigstoreKeyType, encrypted.Standard)
	t.Setenv(PasswordEnv, "")
	if _, err := LoadSigner(empty); err != nil {
		t.Errorf("empty %s: %v", PasswordEnv, err)
	}
	t.Setenv(PasswordEnv, "nope")
	if _, err := LoadSigner(empty); err == nil || !strings.Contains(err.Error(), "wrong password") {
		t.Errorf("wrong %s: got %v", PasswordEnv, err)
	}
}

func noEnv(string) (string, bool) { return "", false }

// TestPasswordWithoutTerminal: with no COSIGN_PASSWORD and no prompt, an
// encrypted key fails with a line that says what to set; an unencrypted
// key never asks.
func TestPasswordWithoutTerminal(t *testing.T) {
	_, ed, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	path := writeEncryptedKey(t, ed, "pw", sigstoreKeyType, encrypted.Standard)
	_, err = LoadSignerWith(path, keyPassword(noEnv, nil))
	if !errors.Is(err, errdefs.ErrInvalidArgument) || !strings.Contains(err.Error(), "set COSIGN_PASSWORD") ||
		!strings.HasPrefix(err.Error(), "key "+path+": ") || strings.Contains(err.Error(), "\n") {
		t.Errorf("got %v, want one line naming the key and COSIGN_PASSWORD", err)
	}
	asked := func() ([]byte, error) { t.Error("asked for the password of an unencrypted key"); return nil, nil }
	if _, err := LoadSignerWith("testdata/ed25519.key", keyPassword(noEnv, asked)); err != nil {
		t.Errorf("unencrypted key: %v", err)
	}
}

// TestPasswordPrompt: without COSIGN_PASSWORD the caller's prompt is
// asked; with it, never.
func TestPasswordPrompt(t *testing.T) {
	_, ed, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	path := writeEncryptedKey(t, ed, "typed pw", sigstoreKeyType, encrypted.Standard)
	calls := 0
	ask := func() ([]byte, error) { calls++; return []byte("typed pw"), nil }
	if _, err := LoadSignerWith(path, keyPassword(noEnv, ask)); err != nil || calls != 1 {
		t.Errorf("prompted %d times, err %v; want once and a signer", calls, err)
	}
	env := func(string) (string, bool) { return "typed pw", true }
	if _, err := LoadSignerWith(path, keyPassword(env, ask)); err != nil || calls != 1 {
		t.Errorf("with %s set: prompted %d times in all, err %v; want no more prompts", PasswordEnv, calls, err)
	}
	failing := func() ([]byte, error) { return nil, errors.New("no tty") }
	if _, err := LoadSignerWith(path, keyPassword(noEnv, failing)); err == nil || !strings.Contains(err.Error(), "no tty") {
		t.Errorf("a failing prompt: got %v", err)
	}
}

// TestNotCosignEnvelope: a block with cosign's label but another content
// is refused before any password is asked for.
func TestNotCosignEnvelope(t *testing.T) {
	dir := t.TempDir()
	asked := func() ([]byte, error) { t.Error("asked for a password"); return nil, nil }
	for _, body := range []string{"not json", `{"kdf":{"name":"argon2"},"cipher":{"name":"nacl/secretbox"},"ciphertext":"AAAA"}`} {
		path := filepath.Join(dir, "k.key")
		if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: sigstoreKeyType, Bytes: []byte(body)}), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := LoadSignerWith(path, asked)
		if !errors.Is(err, errdefs.ErrInvalidArgument) || !strings.Contains(err.Error(), "not a cosign encrypted key") {
			t.Errorf("%q: got %v", body, err)
		}
	}
}
