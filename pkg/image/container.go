package image

import (
	"context"
	"errors"
	"fmt"

	"github.com/hutchctr/hutch/pkg/errdefs"
	"go.podman.io/storage"
)

// CreateContainer creates the writable layer of container id (hutch's
// container ID, used as the storage container ID and as the layer's ID, so
// that a layer left by a crash inside this call is found again by
// DeleteContainer) on top of image imageID. A volatile container's overlay is
// mounted with "volatile": its writes are never synced, which makes unmount
// cheap; meant for --rm containers, whose data dies with them anyway.
func (s *Store) CreateContainer(ctx context.Context, id, imageID string, volatile bool) error {
	if id == "" {
		return fmt.Errorf("create container layer: empty id: %w", errdefs.ErrInvalidArgument)
	}
	opts := &storage.ContainerOptions{Volatile: volatile}
	if _, err := s.st.CreateContainer(id, nil, imageID, id, "", opts); err != nil {
		return fmt.Errorf("create container layer %s on image %s: %w", id, imageID, classify(err))
	}
	return nil
}

// Mount mounts container id's root filesystem (overlay of the image layers
// and the container layer) and returns the merged directory. The mount lives
// in the caller's mount namespace; each Mount needs an Unmount.
func (s *Store) Mount(ctx context.Context, id string) (string, error) {
	p, err := s.st.Mount(id, "")
	if err != nil {
		return "", fmt.Errorf("mount container %s: %w", id, classify(err))
	}
	return p, nil
}

// Unmount drops one mount of container id's root filesystem; force drops
// them all (storage counts mounts across processes, and a count left by a
// process that died can only be reset this way). Unmounting a container that
// is not mounted is not an error.
func (s *Store) Unmount(ctx context.Context, id string, force bool) error {
	if _, err := s.st.Unmount(id, force); err != nil && !errors.Is(err, storage.ErrLayerNotMounted) {
		return fmt.Errorf("unmount container %s: %w", id, classify(err))
	}
	return nil
}

// DeleteContainer unmounts (forcibly) and deletes container id's layer. A
// container that does not exist is not an error; a layer named id without
// a container (a create killed half-way) is deleted too.
func (s *Store) DeleteContainer(ctx context.Context, id string) error {
	if !s.ContainerExists(id) {
		if _, err := s.st.Layer(id); err != nil {
			return nil
		}
		if err := s.st.DeleteLayer(id); err != nil && !errors.Is(err, storage.ErrLayerUnknown) {
			return fmt.Errorf("delete orphaned container layer %s: %w", id, classify(err))
		}
		return nil
	}
	if err := s.Unmount(ctx, id, true); err != nil {
		return err
	}
	if err := s.st.DeleteContainer(id); err != nil && !errors.Is(err, storage.ErrContainerUnknown) {
		return fmt.Errorf("delete container layer %s: %w", id, classify(err))
	}
	return nil
}

// ContainerExists reports whether storage has a container id.
func (s *Store) ContainerExists(id string) bool {
	_, err := s.st.Container(id)
	return err == nil
}
