package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"os"
	"runtime"
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/hutchctr/hutch/internal/testutil"
)

// bigImage is the pull benchmark's image: deterministic content in gzip
// layers, kept in memory (the compressed blobs) so the machine-limit
// measurements decompress exactly what the engines download.
type bigImage struct {
	img v1.Image
	// compressed are the layer blobs; uncompressed their tar sizes.
	compressed   [][]byte
	uncompressed []int64
}

// fileSize is the size of each file in the generated layers: large enough
// that extraction is dominated by data, not by creating files, as in the
// big layers (runtimes, models, toolchains) where pull speed matters.
const fileSize = 1 << 20

// genBigImage builds an image of layers layers holding about totalMB
// MiB of files in all. Each file is half pseudo-random bytes and half
// pseudo-random text from a small vocabulary: gzip shrinks the whole to
// about 60-65%, like typical binaries and text in real images, so both
// the download and the decompression carry real work. The same arguments
// always give the same image (seeded generators).
func genBigImage(layers, totalMB int) (*bigImage, error) {
	perLayer := max(totalMB/layers, 1)
	b := &bigImage{compressed: make([][]byte, layers), uncompressed: make([]int64, layers)}
	diffIDs := make([]v1.Hash, layers)
	errs := make([]error, layers)
	var wg sync.WaitGroup
	for i := range layers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b.compressed[i], b.uncompressed[i], diffIDs[i], errs[i] = genLayer(uint64(i+1), perLayer)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	cfg := &v1.ConfigFile{
		Architecture: runtime.GOARCH, OS: "linux", Created: v1.Time{Time: testutil.Epoch()},
		Config: v1.Config{Env: []string{testutil.DefaultPath}, Cmd: []string{"sh"}},
		RootFS: v1.RootFS{Type: "layers", DiffIDs: diffIDs},
	}
	var ls []v1.Layer
	for i := range layers {
		blob := b.compressed[i]
		l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
			return io.NopCloser(bytes.NewReader(blob)), nil
		}, tarball.WithMediaType(types.OCILayer))
		if err != nil {
			return nil, fmt.Errorf("big image layer: %w", err)
		}
		ls = append(ls, l)
		cfg.History = append(cfg.History, v1.History{Created: cfg.Created, CreatedBy: fmt.Sprintf("bench layer %d", i)})
	}
	img, err := mutate.AppendLayers(img, ls...)
	if err != nil {
		return nil, fmt.Errorf("big image: %w", err)
	}
	if b.img, err = mutate.ConfigFile(img, cfg); err != nil {
		return nil, fmt.Errorf("big image: %w", err)
	}
	return b, nil
}

// genLayer writes one layer of mb files of fileSize and returns the gzip
// blob, the tar's size and its digest (the diff ID).
func genLayer(seed uint64, mb int) ([]byte, int64, v1.Hash, error) {
	rng := mrand.NewChaCha8([32]byte{byte(seed), 'h', 'u', 't', 'c', 'h'})
	var blob bytes.Buffer
	zw := gzip.NewWriter(&blob)
	diff := sha256.New()
	counted := &countWriter{w: io.MultiWriter(zw, diff)}
	tw := tar.NewWriter(counted)
	buf := make([]byte, fileSize)
	for f := range mb {
		fillFile(rng, buf)
		h := &tar.Header{Name: fmt.Sprintf("data/%d/file-%03d", seed, f), Mode: 0o644, Size: fileSize,
			ModTime: testutil.Epoch(), Typeflag: tar.TypeReg}
		if err := tw.WriteHeader(h); err != nil {
			return nil, 0, v1.Hash{}, err
		}
		if _, err := tw.Write(buf); err != nil {
			return nil, 0, v1.Hash{}, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, 0, v1.Hash{}, err
	}
	if err := zw.Close(); err != nil {
		return nil, 0, v1.Hash{}, err
	}
	return blob.Bytes(), counted.n, v1.Hash{Algorithm: "sha256", Hex: fmt.Sprintf("%x", diff.Sum(nil))}, nil
}

// words are the vocabulary of the text half of every file.
var words = []string{"container", "layer", "image", "registry", "digest", "manifest", "hutch", "podman",
	"overlay", "namespace", "the", "of", "and", "to", "in", "is", "for", "with", "on", "blob", "storage"}

// fillFile fills buf: random bytes, then text.
func fillFile(rng *mrand.ChaCha8, buf []byte) {
	half := len(buf) / 2
	rng.Read(buf[:half])
	r := mrand.New(rng)
	i := half
	for i < len(buf) {
		w := words[r.IntN(len(words))]
		i += copy(buf[i:], w)
		if i < len(buf) {
			buf[i] = " \n"[r.IntN(2)]
			i++
		}
	}
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// sizes returns the total compressed and uncompressed bytes.
func (b *bigImage) sizes() (compressed, uncompressed int64) {
	for i := range b.compressed {
		compressed += int64(len(b.compressed[i]))
		uncompressed += b.uncompressed[i]
	}
	return compressed, uncompressed
}

// writeManyImages writes a docker archive holding n images named
// localhost/bench-many-NNN:latest: the busybox fixture layer, shared,
// plus a small layer of each image's own.
func writeManyImages(path string, n int) error {
	var raws []testutil.RawImage
	for i := range n {
		own := testutil.MustTar(testutil.Entry{Name: "etc/bench-id", Body: fmt.Appendf(nil, "%d\n", i)})
		img, err := testutil.BusyboxImage(testutil.WithLayer(own))
		if err != nil {
			return fmt.Errorf("image %d: %w", i, err)
		}
		raw, err := testutil.RawFromImage(img, false)
		if err != nil {
			return fmt.Errorf("image %d: %w", i, err)
		}
		raw.Ref = fmt.Sprintf("localhost/bench-many-%03d:latest", i)
		raws = append(raws, raw)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	tw := tar.NewWriter(f)
	for _, file := range testutil.DockerArchiveFiles(raws...) {
		h := &tar.Header{Name: file.Name, Mode: 0o644, Size: int64(len(file.Body)), ModTime: testutil.Epoch(), Typeflag: tar.TypeReg}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if _, err := tw.Write(file.Body); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return f.Close()
}
