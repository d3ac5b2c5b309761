package image

import (
	"context"
	"errors"
	"os"
	"path/filepath"
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
	if err := s.CreateContainer(ctx, testCtr, img.ID); err != nil {
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
	if err := s.CreateContainer(ctx, testCtr, img.ID); err != nil {
		t.Fatal(err)
	}
	if !s.ContainerExists(testCtr) {
		t.Fatal("container does not exist after create")
	}
	if err := s.CreateContainer(ctx, testCtr, img.ID); !errors.Is(err, errdefs.ErrAlreadyExists) {
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
	if err := s.CreateContainer(ctx, testCtr, "nope"); !errors.Is(err, errdefs.ErrNotFound) {
		t.Errorf("create on a missing image: %v, want ErrNotFound", err)
	}
}
