//go:build e2e

package e2e

import (
	"archive/tar"
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"

	"github.com/hutchctr/hutch/internal/testutil"
)

// snapshotStorage makes the current storage the cleanup's baseline, for
// tests that add or remove images on purpose.
func (h *hutchEnv) snapshotStorage(t *testing.T) {
	t.Helper()
	st, err := readStorage(h.root)
	if err != nil {
		t.Fatal(err)
	}
	h.baseline = st
}

func TestLoadFormats(t *testing.T) {
	t.Parallel()
	want := fixtureImageID(t)
	for _, archive := range []string{dockerArchive(t), ociArchive(t)} {
		t.Run(filepath.Base(archive), func(t *testing.T) {
			t.Parallel()
			h := newEnv(t)
			out := h.ok(t, "load", "-i", archive)
			if !strings.Contains(out, fullImageName) {
				t.Errorf("load printed %q, want the image's name", out)
			}
			if got := h.ok(t, "image", "inspect", "--format", "{{.ID}}", imageName); got != want {
				t.Errorf("image ID %s, want the config digest %s", got, want)
			}
			h.snapshotStorage(t)
			h.ok(t, "run", "--rm", imageName, "true")
		})
	}
}

func TestSaveLoadRoundTrip(t *testing.T) {
	t.Parallel()
	want := fixtureImageID(t)
	src := newLoadedEnv(t)
	for _, format := range []string{"docker-archive", "oci-archive"} {
		t.Run(format, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(src.dir, format+".tar")
			src.ok(t, "save", "--format", format, "-o", path, imageName)
			dst := newEnv(t)
			dst.ok(t, "load", "-i", path)
			dst.snapshotStorage(t)
			if got := dst.ok(t, "images", "--format", "{{.ID}} {{.Repository}}:{{.Tag}}"); got != want[:12]+" "+fullImageName {
				t.Errorf("after save and load: %q, want %s %s", got, want[:12], fullImageName)
			}
			if got := dst.ok(t, "run", "--rm", imageName, "cat", "/home/tester/owned"); got != "owned by tester" {
				t.Errorf("the reloaded image's content: %q", got)
			}
		})
	}
	// save with no -o writes the archive to stdout when it is not a terminal.
	r := src.run(t, "save", imageName)
	wantCode(t, r, 0)
	if !isTar([]byte(r.Stdout)) {
		t.Errorf("save to stdout did not write a tar (%d bytes)", len(r.Stdout))
	}
}

func isTar(b []byte) bool {
	_, err := tar.NewReader(strings.NewReader(string(b))).Next()
	return err == nil
}

func TestImport(t *testing.T) {
	t.Parallel()
	h := newEnv(t)
	idRE := regexp.MustCompile(`^(sha256:)?[0-9a-f]{64}$`)
	out := h.ok(t, "import", rootfsTar(t), "myimg")
	if !idRE.MatchString(out) {
		t.Fatalf("import printed %q, want the image ID", out)
	}
	id := strings.TrimPrefix(out, "sha256:")
	if got := h.ok(t, "images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}"); got != "localhost/myimg:latest "+id[:12] {
		t.Errorf("images after import: %q", got)
	}
	if got := h.ok(t, "run", "--rm", "myimg", "/bin/echo", "imported"); got != "imported" {
		t.Errorf("run of the imported image: %q", got)
	}
	// Without a reference the image has no name and is used by ID.
	out = h.ok(t, "import", rootfsTar(t))
	if !idRE.MatchString(out) {
		t.Fatalf("import printed %q, want the image ID", out)
	}
	h.snapshotStorage(t)
	anon := strings.TrimPrefix(out, "sha256:")
	if got := h.ok(t, "run", "--rm", anon[:12], "/bin/echo", "by-id"); got != "by-id" {
		t.Errorf("run by image ID: %q", got)
	}
}

