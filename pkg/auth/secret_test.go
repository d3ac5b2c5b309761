package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/hutchctr/hutch/pkg/errdefs"
)

// secret is a password that would be easy to spot in any text.
const secret = "S3cr3t/Pa55+word"

// leaks reports which of the secret's forms (plain, URL-encoded, in a
// Basic header) text contains.
func leaks(text, user, secret string) []string {
	var found []string
	for name, form := range map[string]string{
		"plain":       secret,
		"url-encoded": url.QueryEscape(secret),
		"basic":       b64(user + ":" + secret),
	} {
		if strings.Contains(text, form) {
			found = append(found, name)
		}
	}
	return found
}

func TestCredentialNeverPrintsSecrets(t *testing.T) {
	c := &Credential{Registry: "reg.test", Username: "u", Source: "/x/auth.json",
		password: secret, identityToken: secret + "-id", registryToken: secret + "-reg"}
	var logText, logJSON bytes.Buffer
	slog.New(slog.NewTextHandler(&logText, nil)).Info("pull", "auth", c, "value", *c)
	slog.New(slog.NewJSONHandler(&logJSON, nil)).Info("pull", "auth", c)
	marshalled, err := json.Marshal(map[string]any{"ptr": c, "value": *c})
	if err != nil {
		t.Fatal(err)
	}
	outputs := map[string]string{
		"%v": fmt.Sprintf("%v", c), "%+v": fmt.Sprintf("%+v", c), "%#v": fmt.Sprintf("%#v", c),
		"%s": fmt.Sprintf("%s", c), "%q": fmt.Sprintf("%q", c), "value %+v": fmt.Sprintf("%+v", *c),
		"value %#v": fmt.Sprintf("%#v", *c), "in struct": fmt.Sprintf("%+v", struct{ C Credential }{*c}),
		"wrapped error": fmt.Errorf("pull with %v: %w", c, errdefs.ErrPermission).Error(),
		"slog text":     logText.String(), "slog json": logJSON.String(), "json": string(marshalled),
	}
	for name, out := range outputs {
		if got := leaks(out, "u", secret); len(got) > 0 {
			t.Errorf("%s leaks the secret (%v): %s", name, got, out)
		}
		if !strings.Contains(out, "reg.test") {
			t.Errorf("%s does not name the registry: %s", name, out)
		}
	}
	cfg, _ := c.Authorization()
	if cfg.Password != secret || cfg.IdentityToken != secret+"-id" || cfg.RegistryToken != secret+"-reg" {
		t.Errorf("Authorization() = %+v, want the secrets", cfg)
	}
}

