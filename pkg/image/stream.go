package image

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"

	"github.com/hutchctr/hutch/pkg/errdefs"
	"github.com/opencontainers/go-digest"
	"go.podman.io/storage/pkg/archive"
)

// layerCheck is what a layer's bytes must match. Empty digests are not
// checked (a docker-archive has no blob digests; an imported tarball has no
// expected diff ID).
type layerCheck struct {
	blobDigest digest.Digest // digest of the (possibly compressed) blob
	blobSize   int64         // size of the blob, -1 if unknown
	diffID     digest.Digest // digest of the uncompressed tar
}

// errAbandoned stops a layerStream whose consumer went away.
var errAbandoned = errors.New("layer stream abandoned")

// layerStream turns a layer blob into its uncompressed tar, checking it on
// the way, for the extraction path that cannot read the tar itself
// (stagedDiffer.extractInChroot: tar-split's recorder, then storage's
// chrooted extraction):
//
//	blob ─tee(blob sha256)─> decompress ─tee(diff sha256)─> tar reader ─> validator
//	                                                            │ bytes held until their header is approved
//	                                                            └──────────> pipe ─> consumer
//
// Bytes reach the consumer unchanged, so the tar-split metadata rebuilds a
// tar with the same diff ID. Each entry's header is released only after
// validation. Digests can only be known at the end, so a mismatch closes
// the pipe with an error instead of EOF, and the extraction fails.
type layerStream struct {
	pr   *io.PipeReader
	done chan struct{}
	// Set by run before done is closed.
	err        error
	blobDigest digest.Digest
	diffID     digest.Digest
	size       int64 // uncompressed size
}

func startLayerStream(blob io.Reader, chk layerCheck) *layerStream {
	pr, pw := io.Pipe()
	ls := &layerStream{pr: pr, done: make(chan struct{})}
	go func() {
		defer close(ls.done)
		ls.err = ls.run(blob, chk, pw)
		pw.CloseWithError(ls.err) // nil closes with EOF
	}()
	return ls
}

// finish stops the stream (if the consumer did not read it to the end) and
// returns the validation result.
func (ls *layerStream) finish() error {
	ls.pr.CloseWithError(errAbandoned)
	<-ls.done
	if errors.Is(ls.err, errAbandoned) {
		return nil // the consumer stopped first; its error is the one to report
	}
	return ls.err
}

func (ls *layerStream) run(blob io.Reader, chk layerCheck, out io.Writer) error {
	b := newCheckedBlob(blob, chk)
	dec, err := b.decompress()
	if err != nil {
		return err
	}
	defer dec.Close()
	diffHash := sha256.New()
	g := &gate{src: io.TeeReader(dec, diffHash), out: out}
	if err := g.pass(); err != nil {
		return b.explain(err)
	}
	// Everything after the end-of-archive marker (padding) belongs to the
	// layer too: storage records it and the diff ID covers it.
	if err := g.drain(); err != nil {
		return b.explain(err)
	}
	ls.diffID, ls.size = digest.NewDigest(digest.SHA256, diffHash), g.n
	err = b.finish(ls.diffID)
	ls.blobDigest = b.digest()
	return err
}

// checkedBlob is a layer blob read through its digest and size count.
type checkedBlob struct {
	chk  layerCheck
	hash hash.Hash
	n    countingWriter
	r    io.Reader // the blob, hashed and counted on the way
}

func newCheckedBlob(blob io.Reader, chk layerCheck) *checkedBlob {
	b := &checkedBlob{chk: chk, hash: sha256.New()}
	b.r = io.TeeReader(blob, io.MultiWriter(b.hash, &b.n))
	return b
}

// decompress returns the blob's uncompressed stream (gzip, zstd or none).
func (b *checkedBlob) decompress() (io.ReadCloser, error) {
	dec, err := archive.DecompressStream(b.r)
	if err != nil {
		return nil, b.explain(invalid("decompress: %v", err))
	}
	return dec, nil
}

// explain turns err into the blob's digest mismatch when there is one: a
// corrupt blob usually fails decompression or tar parsing first, and the
// mismatch is the better explanation.
func (b *checkedBlob) explain(err error) error {
	return explainByDigest(err, b.r, b.chk, b.hash, &b.n)
}

