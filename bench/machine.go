package main

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/klauspost/compress/gzip"
)

// machineRates are this machine's limits for a pull of the big image,
// measured in the same run: a pull cannot beat decompressing its layers
// (at best one core per layer) or writing their content to disk.
type machineRates struct {
	// gunzipOne is one stream's decompression rate (MB/s of output).
	gunzipOne float64
	// gunzipAll is the time to decompress every layer, one goroutine per
	// layer, and gunzipAllRate its rate.
	gunzipAll     time.Duration
	gunzipAllRate float64
	// write is the time to write the image's uncompressed size to a file
	// in the benchmark's directory and fsync it, and writeRate its rate.
	write     time.Duration
	writeRate float64
	// verifyAll is the time to do the CPU work no verified pull can skip
	// (the blob's SHA-256, gunzip, the diff ID's SHA-256) for every layer
	// at once, one goroutine per layer, and verifyAllRate its rate; an
	// informational floor next to the goal's limit, which counts
	// decompression only.
	verifyAll     time.Duration
	verifyAllRate float64
}

// limit is the shortest time a pull of the image could take here, as the
// goal defines it.
func (m machineRates) limit() time.Duration { return max(m.gunzipAll, m.write) }

// verifiedLimit is the same with the digests a pull must check counted.
func (m machineRates) verifiedLimit() time.Duration { return max(m.verifyAll, m.write) }

const mb = 1 << 20

// measureMachine times decompression (klauspost/compress's gzip, the
// decoder containers/image and hutch use) of the image's own blobs from
// memory, and a sequential write with fsync in dir. Each is measured
// three times and the fastest kept: the limit is what the machine can do,
// and other load on it only ever slows a measurement down.
func measureMachine(dir string, b *bigImage) (machineRates, error) {
	var m machineRates
	_, total := b.sizes()
	one, err := fastest(func() error { return gunzip(b.compressed[0]) })
	if err != nil {
		return m, err
	}
	m.gunzipOne = float64(b.uncompressed[0]) / mb / one.Seconds()
	if m.gunzipAll, err = fastest(func() error { return eachBlob(b.compressed, gunzip) }); err != nil {
		return m, err
	}
	m.gunzipAllRate = float64(total) / mb / m.gunzipAll.Seconds()
	if m.verifyAll, err = fastest(func() error { return eachBlob(b.compressed, gunzipVerified) }); err != nil {
		return m, err
	}
	m.verifyAllRate = float64(total) / mb / m.verifyAll.Seconds()
	// A new file each time, removed afterwards: truncating or removing a
	// big file takes time too, which is not the write rate.
	runs := 0
	defer func() {
		for i := range runs {
			os.Remove(filepath.Join(dir, fmt.Sprintf("write-test-%d", i)))
		}
	}()
	m.write, err = fastest(func() error {
		runs++
		return writeFile(filepath.Join(dir, fmt.Sprintf("write-test-%d", runs-1)), total)
	})
	if err != nil {
		return m, err
	}
	m.writeRate = float64(total) / mb / m.write.Seconds()
	return m, nil
}

// fastest runs f three times and returns its shortest run.
func fastest(f func() error) (time.Duration, error) {
	best := time.Duration(0)
	for range 3 {
		start := time.Now()
		if err := f(); err != nil {
			return 0, err
		}
		if d := time.Since(start); best == 0 || d < best {
			best = d
		}
	}
	return best, nil
}

// eachBlob runs f on every blob, each in its own goroutine.
func eachBlob(blobs [][]byte, f func([]byte) error) error {
	errs := make([]error, len(blobs))
	var wg sync.WaitGroup
	for i, blob := range blobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = f(blob)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// gunzipVerified hashes blob, decompresses it and hashes the output: what
// a pull must do to verify a layer, without the writing.
func gunzipVerified(blob []byte) error {
	_ = sha256.Sum256(blob)
	zr, err := gzip.NewReader(bytes.NewReader(blob))
	if err != nil {
		return fmt.Errorf("gunzip: %w", err)
	}
	h := sha256.New()
	if _, err := io.Copy(h, zr); err != nil {
		return fmt.Errorf("gunzip: %w", err)
	}
	_ = h.Sum(nil)
	return zr.Close()
}

func gunzip(blob []byte) error {
	zr, err := gzip.NewReader(bytes.NewReader(blob))
	if err != nil {
		return fmt.Errorf("gunzip: %w", err)
	}
	if _, err := io.Copy(io.Discard, zr); err != nil {
		return fmt.Errorf("gunzip: %w", err)
	}
	return zr.Close()
}

// writeFile writes size bytes (in 1 MiB writes of non-zero data) to a new
// file at path and fsyncs it.
func writeFile(path string, size int64) error {
	buf := bytes.Repeat([]byte("hutch-bench-write"), mb/16)[:mb]
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("write test: %w", err)
	}
	defer f.Close()
	for n := int64(0); n < size; n += mb {
		if _, err := f.Write(buf); err != nil {
			return fmt.Errorf("write test: %w", err)
		}
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("write test: %w", err)
	}
	return nil
}
