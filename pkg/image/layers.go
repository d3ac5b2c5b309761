package image

import (
	"errors"
	"fmt"
	"io"

	"github.com/opencontainers/go-digest"
	"go.podman.io/storage"
)

// txn records what a load or import added to storage, so that a failure
// can remove it all: nothing is left behind by a rejected archive.
type txn struct {
	st     storage.Store
	layers []string // created by this operation, bottom first
	images []string
}

// rollback deletes the images and then the layers the operation created,
// newest first. Layers another image started using meanwhile stay (storage
// refuses to delete them).
func (t *txn) rollback() {
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

// putLayer streams blob into a new layer id on parent, verifying it against
// chk. A layer that already exists with the same chain ID is reused and blob
// is not read. On error, nothing of the layer remains.
func (t *txn) putLayer(id, parent string, blob io.Reader, chk layerCheck) (*storage.Layer, error) {
	if id != "" {
		if l, ok := t.reusable(id, parent, chk.diffID); ok {
			return l, nil
		}
	}
	ls := startLayerStream(blob, chk)
	layer, _, perr := t.st.PutLayer(id, parent, nil, "", false, nil, ls.pr)
	verr := ls.finish()
	switch {
	case verr != nil:
		if perr == nil {
			_ = t.st.DeleteLayer(layer.ID) // storage accepted what the checks refused
		}
		return nil, verr
	case errors.Is(perr, storage.ErrDuplicateID):
		// Another process stored the same layer meanwhile.
		if l, ok := t.reusable(id, parent, chk.diffID); ok {
			return l, nil
		}
		return nil, fmt.Errorf("store layer %s: %w", id, classify(perr))
	case perr != nil:
		return nil, fmt.Errorf("store layer: %w", classify(perr))
	}
	t.layers = append(t.layers, layer.ID)
	if layer.UncompressedDigest != ls.diffID {
		// storage hashes what it received; a difference would mean the
		// stream was altered between the checks and storage.
		return nil, fmt.Errorf("store layer %s: storage recorded digest %s, hutch read %s", layer.ID, layer.UncompressedDigest, ls.diffID)
	}
	return layer, nil
}
