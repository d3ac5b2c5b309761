package auth

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/hutchctr/hutch/pkg/errdefs"
)

// Credential is what a lookup found for one registry. A *Credential is an
// authn.Authenticator; its secret (password, identity or registry token) is
// unexported and left out of every printed, logged or marshalled form (the
// methods that print have value receivers so that a Credential copied into
// a struct is covered too), so a Credential can travel through error
// wrapping, slog attributes and `inspect` documents without leaking.
type Credential struct {
	// Registry is the canonical registry host ("docker.io" for Docker Hub).
	Registry string
	// Username may be empty when the secret is an identity token.
	Username string
	// Source says where the credential came from: a file path, or a
	// credential helper and the file naming it.
	Source string

	password      string
	identityToken string
	registryToken string
}

// Basic returns a Credential for a user and password given directly (the
// --creds flag, or login before the credentials are stored).
func Basic(registry, user, password string) *Credential {
	return &Credential{Registry: registry, Username: user, Source: "command line", password: password}
}

// Authorization implements authn.Authenticator.
func (c *Credential) Authorization() (*authn.AuthConfig, error) {
	return &authn.AuthConfig{
		Username:      c.Username,
		Password:      c.password,
		IdentityToken: c.identityToken,
		RegistryToken: c.registryToken,
	}, nil
}

// empty reports whether c carries nothing to authenticate with (a
// placeholder entry such as docker writes when a credsStore holds the
// secret).
func (c *Credential) empty() bool {
	return c.password == "" && c.identityToken == "" && c.registryToken == ""
}

// String describes the credential without its secret.
func (c Credential) String() string {
	user := c.Username
	if user == "" {
		user = "<token>"
	}
	return fmt.Sprintf("credentials for %s (user %q, secret redacted) from %s", c.Registry, user, c.Source)
}

// GoString keeps %#v from printing the unexported secret fields.
func (c Credential) GoString() string { return "auth.Credential{" + c.String() + "}" }

// Format makes every fmt verb (%v, %+v, %#v, %s, %q) print the redacted
// description; without it %+v would show the struct's fields.
func (c Credential) Format(f fmt.State, verb rune) {
	if verb == 'q' {
		fmt.Fprintf(f, "%q", c.String())
		return
	}
	io.WriteString(f, c.String())
}

// LogValue implements slog.LogValuer: loggers see the description only.
func (c Credential) LogValue() slog.Value { return slog.StringValue(c.String()) }

// MarshalJSON writes the public fields only, so a Credential embedded in
// an inspect document or a JSON log line carries no secret.
func (c Credential) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Registry string `json:"registry"`
		Username string `json:"username,omitempty"`
		Source   string `json:"source"`
	}{c.Registry, c.Username, c.Source})
}

// Fixed answers every registry with the same authenticator: the --creds
// flag of pull and push. It has the method pkg/registry's Credentials
// interface asks for.
type Fixed struct {
	// Auth is returned for every registry. Required.
	Auth authn.Authenticator
}

// Credentials returns f.Auth whatever the registry.
func (f Fixed) Credentials(_ context.Context, _ string) (authn.Authenticator, error) {
	return f.Auth, nil
}

// ParseCreds splits the --creds flag's "user[:password]" value. A missing
// password is returned empty (hasPassword false) so the CLI can prompt for
// it; an empty user is an error. The error never quotes the value.
func ParseCreds(s string) (user, password string, hasPassword bool, err error) {
	user, password, hasPassword = strings.Cut(s, ":")
	if user == "" {
		return "", "", false, errdefs.Errorf(errdefs.ErrInvalidArgument,
			"credentials must be given as user[:password] with a non-empty user")
	}
	return user, password, hasPassword, nil
}