func TestImages(t *testing.T) {
	t.Parallel()
	h := newLoadedEnv(t)
	id := fixtureImageID(t)
	lines := strings.Split(h.ok(t, "images"), "\n")
	if got := strings.Join(strings.Fields(lines[0]), " "); got != "REPOSITORY TAG IMAGE ID CREATED SIZE" {
		t.Errorf("header %q", lines[0])
	}
	if len(lines) != 2 || !strings.HasPrefix(strings.Join(strings.Fields(lines[1]), " "), "docker.io/library/busybox latest "+id[:12]+" ") {
		t.Errorf("rows %q", lines[1:])
	}
	if got := h.ok(t, "images", "-q"); got != id[:12] {
		t.Errorf("images -q: %q", got)
	}
	if got := h.ok(t, "images", "--format", "{{.Repository}}:{{.Tag}}"); got != fullImageName {
		t.Errorf("images --format: %q", got)
	}
	var rows []map[string]any
	if err := json.Unmarshal([]byte(h.ok(t, "images", "--format", "json")), &rows); err != nil || len(rows) != 1 {
		t.Fatalf("images --format json: %v %v", err, rows)
	}
	got := map[string]any{"Id": rows[0]["Id"], "RepoTags": rows[0]["RepoTags"]}
	want := map[string]any{"Id": id, "RepoTags": []any{fullImageName}}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("images json (-got +want):\n%s", diff)
	}
	for _, k := range []string{"Size", "Created", "Names"} {
		if _, ok := rows[0][k]; !ok {
			t.Errorf("images json lacks %q", k)
		}
	}
	var yrows []map[string]any
	if err := yaml.Unmarshal([]byte(h.ok(t, "images", "--format", "yaml")), &yrows); err != nil || len(yrows) != 1 || yrows[0]["Id"] != id {
		t.Errorf("images --format yaml: %v %v", err, yrows)
	}
}

func TestImageInspect(t *testing.T) {
	t.Parallel()
	h := newLoadedEnv(t)
	var docs []struct {
		ID     string `json:"Id"`
		Config struct {
			Env []string
			Cmd []string
		}
		Architecture, Os string
		RootFS           struct{ Layers []string }
	}
	if err := json.Unmarshal([]byte(h.ok(t, "image", "inspect", imageName)), &docs); err != nil || len(docs) != 1 {
		t.Fatalf("image inspect: %v %v", err, docs)
	}
	d := docs[0]
	got := fmt.Sprintf("%s %v %v %s/%s %d", d.ID, d.Config.Env, d.Config.Cmd, d.Os, d.Architecture, len(d.RootFS.Layers))
	want := fmt.Sprintf("%s [PATH=%s] [sh] linux/amd64 1", fixtureImageID(t), imagePath)
	if got != want {
		t.Errorf("image inspect: got %q, want %q", got, want)
	}
	wantUserError(t, h.run(t, "image", "inspect", "no-such-image"), 125, "no-such-image")
}

func TestRmi(t *testing.T) {
	t.Parallel()
	h := newLoadedEnv(t)
	id := fixtureImageID(t)
	h.runDetached(t, "--name", "user", imageName, "sleep", "100")
	// rmi's exit codes are Podman's (podman-rmi(1)): 2 for an image in use,
	// 1 for one that does not exist.
	wantUserError(t, h.run(t, "rmi", imageName), 2, "in use")
	if got := h.ok(t, "images", "-q"); got != id[:12] {
		t.Errorf("a refused rmi changed the images: %q", got)
	}
	out := h.ok(t, "rmi", "-f", imageName)
	for _, want := range []string{"Untagged: " + fullImageName, "Deleted: " + id} {
		if !strings.Contains(out, want) {
			t.Errorf("rmi -f printed %q, want a line %q", out, want)
		}
	}
	if got := h.ok(t, "images", "-q"); got != "" {
		t.Errorf("images after rmi -f: %q", got)
	}
	if got := h.ok(t, "ps", "-a", "-q"); got != "" {
		t.Errorf("rmi -f left the container that used the image: %q", got)
	}
	h.baseline = &storageState{}
	wantUserError(t, h.run(t, "rmi", "no-such-image"), 1, "no-such-image")
}

// TestLoadAbsolutePaths: layer entries named with a leading "/" are taken
// relative to the root filesystem, as Docker does.
func TestLoadAbsolutePaths(t *testing.T) {
	t.Parallel()
	h := newEnv(t)
	archive := filepath.Join(h.dir, "abs.tar")
	testutil.WriteDockerArchive(t, busyboxImage(t, testutil.WithLayer(testutil.AbsolutePathLayer())), "abs:latest", archive)
	h.ok(t, "load", "-i", archive)
	h.snapshotStorage(t)
	if got := h.ok(t, "run", "--rm", "abs", "cat", "/abs/file"); got != "absolute" {
		t.Errorf("/abs/file: %q", got)
	}
}
