package image

import (
	"context"
	"io"

	"github.com/opencontainers/go-digest"
	"go.podman.io/storage"
)

// txn records what a load or import added to storage, so that a failure
// can remove it all: nothing is left behind by a rejected archive.
type txn struct {
	st storage.Store
	// lock takes the layer lock (Store.lockLayers) for a commit; required
	// by putLayer.
	lock   func(context.Context) (func(), error)
	layers []string // created by this operation, bottom first
	images []string
}

// rollback deletes the images and then the layers the operation created,
// newest first. Layers another image started using meanwhile stay (storage
// refuses to delete them).
func (t *txn) rollback() {
	// Under the layer lock: a pull checks there that a layer it reused
	// is still stored before its image makes the layer undeletable.
	if t.lock != nil {
		if release, err := t.lock(context.Background()); err == nil {
			defer release()
		}
	}
	for i := len(t.images) - 1; i >= 0; i-- {
		_, _ = t.st.DeleteImage(t.images[i], true) // best effort: the original error is what matters
	}
	for i := len(t.layers) - 1; i >= 0; i-- {
		_ = t.st.DeleteLayer(t.layers[i]) // best effort, as above
	}
}

// chainID is the OCI chain ID of a layer with the given diff ID on top of
// parentChain ("" for a base layer). hutch stores layers under their chain
// IDs, so two images with the same layer stack share the layers.
func chainID(parentChain string, diffID digest.Digest) string {
	if parentChain == "" {
		return diffID.Encoded()
	}
	return digest.FromString("sha256:" + parentChain + " " + diffID.String()).Encoded()
}

// reusable returns a stored layer with the expected parent and content:
// the layer id, or another with the same diff ID on the same parent (an
// imported layer has a storage-chosen ID).
func (t *txn) reusable(id, parent string, diffID digest.Digest) (*storage.Layer, bool) {
	if l, err := t.st.Layer(id); err == nil && l.Parent == parent && l.UncompressedDigest == diffID {
		return l, true
	}
	same, err := t.st.LayersByUncompressedDigest(diffID)
	if err != nil {
		return nil, false
	}
	for i := range same {
		if same[i].Parent == parent {
			return &same[i], true
		}
	}
	return nil, false
}

// putLayer stores blob, verified against chk, as layer id on parent, or
// under its chain ID when id is "" (an imported tarball, whose diff ID is
// known only once it is read). A stored layer with the same content on
// the same parent is reused; when id is given, that is checked first and
// blob is not read. The blob is extracted into a staging directory and
// synced without any lock, then committed under the layer lock, as pulls
// commit theirs. On error nothing of the layer remains.
func (t *txn) putLayer(ctx context.Context, id, parent string, blob io.Reader, chk layerCheck) (*storage.Layer, error) {
	if id != "" {
		if l, ok := t.reusable(id, parent, chk.diffID); ok {
			return l, nil
		}
	}
	sl, err := stageLayer(ctx, t.st, blob, chk)
	if err != nil {
		return nil, err
	}
	diffID := sl.out.UncompressedDigest
	if id == "" {
		id = chainID(parent, diffID)
	}
	release, err := t.lock(ctx)
	if err != nil {
		discardStaged(t.st, sl)
		return nil, err
	}
	defer release()
	if l, ok := t.reusable(id, parent, diffID); ok {
		discardStaged(t.st, sl) // another load or pull stored it meanwhile
		return l, nil
	}
	l, err := commitStaged(t.st, sl, id, parent)
	if err != nil {
		return nil, err
	}
	t.layers = append(t.layers, l.ID)
	return l, nil
}
