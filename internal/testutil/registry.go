package testutil

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"math/rand"

	"github.com/google/go-containerregistry/pkg/compression"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// WithPlatform sets the configuration's OS, architecture and variant (for
// the entries of a multi-platform index).
func WithPlatform(os, arch, variant string) ImageOption {
	return func(c *v1.ConfigFile, _ *[]v1.Layer) error {
		c.OS, c.Architecture, c.Variant = os, arch, variant
		return nil
	}
}

// WithCompressedLayer appends a layer given as its uncompressed tar and
// compressed with gzip at level (gzip.BestSpeed keeps big fixtures quick to
// build; the registry serves the same bytes every time).
func WithCompressedLayer(uncompressed []byte, level int) ImageOption {
	return func(_ *v1.ConfigFile, ls *[]v1.Layer) error {
		l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
			return io.NopCloser(bytes.NewReader(uncompressed)), nil
		}, tarball.WithMediaType(types.OCILayer), tarball.WithCompressionLevel(level))
		if err != nil {
			return err
		}
		*ls = append(*ls, l)
		return nil
	}
}

// DataLayer returns an uncompressed tar holding the directory dir with
// files of size bytes in total, content reproducible from seed and about
// as compressible as binaries (gzip shrinks it to roughly 40%).
func DataLayer(dir string, size int64, seed int64) ([]byte, error) {
	const fileSize = 4 << 20
	rng := rand.New(rand.NewSource(seed))
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if err := tw.WriteHeader(&tar.Header{Name: dir + "/", Typeflag: tar.TypeDir, Mode: 0o755, ModTime: Epoch()}); err != nil {
		return nil, err
	}
	block := make([]byte, 4096)
	for i := 0; size > 0; i++ {
		n := min(size, fileSize)
		h := &tar.Header{Name: fmt.Sprintf("%s/f%04d", dir, i), Typeflag: tar.TypeReg, Mode: 0o644, Size: n, ModTime: Epoch()}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		for left := n; left > 0; left -= int64(len(block)) {
			// Half random bytes, half a repeated pattern.
			rng.Read(block[:len(block)/2])
			for j := len(block) / 2; j < len(block); j++ {
				block[j] = byte(j % 7)
			}
			if _, err := tw.Write(block[:min(left, int64(len(block)))]); err != nil {
				return nil, err
			}
		}
		size -= n
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// PlatformIndex returns an OCI index of imgs, each entry with its
// configuration's platform.
func PlatformIndex(imgs ...v1.Image) (v1.ImageIndex, error) {
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, img := range imgs {
		cf, err := img.ConfigFile()
		if err != nil {
			return nil, err
		}
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{
			Add: img,
			Descriptor: v1.Descriptor{Platform: &v1.Platform{
				OS: cf.OS, Architecture: cf.Architecture, Variant: cf.Variant,
			}},
		})
	}
	return idx, nil
}

// GzipBestSpeed is gzip.BestSpeed, for WithCompressedLayer callers that do
// not import compress/gzip.
const GzipBestSpeed = gzip.BestSpeed

// WithZstdLayer appends a layer given as its uncompressed tar, compressed
// with zstd (media type application/vnd.oci.image.layer.v1.tar+zstd).
func WithZstdLayer(uncompressed []byte) ImageOption {
	return func(_ *v1.ConfigFile, ls *[]v1.Layer) error {
		l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
			return io.NopCloser(bytes.NewReader(uncompressed)), nil
		}, tarball.WithCompression(compression.ZStd), tarball.WithMediaType(types.OCILayerZStd))
		if err != nil {
			return err
		}
		*ls = append(*ls, l)
		return nil
	}
}
