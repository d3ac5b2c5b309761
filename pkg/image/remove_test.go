package image

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hutchctr/hutch/internal/testutil"
	"github.com/hutchctr/hutch/pkg/errdefs"
)

const testCtr = "c0ffee0123456789abcdef0123456789abcdef0123456789abcdef0123456789"

func TestRemove(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	mustLoad(t, s, busyboxArchive(t, "docker", "busybox"))
	mustLoad(t, s, busyboxArchive(t, "oci", "localhost/other:1"))
	img, err := s.Get(ctx, "busybox")
	if err != nil {
		t.Fatal(err)
	}
	// The image has two names: removing one only untags.
	got, err := s.Remove(ctx, "other:1")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(got, []string{"Untagged: localhost/other:1"}); diff != "" {
		t.Errorf("(-got +want):\n%s", diff)
	}
	if err := s.CreateContainer(ctx, testCtr, img.ID, false); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Remove(ctx, "busybox"); !errors.Is(err, errdefs.ErrConflict) {
		t.Fatalf("remove of a used image: %v, want ErrConflict", err)
	}
	if err := s.DeleteContainer(ctx, testCtr); err != nil {
		t.Fatal(err)
	}
	got, err = s.Remove(ctx, img.ID[:6])
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(got, []string{"Untagged: docker.io/library/busybox:latest", "Deleted: " + img.ID}); diff != "" {
		t.Errorf("(-got +want):\n%s", diff)
	}
	if _, err := s.Remove(ctx, "busybox"); !errors.Is(err, errdefs.ErrNotFound) {
		t.Errorf("second remove: %v, want ErrNotFound", err)
	}
	assertEmpty(t, s)
}

// TestContainerLayer mounts a container's rootfs (in the tests' private
// mount namespace) and checks that it shows the image files.
func TestContainerLayer(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	mustLoad(t, s, busyboxArchive(t, "docker", "busybox"))
	img, err := s.Get(ctx, "busybox")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateContainer(ctx, testCtr, img.ID, false); err != nil {
		t.Fatal(err)
	}
	if !s.ContainerExists(testCtr) {
		t.Fatal("container does not exist after create")
	}
	if err := s.CreateContainer(ctx, testCtr, img.ID, false); !errors.Is(err, errdefs.ErrAlreadyExists) {
		t.Errorf("second create: %v, want ErrAlreadyExists", err)
	}
	merged, err := s.Mount(ctx, testCtr)
	if err != nil {
		t.Fatal(err)
	}
	if mountOptions(merged) == "not mounted" {
		t.Errorf("%s is not a mount point", merged)
	}
	var st syscall.Stat_t
	if err := syscall.Stat(filepath.Join(merged, "home/tester/owned"), &st); err != nil || st.Uid != testutil.TesterUID {
		t.Errorf("home/tester/owned: uid %d, %v", st.Uid, err)
	}
	if fi, err := os.Stat(filepath.Join(merged, "tmp")); err != nil || fi.Mode()&os.ModeSticky == 0 || fi.Mode().Perm() != 0o777 {
		t.Errorf("tmp: %v, %v", fi.Mode(), err)
	}
	if target, err := os.Readlink(filepath.Join(merged, "bin/sh")); err != nil || target != "busybox" {
		t.Errorf("bin/sh -> %q, %v", target, err)
	}
	if err := os.WriteFile(filepath.Join(merged, "new"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := s.Unmount(ctx, testCtr, false); err != nil {
		t.Fatal(err)
	}
	if mountOptions(merged) != "not mounted" {
		t.Errorf("%s still mounted", merged)
	}
	if err := s.Unmount(ctx, testCtr, false); err != nil {
		t.Errorf("unmount of an unmounted container: %v", err)
	}
	if _, err := s.Mount(ctx, testCtr); err != nil { // DeleteContainer unmounts
		t.Fatal(err)
	}
	if err := s.DeleteContainer(ctx, testCtr); err != nil {
		t.Fatal(err)
	}
	if s.ContainerExists(testCtr) {
		t.Error("container exists after delete")
	}
	if err := s.DeleteContainer(ctx, testCtr); err != nil {
		t.Errorf("delete of a deleted container: %v", err)
	}
	if _, err := s.Mount(ctx, testCtr); !errors.Is(err, errdefs.ErrNotFound) {
		t.Errorf("mount of a deleted container: %v, want ErrNotFound", err)
	}
	if err := s.CreateContainer(ctx, testCtr, "nope", false); !errors.Is(err, errdefs.ErrNotFound) {
		t.Errorf("create on a missing image: %v, want ErrNotFound", err)
	}
}

// TestDeleteOrphanedContainerLayer: a create killed after storage made the
// container's layer but before it recorded the container leaves a layer
// named after the container; DeleteContainer must still remove it.
func TestDeleteOrphanedContainerLayer(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	mustLoad(t, s, busyboxArchive(t, "docker", "busybox"))
	img, err := s.Get(ctx, "busybox")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.st.CreateLayer(testCtr, img.TopLayer, nil, "", true, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteContainer(ctx, testCtr); err != nil {
		t.Fatal(err)
	}
	if _, err := s.st.Layer(testCtr); err == nil {
		t.Error("orphaned container layer survived DeleteContainer")
	}
}

// TestVolatileContainerMount: --rm containers are mounted "volatile".
func TestVolatileContainerMount(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	mustLoad(t, s, busyboxArchive(t, "docker", "busybox"))
	img, err := s.Get(ctx, "busybox")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateContainer(ctx, testCtr, img.ID, true); err != nil {
		t.Fatal(err)
	}
	merged, err := s.Mount(ctx, testCtr)
	if err != nil {
		t.Fatal(err)
	}
	if opts := mountOptions(merged); !strings.Contains(opts, "volatile") {
		t.Errorf("mount options %q lack volatile", opts)
	}
	if err := s.DeleteContainer(ctx, testCtr); err != nil {
		t.Fatal(err)
	}
}