// digest is the blob's digest, once finish has read it all.
func (b *checkedBlob) digest() digest.Digest { return digest.NewDigest(digest.SHA256, b.hash) }

// finish reads what the decompressor left of the blob (a gzip trailer,
// concatenated members: the blob digest covers all of it) and checks the
// blob's digest and size and the uncompressed stream's diffID.
func (b *checkedBlob) finish(diffID digest.Digest) error {
	if _, err := io.Copy(io.Discard, b.r); err != nil {
		return invalid("read layer: %v", err)
	}
	return verifyDigests(b.chk, b.digest(), b.n.n, diffID)
}

// explainByDigest reads the rest of a blob whose processing failed with
// err (at most to its announced size) and returns the digest mismatch
// instead of err when there is one. Failures of the consumer (errAbandoned)
// and of reading the blob stay as they are.
func explainByDigest(err error, tee io.Reader, chk layerCheck, h hash.Hash, n *countingWriter) error {
	if chk.blobDigest == "" || errors.Is(err, errAbandoned) {
		return err
	}
	limit := int64(1) << 40
	if chk.blobSize >= 0 {
		limit = chk.blobSize - n.n + 1
	}
	if limit > 0 {
		if _, rerr := io.CopyN(io.Discard, tee, limit); rerr != nil && !errors.Is(rerr, io.EOF) {
			return err
		}
	}
	if got := digest.NewDigest(digest.SHA256, h); got != chk.blobDigest {
		return invalid("blob digest is %s, the manifest says %s", got, chk.blobDigest)
	}
	return err
}

func verifyDigests(chk layerCheck, blob digest.Digest, blobSize int64, diffID digest.Digest) error {
	if chk.blobDigest != "" && blob != chk.blobDigest {
		return invalid("blob digest is %s, the manifest says %s", blob, chk.blobDigest)
	}
	if chk.blobSize >= 0 && chk.blobDigest != "" && blobSize != chk.blobSize {
		return invalid("blob is %d bytes, the manifest says %d", blobSize, chk.blobSize)
	}
	if chk.diffID != "" && diffID != chk.diffID {
		return invalid("uncompressed digest is %s, the image config says %s", diffID, chk.diffID)
	}
	return nil
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), errdefs.ErrInvalidArgument)
}

// gate reads a tar stream and writes the same bytes to out, holding back
// each header until the validator approved it.
type gate struct {
	src     io.Reader
	out     io.Writer
	pending bytes.Buffer
	n       int64
}

// Read feeds the tar reader and remembers what it consumed.
func (g *gate) Read(p []byte) (int, error) {
	n, err := g.src.Read(p)
	g.pending.Write(p[:n])
	g.n += int64(n)
	return n, err
}

func (g *gate) release() error {
	if g.pending.Len() == 0 {
		return nil
	}
	_, err := g.out.Write(g.pending.Bytes())
	g.pending.Reset()
	return err
}

// pass validates and forwards every entry up to the end-of-archive marker.
func (g *gate) pass() error {
	tr := tar.NewReader(g)
	v := newTarValidator()
	buf := make([]byte, 128<<10)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return invalid("read tar: %v", err)
		}
		if err := v.check(h); err != nil {
			return err
		}
		for {
			if err := g.release(); err != nil {
				return err
			}
			n, err := tr.Read(buf)
			if n == 0 && errors.Is(err, io.EOF) {
				break
			}
			if err != nil && !errors.Is(err, io.EOF) {
				return invalid("read tar entry %q: %v", h.Name, err)
			}
		}
	}
}

// drain forwards the rest of the stream.
func (g *gate) drain() error {
	buf := make([]byte, 32<<10)
	for {
		n, err := g.Read(buf)
		if n > 0 {
			if rerr := g.release(); rerr != nil {
				return rerr
			}
		}
		if errors.Is(err, io.EOF) {
			return g.release()
		}
		if err != nil {
			return invalid("read layer: %v", err)
		}
	}
}

type countingWriter struct{ n int64 }

func (c *countingWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }
