package signature

import (
	"os"
	"testing"
)

// FuzzParsePayload: untrusted payload bytes never panic the parser or the
// claim checks.
func FuzzParsePayload(f *testing.F) {
	if b, err := os.ReadFile("testdata/payload.json"); err == nil {
		f.Add(b)
	}
	f.Add([]byte(`{"critical":{"identity":{"docker-reference":"r"},"image":{"docker-manifest-digest":"d"},"type":"t"},"optional":{"a":[1,{}]}}`))
	f.Add([]byte(`{"critical":null}`))
	ref := mustRef(f, "127.0.0.1:5000/app:v1")
	digest := mustHash(f, vectorDigest)
	f.Fuzz(func(t *testing.T, b []byte) {
		if p, err := parsePayload(b); err == nil {
			_ = p.checkClaims(ref, digest)
		}
	})
}

// FuzzNormalizeScope: scopes never panic, and normalization is idempotent
// (a normalized scope is a valid scope naming itself).
func FuzzNormalizeScope(f *testing.F) {
	for _, s := range []string{"docker.io", "index.docker.io/library/alpine", "127.0.0.1:5000/a/b:v1", "localhost/x", "a.io/b:c/d", "Quay.IO/x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := normalizeScope(s)
		if err != nil {
			return
		}
		again, err := normalizeScope(n)
		if err != nil || again != n {
			t.Errorf("normalizeScope(%q) = %q, but normalizeScope(%q) = %q, %v", s, n, n, again, err)
		}
	})
}
