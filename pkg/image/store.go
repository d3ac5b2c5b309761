package image

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"syscall"

	"github.com/hutchctr/hutch/pkg/config"
	"github.com/hutchctr/hutch/pkg/errdefs"
	"go.podman.io/storage"
	"go.podman.io/storage/types"
)

// Options configure Open.
type Options struct {
	// GraphRoot holds images and layers (<data>/storage). Required.
	GraphRoot string
	// RunRoot holds storage's volatile state: mount counts, probe results
	// (<run>/storage). Required.
	RunRoot string
	// Rootless means the process runs as uid 0 inside the user's namespace
	// holder (uid 0 maps to the user, 1..N to the /etc/subuid range).
	Rootless bool
}

// Store is hutch's local image and container-layer store. It is safe for
// use by one goroutine at a time; other processes may use the same
// directories concurrently (storage locks its files).
type Store struct {
	st   storage.Store
	opts Options
}

// Open opens (creating if needed) the store with the overlay driver and no
// ID mapping of its own: rootless, the holder's user namespace already maps
// ids, so files are stored with the ids seen inside it.
func Open(opts Options) (*Store, error) {
	if opts.GraphRoot == "" || opts.RunRoot == "" {
		return nil, fmt.Errorf("open image store: graph root and run root are required: %w", errdefs.ErrInvalidArgument)
	}
	if opts.Rootless {
		if err := configureRootless(); err != nil {
			return nil, err
		}
	}
	// Every setting is explicit. storage.GetStore still parses storage.conf
	// to compute defaults, but uses none of them when roots and driver are
	// given, so Podman's configuration does not leak into hutch's store.
	st, err := storage.GetStore(types.StoreOptions{
		GraphRoot:       opts.GraphRoot,
		RunRoot:         opts.RunRoot,
		GraphDriverName: "overlay",
		// The driver's home need not be a private bind mount: hutch never
		// has storage mount anything (containers mount their overlay
		// themselves, in their own mount namespace). Skipping it spares
		// every command a mount and an unmount.
		GraphDriverOptions: []string{"overlay.skip_mount_home=true"},
	})
	if err != nil {
		return nil, fmt.Errorf("open image store %s: %w", opts.GraphRoot, err)
	}
	return &Store{st: st, opts: opts}, nil
}

// configureRootless tells containers/storage that the process is the rootless
// user's namespace root. storage decides this through its pkg/unshare, which
// caches the answer on first use: with _CONTAINERS_USERNS_CONFIGURED set it
// takes the rootless paths (native overlay with "userxattr", tar extraction
// that tolerates the namespace's limits), and _CONTAINERS_ROOTLESS_UID/GID
// give it the user's host ids, which getuid() (0 here) cannot. The variables
// are inherited by storage's re-executed helpers, which need the same view.
func configureRootless() error {
	initial, err := inInitialUserNamespace()
	if err != nil {
		return fmt.Errorf("open rootless image store: %w", err)
	}
	if initial {
		return fmt.Errorf("open rootless image store: not inside the user namespace holder: %w", errdefs.ErrPermission)
	}
	uid, gid, _ := config.HostIDs()
	for k, v := range map[string]string{
		"_CONTAINERS_USERNS_CONFIGURED": "done",
		"_CONTAINERS_ROOTLESS_UID":      strconv.Itoa(uid),
		"_CONTAINERS_ROOTLESS_GID":      strconv.Itoa(gid),
	} {
		if err := os.Setenv(k, v); err != nil {
			return fmt.Errorf("open rootless image store: set %s: %w", k, err)
		}
	}
	return nil
}

// inInitialUserNamespace reports whether the process is in the host's user
// namespace, whose /proc/self/ns/user inode is fixed by the kernel
// (PROC_USER_INIT_INO).
func inInitialUserNamespace() (bool, error) {
	const procUserInitIno = 0xEFFFFFFD
	var st syscall.Stat_t
	if err := syscall.Stat("/proc/self/ns/user", &st); err != nil {
		return false, fmt.Errorf("stat /proc/self/ns/user: %w", err)
	}
	return st.Ino == procUserInitIno, nil
}

// Close releases the store. Layers still mounted (a running container's
// rootfs, kept by its monitor) stay mounted; that is not an error.
func (s *Store) Close() error {
	if _, err := s.st.Shutdown(false); err != nil && !errors.Is(err, storage.ErrLayerUsedByContainer) {
		return fmt.Errorf("close image store: %w", err)
	}
	return nil
}

// GraphRoot returns the store's graph root.
func (s *Store) GraphRoot() string { return s.opts.GraphRoot }

// classify wraps storage's sentinel errors in hutch's error classes.
func classify(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, storage.ErrImageUnknown), errors.Is(err, storage.ErrLayerUnknown),
		errors.Is(err, storage.ErrContainerUnknown), errors.Is(err, storage.ErrNotAnImage),
		errors.Is(err, storage.ErrNotAContainer), errors.Is(err, storage.ErrNotALayer):
		return fmt.Errorf("%w: %w", errdefs.ErrNotFound, err)
	case errors.Is(err, storage.ErrImageUsedByContainer), errors.Is(err, storage.ErrLayerUsedByContainer),
		errors.Is(err, storage.ErrLayerHasChildren):
		return fmt.Errorf("%w: %w", errdefs.ErrConflict, err)
	case errors.Is(err, storage.ErrDuplicateID), errors.Is(err, storage.ErrDuplicateName):
		return fmt.Errorf("%w: %w", errdefs.ErrAlreadyExists, err)
	}
	return err
}
