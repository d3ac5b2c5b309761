//go:build e2e

package e2e

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestRegistryImagePrune: an image whose tag moved to a newer pull becomes
// dangling; `image prune` removes it and its layers, `image prune -a` also
// every unused tagged image, and neither removes an image a container
// uses; with the container gone, storage ends empty.
func TestRegistryImagePrune(t *testing.T) {
	t.Parallel()
	r := startRegistry(t, regOptions{})
	old, cur, used := layeredImage(t, "x-old", 1), layeredImage(t, "x-new", 1), layeredImage(t, "y", 1)
	r.push(t, "prune/x:v1", old)
	r.push(t, "prune/y:v1", used)
	e := newLoadedRegEnv(t)
	e.writeConfig(t, hutchConfig{Registries: insecure(r.Host)})
	x, y := r.Ref("prune/x:v1"), r.Ref("prune/y:v1")
	e.ok(t, "pull", x)
	e.ok(t, "pull", y)
	r.push(t, "prune/x:v1", cur)
	e.ok(t, "pull", x)
	e.ok(t, "create", "--name", "user", y, "true")

	oldID := configID(t, old)
	if got := e.ok(t, "images", "--filter", "dangling=true", "--format", "{{.ID}}"); got != oldID[:12] {
		t.Errorf("dangling images: %q, want the replaced %s", got, oldID[:12])
	}
	layersBefore := storageLayers(t, e)
	out := e.ok(t, "image", "prune", "-f")
	if !strings.Contains(out, oldID) {
		t.Errorf("image prune printed %q, want the removed image's ID %s", out, oldID)
	}
	if diff := cmp.Diff(e.imageNames(t), sortedFields(strings.Join([]string{fullImageName, x, y}, " "))); diff != "" {
		t.Errorf("images after image prune (-got +want):\n%s", diff)
	}
	if got := storageLayers(t, e); got != layersBefore-1 {
		t.Errorf("image prune left %d layers of %d, want the dangling image's own layer removed", got, layersBefore)
	}

	e.ok(t, "image", "prune", "-a", "-f")
	if diff := cmp.Diff(e.imageNames(t), []string{y}); diff != "" {
		t.Errorf("images after image prune -a (-got +want): the image a container uses must stay\n%s", diff)
	}
	e.ok(t, "run", "--rm", y, "true")
	e.ok(t, "rm", "user")
	e.ok(t, "image", "prune", "-a", "-f")
	if got := e.imageNames(t); got != nil {
		t.Errorf("images after the last prune: %v", got)
	}
	e.baseline = &storageState{}
	e.wantBaselineStorage(t, "after every image was pruned")
}

// storageLayers counts the layers in storage.
func storageLayers(t testing.TB, e *regEnv) int {
	t.Helper()
	st, err := readStorage(e.root)
	if err != nil {
		t.Fatal(err)
	}
	return len(st.Layers)
}

// TestSystemDfPrune: `system df` counts images and containers and what is
// reclaimable; `system prune` removes stopped containers and dangling
// images, `-a` also unused images, and never a running container's image.
func TestSystemDfPrune(t *testing.T) {
	t.Parallel()
	e := newLoadedRegEnv(t)
	e.ok(t, "tag", imageName, "localhost/keep:v1")
	e.ok(t, "import", rootfsTar(t), "localhost/dangling:v1")
	e.ok(t, "untag", "localhost/dangling:v1")
	e.ok(t, "run", "--name", "exited", imageName, "true")
	e.runDetached(t, "--name", "running", imageName, "sleep", "100")

	df := e.ok(t, "system", "df")
	rows := map[string][]string{}
	for i, line := range strings.Split(df, "\n") {
		f := strings.Fields(line)
		if i == 0 {
			if got := strings.Join(f, " "); got != "TYPE TOTAL ACTIVE SIZE RECLAIMABLE" {
				t.Errorf("system df header %q", got)
			}
			continue
		}
		if len(f) > 0 {
			rows[f[0]] = f
		}
	}
	// Podman's rows: Images TOTAL ACTIVE SIZE RECLAIMABLE, Containers ...
	if f := rows["Images"]; len(f) < 3 || f[1] != "2" || f[2] != "1" {
		t.Errorf("system df Images row %q, want 2 images, 1 active:\n%s", f, df)
	}
	if f := rows["Containers"]; len(f) < 3 || f[1] != "2" || f[2] != "1" {
		t.Errorf("system df Containers row %q, want 2 containers, 1 active:\n%s", f, df)
	}

	e.ok(t, "system", "prune", "-f")
	if got := sortedFields(e.ok(t, "ps", "-a", "--format", "{{.Names}}")); !cmp.Equal(got, []string{"running"}) {
		t.Errorf("containers after system prune: %v", got)
	}
	if got := e.ok(t, "images", "--filter", "dangling=true", "-q"); got != "" {
		t.Errorf("dangling images after system prune: %q", got)
	}
	e.ok(t, "system", "prune", "-a", "-f")
	if diff := cmp.Diff(e.imageNames(t), []string{fullImageName, "localhost/keep:v1"}); diff != "" {
		t.Errorf("images after system prune -a (-got +want): the running container's image must stay\n%s", diff)
	}
	e.ok(t, "stop", "-t", "0", "running")
	e.ok(t, "rm", "running")
	e.ok(t, "system", "prune", "-a", "-f")
	if got := e.imageNames(t); got != nil {
		t.Errorf("images after the last system prune -a: %v", got)
	}
	e.baseline = &storageState{}
}
