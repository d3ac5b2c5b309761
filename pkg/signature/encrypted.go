package signature

import (
	"crypto/x509"
	"encoding/json"
	"fmt"
	"os"

	"github.com/secure-systems-lab/go-securesystemslib/encrypted"

	"github.com/hutchctr/hutch/pkg/errdefs"
)

// PasswordEnv is the environment variable that holds the password of an
// encrypted private key, as for cosign. Set, even to the empty string (the
// password of a key made with an empty one), it is used without asking.
const PasswordEnv = "COSIGN_PASSWORD"

// PEM types of the private keys cosign writes (generate-key-pair,
// import-key-pair): the "COSIGN" one is the name cosign used before 1.x
// renamed it, and both hold the same envelope.
const (
	sigstoreKeyType = "ENCRYPTED SIGSTORE PRIVATE KEY"
	cosignKeyType   = "ENCRYPTED COSIGN PRIVATE KEY"
)

// Passphrase returns the password of an encrypted private key. Loaders
// call it only for encrypted keys, so an unencrypted key never prompts.
type Passphrase func() ([]byte, error)

// KeyPassword returns a Passphrase that finds a key's password the way
// cosign does: PasswordEnv when it is set (empty is a password), else
// ask, the caller's prompt on its terminal, when it is
// not nil, else an error that says to set PasswordEnv. The package never
// touches a terminal itself.
func KeyPassword(ask Passphrase) Passphrase {
	return keyPassword(os.LookupEnv, ask)
}

func keyPassword(lookupEnv func(string) (string, bool), ask Passphrase) Passphrase {
	return func() ([]byte, error) {
		if pw, ok := lookupEnv(PasswordEnv); ok {
			return []byte(pw), nil
		}
		if ask == nil {
			return nil, errdefs.Errorf(errdefs.ErrInvalidArgument,
				"the key is encrypted and stdin is not a terminal to ask for its password: set %s", PasswordEnv)
		}
		pw, err := ask()
		if err != nil {
			return nil, fmt.Errorf("read the key's password: %w", err)
		}
		return pw, nil
	}
}

// envelope is the JSON document inside cosign's encrypted PEM block
// (go-securesystemslib's encrypted package: scrypt derives a key from the
// password, NaCl secretbox seals the PKCS#8 DER private key). Only the
// names are read here, to tell a document of another kind from a wrong
// password; the library checks the rest.
type envelope struct {
	KDF struct {
		Name string `json:"name"`
	} `json:"kdf"`
	Cipher struct {
		Name string `json:"name"`
	} `json:"cipher"`
	Ciphertext []byte `json:"ciphertext"`
}

// decryptKey opens a cosign encrypted private key (the bytes of its PEM
// block) with the password pass returns, and parses the PKCS#8 key inside.
func decryptKey(path string, data []byte, pass Passphrase) (any, error) {
	var env envelope
	if err := json.Unmarshal(data, &env); err != nil || env.KDF.Name != "scrypt" ||
		env.Cipher.Name != "nacl/secretbox" || len(env.Ciphertext) == 0 {
		return nil, errdefs.Errorf(errdefs.ErrInvalidArgument,
			"key %s: not a cosign encrypted key (want scrypt and nacl/secretbox in a JSON envelope)", path)
	}
	if pass == nil {
		pass = KeyPassword(nil)
	}
	pw, err := pass()
	if err != nil {
		return nil, fmt.Errorf("key %s: %w", path, err)
	}
	// The library's only failures past the names above are scrypt
	// parameters it does not accept (a tampered envelope) and a seal
	// that does not open: a wrong password, almost always.
	der, err := encrypted.Decrypt(data, pw)
	if err != nil {
		return nil, errdefs.Errorf(errdefs.ErrInvalidArgument, "key %s: wrong password (or not a cosign key)", path)
	}
	key, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, errdefs.Errorf(errdefs.ErrInvalidArgument, "key %s: the decrypted key is not PKCS#8: %v", path, err)
	}
	return key, nil
}
