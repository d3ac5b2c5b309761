//go:build e2e

package e2e

import (
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestRegistryMirrors: mirrors listed for a registry in hutch.yaml are
// tried in order before it. A mirror that lacks the image, or cannot be
// reached, is skipped and the source serves the pull; a mirror that has
// it serves every layer and the source serves none. Counting proxies in
// front of both registries prove which one served what. The image keeps
// the source's name either way.
func TestRegistryMirrors(t *testing.T) {
	t.Parallel()
	img := layeredImage(t, "mirrored", 2)
	layers := layerDigests(t, img)
	for _, tc := range []struct {
		name string
		// mirrorHasImage pushes the image to the mirror too.
		mirrorHasImage bool
		// deadFirst lists an unreachable mirror before the real one.
		deadFirst bool
	}{
		{name: "mirror lacks the image"},
		{name: "mirror has the image", mirrorHasImage: true},
		{name: "unreachable mirror first", mirrorHasImage: true, deadFirst: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			source, mirror := startRegistry(t, regOptions{}), startRegistry(t, regOptions{})
			source.push(t, "lib/app:v1", img)
			if tc.mirrorHasImage {
				mirror.push(t, "mirror-prefix/lib/app:v1", img)
			}
			src, mir := startProxy(t, source), startProxy(t, mirror)
			var mirrors []mirrorConfig
			if tc.deadFirst {
				mirrors = append(mirrors, mirrorConfig{Location: refusedAddr(t) + "/dead", Insecure: true})
			}
			mirrors = append(mirrors, mirrorConfig{Location: mir.Host + "/mirror-prefix", Insecure: true})
			e := newRegEnv(t)
			e.writeConfig(t, hutchConfig{Registries: []registryConfig{{Prefix: src.Host, Insecure: true, Mirrors: mirrors}}})

			ref := src.Ref("lib/app:v1")
			wantPulled(t, e.run(t, "pull", ref), configID(t, img))
			if diff := cmp.Diff(e.imageNames(t), []string{ref}); diff != "" {
				t.Errorf("images (-got +want):\n%s", diff)
			}
			if n := mir.count(http.MethodGet, "/v2/mirror-prefix/lib/app/manifests/v1") +
				mir.count(http.MethodHead, "/v2/mirror-prefix/lib/app/manifests/v1"); n == 0 {
				t.Errorf("the mirror was never asked for the manifest:\n%s", mir.describe())
			}
			from, other := src, mir
			if tc.mirrorHasImage {
				from, other = mir, src
			}
			for _, l := range layers {
				if got := from.blobGets(l); got != 1 {
					t.Errorf("layer %s was served %d times by the registry that should serve it, want once", l[:19], got)
				}
				if got := other.blobGets(l); got != 0 {
					t.Errorf("layer %s was also served by the other registry", l[:19])
				}
			}
			if t.Failed() {
				t.Logf("source requests:\n%s\nmirror requests:\n%s", src.describe(), mir.describe())
			}
			e.snapshotStorage(t)
		})
	}
}

// TestRegistryMirrorCorrupt: a mirror that serves a corrupt blob does not
// poison the pull: the blob is rejected, and the pull either falls back
// to the source or fails; it never stores the bad layer.
func TestRegistryMirrorCorrupt(t *testing.T) {
	t.Parallel()
	img := layeredImage(t, "mirror-corrupt", 1)
	top := layerDigests(t, img)[1]
	source, mirror := startRegistry(t, regOptions{}), startRegistry(t, regOptions{})
	source.push(t, "lib/app:v1", img)
	mirror.push(t, "m/lib/app:v1", img)
	src, mir := startProxy(t, source), startProxy(t, mirror)
	mir.addRule(proxyRule{Digest: top, Kind: faultCorrupt})
	e := newRegEnv(t)
	e.writeConfig(t, hutchConfig{Registries: []registryConfig{{Prefix: src.Host, Insecure: true,
		Mirrors: []mirrorConfig{{Location: mir.Host + "/m", Insecure: true}}}}})
	res := e.run(t, "pull", src.Ref("lib/app:v1"))
	if mir.faulted() == 0 {
		t.Fatalf("hutch never downloaded the corrupt blob from the mirror: %v\nmirror requests:\n%s", res, mir.describe())
	}
	switch res.Code {
	case 0:
		wantPulled(t, res, configID(t, img))
		if src.blobGets(top) != 1 {
			t.Errorf("the pull succeeded without the source serving the layer the mirror corrupted:\n%s", src.describe())
		}
		if got := e.ok(t, "run", "--rm", src.Ref("lib/app:v1"), "cat", "/layers/0"); got != "mirror-corrupt layer 0" {
			t.Errorf("content after the fallback: %q", got)
		}
	default:
		wantUserError(t, res, 125, "digest")
		if got := e.imageNames(t); got != nil {
			t.Errorf("a failed pull left images %v", got)
		}
	}
	e.snapshotStorage(t)
}
