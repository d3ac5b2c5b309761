package image

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/stream"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/klauspost/pgzip"
	"github.com/opencontainers/go-digest"
	"go.podman.io/storage"
	"go.podman.io/storage/pkg/archive"
)

// pushImage is a local image as go-containerregistry's writer sees it:
// the stored configuration byte for byte (so the image ID survives), and
// layers that are either blobs the registry has already (described by
// their descriptors) or streams compressed from storage as they upload.
// Its manifest exists only once every streamed layer is done; until then
// Digest and RawManifest return stream.ErrNotComputed, which tells the
// writer to upload the layers first.
type pushImage struct {
	config    []byte
	layers    []v1.Layer
	mediaType types.MediaType // of the manifest
	// stored is the manifest the image was pulled with; it is pushed as
	// it is when it describes exactly the blobs pushed, so the digest
	// stays the same.
	stored []byte
}

// configMediaType is the configuration's type in the manifest's family.
func (p *pushImage) configMediaType() types.MediaType {
	if p.mediaType == types.DockerManifestSchema2 {
		return types.DockerConfigJSON
	}
	return types.OCIConfigJSON
}

func (p *pushImage) Layers() ([]v1.Layer, error)         { return p.layers, nil }
func (p *pushImage) MediaType() (types.MediaType, error) { return p.mediaType, nil }
func (p *pushImage) RawConfigFile() ([]byte, error)      { return p.config, nil }
func (p *pushImage) ConfigName() (v1.Hash, error) {
	return v1.NewHash(digest.FromBytes(p.config).String())
}
func (p *pushImage) ConfigFile() (*v1.ConfigFile, error) {
	return v1.ParseConfigFile(bytes.NewReader(p.config))
}
func (p *pushImage) LayerByDiffID(h v1.Hash) (v1.Layer, error) {
	return p.find(func(l v1.Layer) (v1.Hash, error) { return l.DiffID() }, h)
}

func (p *pushImage) LayerByDigest(h v1.Hash) (v1.Layer, error) {
	if cn, _ := p.ConfigName(); cn == h {
		return configLayer{p.config, p.configMediaType()}, nil
	}
	return p.find(func(l v1.Layer) (v1.Hash, error) { return l.Digest() }, h)
}

func (p *pushImage) find(key func(v1.Layer) (v1.Hash, error), h v1.Hash) (v1.Layer, error) {
	for _, l := range p.layers {
		if k, err := key(l); err == nil && k == h {
			return l, nil
		}
	}
	return nil, fmt.Errorf("push: no layer %s", h)
}

// RawManifest describes the configuration and layers; stream.ErrNotComputed
// until every layer's digest is known.
func (p *pushImage) RawManifest() ([]byte, error) {
	cd, _ := p.ConfigName()
	m := v1.Manifest{
		SchemaVersion: 2,
		MediaType:     p.mediaType,
		Config:        v1.Descriptor{MediaType: p.configMediaType(), Size: int64(len(p.config)), Digest: cd},
		Layers:        make([]v1.Descriptor, 0, len(p.layers)),
	}
	for _, l := range p.layers {
		d, err := l.Digest()
		if err != nil {
			return nil, err
		}
		size, err := l.Size()
		if err != nil {
			return nil, err
		}
		mt, err := l.MediaType()
		if err != nil {
			return nil, err
		}
		m.Layers = append(m.Layers, v1.Descriptor{MediaType: mt, Size: size, Digest: d})
	}
	if p.stored != nil && sameBlobs(p.stored, &m) {
		return p.stored, nil
	}
	return json.Marshal(m)
}

// sameBlobs reports whether the stored manifest describes m's blobs.
func sameBlobs(stored []byte, m *v1.Manifest) bool {
	var s v1.Manifest
	if err := json.Unmarshal(stored, &s); err != nil || s.MediaType != m.MediaType || s.Config.Digest != m.Config.Digest ||
		len(s.Layers) != len(m.Layers) {
		return false
	}
	for i, l := range s.Layers {
		if l.Digest != m.Layers[i].Digest || l.Size != m.Layers[i].Size || l.MediaType != m.Layers[i].MediaType {
			return false
		}
	}
	return true
}

func (p *pushImage) Manifest() (*v1.Manifest, error) {
	raw, err := p.RawManifest()
	if err != nil {
		return nil, err
	}
	return v1.ParseManifest(bytes.NewReader(raw))
}

func (p *pushImage) Digest() (v1.Hash, error) {
	raw, err := p.RawManifest()
	if err != nil {
		return v1.Hash{}, err
	}
	return v1.NewHash(digest.FromBytes(raw).String())
}

func (p *pushImage) Size() (int64, error) {
	raw, err := p.RawManifest()
	return int64(len(raw)), err
}

