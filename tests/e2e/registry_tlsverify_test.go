//go:build e2e

package e2e

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// TestRegistryTLSVerifyOverride: --tls-verify overrides hutch.yaml's
// `insecure: true` both ways, as Podman's does. A plain-HTTP registry
// marked insecure is pulled from without the flag; with --tls-verify=true
// pull, run --pull, push and login refuse it with one TLS line that names
// the host and what would change it, and nothing is pulled or pushed.
func TestRegistryTLSVerifyOverride(t *testing.T) {
	t.Parallel()
	r := startRegistry(t, regOptions{})
	img := layeredImage(t, "tlsverify", 1)
	r.push(t, "tls/img:v1", img)
	r.push(t, "tls/img:v2", img)
	e := newLoadedRegEnv(t)
	e.writeConfig(t, hutchConfig{Registries: insecure(r.Host)})

	wantPulled(t, e.run(t, "pull", r.Ref("tls/img:v1")), configID(t, img))

	refusal := []string{"registry " + r.Host, "does not speak TLS", "hutch.yaml marks it insecure",
		"--tls-verify=true requires verified TLS", "omit --tls-verify=true"}
	for _, args := range [][]string{
		{"pull", "--tls-verify=true", r.Ref("tls/img:v2")},
		{"run", "--rm", "--pull=always", "--tls-verify=true", r.Ref("tls/img:v2"), "true"},
		{"push", "--tls-verify=true", imageName, r.Ref("tls/pushed:v1")},
		{"login", "--tls-verify=true", "-u", "someone", "-p", "secret", r.Host},
	} {
		res := e.run(t, args...)
		t.Logf("%s: %s", args[0], res.Stderr)
		wantUserError(t, res, 125, refusal...)
	}
	if diff := cmp.Diff(e.imageNames(t), []string{r.Ref("tls/img:v1"), fullImageName}); diff != "" {
		t.Errorf("images after the refused commands (-got +want):\n%s", diff)
	}
	if _, err := remote.Head(r.parseRef(t, "tls/pushed:v1"), r.remoteOptions(t.Context())...); err == nil {
		t.Error("the refused push stored tls/pushed:v1")
	}

	// --tls-verify=false still allows plain HTTP, and without the flag
	// hutch.yaml decides again.
	wantPulled(t, e.run(t, "pull", "--tls-verify=false", r.Ref("tls/img:v2")), configID(t, img))
	e.ok(t, "push", imageName, r.Ref("tls/pushed:v1"))
	e.snapshotStorage(t)
}
