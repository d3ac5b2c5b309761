// Package signature decides whether hutch may store or run an image: it
// evaluates the signature policy of hutch.yaml and checks and makes
// cosign-compatible ("sigstore-signed") image signatures with plain key
// files, without Rekor, Fulcio or any other network service.
//
// # Policy
//
// A [Policy] maps scopes to requirements. A scope is a registry
// ("127.0.0.1:5000", "docker.io"), a repository or namespace within one
// ("docker.io/library/alpine", "quay.io/org"), or one tag of a repository
// ("127.0.0.1:5000/app:v1"). The most specific scope that matches an image
// reference wins: the tag, then the repository, then each parent namespace,
// then the registry, then the policy's default. Docker Hub is written
// "docker.io" ("index.docker.io" is the same registry) and its official
// images with their explicit "library/" namespace, as in containers-policy.json;
// "docker.io/alpine" is the namespace of the user "alpine", not the official
// image. Requirements are "accept", "reject" and "sigstore-signed" with the
// absolute path of a PEM public key.
//
// # Signature format
//
// The format is cosign's tag-based discovery (sigstore/cosign,
// specs/SIGNATURE_SPEC.md). The signatures of the image whose manifest
// digest is sha256:HEX live in the same repository under the tag
// "sha256-HEX.sig", as an OCI image manifest with one layer per signature:
//
//	{"mediaType": "application/vnd.dev.cosign.simplesigning.v1+json",
//	 "digest": "sha256:<digest of the payload>", "size": N,
//	 "annotations": {"dev.cosignproject.cosign/signature": "<base64 signature>"}}
//
// The layer blob, the payload, is a simple-signing JSON document (the
// format of containers-signature(5)) in the exact byte sequence that was
// signed; cosign and hutch write it compactly, with keys in this order:
//
//	{"critical":{"identity":{"docker-reference":"127.0.0.1:5000/app"},
//	 "image":{"docker-manifest-digest":"sha256:HEX"},
//	 "type":"cosign container image signature"},"optional":null}
//
// The docker-reference is the repository's full name as go-containerregistry
// spells it (cosign does the same: "index.docker.io/library/alpine" for
// Docker Hub's alpine). The signature is computed over the payload bytes:
// for ECDSA P-256 keys, an ASN.1 DER signature of the payload's SHA-256
// digest; for Ed25519 keys, a pure Ed25519 signature of the payload itself
// (no pre-hash). No algorithm is recorded; the verifier's key decides it.
//
// Verification accepts an image when at least one layer of its signature
// image carries a signature that verifies with the policy's key over a
// payload whose type is "cosign container image signature", whose
// docker-manifest-digest is the image's manifest digest, and whose
// docker-reference names the image's repository (with a tag, that tag must
// be the image's tag when the image was named by tag; with a digest, the
// image's digest). Signatures are checked before their payload is parsed.
// Keys of the critical section that hutch does not know make a payload
// invalid; "optional" is ignored. Certificates, chains and Rekor bundles
// in other annotations are ignored: trust comes from the key file alone.
//
// Interoperability: signatures made here verify with cosign only with
// --insecure-ignore-tlog (they have no transparency-log bundle), and with
// containers/image (Podman's sigstoreSigned policy with keyPath) when the
// image is pulled by digest or the policy's signedIdentity is
// matchRepository, because the payload names the repository without a tag.
// Checked by hand against cosign v2.4.1's library and Debian's
// docker-registry, both ways and for both key types: cosign verifies
// hutch's signatures (IgnoreTlog), hutch verifies cosign's, and a
// signature image holding one of each verifies in both. (Debian's Podman
// 4.3 and skopeo are built with sigstore disabled, so they cannot check.)
//
// # Keys
//
// Public keys are PEM "PUBLIC KEY" blocks (PKIX): ECDSA on P-256, or
// Ed25519. Private keys are PEM: "PRIVATE KEY" (PKCS#8, ECDSA P-256 or
// Ed25519), "EC PRIVATE KEY" (SEC 1), or cosign's encrypted keys, as
// cosign generate-key-pair writes them: "ENCRYPTED SIGSTORE PRIVATE KEY"
// (or the older "ENCRYPTED COSIGN PRIVATE KEY"), a JSON envelope in which
// scrypt derives a key from the password and NaCl secretbox seals the
// PKCS#8 key (go-securesystemslib's encrypted package, which cosign uses).
// Their password comes from a [Passphrase]: [KeyPassword] takes
// COSIGN_PASSWORD when it is set (empty is a password), else asks the
// caller's prompt (hutch's CLI asks on its terminal), as cosign does. Encrypted PKCS#8 keys
// ("ENCRYPTED PRIVATE KEY") and RSA keys are not supported.
package signature
