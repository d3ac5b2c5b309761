package signature

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/hutchctr/hutch/pkg/errdefs"
)

// maxKeyFileSize bounds key files: a PEM key is well under a kilobyte.
const maxKeyFileSize = 64 << 10

// Key pair file names written by GenerateKeyPair.
const (
	PrivateKeyFile = "hutch.key"
	PublicKeyFile  = "hutch.pub"
)

// LoadPublicKey reads a PEM "PUBLIC KEY" file holding an ECDSA P-256 or an
// Ed25519 key.
func LoadPublicKey(path string) (crypto.PublicKey, error) {
	block, err := readPEM(path)
	if err != nil {
		return nil, err
	}
	if block.Type != "PUBLIC KEY" {
		return nil, errdefs.Errorf(errdefs.ErrInvalidArgument, "key %s: PEM block %q is not a PUBLIC KEY", path, block.Type)
	}
	pub, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, errdefs.Errorf(errdefs.ErrInvalidArgument, "key %s: %v", path, err)
	}
	if err := checkKeyType(pub); err != nil {
		return nil, fmt.Errorf("key %s: %w", path, err)
	}
	return pub, nil
}

// loadPrivateKey reads a PEM private key: PKCS#8 or SEC 1, or cosign's
// encrypted PKCS#8, whose password pass returns (nil: KeyPassword(nil)).
func loadPrivateKey(path string, pass Passphrase) (crypto.Signer, error) {
	block, err := readPEM(path)
	if err != nil {
		return nil, err
	}
	var key any
	switch block.Type {
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(block.Bytes)
	case sigstoreKeyType, cosignKeyType:
		if key, err = decryptKey(path, block.Bytes, pass); err != nil {
			return nil, err
		}
	case "ENCRYPTED PRIVATE KEY":
		return nil, errdefs.Errorf(errdefs.ErrNotImplemented,
			"key %s: encrypted PKCS#8 keys are not supported: use cosign's encrypted format or an unencrypted PKCS#8 key (openssl pkcs8 -topk8 -nocrypt)", path)
	default:
		return nil, errdefs.Errorf(errdefs.ErrInvalidArgument, "key %s: PEM block %q is not a private key", path, block.Type)
	}
	if err != nil {
		return nil, errdefs.Errorf(errdefs.ErrInvalidArgument, "key %s: %v", path, err)
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, errdefs.Errorf(errdefs.ErrNotImplemented, "key %s: %T keys are not supported", path, key)
	}
	if err := checkKeyType(signer.Public()); err != nil {
		return nil, fmt.Errorf("key %s: %w", path, err)
	}
	return signer, nil
}

// readPEM reads the first PEM block of a key file.
func readPEM(path string) (*pem.Block, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, errdefs.Errorf(errdefs.ErrNotFound, "key %s does not exist", path)
	}
	if err != nil {
		return nil, fmt.Errorf("key: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxKeyFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("key %s: %w", path, err)
	}
	if len(b) > maxKeyFileSize {
		return nil, errdefs.Errorf(errdefs.ErrInvalidArgument, "key %s is larger than %d bytes", path, maxKeyFileSize)
	}
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, errdefs.Errorf(errdefs.ErrInvalidArgument, "key %s holds no PEM block", path)
	}
	return block, nil
}

// checkKeyType accepts the key types cosign's spec pins to SHA-256 (ECDSA
// P-256) plus Ed25519.
func checkKeyType(pub crypto.PublicKey) error {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		if k.Curve != elliptic.P256() {
			return errdefs.Errorf(errdefs.ErrNotImplemented, "ECDSA curve %s is not supported (only P-256)", k.Curve.Params().Name)
		}
		return nil
	case ed25519.PublicKey:
		return nil
	default:
		return errdefs.Errorf(errdefs.ErrNotImplemented, "%T keys are not supported (only ECDSA P-256 and Ed25519)", pub)
	}
}

// signPayload signs payload as cosign does: ECDSA over its SHA-256 digest
// (ASN.1 DER), Ed25519 over the bytes themselves.
func signPayload(key crypto.Signer, payload []byte) ([]byte, error) {
	switch key.(type) {
	case *ecdsa.PrivateKey:
		sum := sha256.Sum256(payload)
		return key.Sign(rand.Reader, sum[:], crypto.SHA256)
	case ed25519.PrivateKey:
		// crypto.Hash(0) selects pure Ed25519 (no pre-hash).
		return key.Sign(rand.Reader, payload, crypto.Hash(0))
	default:
		return nil, errdefs.Errorf(errdefs.ErrNotImplemented, "%T keys are not supported", key)
	}
}

// verifyPayload reports whether sig is key's signature of payload.
func verifyPayload(key crypto.PublicKey, payload, sig []byte) bool {
	switch k := key.(type) {
	case *ecdsa.PublicKey:
		sum := sha256.Sum256(payload)
		return ecdsa.VerifyASN1(k, sum[:], sig)
	case ed25519.PublicKey:
		return ed25519.Verify(k, payload, sig)
	default:
		return false
	}
}

// GenerateKeyPair writes a new ECDSA P-256 key pair (cosign's default
// algorithm) into dir: PrivateKeyFile, unencrypted PKCS#8 PEM with mode
// 0600, and PublicKeyFile, PKIX PEM with mode 0644. Existing files are never
// overwritten.
func GenerateKeyPair(dir string) (keyFile, pubFile string, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", "", fmt.Errorf("generate key: %w", err)
	}
	return WriteKeyPair(dir, key)
}

// GenerateEd25519KeyPair is GenerateKeyPair with an Ed25519 key.
func GenerateEd25519KeyPair(dir string) (keyFile, pubFile string, err error) {
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return "", "", fmt.Errorf("generate key: %w", err)
	}
	return WriteKeyPair(dir, key)
}

// WriteKeyPair writes key (ECDSA P-256 or Ed25519) and its public half into
// dir as GenerateKeyPair does.
func WriteKeyPair(dir string, key crypto.Signer) (keyFile, pubFile string, err error) {
	if err := checkKeyType(key.Public()); err != nil {
		return "", "", err
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return "", "", fmt.Errorf("encode private key: %w", err)
	}
	pubDER, err := x509.MarshalPKIXPublicKey(key.Public())
	if err != nil {
		return "", "", fmt.Errorf("encode public key: %w", err)
	}
	keyFile, pubFile = filepath.Join(dir, PrivateKeyFile), filepath.Join(dir, PublicKeyFile)
	if err := writeNew(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		return "", "", err
	}
	if err := writeNew(pubFile, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}), 0o644); err != nil {
		os.Remove(keyFile)
		return "", "", err
	}
	return keyFile, pubFile, nil
}

// writeNew creates path exclusively (O_EXCL: a key is never silently
// replaced) and syncs it.
func writeNew(path string, data []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if errors.Is(err, fs.ErrExist) {
		return errdefs.Errorf(errdefs.ErrAlreadyExists, "key file %s already exists", path)
	}
	if err != nil {
		return fmt.Errorf("create key file: %w", err)
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return fmt.Errorf("write key file %s: %w", path, err)
	}
	return nil
}
