package image

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/hutchctr/hutch/pkg/errdefs"
	"github.com/hutchctr/hutch/pkg/untar"
	"github.com/vbatts/tar-split/tar/asm"
	tsstorage "github.com/vbatts/tar-split/tar/storage"
	"go.podman.io/storage"
	drivers "go.podman.io/storage/drivers"
	"go.podman.io/storage/pkg/archive"
	"go.podman.io/storage/pkg/chrootarchive"
	"golang.org/x/sys/unix"
)

// stagedDiffer is a containers/storage Differ: storage's staged-layer API
// (PrepareStagedLayer, then ApplyStagedLayer) hands it an empty staging
// directory of the overlay driver, without the layer store's lock, and it
// extracts a layer there. That lets a pull extract several layers at once,
// each before its parent exists, and commit them in order afterwards.
//
// It reads the compressed blob itself (extractLayer: one pass verifies
// the digests and every header, records the tar-split metadata storage
// rebuilds the exact tar from for save and push, and writes the entries
// beneath the staging directory with untar). A kernel without openat2,
// or options untar does not implement, take the older path: a layerStream
// into tar-split's recorder and storage's chrooted extraction.
type stagedDiffer struct {
	blob io.Reader // the compressed blob
	chk  layerCheck
	// err is the extraction's own error: storage may wrap what ApplyDiff
	// returns, and the checks' verdict is reported as it is.
	err error
	// called is set once storage hands over a staging directory; before
	// that, blob is untouched.
	called bool
}

// ApplyDiff extracts the layer into dest.
func (d *stagedDiffer) ApplyDiff(dest string, opts *archive.TarOptions, dopts *drivers.DifferOptions) (drivers.DriverWithDifferOutput, error) {
	d.called = true
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
	got, err := d.extract(dest, opts, ts)
	if err != nil {
		ts.Close()
		d.err = err
		return drivers.DriverWithDifferOutput{}, err
	}
	// The digests are the ones computed (equal to those checked, when the
	// caller knew them: an imported tarball has none).
	return drivers.DriverWithDifferOutput{
		TarSplit:           ts,
		Size:               got.size,
		UncompressedDigest: got.diff,
		CompressedDigest:   got.blob,
	}, nil
}

// extract unpacks the blob into dest and writes its tar-split metadata to
// ts.
func (d *stagedDiffer) extract(dest string, opts *archive.TarOptions, ts *os.File) (layerDigests, error) {
	bw := bufio.NewWriterSize(ts, 64<<10)
	uo, ok := untarOptions(opts)
	if !ok {
		return d.extractInChroot(dest, opts, bw)
	}
	x, err := untar.Open(dest, uo)
	if errors.Is(err, untar.ErrUnsupported) {
		return d.extractInChroot(dest, opts, bw)
	}
	if err != nil {
		return layerDigests{}, fmt.Errorf("extract layer: %w", err)
	}
	defer x.Close()
	got, err := extractLayer(d.blob, d.chk, x, bw)
	if err != nil {
		return layerDigests{}, err
	}
	if err := bw.Flush(); err != nil {
		return layerDigests{}, fmt.Errorf("record layer metadata: %w", err)
	}
	return got, nil
}