// TestErrorsNeverContainSecrets drives every failure path that sees a
// secret and scans the error texts for it.
func TestErrorsNeverContainSecrets(t *testing.T) {
	ctx := context.Background()
	env := newTestEnv(t)
	s := New(env.hutch)
	var errs []error
	// A verify error quoting the password in every form a registry client
	// might (a request body, a header dump).
	verify := func(_ context.Context, a authn.Authenticator) error {
		cfg, _ := a.Authorization()
		return fmt.Errorf("POST token?password=%s: Authorization: Basic %s: password %s rejected: %w",
			url.QueryEscape(cfg.Password), b64(cfg.Username+":"+cfg.Password), cfg.Password, errdefs.ErrPermission)
	}
	errs = append(errs, s.Login(ctx, "reg.test", "u", secret, verify))
	// Files whose damage is next to or inside a secret. Login rewrites a
	// file whose entries are bad but refuses one that is not JSON.
	for _, tt := range []struct {
		doc        string
		loginFails bool
	}{
		{`{"auths":{"reg.test":{"auth":"` + b64("u:"+secret) + `"}}`, true},                // truncated
		{`{"auths":{"reg.test":{"auth":"` + b64("u:"+secret) + `"` + secret + `}}}`, true}, // junk after the value
		{`{"auths":{"reg.test":{"auth":"` + secret + `"}}}`, false},                        // not base64
		{`{"auths":{"reg.test":{"auth":"` + b64(secret) + `"}}}`, false},                   // no colon
		{`{"auths":{"reg.test":{"password":["` + secret + `"]}}}`, false},                  // wrong type
	} {
		env.write(t, env.hutch, tt.doc)
		_, err := s.Lookup(ctx, "reg.test")
		errs = append(errs, err)
		if err := s.Login(ctx, "reg.test", "u", secret, nil); tt.loginFails {
			errs = append(errs, err)
		} else if err != nil {
			t.Errorf("Login over a bad entry: %v", err)
		}
	}
	_, _, _, err := ParseCreds(":" + secret)
	errs = append(errs, err)
	_, err = ReadPassword(strings.NewReader(strings.Repeat(secret, maxPassword/len(secret)+1)))
	errs = append(errs, err)
	for i, err := range errs {
		if err == nil {
			t.Errorf("case %d: no error", i)
			continue
		}
		for _, text := range []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err)} {
			if got := leaks(text, "u", secret); len(got) > 0 {
				t.Errorf("case %d: error leaks the secret (%v): %s", i, got, text)
			}
		}
	}
	if !errors.Is(errs[0], errdefs.ErrPermission) {
		t.Errorf("redacted verify error lost its class: %v", errs[0])
	}
}

func TestReadPassword(t *testing.T) {
	tests := []struct {
		in, want string
		wantErr  bool
	}{
		{in: "pw\n", want: "pw"},
		{in: "pw\r\n", want: "pw"},
		{in: "pw", want: "pw"},
		{in: " pw \t\n", want: " pw \t"},
		{in: "pw\n\n", want: "pw\n"},
		{in: "", wantErr: true},
		{in: "\n", wantErr: true},
		{in: strings.Repeat("x", maxPassword+1), wantErr: true},
	}
	for _, tt := range tests {
		got, err := ReadPassword(strings.NewReader(tt.in))
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ReadPassword(%.20q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
		if err != nil && !errors.Is(err, errdefs.ErrInvalidArgument) {
			t.Errorf("ReadPassword(%.20q) error %v is not invalid argument", tt.in, err)
		}
	}
}

func TestParseCreds(t *testing.T) {
	type result struct {
		User, Password string
		HasPassword    bool
		Err            bool
	}
	tests := []struct {
		in   string
		want result
	}{
		{in: "u:p", want: result{User: "u", Password: "p", HasPassword: true}},
		{in: "u:p:q", want: result{User: "u", Password: "p:q", HasPassword: true}},
		{in: "u", want: result{User: "u"}},
		{in: "u:", want: result{User: "u", HasPassword: true}},
		{in: ":p", want: result{Err: true}},
		{in: "", want: result{Err: true}},
	}
	for _, tt := range tests {
		u, p, has, err := ParseCreds(tt.in)
		if diff := cmp.Diff(result{u, p, has, err != nil}, tt.want); diff != "" {
			t.Errorf("ParseCreds(%q) (-got +want):\n%s", tt.in, diff)
		}
	}
}

func TestRegistryNames(t *testing.T) {
	tests := []struct {
		in, want string
		wantErr  bool
	}{
		{in: "127.0.0.1:5000", want: "127.0.0.1:5000"},
		{in: "Quay.IO", want: "quay.io"},
		{in: "docker.io", want: "docker.io"},
		{in: "index.docker.io", want: "docker.io"},
		{in: "registry-1.docker.io", want: "docker.io"},
		{in: "https://index.docker.io/v1/", want: "docker.io"},
		{in: "http://localhost:5000/", want: "localhost:5000"},
		{in: "localhost:5000/v1/", wantErr: true},
		{in: "quay.io/org", wantErr: true},
		{in: "", wantErr: true},
		{in: "user@host", wantErr: true},
	}
	for _, tt := range tests {
		got, err := registryHost(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("registryHost(%q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}