// configLayer is the configuration blob as a layer (the writer uploads it
// like one).
type configLayer struct {
	raw []byte
	mt  types.MediaType
}

func (c configLayer) Digest() (v1.Hash, error)            { return v1.NewHash(digest.FromBytes(c.raw).String()) }
func (c configLayer) DiffID() (v1.Hash, error)            { return c.Digest() }
func (c configLayer) Size() (int64, error)                { return int64(len(c.raw)), nil }
func (c configLayer) MediaType() (types.MediaType, error) { return c.mt, nil }
func (c configLayer) Compressed() (io.ReadCloser, error) {
	return io.NopCloser(bytes.NewReader(c.raw)), nil
}
func (c configLayer) Uncompressed() (io.ReadCloser, error) {
	return c.Compressed()
}

// remoteLayer is a blob the registry has: it is described, never read.
type remoteLayer struct {
	desc   v1.Descriptor
	diffID v1.Hash
}

func (r remoteLayer) Digest() (v1.Hash, error)            { return r.desc.Digest, nil }
func (r remoteLayer) DiffID() (v1.Hash, error)            { return r.diffID, nil }
func (r remoteLayer) Size() (int64, error)                { return r.desc.Size, nil }
func (r remoteLayer) MediaType() (types.MediaType, error) { return r.desc.MediaType, nil }
func (r remoteLayer) Compressed() (io.ReadCloser, error) {
	return nil, fmt.Errorf("push: blob %s vanished from the registry during the push", r.desc.Digest)
}
func (r remoteLayer) Uncompressed() (io.ReadCloser, error) { return r.Compressed() }

// storedLayer streams a stored layer, gzip-compressed, hashing both sides:
// the uncompressed side must match the layer's diff ID (damaged storage
// fails the upload before the registry commits the blob), the compressed
// side gives the blob's digest and size once read to the end.
type storedLayer struct {
	st        storage.Store
	layer     *storage.Layer
	mediaType types.MediaType
	row       *progressRow

	mu     sync.Mutex
	digest *v1.Hash
	size   int64
}

func (l *storedLayer) DiffID() (v1.Hash, error) {
	return v1.NewHash(l.layer.UncompressedDigest.String())
}
func (l *storedLayer) MediaType() (types.MediaType, error) { return l.mediaType, nil }

func (l *storedLayer) Digest() (v1.Hash, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.digest == nil {
		return v1.Hash{}, stream.ErrNotComputed
	}
	return *l.digest, nil
}

func (l *storedLayer) Size() (int64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.digest == nil {
		return 0, stream.ErrNotComputed
	}
	return l.size, nil
}

func (l *storedLayer) Uncompressed() (io.ReadCloser, error) {
	uncompressed := archive.Uncompressed
	return l.st.Diff("", l.layer.ID, &storage.DiffOptions{Compression: &uncompressed})
}

// Compressed starts a fresh compression of the layer (the writer may call
// it again to retry an upload).
func (l *storedLayer) Compressed() (io.ReadCloser, error) {
	diff, err := l.Uncompressed()
	if err != nil {
		return nil, fmt.Errorf("layer %.12s: %w", l.layer.ID, classify(err))
	}
	if l.row != nil {
		l.row.n.Store(0)
		l.row.setState(stateUploading)
	}
	pr, pw := io.Pipe()
	go func() {
		defer diff.Close()
		pw.CloseWithError(l.compress(diff, pw)) // nil closes with EOF
	}()
	return pr, nil
}

// compress writes the gzip stream of diff to out and, when all is well,
// records its digest and size.
func (l *storedLayer) compress(diff io.Reader, out io.Writer) error {
	blobHash, diffHash := sha256.New(), sha256.New()
	n := &countingWriter{}
	sink := io.MultiWriter(out, blobHash, n)
	if l.row != nil {
		sink = io.MultiWriter(sink, rowWriter{l.row})
	}
	zw := pgzip.NewWriter(sink)
	if _, err := io.Copy(zw, io.TeeReader(diff, diffHash)); err != nil {
		return fmt.Errorf("layer %.12s: %w", l.layer.ID, err)
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if got := digest.NewDigest(digest.SHA256, diffHash); got != l.layer.UncompressedDigest {
		return fmt.Errorf("layer %.12s: storage returned content with digest %s, expected %s", l.layer.ID, got, l.layer.UncompressedDigest)
	}
	h := v1.Hash{Algorithm: "sha256", Hex: fmt.Sprintf("%x", blobHash.Sum(nil))}
	l.mu.Lock()
	l.digest, l.size = &h, n.n
	l.mu.Unlock()
	if l.row != nil {
		l.row.setState(stateDone)
	}
	return nil
}

// rowWriter counts bytes into a progress row.
type rowWriter struct{ r *progressRow }

func (w rowWriter) Write(p []byte) (int, error) { w.r.add(len(p)); return len(p), nil }