// extractInChroot is the fallback: the layerStream checks the blob in
// its own goroutine, tar-split records what passes, and storage extracts
// it in a chroot of dest.
func (d *stagedDiffer) extractInChroot(dest string, opts *archive.TarOptions, bw *bufio.Writer) (got layerDigests, err error) {
	ls := startLayerStream(d.blob, d.chk)
	defer func() {
		// Last, once the stream has ended: the checks' verdict explains
		// the extraction's failure, and the digests are known.
		if verr := ls.finish(); verr != nil {
			got, err = layerDigests{}, verr
		} else if err == nil {
			got = layerDigests{blob: ls.blobDigest, diff: ls.diffID, size: ls.size}
		}
	}()
	payload, done, err := asm.NewInputTarStreamWithDone(ls.pr, tsstorage.NewJSONPacker(bw), tsstorage.NewDiscardFilePutter())
	if err != nil {
		return layerDigests{}, err
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
		return layerDigests{}, fmt.Errorf("extract layer: %w", err)
	}
	// Padding after the end-of-archive marker belongs to the layer: the
	// tar-split must hold it, and the layerStream must reach its end to
	// report the digests.
	if _, err := io.Copy(io.Discard, payload); err != nil {
		return layerDigests{}, err
	}
	// As extractLayer: the files are on disk before the layer is recorded.
	if err := syncfs(dest); err != nil {
		return layerDigests{}, fmt.Errorf("extract layer: %w", err)
	}
	return layerDigests{}, nil // the digests come from the stream, above
}

// syncfs flushes the file system holding dir.
func syncfs(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return unix.Syncfs(int(f.Fd()))
}

// Close releases nothing: the differ owns no resources after ApplyDiff.
func (d *stagedDiffer) Close() error { return nil }

// stagedLayer is a layer extracted into a staging directory, waiting to
// be committed under its chain ID.
type stagedLayer struct {
	out  *drivers.DriverWithDifferOutput
	opts *drivers.ApplyDiffWithDifferOpts
}

// stageLayer streams blob through the checks into a staging directory of
// st. On error nothing of it remains.
//
// The overlay driver creates a staging directory and then locks it; a
// store closing in another process prunes every staging directory it
// can lock, and can take a new one in between, which fails the creator
// with EAGAIN (or ENOENT once the directory is gone). Nothing was read
// then, so the attempt is simply repeated.
func stageLayer(ctx context.Context, st storage.Store, blob io.Reader, chk layerCheck) (*stagedLayer, error) {
	const attempts = 5
	for i := 1; ; i++ {
		sl, d, err := stageOnce(st, blob, chk)
		if err == nil {
			return sl, nil
		}
		if d.err != nil {
			err = d.err
		}
		if !d.called && i < attempts && (errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.ENOENT)) && ctx.Err() == nil {
			continue
		}
		if cerr := ctx.Err(); cerr != nil && !errors.Is(err, errdefs.ErrInvalidArgument) {
			return nil, cerr
		}
		return nil, err
	}
}

func stageOnce(st storage.Store, blob io.Reader, chk layerCheck) (*stagedLayer, *stagedDiffer, error) {
	opts := &drivers.ApplyDiffWithDifferOpts{}
	d := &stagedDiffer{blob: blob, chk: chk}
	out, err := st.PrepareStagedLayer(opts, d)
	if err != nil {
		if out != nil && out.Target != "" {
			_ = st.CleanupStagedLayer(out) // best effort: storage prunes stale staging directories too
		}
		return nil, d, err
	}
	return &stagedLayer{out: out, opts: opts}, d, nil
}

// discardStaged removes a staged layer that will not be committed.
func discardStaged(st storage.Store, sl *stagedLayer) {
	if sl != nil {
		_ = st.CleanupStagedLayer(sl.out) // best effort, as in stageLayer
	}
}

// commitStaged moves a staged layer into st as layer id on parent. The
// caller holds the layer lock (commitLockName) and has checked that no
// such layer exists: storage's ApplyStagedLayer would replace its files.
// On error the staged layer is discarded.
func commitStaged(st storage.Store, sl *stagedLayer, id, parent string) (*storage.Layer, error) {
	l, err := st.ApplyStagedLayer(storage.ApplyStagedLayerOptions{
		ID: id, ParentLayer: parent, DiffOutput: sl.out, DiffOptions: sl.opts,
	})
	if err != nil {
		discardStaged(st, sl)
		return nil, fmt.Errorf("store layer %.12s: %w", id, classify(err))
	}
	// The staging directory is empty now (its content became the layer);
	// storage would remove it only when the store shuts down.
	_ = os.Remove(filepath.Dir(sl.out.Target))
	return l, nil
}
