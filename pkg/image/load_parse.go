package image

import (
	"bytes"
	"encoding/json"
	"fmt"
	"runtime"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/hutchctr/hutch/pkg/errdefs"
	"github.com/opencontainers/go-digest"
)

// loadSpec is one image found in an archive, checked as far as possible
// before any layer is read.
type loadSpec struct {
	config   []byte
	cfg      *v1.ConfigFile
	manifest []byte // the archive's manifest; nil for docker-archive (made after the layers)
	layers   []layerSpec
	names    []string
}

// layerSpec is where a layer's blob is and what it must match.
type layerSpec struct {
	member string
	check  layerCheck
}

// ID returns the image ID (the configuration's sha256).
func (l *loadSpec) ID() string { return digest.FromBytes(l.config).Encoded() }

// parseConfig decodes an image configuration and checks that it lists one
// valid diff ID per layer.
func parseConfig(a *archiveFile, member string, raw []byte, nLayers int) (*v1.ConfigFile, error) {
	cfg, err := v1.ParseConfigFile(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("archive %s: image configuration %s is not valid (%v): %w", a.path, member, err, errdefs.ErrInvalidArgument)
	}
	if len(cfg.RootFS.DiffIDs) != nLayers {
		return nil, fmt.Errorf("archive %s: image configuration %s lists %d layers, the manifest %d: %w",
			a.path, member, len(cfg.RootFS.DiffIDs), nLayers, errdefs.ErrInvalidArgument)
	}
	for _, d := range cfg.RootFS.DiffIDs {
		if _, err := digest.Parse(d.String()); err != nil || d.Algorithm != "sha256" {
			return nil, fmt.Errorf("archive %s: image configuration %s: bad diff ID %q: %w", a.path, member, d, errdefs.ErrInvalidArgument)
		}
	}
	return cfg, nil
}

// dockerManifestEntry is one image in a docker-archive's manifest.json.
type dockerManifestEntry struct {
	Config   string
	RepoTags []string
	Layers   []string
}

// parseDockerArchive reads manifest.json and the configurations it names.
func parseDockerArchive(a *archiveFile) ([]*loadSpec, error) {
	var entries []dockerManifestEntry
	if _, err := a.readJSON("manifest.json", &entries); err != nil {
		return nil, err
	}
	if len(entries) == 0 {
		return nil, fmt.Errorf("archive %s: manifest.json lists no images: %w", a.path, errdefs.ErrInvalidArgument)
	}
	var specs []*loadSpec
	for _, e := range entries {
		raw, err := a.readBlob(e.Config)
		if err != nil {
			return nil, err
		}
		cfg, err := parseConfig(a, e.Config, raw, len(e.Layers))
		if err != nil {
			return nil, err
		}
		spec := &loadSpec{config: raw, cfg: cfg}
		for i, m := range e.Layers {
			if !a.has(m) {
				return nil, fmt.Errorf("archive %s: layer %d: missing %q: %w", a.path, i+1, m, errdefs.ErrInvalidArgument)
			}
			spec.layers = append(spec.layers, layerSpec{member: m, check: layerCheck{blobSize: -1, diffID: digest.Digest(cfg.RootFS.DiffIDs[i].String())}})
		}
		for _, t := range e.RepoTags {
			n, err := normalizeName(t, dockerDomain)
			if err != nil {
				return nil, fmt.Errorf("archive %s: %w", a.path, err)
			}
			spec.names = append(spec.names, n)
		}
		specs = append(specs, spec)
	}
	return specs, nil
}

// ociDescriptor is an OCI content descriptor.
type ociDescriptor struct {
	MediaType   string            `json:"mediaType"`
	Digest      digest.Digest     `json:"digest"`
	Size        int64             `json:"size"`
	Annotations map[string]string `json:"annotations,omitempty"`
	Platform    *v1.Platform      `json:"platform,omitempty"`
}

// ociIndex is an OCI image index (index.json).
type ociIndex struct {
	SchemaVersion int             `json:"schemaVersion"`
	Manifests     []ociDescriptor `json:"manifests"`
}

// ociManifest is an OCI (or Docker schema 2) image manifest.
type ociManifest struct {
	SchemaVersion int             `json:"schemaVersion"`
	MediaType     string          `json:"mediaType,omitempty"`
	Config        ociDescriptor   `json:"config"`
	Layers        []ociDescriptor `json:"layers"`
}

const (
	mediaOCIIndex     = "application/vnd.oci.image.index.v1+json"
	mediaDockerList   = "application/vnd.docker.distribution.manifest.list.v2+json"
	refNameAnnotation = "org.opencontainers.image.ref.name"
	// containerd and Docker 25+ put the full name here and only the tag in
	// ref.name.
	containerdNameAnnotation = "io.containerd.image.name"
)

