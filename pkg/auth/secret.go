package auth

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/hutchctr/hutch/pkg/errdefs"
)

// maxPassword bounds what ReadPassword accepts: a password or token is far
// smaller, and a mistaken `< bigfile` should fail rather than fill memory.
const maxPassword = 64 << 10

// ReadPassword reads a password from r (login --password-stdin): all of it,
// minus one trailing newline ("\n" or "\r\n"); other white space is part of
// the password. An empty password is an error.
func ReadPassword(r io.Reader) (string, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxPassword+1))
	if err != nil {
		return "", errdefs.Errorf(errdefs.ErrInvalidArgument, "read password: %w", err)
	}
	if len(data) > maxPassword {
		return "", errdefs.Errorf(errdefs.ErrInvalidArgument, "password on stdin is longer than %d bytes", maxPassword)
	}
	data, _ = bytes.CutSuffix(data, []byte("\n"))
	data, _ = bytes.CutSuffix(data, []byte("\r"))
	if len(data) == 0 {
		return "", errdefs.Errorf(errdefs.ErrInvalidArgument, "password on stdin is empty")
	}
	return string(data), nil
}

// redacted hides secrets in an error's text while keeping its chain, so
// errors.Is and errors.As (and the exit-code mapper) still classify it.
type redacted struct {
	err     error
	secrets []string
}

func (r *redacted) Error() string {
	msg := r.err.Error()
	for _, s := range r.secrets {
		msg = strings.ReplaceAll(msg, s, "<redacted>")
	}
	return msg
}

func (r *redacted) Unwrap() error { return r.err }

// Format prints the redacted text for every verb: %#v would otherwise show
// the secrets being hidden.
func (r *redacted) Format(f fmt.State, verb rune) {
	if verb == 'q' {
		fmt.Fprintf(f, "%q", r.Error())
		return
	}
	io.WriteString(f, r.Error())
}

// redact wraps err so that its text shows none of the user's secrets, in
// the forms they travel in (plain, URL-encoded in a token request body,
// base64 "user:secret" in a Basic header). Errors from code hutch does not
// own (a registry client, a credential helper's message) get this
// treatment before they leave the package.
func redact(err error, user string, secrets ...string) error {
	if err == nil {
		return nil
	}
	var forms []string
	for _, s := range secrets {
		if s == "" {
			continue
		}
		// Longest forms first, so a shorter replacement cannot break a longer
		// form apart before it is matched.
		forms = append(forms, base64.StdEncoding.EncodeToString([]byte(user+":"+s)), url.QueryEscape(s), s)
	}
	if len(forms) == 0 {
		return err
	}
	return &redacted{err: err, secrets: forms}
}
