package signature

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hutchctr/hutch/pkg/errdefs"
)

// TestOpenSSLVectors verifies signatures made by OpenSSL (testdata/README.md)
// over the hand-written payload: hutch's verifier agrees with an
// independent implementation of cosign's ECDSA and Ed25519 schemes.
func TestOpenSSLVectors(t *testing.T) {
	payload, err := os.ReadFile("testdata/payload.json")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		pub, sig string
		ok       bool
	}{
		{"ec.pub", "payload.ec.sig", true},
		{"ed25519.pub", "payload.ed25519.sig", true},
		{"other-ed25519.pub", "payload.ed25519.sig", false},
		{"ec.pub", "payload.ed25519.sig", false},
		{"ed25519.pub", "payload.ec.sig", false},
	}
	for _, tt := range tests {
		key, err := LoadPublicKey(filepath.Join("testdata", tt.pub))
		if err != nil {
			t.Fatal(err)
		}
		b64, err := os.ReadFile(filepath.Join("testdata", tt.sig))
		if err != nil {
			t.Fatal(err)
		}
		sig, err := base64.StdEncoding.DecodeString(string(b64))
		if err != nil {
			t.Fatal(err)
		}
		if got := verifyPayload(key, payload, sig); got != tt.ok {
			t.Errorf("verify %s with %s = %v, want %v", tt.sig, tt.pub, got, tt.ok)
		}
		tampered := []byte(strings.Replace(string(payload), "app", "apq", 1))
		if verifyPayload(key, tampered, sig) {
			t.Errorf("verify %s with %s accepted a tampered payload", tt.sig, tt.pub)
		}
	}
}

func TestLoadPublicKey(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		path    string
		class   error
		wantErr string
	}{
		{"testdata/ec.pub", nil, ""},
		{"testdata/ed25519.pub", nil, ""},
		{"testdata/p384.pub", errdefs.ErrNotImplemented, "only P-256"},
		{"testdata/rsa.pub", errdefs.ErrNotImplemented, "not supported"},
		{"testdata/ed25519.key", errdefs.ErrInvalidArgument, "is not a PUBLIC KEY"},
		{filepath.Join(dir, "missing.pub"), errdefs.ErrNotFound, "does not exist"},
		{write("garbage.pub", "not pem"), errdefs.ErrInvalidArgument, "no PEM block"},
		{write("bad.pub", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"), errdefs.ErrInvalidArgument, "bad.pub"},
		{write("huge.pub", strings.Repeat("x", maxKeyFileSize+1)), errdefs.ErrInvalidArgument, "larger than"},
	}
	for _, tt := range tests {
		_, err := LoadPublicKey(tt.path)
		if tt.class == nil {
			if err != nil {
				t.Errorf("LoadPublicKey(%s) = %v", tt.path, err)
			}
			continue
		}
		if !errors.Is(err, tt.class) || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("LoadPublicKey(%s) = %v, want %v containing %q", tt.path, err, tt.class, tt.wantErr)
		}
	}
}

func TestLoadPrivateKey(t *testing.T) {
	dir := t.TempDir()
	cosign := filepath.Join(dir, "cosign.key")
	if err := os.WriteFile(cosign, []byte("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\neyJ9\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path  string
		class error
	}{
		{"testdata/ec-sec1.key", nil},
		{"testdata/ed25519.key", nil},
		{"testdata/ec-encrypted.key", errdefs.ErrNotImplemented},
		{cosign, errdefs.ErrInvalidArgument},
		{"testdata/ec.pub", errdefs.ErrInvalidArgument},
		{filepath.Join(dir, "missing.key"), errdefs.ErrNotFound},
	}
	for _, tt := range tests {
		_, err := LoadSigner(tt.path)
		if tt.class == nil && err != nil || tt.class != nil && !errors.Is(err, tt.class) {
			t.Errorf("LoadSigner(%s) = %v, want class %v", tt.path, err, tt.class)
		}
	}
}

func TestGenerateKeyPair(t *testing.T) {
	tests := []struct {
		name string
		gen  func(string) (string, string, error)
		ok   func(any) bool
	}{
		{"ecdsa", GenerateKeyPair, func(k any) bool { _, ok := k.(*ecdsa.PublicKey); return ok }},
		{"ed25519", GenerateEd25519KeyPair, func(k any) bool { _, ok := k.(ed25519.PublicKey); return ok }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			keyFile, pubFile, err := tt.gen(dir)
			if err != nil {
				t.Fatal(err)
			}
			if keyFile != filepath.Join(dir, "hutch.key") || pubFile != filepath.Join(dir, "hutch.pub") {
				t.Errorf("files = %s, %s", keyFile, pubFile)
			}
			if fi, err := os.Stat(keyFile); err != nil || fi.Mode().Perm() != 0o600 {
				t.Errorf("private key mode: %v %v, want 0600", fi.Mode(), err)
			}
			s, err := LoadSigner(keyFile)
			if err != nil {
				t.Fatal(err)
			}
			pub, err := LoadPublicKey(pubFile)
			if err != nil {
				t.Fatal(err)
			}
			if !tt.ok(pub) || !s.Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(pub) {
				t.Errorf("public key %T does not match the private key", pub)
			}
			if _, _, err := tt.gen(dir); !errors.Is(err, errdefs.ErrAlreadyExists) {
				t.Errorf("second generation = %v, want ErrAlreadyExists", err)
			}
			if got, err := os.ReadFile(pubFile); err != nil || !strings.HasPrefix(string(got), "-----BEGIN PUBLIC KEY-----") {
				t.Errorf("public key file after refused overwrite: %q %v", got, err)
			}
		})
	}
}
