// Package auth finds the credentials hutch sends to registries and keeps the
// ones `hutch login` stores.
//
// A Store reads, in order, hutch's own auth file (auth.json next to
// hutch.yaml, the only file it writes), containers' auth.json under
// $XDG_RUNTIME_DIR (what `podman login` writes) and docker's config.json,
// including the credential helpers (credHelpers, credsStore) docker's file
// names, which are run per the docker credential-helper protocol. The first
// source that has credentials for a registry wins; none means anonymous.
// All files use docker's format ({"auths": {"host": {"auth": base64}}}), and
// docker.io's aliases (index.docker.io, registry-1.docker.io,
// https://index.docker.io/v1/) name one registry, as in docker.
//
// Secrets stay inside the Authenticator: a Credential prints, logs and
// marshals without its password or tokens, and errors from this package
// (including those of the verify function passed to Login) never contain
// them.
package auth
