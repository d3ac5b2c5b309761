package auth

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/hutchctr/hutch/pkg/errdefs"
)

// configFile is the part of docker's config format (shared by containers'
// auth.json and hutch's auth file) that lookups read.
type configFile struct {
	Auths       map[string]authEntry `json:"auths"`
	CredHelpers map[string]string    `json:"credHelpers"`
	CredsStore  string               `json:"credsStore"`
}

// authEntry is one registry's entry in "auths". Docker and Podman write
// "auth" (base64 "user:password"); some tools write username and password
// separately.
type authEntry struct {
	Auth          string `json:"auth"`
	Username      string `json:"username"`
	Password      string `json:"password"`
	IdentityToken string `json:"identitytoken"`
	RegistryToken string `json:"registrytoken"`
}

// readConfig parses the file at path; a missing file is (nil, nil). Errors
// name the file and never quote its contents.
func readConfig(path string) (*configFile, error) {
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, nil
	case errors.Is(err, fs.ErrPermission):
		return nil, errdefs.Errorf(errdefs.ErrPermission, "read auth file %s: %w", path, fs.ErrPermission)
	case err != nil:
		return nil, errdefs.Errorf(errdefs.ErrInvalidArgument, "read auth file %s: %w", path, err)
	}
	var cf configFile
	if len(strings.TrimSpace(string(data))) == 0 {
		return &cf, nil // an empty file, as some tools leave, holds nothing
	}
	if err := json.Unmarshal(data, &cf); err != nil {
		return nil, errdefs.Errorf(errdefs.ErrInvalidArgument, "auth file %s is not valid: %s", path, jsonProblem(err))
	}
	return &cf, nil
}

// jsonProblem describes a decoding error by position and kind only: the
// decoder's own text can quote a fragment of the document, which may be
// part of a secret.
func jsonProblem(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return "malformed JSON near byte " + strconv.FormatInt(syn.Offset, 10)
	case errors.As(err, &typ):
		return "field " + typ.Field + " must be a " + typ.Type.String() + ", not a JSON " + typ.Value
	default:
		return "malformed JSON"
	}
}

// helperFor returns the credential helper credHelpers names for host.
func (cf *configFile) helperFor(host string, legacy bool) string {
	for _, key := range sortedKeys(cf.CredHelpers) {
		if h, scoped := keyHost(key, legacy); h == host && !scoped {
			return cf.CredHelpers[key]
		}
	}
	return ""
}

// entryFor finds host's entry in auths and returns its raw key. Several
// keys may name the same registry ("docker.io" and docker's
// "https://index.docker.io/v1/"): the key that is exactly the canonical host
// wins, then the first in sorted order, so the choice does not depend on
// map order.
func (cf *configFile) entryFor(host string, legacy bool) (string, authEntry, bool) {
	if e, ok := cf.Auths[host]; ok {
		return host, e, true
	}
	for _, key := range sortedKeys(cf.Auths) {
		if h, scoped := keyHost(key, legacy); h == host && !scoped {
			return key, cf.Auths[key], true
		}
	}
	return "", authEntry{}, false
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// credential decodes e into a Credential for host; source names the file.
// The error names the file and the key, never the value.
func (e authEntry) credential(host, key, source string) (*Credential, error) {
	c := &Credential{Registry: host, Source: source, Username: e.Username, password: e.Password,
		identityToken: e.IdentityToken, registryToken: e.RegistryToken}
	if e.Auth != "" {
		user, pass, err := decodeAuth(e.Auth)
		if err != nil {
			return nil, errdefs.Errorf(errdefs.ErrInvalidArgument, "auth file %s: entry %q: %s", source, key, err)
		}
		c.Username, c.password = user, pass
	}
	return c, nil
}

// decodeAuth splits a base64 "user:password" field; padded and unpadded
// base64 are both found in the wild.
func decodeAuth(field string) (user, password string, err error) {
	field = strings.TrimSpace(field)
	raw, err := base64.StdEncoding.DecodeString(field)
	if err != nil {
		raw, err = base64.RawStdEncoding.DecodeString(field)
	}
	if err != nil {
		return "", "", errors.New(`"auth" is not valid base64`)
	}
	user, password, ok := strings.Cut(string(raw), ":")
	if !ok {
		return "", "", errors.New(`"auth" must be base64 of "user:password"`)
	}
	return user, password, nil
}
