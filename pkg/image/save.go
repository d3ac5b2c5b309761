package image

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"slices"

	"github.com/hutchctr/hutch/pkg/errdefs"
	"github.com/opencontainers/go-digest"
	"go.podman.io/storage"
	"go.podman.io/storage/pkg/archive"
)

// Archive formats accepted by Save.
const (
	FormatDockerArchive = "docker-archive"
	FormatOCIArchive    = "oci-archive"
)

// saveItem is one image to save and the names it is saved under.
type saveItem struct {
	img    *storage.Image
	config []byte
	chain  []*storage.Layer
	names  []string
}

// Save writes the images refs name to w as a docker-archive (the default;
// uncompressed layers, like `podman save`) or an oci-archive. An image named
// by ID is saved without a name, as Podman does. Layers stream from storage
// into the archive and are checked against their diff IDs on the way.
func (s *Store) Save(ctx context.Context, w io.Writer, format string, refs []string) error {
	if format == "" {
		format = FormatDockerArchive
	}
	if format != FormatDockerArchive && format != FormatOCIArchive {
		return fmt.Errorf("save: unknown format %q (use %s or %s): %w", format, FormatDockerArchive, FormatOCIArchive, errdefs.ErrInvalidArgument)
	}
	if len(refs) == 0 {
		return fmt.Errorf("save: no image given: %w", errdefs.ErrInvalidArgument)
	}
	items, err := s.saveItems(refs)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(w)
	if format == FormatOCIArchive {
		err = s.writeOCI(ctx, tw, items)
	} else {
		err = s.writeDocker(ctx, tw, items)
	}
	if err != nil {
		return fmt.Errorf("save: %w", err)
	}
	return tw.Close()
}

// saveItems resolves refs, merging refs to the same image.
func (s *Store) saveItems(refs []string) ([]*saveItem, error) {
	var items []*saveItem
	byID := map[string]*saveItem{}
	for _, ref := range refs {
		img, name, err := s.lookup(ref)
		if err != nil {
			return nil, err
		}
		it := byID[img.ID]
		if it == nil {
			it = &saveItem{img: img}
			if it.config, err = s.st.ImageBigData(img.ID, configKey(img.ID)); err != nil {
				return nil, fmt.Errorf("image %s: read configuration: %w", img.ID, classify(err))
			}
			if img.TopLayer != "" {
				top, err := s.st.Layer(img.TopLayer)
				if err != nil {
					return nil, fmt.Errorf("image %s: %w", img.ID, classify(err))
				}
				if it.chain, err = s.layerChain(top); err != nil {
					return nil, err
				}
			}
			byID[img.ID] = it
			items = append(items, it)
		}
		if name != "" && !slices.Contains(it.names, name) {
			it.names = append(it.names, name)
		}
	}
	return items, nil
}

// writeDocker writes <diffid>.tar layers, <id>.json configurations and, last,
// manifest.json (the layout `podman save` produces).
func (s *Store) writeDocker(ctx context.Context, tw *tar.Writer, items []*saveItem) error {
	type entry struct {
		Config   string
		RepoTags []string
		Layers   []string
	}
	var manifest []entry
	written := map[string]bool{}
	for _, it := range items {
		e := entry{Config: it.img.ID + ".json", RepoTags: append([]string{}, it.names...)}
		for _, l := range it.chain {
			name := l.UncompressedDigest.Encoded() + ".tar"
			e.Layers = append(e.Layers, name)
			if written[name] {
				continue
			}
			written[name] = true
			if err := s.writeLayer(ctx, tw, name, l); err != nil {
				return err
			}
		}
		if err := writeMember(tw, e.Config, it.config); err != nil {
			return err
		}
		manifest = append(manifest, e)
	}
	b, err := json.Marshal(manifest)
	if err != nil {
		return err
	}
	return writeMember(tw, "manifest.json", b)
}

// writeOCI writes an OCI image layout: oci-layout, blobs, and index.json
// with one entry per name (ref.name holds the full name, as Podman writes).
func (s *Store) writeOCI(ctx context.Context, tw *tar.Writer, items []*saveItem) error {
	if err := writeMember(tw, "oci-layout", []byte(`{"imageLayoutVersion":"1.0.0"}`)); err != nil {
		return err
	}
	idx := ociIndex{SchemaVersion: 2, Manifests: []ociDescriptor{}}
	written := map[string]bool{}
	blob := func(d digest.Digest) string { return "blobs/sha256/" + d.Encoded() }
	for _, it := range items {
		for _, l := range it.chain {
			if name := blob(l.UncompressedDigest); !written[name] {
				written[name] = true
				if err := s.writeLayer(ctx, tw, name, l); err != nil {
					return err
				}
			}
		}
		m, err := ociManifestFor(it.config, it.chain)
		if err != nil {
			return err
		}
		md := digest.FromBytes(m)
		for _, b := range []struct {
			d    digest.Digest
			data []byte
		}{{digest.FromBytes(it.config), it.config}, {md, m}} {
			if name := blob(b.d); !written[name] {
				written[name] = true
				if err := writeMember(tw, name, b.data); err != nil {
					return err
				}
			}
		}
		desc := ociDescriptor{MediaType: "application/vnd.oci.image.manifest.v1+json", Digest: md, Size: int64(len(m))}
		if len(it.names) == 0 {
			idx.Manifests = append(idx.Manifests, desc)
		}
		for _, n := range it.names {
			d := desc
			d.Annotations = map[string]string{refNameAnnotation: n}
			idx.Manifests = append(idx.Manifests, d)
		}
	}
	b, err := json.Marshal(idx)
	if err != nil {
		return err
	}
	return writeMember(tw, "index.json", b)
}

func writeMember(tw *tar.Writer, name string, data []byte) error {
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o444, Size: int64(len(data)), Typeflag: tar.TypeReg, Format: tar.FormatPAX}); err != nil {
		return err
	}
	_, err := tw.Write(data)
	return err
}

// writeLayer streams a layer's uncompressed tar from storage into the
// archive. The member size comes from the layer record, and the bytes are
// hashed on the way: a layer that no longer matches its diff ID (damaged
// storage) fails the save instead of producing an archive that load rejects.
func (s *Store) writeLayer(ctx context.Context, tw *tar.Writer, name string, l *storage.Layer) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	uncompressed := archive.Uncompressed
	rc, err := s.st.Diff("", l.ID, &storage.DiffOptions{Compression: &uncompressed})
	if err != nil {
		return fmt.Errorf("layer %s: %w", l.ID, classify(err))
	}
	defer rc.Close()
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o444, Size: l.UncompressedSize, Typeflag: tar.TypeReg, Format: tar.FormatPAX}); err != nil {
		return err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tw, h), rc)
	if err != nil {
		return fmt.Errorf("layer %s: %w", l.ID, err)
	}
	if got := digest.NewDigest(digest.SHA256, h); n != l.UncompressedSize || got != l.UncompressedDigest {
		return fmt.Errorf("layer %s: storage returned %d bytes with digest %s, expected %d bytes with %s",
			l.ID, n, got, l.UncompressedSize, l.UncompressedDigest)
	}
	return nil
}
