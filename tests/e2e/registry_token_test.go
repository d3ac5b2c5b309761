//go:build e2e

package e2e

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// tokenServer is a bearer-token authorization server for a registry (the
// Docker token flow: distribution's `auth: token:`). A client that gets
// 401 with `WWW-Authenticate: Bearer realm=...,service=...,scope=...` asks
// the realm for a token with HTTP basic credentials; the server answers
// with a JWT, signed by a key whose certificate the registry trusts
// (rootcertbundle), granting the requested actions. The registry verifies
// the signature, issuer, audience (service) and expiry, and the actions.
type tokenServer struct {
	// Realm is the token endpoint's URL, set when the registry starts:
	// the endpoint is served on the registry's own address (see
	// startRegistry). Service is the audience and Issuer the issuer the
	// registry is configured with.
	Realm, Service, Issuer string
	// CertPath is the signing certificate (self-signed), the registry's
	// rootcertbundle.
	CertPath string
	key      *ecdsa.PrivateKey
	certDER  []byte
	users    map[string]string

	mu sync.Mutex
	// issued are the tokens handed out, refused counts requests with bad
	// or no credentials.
	issued  []string
	refused int
}

// newTokenServer makes a token server for users (user → password), to be
// passed to startRegistry in regOptions.Token.
func newTokenServer(t testing.TB, users map[string]string) *tokenServer {
	t.Helper()
	key := newECKey(t)
	tmpl := &x509.Certificate{
		SerialNumber: serial(t),
		Subject:      pkix.Name{CommonName: "hutch e2e token signer"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	ts := &tokenServer{Service: "hutch-e2e-registry", Issuer: "hutch-e2e-token-issuer", key: key, certDER: der, users: users}
	ts.CertPath = filepath.Join(mkdirTemp(t, t.TempDir(), "token-"), "signer.crt")
	writeFile(t, ts.CertPath, pemBlock("CERTIFICATE", der), 0o644)
	return ts
}

// serveToken answers GET /token?service=S&scope=repository:NAME:ACTIONS...
// with basic credentials. Clients that try OAuth2 (POST) first fall back to
// GET on 404, as the token specification allows.
func (ts *tokenServer) serveToken(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet || r.URL.Path != "/token" {
		http.NotFound(w, r)
		return
	}
	user, pass, ok := r.BasicAuth()
	if !ok || ts.users[user] == "" || ts.users[user] != pass {
		ts.mu.Lock()
		ts.refused++
		ts.mu.Unlock()
		w.Header().Set("WWW-Authenticate", `Basic realm="hutch-e2e-token"`)
		http.Error(w, `{"errors":[{"code":"UNAUTHORIZED","message":"bad credentials"}]}`, http.StatusUnauthorized)
		return
	}
	if svc := r.URL.Query().Get("service"); svc != ts.Service {
		http.Error(w, "unknown service "+svc, http.StatusBadRequest)
		return
	}
	tok, err := ts.sign(user, grantedAccess(r.URL.Query()["scope"]))
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	ts.mu.Lock()
	ts.issued = append(ts.issued, tok)
	ts.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{
		"token": tok, "access_token": tok, "expires_in": 300, "issued_at": time.Now().UTC().Format(time.RFC3339),
	})
}

// tokenAccess is one entry of a token's "access" claim.
type tokenAccess struct {
	Type    string   `json:"type"`
	Name    string   `json:"name"`
	Actions []string `json:"actions"`
}

// grantedAccess grants every action asked for in scopes
// ("repository:NAME:pull,push"; NAME may hold a registry port's colon, so
// the actions are what follows the last colon).
func grantedAccess(scopes []string) []tokenAccess {
	var out []tokenAccess
	for _, field := range scopes {
		for _, s := range strings.Fields(field) {
			typ, rest, ok := strings.Cut(s, ":")
			i := strings.LastIndexByte(rest, ':')
			if !ok || i < 0 {
				continue
			}
			out = append(out, tokenAccess{Type: typ, Name: rest[:i], Actions: strings.Split(rest[i+1:], ",")})
		}
	}
	return out
}

// sign makes a JWT (ES256, the signer's certificate in x5c) for subject.
func (ts *tokenServer) sign(subject string, access []tokenAccess) (string, error) {
	now := time.Now()
	header := map[string]any{"typ": "JWT", "alg": "ES256", "x5c": []string{base64.StdEncoding.EncodeToString(ts.certDER)}}
	jti := make([]byte, 12)
	rand.Read(jti)
	claims := map[string]any{
		"iss": ts.Issuer, "sub": subject, "aud": ts.Service,
		"exp": now.Add(5 * time.Minute).Unix(), "nbf": now.Add(-time.Minute).Unix(), "iat": now.Unix(),
		"jti": base64.RawURLEncoding.EncodeToString(jti), "access": access,
	}
	hb, err := json.Marshal(header)
	if err != nil {
		return "", err
	}
	cb, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	signing := base64.RawURLEncoding.EncodeToString(hb) + "." + base64.RawURLEncoding.EncodeToString(cb)
	digest := sha256.Sum256([]byte(signing))
	r, s, err := ecdsa.Sign(rand.Reader, ts.key, digest[:])
	if err != nil {
		return "", err
	}
	// JWS wants the fixed-size concatenation r||s, not ASN.1.
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return signing + "." + base64.RawURLEncoding.EncodeToString(sig), nil
}

// secrets returns the tokens issued so far, to check that none leaks.
func (ts *tokenServer) secrets() []string {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]string(nil), ts.issued...)
}
