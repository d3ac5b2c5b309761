package image

import (
	"compress/gzip"
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/hutchctr/hutch/internal/testutil"
)

// BenchmarkPull pulls a 4-layer image (4 x 50 MB uncompressed, gzip at
// the default level, as registries serve them) from an in-process
// registry on loopback into an empty store, and reports the rates.
//
//	go test -tags ... -run '^$' -bench Pull -benchtime 3x ./pkg/image/
func BenchmarkPull(b *testing.B) {
	testutil.Requires(b, testutil.Root(), inPrivateMountNS(), testutil.Busybox())
	const layers, layerSize = 4, 50 << 20
	var opts []testutil.ImageOption
	var uncompressed int64
	for i := 0; i < layers; i++ {
		raw, err := testutil.DataLayer(fmt.Sprintf("data%d", i), layerSize, int64(i))
		if err != nil {
			b.Fatal(err)
		}
		uncompressed += int64(len(raw))
		opts = append(opts, testutil.WithCompressedLayer(raw, gzip.DefaultCompression))
	}
	img, err := testutil.BusyboxImage(opts...)
	if err != nil {
		b.Fatal(err)
	}
	tr := newTestRegistry(b)
	ref := tr.push(b, "bench/big:1", img)
	compressed := imageBlobBytes(b, img)
	c := tr.client(b, nil)
	b.ResetTimer()
	var total time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		dir := b.TempDir()
		s, err := Open(Options{GraphRoot: filepath.Join(dir, "graph"), RunRoot: filepath.Join(dir, "run")})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		if _, err := s.Pull(context.Background(), ref, PullOptions{Registry: c}); err != nil {
			b.Fatal(err)
		}
		total += time.Since(start)
		b.StopTimer()
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
	}
	per := total.Seconds() / float64(b.N)
	b.ReportMetric(per, "s/pull")
	b.ReportMetric(float64(compressed)/per/1e6, "MB/s-compressed")
	b.ReportMetric(float64(uncompressed)/per/1e6, "MB/s-uncompressed")
	b.Logf("image: %d layers, %.0f MB compressed, %.0f MB uncompressed; %.2f s per pull",
		layers+1, float64(compressed)/1e6, float64(uncompressed)/1e6, per)
}

// imageBlobBytes is the compressed size of img's layers.
func imageBlobBytes(b *testing.B, img v1.Image) int64 {
	m, err := img.Manifest()
	if err != nil {
		b.Fatal(err)
	}
	var n int64
	for _, l := range m.Layers {
		n += l.Size
	}
	return n
}
