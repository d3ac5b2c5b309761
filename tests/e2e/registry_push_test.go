//go:build e2e

package e2e

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestRegistryPushPullRoundTrip: an image pushed by one installation and
// pulled by another keeps its ID, the manifest digest the registry serves
// is the one `images --digests` and inspect show, a digest reference
// pulls it, and tag, push of a tagged name and untag work.
func TestRegistryPushPullRoundTrip(t *testing.T) {
	t.Parallel()
	r := startRegistry(t, regOptions{})
	src := newLoadedRegEnv(t)
	ref := r.Ref("rt/busybox:v1")
	src.ok(t, "push", "--tls-verify=false", imageName, ref)
	digest := r.digestOf(t, "rt/busybox:v1")
	id := fixtureImageID(t)
	if got := configID(t, r.fetch(t, "rt/busybox:v1")); got != id {
		t.Errorf("the registry holds config %s, want the local image's %s", got, id)
	}

	dst := newRegEnv(t)
	wantPulled(t, dst.run(t, "pull", "--tls-verify=false", ref), id)
	if got := dst.ok(t, "images", "--digests", "--format", "{{.Repository}}:{{.Tag}} {{.Digest}}"); got != ref+" "+digest {
		t.Errorf("images --digests --format: %q, want %q", got, ref+" "+digest)
	}
	table := dst.ok(t, "images", "--digests")
	if !strings.Contains(table, "DIGEST") || !strings.Contains(table, digest) {
		t.Errorf("images --digests shows no DIGEST column with %s:\n%s", digest, table)
	}
	if got := dst.ok(t, "image", "inspect", "--format", "{{.Digest}}", ref); got != digest {
		t.Errorf("image inspect {{.Digest}}: %q, want %s", got, digest)
	}
	if got := dst.ok(t, "image", "inspect", "--format", "{{.RepoDigests}}", ref); !strings.Contains(got, r.Ref("rt/busybox@"+digest)) {
		t.Errorf("image inspect {{.RepoDigests}}: %q, want it to hold %s", got, r.Ref("rt/busybox@"+digest))
	}
	wantPulled(t, dst.run(t, "pull", "--tls-verify=false", r.Ref("rt/busybox@"+digest)), id)
	if got := dst.ok(t, "run", "--rm", ref, "cat", "/home/tester/owned"); got != "owned by tester" {
		t.Errorf("the pulled image's content: %q", got)
	}

	tagged := r.Ref("rt/tagged:v2")
	src.ok(t, "tag", imageName, tagged)
	if diff := cmp.Diff(src.imageNames(t), []string{tagged, fullImageName}); diff != "" {
		t.Errorf("images after tag (-got +want):\n%s", diff)
	}
	src.ok(t, "push", "--tls-verify=false", tagged)
	if got := configID(t, r.fetch(t, "rt/tagged:v2")); got != id {
		t.Errorf("push of a tagged name stored config %s, want %s", got, id)
	}
	src.ok(t, "untag", imageName, tagged)
	if diff := cmp.Diff(src.imageNames(t), []string{fullImageName}); diff != "" {
		t.Errorf("images after untag (-got +want):\n%s", diff)
	}
	// A pushed multi-layer image comes back whole.
	img := layeredImage(t, "rt", 2)
	r.push(t, "rt/layers:v1", img)
	wantPulled(t, dst.run(t, "pull", "--tls-verify=false", r.Ref("rt/layers:v1")), configID(t, img))
	dst.ok(t, "push", "--tls-verify=false", r.Ref("rt/layers:v1"), r.Ref("rt/layers-copy:v1"))
	if got := configID(t, r.fetch(t, "rt/layers-copy:v1")); got != configID(t, img) {
		t.Errorf("re-pushed multi-layer image has config %s, want %s", got, configID(t, img))
	}
	dst.snapshotStorage(t)
}

// TestRegistryMultiArch: from a multi-platform index, pull picks the
// host's platform, --platform another one, and refuses one the index
// does not have.
func TestRegistryMultiArch(t *testing.T) {
	t.Parallel()
	r := startRegistry(t, regOptions{})
	idx, imgs := platformIndex(t, "multi")
	digest := r.pushIndex(t, "multi/img:v1", idx)
	ref := r.Ref("multi/img:v1")
	e := newRegEnv(t)
	host := hostArch(t)

	wantPulled(t, e.run(t, "pull", "--tls-verify=false", ref), configID(t, imgs[host]))
	if got := e.ok(t, "image", "inspect", "--format", "{{.Architecture}}", ref); got != host {
		t.Errorf("pull without --platform stored %s, want the host's %s", got, host)
	}
	other := map[string]string{"amd64": "arm64", "arm64": "amd64"}[host]
	wantPulled(t, e.run(t, "pull", "--tls-verify=false", "--platform", "linux/"+other, ref), configID(t, imgs[other]))
	if got := e.ok(t, "image", "inspect", "--format", "{{.Architecture}}", ref); got != other {
		t.Errorf("pull --platform linux/%s stored %s", other, got)
	}
	wantPulled(t, e.run(t, "pull", "--tls-verify=false", r.Ref("multi/img@"+digest)), configID(t, imgs[host]))
	wantUserError(t, e.run(t, "pull", "--tls-verify=false", "--platform", "linux/s390x", ref), 125, "s390x")
	e.snapshotStorage(t)
}

// TestRegistryImageHistory: `image history` lists a pulled image's layers
// newest first with the commands that made them; `image tree` shows its
// layers.
func TestRegistryImageHistory(t *testing.T) {
	t.Parallel()
	r := startRegistry(t, regOptions{})
	img := layeredImage(t, "history", 2)
	r.push(t, "hist/img:v1", img)
	e := newRegEnv(t)
	ref := r.Ref("hist/img:v1")
	e.ok(t, "pull", "--tls-verify=false", ref)
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for i := len(cfg.History) - 1; i >= 0; i-- {
		want = append(want, cfg.History[i].CreatedBy)
	}
	got := strings.Split(e.ok(t, "image", "history", "--format", "{{.CreatedBy}}", ref), "\n")
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("image history, newest first (-got +want):\n%s", diff)
	}
	table := e.ok(t, "image", "history", ref)
	if f := strings.Fields(strings.SplitN(table, "\n", 2)[0]); len(f) == 0 || f[0] != "ID" {
		t.Errorf("image history's header: %q", table)
	}
	tree := e.ok(t, "image", "tree", ref)
	if id := configID(t, img)[:12]; !strings.Contains(tree, id) || len(strings.Split(tree, "\n")) < len(cfg.History) {
		t.Errorf("image tree shows neither the image ID %s nor a line per layer:\n%s", id, tree)
	}
	e.snapshotStorage(t)
}
