package image

import (
	"context"
	"fmt"
	"slices"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// HistoryEntry is one step of an image's history (a Dockerfile
// instruction, say).
type HistoryEntry struct {
	// ID is the image's ID on the newest entry and "" on older ones,
	// which have no image of their own (Podman prints "<missing>").
	ID string
	// Created is when the step ran; zero when the image does not say.
	Created time.Time
	// CreatedBy is the command of the step.
	CreatedBy string
	// Size is the uncompressed size of the layer the step made, 0 for a
	// step that made none (ENV, CMD, ...).
	Size int64
	// Comment is the step's comment.
	Comment string
	// EmptyLayer is true for a step that made no layer.
	EmptyLayer bool
	// Tags are the image's names, on the newest entry only.
	Tags []string
}

// History returns the history of image ref, newest step first, from its
// configuration, with each layer-making step sized by the layer it made.
// Layers the configuration's history does not account for (an image
// without history, for one) get an entry each with an empty command.
func (s *Store) History(ctx context.Context, ref string) ([]HistoryEntry, error) {
	img, _, err := s.lookup(ref)
	if err != nil {
		return nil, err
	}
	sizes, err := s.layerSizes()
	if err != nil {
		return nil, err
	}
	full, err := s.toImage(img, sizes)
	if err != nil {
		return nil, err
	}
	var chain []int64 // layer sizes, bottom first
	for id := img.TopLayer; id != ""; id = sizes[id].parent {
		chain = append(chain, sizes[id].size)
	}
	slices.Reverse(chain)
	out := historySteps(full.Config.History, chain)
	if len(out) == 0 {
		return nil, fmt.Errorf("image %.12s has no history and no layers", img.ID)
	}
	slices.Reverse(out)
	out[0].ID, out[0].Tags = img.ID, append([]string(nil), img.Names...)
	return out, nil
}

// historySteps pairs the configuration's history (oldest first) with the
// layer sizes (bottom first): each step that made a layer takes the next
// size. Sizes left over become entries of their own.
func historySteps(hist []v1.History, layerSizes []int64) []HistoryEntry {
	out := make([]HistoryEntry, 0, len(hist))
	next := 0
	for _, h := range hist {
		e := HistoryEntry{Created: h.Created.Time, CreatedBy: h.CreatedBy, Comment: h.Comment, EmptyLayer: h.EmptyLayer}
		if !h.EmptyLayer && next < len(layerSizes) {
			e.Size = layerSizes[next]
			next++
		}
		out = append(out, e)
	}
	for ; next < len(layerSizes); next++ {
		out = append(out, HistoryEntry{Size: layerSizes[next]})
	}
	return out
}
