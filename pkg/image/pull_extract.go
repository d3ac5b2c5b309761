package image

import (
	"archive/tar"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"

	"github.com/hutchctr/hutch/internal/crc64iso"
	"github.com/hutchctr/hutch/pkg/untar"
	"github.com/opencontainers/go-digest"
	tstar "github.com/vbatts/tar-split/archive/tar"
	tsstorage "github.com/vbatts/tar-split/tar/storage"
	"go.podman.io/storage/pkg/archive"
)

// extractLayer reads a layer blob once and does everything a pull needs
// with it, in the calling goroutine (the decompressor reads ahead in its
// own):
//
//	blob ─tee(blob sha256)─> decompress ─tee(diff sha256)─> tar reader ─┬─> validator (each header, before anything is written)
//	                                                                     ├─> tar-split packer (raw headers, payload CRC64s)
//	                                                                     └─> untar.Dir (entries written beneath dest)
//
// This replaces a pipe into storage's tar-split recorder, a second pipe
// into a chrooted extraction process and three tar parsers with one. The
// digests are known only at the end; on a mismatch the caller discards
// dest.
func extractLayer(blob io.Reader, chk layerCheck, x *untar.Dir, ts io.Writer) (layerDigests, error) {
	b := newCheckedBlob(blob, chk)
	dec, err := b.decompress()
	if err != nil {
		return layerDigests{}, err
	}
	defer dec.Close()
	diffHash := sha256.New()
	n := &countingWriter{}
	src := io.TeeReader(dec, io.MultiWriter(diffHash, n))
	if err := unpackChecked(src, x, tsstorage.NewJSONPacker(ts)); err != nil {
		return layerDigests{}, b.explain(err)
	}
	got := layerDigests{diff: digest.NewDigest(digest.SHA256, diffHash), size: n.n}
	if err := b.finish(got.diff); err != nil {
		return layerDigests{}, err
	}
	got.blob = b.digest()
	if err := x.Finish(); err != nil {
		return layerDigests{}, fmt.Errorf("extract layer: %w", err)
	}
	// The layer's files must be on disk before storage records the
	// layer (it fsyncs its own metadata, not our files): after a crash
	// an image is there whole or not at all.
	if err := x.Sync(); err != nil {
		return layerDigests{}, fmt.Errorf("extract layer: %w", err)
	}
	return got, nil
}

// layerDigests is what reading a layer measured: the blob's digest, the
// uncompressed stream's (the diff ID) and its size.
type layerDigests struct {
	blob, diff digest.Digest
	size       int64
}

// unpackChecked walks the tar stream: each header is validated, recorded
// (raw bytes, as tar-split keeps them to rebuild the identical tar) and
// written; each payload is checksummed for tar-split on its way to the
// file. Whatever follows the end-of-archive marker is recorded too: the
// diff ID covers it.
func unpackChecked(src io.Reader, x *untar.Dir, p tsstorage.Packer) error {
	segment := func(b []byte) error {
		if len(b) == 0 {
			return nil
		}
		if _, err := p.AddEntry(tsstorage.Entry{Type: tsstorage.SegmentType, Payload: b}); err != nil {
			return fmt.Errorf("record layer metadata: %w", err)
		}
		return nil
	}
	tr := tstar.NewReader(src)
	tr.RawAccounting = true
	v := newTarValidator()
	for {
		th, err := tr.Next()
		if errors.Is(err, io.EOF) {
			if err := segment(tr.RawBytes()); err != nil {
				return err
			}
			break
		}
		if err != nil {
			return invalid("read tar: %v", err)
		}
		h := stdHeader(th)
		if err := v.check(h); err != nil {
			return err
		}
		if err := segment(tr.RawBytes()); err != nil {
			return err
		}
		csum, err := writeEntry(x, h, tr)
		if err != nil {
			return err
		}
		e := tsstorage.Entry{Type: tsstorage.FileType, Size: th.Size, Payload: csum}
		e.SetName(th.Name)
		if _, err := p.AddEntry(e); err != nil {
			if errors.Is(err, tsstorage.ErrDuplicatePath) {
				return invalid("tar entry %q appears twice in the layer, which containers/storage cannot record", th.Name)
			}
			return fmt.Errorf("record layer metadata: %w", err)
		}
		if err := segment(tr.RawBytes()); err != nil {
			return err
		}
	}
	buf := make([]byte, 32<<10)
	for {
		k, err := src.Read(buf)
		if serr := segment(buf[:k]); serr != nil {
			return serr
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return invalid("read layer: %v", err)
		}
	}
}

// writeEntry writes one entry and returns its payload's CRC64 (nil for an
// empty payload), reading the payload to its end whatever the type.
func writeEntry(x *untar.Dir, h *tar.Header, payload io.Reader) ([]byte, error) {
	if h.Size <= 0 {
		return nil, x.Entry(h, nil)
	}
	c := crc64iso.New() // tar-split's payload checksum, faster

	body := io.TeeReader(payload, c)
	if err := x.Entry(h, body); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, invalid("read tar entry %q: %v", h.Name, err)
		}
		return nil, err
	}
	if _, err := io.Copy(io.Discard, body); err != nil {
		return nil, invalid("read tar entry %q: %v", h.Name, err)
	}
	return c.Sum(nil), nil
}

// stdHeader is tar-split's header as the standard library's type, which
// the validator and untar take.
func stdHeader(h *tstar.Header) *tar.Header {
	return &tar.Header{
		Typeflag: h.Typeflag, Name: h.Name, Linkname: h.Linkname, Size: h.Size, Mode: h.Mode,
		Uid: h.Uid, Gid: h.Gid, Uname: h.Uname, Gname: h.Gname,
		ModTime: h.ModTime, AccessTime: h.AccessTime, ChangeTime: h.ChangeTime,
		Devmajor: h.Devmajor, Devminor: h.Devminor, PAXRecords: h.PAXRecords, Format: tar.Format(h.Format),
	}
}

// untarOptions translates what the overlay driver asks of an extraction,
// or reports that untar cannot do it (ID mappings, forced modes: hutch
// configures neither, but storage's own extractor then does it right).
func untarOptions(o *archive.TarOptions) (untar.Options, bool) {
	if o.ForceMask != nil || len(o.UIDMaps) > 0 || len(o.GIDMaps) > 0 || o.ChownOpts != nil ||
		o.NoLchown || len(o.ExcludePatterns) > 0 || o.NoOverwriteDirNonDir {
		return untar.Options{}, false
	}
	u := untar.Options{
		InUserNS:          o.InUserNS,
		IgnoreChownErrors: o.IgnoreChownErrors,
	}
	switch o.WhiteoutFormat {
	case archive.OverlayWhiteoutFormat:
		u.OverlayWhiteouts, u.OpaqueXattr = true, archive.GetOverlayXattrName("opaque")
	case archive.AUFSWhiteoutFormat:
	default:
		return untar.Options{}, false
	}
	return u, true
}
