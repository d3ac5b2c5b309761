package engine

import (
	"context"
	"fmt"
	"os"
	"sort"

	"github.com/hutchctr/hutch/pkg/errdefs"
	"github.com/hutchctr/hutch/pkg/image"
	"github.com/hutchctr/hutch/pkg/state"
)

// Load loads the images of a docker-archive or oci-archive file and returns
// their names (or IDs, for unnamed images).
func (e *Engine) Load(ctx context.Context, path string) ([]string, error) {
	imgs, err := e.images(ctx)
	if err != nil {
		return nil, err
	}
	return imgs.Load(ctx, path)
}

// Import creates an image from a rootfs tarball and returns its ID. ref may
// be empty.
func (e *Engine) Import(ctx context.Context, path, ref string) (string, error) {
	imgs, err := e.images(ctx)
	if err != nil {
		return "", err
	}
	return imgs.Import(ctx, path, ref)
}

// Save writes images to path as "docker-archive" (the default) or
// "oci-archive". A failed save leaves no partial file.
func (e *Engine) Save(ctx context.Context, path, format string, refs []string) error {
	switch format {
	case "":
		format = "docker-archive"
	case "docker-archive", "oci-archive":
	default:
		return errdefs.Errorf(errdefs.ErrInvalidArgument, "save format %q: want docker-archive or oci-archive", format)
	}
	imgs, err := e.images(ctx)
	if err != nil {
		return err
	}
	for _, r := range refs {
		if _, err := imgs.Get(ctx, r); err != nil {
			return err
		}
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("save: %w", err)
	}
	if err := imgs.Save(ctx, f, format, refs); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return fmt.Errorf("save: %w", err)
	}
	return nil
}

// Images lists the images matching o's filters, newest first. Bad filters
// are refused before storage is opened.
func (e *Engine) Images(ctx context.Context, o ImagesOptions) ([]ImageSummary, error) {
	f, err := image.ParseFilters(o.Filters)
	if err != nil {
		return nil, err
	}
	imgs, err := e.images(ctx)
	if err != nil {
		return nil, err
	}
	var list []*imageMeta
	if f.Empty() {
		list, err = imgs.List(ctx)
	} else {
		list, err = imgs.ListFiltered(ctx, f)
	}
	if err != nil {
		return nil, err
	}
	users, err := e.imageUsers()
	if err != nil {
		return nil, err
	}
	out := make([]ImageSummary, 0, len(list))
	for _, m := range list {
		out = append(out, ImageSummary{
			ID: m.ID, RepoTags: nonNil(m.Names), RepoDigests: digests(m),
			Created: m.Created.Unix(), CreatedAt: m.Created.Format("2006-01-02T15:04:05Z07:00"),
			Size: m.Size, Labels: m.Config.Labels, Containers: len(users[m.ID]),
			Names: nonNil(m.Names), Digest: m.Digest, Dangling: len(m.Names) == 0,
		})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Created > out[j].Created })
	return out, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func digests(m *imageMeta) []string {
	if m.Digest == "" {
		return []string{}
	}
	var out []string
	for _, n := range m.Names {
		out = append(out, repoOf(n)+"@"+m.Digest)
	}
	return nonNil(out)
}

// repoOf strips the tag from a name.
func repoOf(name string) string {
	for i := len(name) - 1; i >= 0; i-- {
		switch name[i] {
		case ':':
			return name[:i]
		case '/':
			return name
		}
	}
	return name
}

// imageUsers maps image IDs to the containers created from them.
func (e *Engine) imageUsers() (map[string][]*state.Container, error) {
	records, err := e.state.List()
	if err != nil {
		return nil, err
	}
	users := map[string][]*state.Container{}
	for _, c := range records {
		users[c.Config.ImageID] = append(users[c.Config.ImageID], c)
	}
	return users, nil
}

// InspectImage returns an image's inspect document.
func (e *Engine) InspectImage(ctx context.Context, ref string) (*ImageInspect, error) {
	imgs, err := e.images(ctx)
	if err != nil {
		return nil, err
	}
	m, err := imgs.Get(ctx, ref)
	if err != nil {
		return nil, err
	}
	return &ImageInspect{
		ID: m.ID, Digest: m.Digest, RepoTags: nonNil(m.Names), RepoDigests: digests(m),
		Created: m.Created, Config: m.Config, Architecture: m.Architecture, Os: m.OS,
		Size: m.Size, RootFS: ImageRootFS{Type: "layers", Layers: nonNil(m.DiffIDs)},
		Labels: m.Config.Labels, NamesHistory: nonNil(m.Names),
	}, nil
}

// RemoveImage removes an image. It refuses an image a container uses unless
// force, which removes those containers first. It returns the lines to print
// ("Untagged: ...", "Deleted: ...").
func (e *Engine) RemoveImage(ctx context.Context, ref string, force bool) ([]string, error) {
	imgs, err := e.images(ctx)
	if err != nil {
		return nil, err
	}
	m, err := imgs.Get(ctx, ref)
	if err != nil {
		return nil, err
	}
	users, err := e.imageUsers()
	if err != nil {
		return nil, err
	}
	if cs := users[m.ID]; len(cs) > 0 {
		if !force {
			return nil, errdefs.Errorf(errdefs.ErrConflict, "image %s is in use by container %s: remove the container first, or use rmi -f", ref, cs[0].Config.Name)
		}
		for _, c := range cs {
			if err := e.Remove(ctx, c.Config.ID, RemoveOptions{Force: true}); err != nil {
				return nil, err
			}
		}
	}
	return imgs.Remove(ctx, ref)
}

// ImageNames lists image names for shell completion.
func (e *Engine) ImageNames(ctx context.Context) ([]string, error) {
	imgs, err := e.images(ctx)
	if err != nil {
		return nil, err
	}
	list, err := imgs.List(ctx)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, m := range list {
		names = append(names, m.Names...)
	}
	sort.Strings(names)
	return names, nil
}