// readOCIBlob reads a JSON blob of an OCI layout and checks its digest and
// size against the descriptor that points to it.
func readOCIBlob(a *archiveFile, d ociDescriptor, v any) ([]byte, error) {
	if err := d.Digest.Validate(); err != nil {
		return nil, fmt.Errorf("archive %s: bad digest %q: %w", a.path, d.Digest, errdefs.ErrInvalidArgument)
	}
	member := "blobs/" + string(d.Digest.Algorithm()) + "/" + d.Digest.Encoded()
	b, err := a.readJSON(member, v)
	if err != nil {
		return nil, err
	}
	if got := digest.FromBytes(b); got != d.Digest || int64(len(b)) != d.Size {
		return nil, fmt.Errorf("archive %s: blob %s does not match its descriptor (digest %s, %d bytes; expected %d bytes): %w",
			a.path, d.Digest, got, len(b), d.Size, errdefs.ErrInvalidArgument)
	}
	return b, nil
}

// parseOCIArchive reads index.json and the manifests and configurations it
// points to. A nested index (multi-platform) contributes its linux entry for
// this architecture.
func parseOCIArchive(a *archiveFile) ([]*loadSpec, error) {
	var idx ociIndex
	if _, err := a.readJSON("index.json", &idx); err != nil {
		return nil, err
	}
	if len(idx.Manifests) == 0 {
		return nil, fmt.Errorf("archive %s: index.json lists no images: %w", a.path, errdefs.ErrInvalidArgument)
	}
	var specs []*loadSpec
	for _, d := range idx.Manifests {
		md := d
		if d.MediaType == mediaOCIIndex || d.MediaType == mediaDockerList {
			var err error
			if md, err = pickPlatform(a, d); err != nil {
				return nil, err
			}
		}
		spec, err := parseOCIImage(a, md)
		if err != nil {
			return nil, err
		}
		if n := ociName(d.Annotations); n != "" {
			name, err := normalizeName(n, dockerDomain)
			if err != nil {
				return nil, fmt.Errorf("archive %s: %w", a.path, err)
			}
			spec.names = append(spec.names, name)
		}
		specs = append(specs, spec)
	}
	return specs, nil
}

// ociName returns the image name an index entry carries, if any.
func ociName(ann map[string]string) string {
	if n := ann[containerdNameAnnotation]; n != "" {
		return n
	}
	return ann[refNameAnnotation]
}

func pickPlatform(a *archiveFile, d ociDescriptor) (ociDescriptor, error) {
	var nested ociIndex
	if _, err := readOCIBlob(a, d, &nested); err != nil {
		return ociDescriptor{}, err
	}
	for _, m := range nested.Manifests {
		if m.Platform == nil || (m.Platform.OS == "linux" && m.Platform.Architecture == runtime.GOARCH) {
			return m, nil
		}
	}
	return ociDescriptor{}, fmt.Errorf("archive %s: no image for linux/%s in %s: %w", a.path, runtime.GOARCH, d.Digest, errdefs.ErrInvalidArgument)
}

func parseOCIImage(a *archiveFile, d ociDescriptor) (*loadSpec, error) {
	var m ociManifest
	mraw, err := readOCIBlob(a, d, &m)
	if err != nil {
		return nil, err
	}
	var probe json.RawMessage
	craw, err := readOCIBlob(a, m.Config, &probe)
	if err != nil {
		return nil, err
	}
	cfg, err := parseConfig(a, m.Config.Digest.String(), craw, len(m.Layers))
	if err != nil {
		return nil, err
	}
	spec := &loadSpec{config: craw, cfg: cfg, manifest: mraw}
	for i, l := range m.Layers {
		if err := l.Digest.Validate(); err != nil {
			return nil, fmt.Errorf("archive %s: layer %d: bad digest %q: %w", a.path, i+1, l.Digest, errdefs.ErrInvalidArgument)
		}
		member := "blobs/" + string(l.Digest.Algorithm()) + "/" + l.Digest.Encoded()
		if !a.has(member) {
			return nil, fmt.Errorf("archive %s: layer %d: missing blob %s: %w", a.path, i+1, l.Digest, errdefs.ErrInvalidArgument)
		}
		spec.layers = append(spec.layers, layerSpec{member: member, check: layerCheck{
			blobDigest: l.Digest, blobSize: l.Size, diffID: digest.Digest(cfg.RootFS.DiffIDs[i].String()),
		}})
	}
	return spec, nil
}
