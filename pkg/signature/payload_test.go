package signature

import (
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// vectorDigest is the manifest digest testdata/payload.json signs.
const vectorDigest = "sha256:d7e70e10a479e6e75f783862f59ea466cc66a11c0f6a57b30944beea8f25a6d3"

func mustHash(t testing.TB, s string) v1.Hash {
	t.Helper()
	h, err := v1.NewHash(s)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func mustRef(t testing.TB, s string) name.Reference {
	t.Helper()
	r, err := name.ParseReference(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestPayloadMatchesHandWrittenVector checks that Payload writes the exact
// bytes of the hand-written cosign payload in testdata.
func TestPayloadMatchesHandWrittenVector(t *testing.T) {
	want, err := os.ReadFile("testdata/payload.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, ref := range []string{"127.0.0.1:5000/app", "127.0.0.1:5000/app:v1", "127.0.0.1:5000/app@" + vectorDigest} {
		got, err := Payload(mustRef(t, ref), mustHash(t, vectorDigest))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(string(got), string(want)); diff != "" {
			t.Errorf("Payload(%s) (-got +want):\n%s", ref, diff)
		}
	}
}

func TestPayloadDockerHubName(t *testing.T) {
	got, err := Payload(mustRef(t, "alpine:3"), mustHash(t, vectorDigest))
	if err != nil {
		t.Fatal(err)
	}
	if want := `"docker-reference":"index.docker.io/library/alpine"`; !strings.Contains(string(got), want) {
		t.Errorf("payload %s lacks %s (cosign's spelling)", got, want)
	}
}

func TestParsePayload(t *testing.T) {
	const good = `{"critical":{"identity":{"docker-reference":"r/app"},"image":{"docker-manifest-digest":"sha256:ab"},"type":"t"},"optional":%s}`
	tests := []struct {
		name    string
		in      string
		want    payload
		wantErr string
	}{
		{"optional null", strings.Replace(good, "%s", "null", 1), payload{"r/app", "sha256:ab", "t"}, ""},
		{"optional claims ignored", strings.Replace(good, "%s", `{"creator":"x","timestamp":1}`, 1), payload{"r/app", "sha256:ab", "t"}, ""},
		{"no optional", `{"critical":{"identity":{"docker-reference":"r"},"image":{"docker-manifest-digest":"d"},"type":"t"}}`, payload{"r", "d", "t"}, ""},
		{"not json", `{"critical":`, payload{}, "not a JSON object"},
		{"trailing data", strings.Replace(good, "%s", "null", 1) + `{}`, payload{}, "not a JSON object"},
		{"array", `[]`, payload{}, "not a JSON object"},
		{"null", `null`, payload{}, `lacks "critical"`},
		{"unknown top key", `{"critical":{},"extra":1}`, payload{}, `unknown key "extra"`},
		{"unknown critical key", `{"critical":{"identity":{"docker-reference":"r"},"image":{"docker-manifest-digest":"d"},"type":"t","expires":1}}`, payload{}, `unknown key "expires"`},
		{"capitalized key", `{"critical":{"identity":{"docker-reference":"r"},"image":{"Docker-manifest-digest":"d"},"type":"t"}}`, payload{}, `unknown key "Docker-manifest-digest"`},
		{"missing type", `{"critical":{"identity":{"docker-reference":"r"},"image":{"docker-manifest-digest":"d"}}}`, payload{}, `lacks "type"`},
		{"identity not object", `{"critical":{"identity":"r","image":{"docker-manifest-digest":"d"},"type":"t"}}`, payload{}, `"identity" is not an object`},
		{"digest not string", `{"critical":{"identity":{"docker-reference":"r"},"image":{"docker-manifest-digest":1},"type":"t"}}`, payload{}, `"docker-manifest-digest" is not a string`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parsePayload([]byte(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("parsePayload() error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(got, tt.want, cmp.AllowUnexported(payload{})); diff != "" {
				t.Errorf("parsePayload() (-got +want):\n%s", diff)
			}
		})
	}
}

func TestMatchIdentity(t *testing.T) {
	const other = "sha256:0000000000000000000000000000000000000000000000000000000000000000"
	tests := []struct {
		identity string
		ref      string
		ok       bool
	}{
		{"127.0.0.1:5000/app", "127.0.0.1:5000/app:v1", true},
		{"127.0.0.1:5000/app", "127.0.0.1:5000/app@" + vectorDigest, true},
		{"127.0.0.1:5000/app", "127.0.0.1:5000/other:v1", false},
		{"127.0.0.1:5000/app", "127.0.0.1:5001/app:v1", false},
		{"127.0.0.1:5000/ap", "127.0.0.1:5000/app:v1", false},
		{"index.docker.io/library/alpine", "alpine", true},
		{"docker.io/library/alpine", "docker.io/alpine:3", true},
		{"alpine", "index.docker.io/library/alpine:3", true},
		{"docker.io/library/alpine", "docker.io/someone/alpine", false},
		// Tagged identities (containers/image writes them): the tag binds
		// when the image was named by tag.
		{"127.0.0.1:5000/app:v1", "127.0.0.1:5000/app:v1", true},
		{"127.0.0.1:5000/app:v1", "127.0.0.1:5000/app:v2", false},
		{"127.0.0.1:5000/app:v1", "127.0.0.1:5000/app@" + vectorDigest, true},
		{"127.0.0.1:5000/app@" + vectorDigest, "127.0.0.1:5000/app:v1", true},
		{"127.0.0.1:5000/app@" + other, "127.0.0.1:5000/app:v1", false},
		{"not a reference!", "127.0.0.1:5000/app:v1", false},
		{"", "127.0.0.1:5000/app:v1", false},
	}
	for _, tt := range tests {
		err := matchIdentity(tt.identity, mustRef(t, tt.ref), mustHash(t, vectorDigest))
		if got := err == nil; got != tt.ok {
			t.Errorf("matchIdentity(%q, %q) = %v, want ok=%v", tt.identity, tt.ref, err, tt.ok)
		}
	}
}

func TestSignatureTag(t *testing.T) {
	tests := []struct {
		ref, digest, want string
	}{
		{"127.0.0.1:5000/app:v1", vectorDigest, "127.0.0.1:5000/app:sha256-d7e70e10a479e6e75f783862f59ea466cc66a11c0f6a57b30944beea8f25a6d3.sig"},
		{"alpine@" + vectorDigest, vectorDigest, "index.docker.io/library/alpine:sha256-d7e70e10a479e6e75f783862f59ea466cc66a11c0f6a57b30944beea8f25a6d3.sig"},
	}
	for _, tt := range tests {
		got, err := SignatureTag(mustRef(t, tt.ref), mustHash(t, tt.digest))
		if err != nil {
			t.Fatal(err)
		}
		if got.String() != tt.want {
			t.Errorf("SignatureTag(%s) = %s, want %s", tt.ref, got, tt.want)
		}
	}
	if _, err := SignatureTag(mustRef(t, "a.io/b"), v1.Hash{Algorithm: "sha512", Hex: strings.Repeat("a", 128)}); err == nil {
		t.Error("SignatureTag accepted a sha512 digest")
	}
}
