package image

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/opencontainers/go-digest"
	"github.com/vbatts/tar-split/tar/asm"
	tsstorage "github.com/vbatts/tar-split/tar/storage"
	"go.podman.io/storage"
	drivers "go.podman.io/storage/drivers"
	"go.podman.io/storage/pkg/archive"
	"go.podman.io/storage/pkg/chrootarchive"
)

// stagedDiffer is a containers/storage Differ: storage's staged-layer API
// (PrepareStagedLayer, then ApplyStagedLayer) hands it an empty staging
// directory of the overlay driver, without the layer store's lock, and it
// extracts a layer there. That lets a pull extract several layers at once,
// each before its parent exists, and commit them in order afterwards.
//
// The stream it reads is a layerStream's output: decompressed, validated
// and hashed on the way; a digest mismatch ends it with an error instead
// of EOF, so the extraction fails and nothing is committed. Like PutLayer,
// the differ records the tar-split metadata (storage rebuilds the exact
// tar from it for save and push) and unpacks in a chroot of the target
// (chrootarchive, as the overlay driver's own extraction).
type stagedDiffer struct {
	src        io.Reader     // uncompressed tar
	blobDigest digest.Digest // recorded as the layer's compressed digest
	diffID     digest.Digest // recorded as its uncompressed digest (verified by the layerStream)
}

// ApplyDiff extracts the layer into dest.
func (d *stagedDiffer) ApplyDiff(dest string, opts *archive.TarOptions, dopts *drivers.DifferOptions) (drivers.DriverWithDifferOutput, error) {
	if dopts == nil || dopts.Format != drivers.DifferOutputFormatDir {
		return drivers.DriverWithDifferOutput{}, errors.New("staged layer: the storage driver wants a layout other than a directory (composefs is not supported)")
	}
	// The tar-split file is a scratch file on the staging directory's
	// file system. It is unlinked at once: storage reads it through the
	// descriptor (ApplyStagedLayer copies it into the layer store and
	// closes it; CleanupStagedLayer closes it), so nothing is left behind
	// by a failure or a kill.
	ts, err := os.CreateTemp(dopts.StagingDirectory, "tar-split-")
	if err != nil {
		return drivers.DriverWithDifferOutput{}, fmt.Errorf("staged layer: %w", err)
	}
	_ = os.Remove(ts.Name())
	size, err := d.extract(dest, opts, ts)
	if err != nil {
		ts.Close()
		return drivers.DriverWithDifferOutput{}, err
	}
	return drivers.DriverWithDifferOutput{
		TarSplit:           ts,
		Size:               size,
		UncompressedDigest: d.diffID,
		CompressedDigest:   d.blobDigest,
	}, nil
}

// extract unpacks the stream into dest and writes its tar-split metadata
// to ts; it returns the stream's size.
func (d *stagedDiffer) extract(dest string, opts *archive.TarOptions, ts *os.File) (size int64, err error) {
	bw := bufio.NewWriterSize(ts, 64<<10)
	n := &countingWriter{}
	payload, done, err := asm.NewInputTarStreamWithDone(io.TeeReader(d.src, n), tsstorage.NewJSONPacker(bw), tsstorage.NewDiscardFilePutter())
	if err != nil {
		return 0, err
	}
	defer func() {
		payload.Close()
		if derr := <-done; derr != nil && err == nil {
			err = fmt.Errorf("record layer metadata: %w", derr)
		}
		if ferr := bw.Flush(); ferr != nil && err == nil {
			err = ferr
		}
	}()
	if err := chrootarchive.UntarUncompressed(payload, dest, opts); err != nil {
		return 0, fmt.Errorf("extract layer: %w", err)
	}
	// Padding after the end-of-archive marker belongs to the layer: the
	// tar-split must hold it, and the layerStream must reach its end to
	// report the digests.
	if _, err := io.Copy(io.Discard, payload); err != nil {
		return 0, err
	}
	return n.n, nil
}

// Close releases nothing: the differ owns no resources after ApplyDiff.
func (d *stagedDiffer) Close() error { return nil }

// stagedLayer is a layer extracted into a staging directory, waiting to
// be committed under its chain ID.
type stagedLayer struct {
	out  *drivers.DriverWithDifferOutput
	opts *drivers.ApplyDiffWithDifferOpts
}

// stageLayer streams blob through the checks into a staging directory.
// On error nothing of it remains.
func (s *Store) stageLayer(ctx context.Context, blob io.Reader, chk layerCheck) (*stagedLayer, error) {
	ls := startLayerStream(blob, chk)
	opts := &drivers.ApplyDiffWithDifferOpts{}
	out, perr := s.st.PrepareStagedLayer(opts, &stagedDiffer{src: ls.pr, blobDigest: chk.blobDigest, diffID: chk.diffID})
	verr := ls.finish()
	if err := errors.Join(verr, perr); err != nil {
		if out != nil && out.Target != "" {
			_ = s.st.CleanupStagedLayer(out) // best effort: storage prunes stale staging directories too
		}
		if verr != nil {
			return nil, verr // the checks' verdict explains the extraction's failure
		}
		if cerr := ctx.Err(); cerr != nil {
			return nil, cerr
		}
		return nil, perr
	}
	return &stagedLayer{out: out, opts: opts}, nil
}

// discard removes a staged layer that will not be committed.
func (s *Store) discard(sl *stagedLayer) {
	if sl != nil {
		_ = s.st.CleanupStagedLayer(sl.out) // best effort, as in stageLayer
	}
}

// commitStaged moves a staged layer into the store as layer id on parent.
func (s *Store) commitStaged(sl *stagedLayer, id, parent string) (*storage.Layer, error) {
	l, err := s.st.ApplyStagedLayer(storage.ApplyStagedLayerOptions{
		ID: id, ParentLayer: parent, DiffOutput: sl.out, DiffOptions: sl.opts,
	})
	if err != nil {
		return nil, fmt.Errorf("store layer %.12s: %w", id, classify(err))
	}
	return l, nil
}
