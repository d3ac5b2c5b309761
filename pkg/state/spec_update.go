package state

import (
	"encoding/json"
	"fmt"
	"path/filepath"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// UpdateSpec applies fn to a copy of the container's runtime spec (loaded
// if the handle has none yet) and writes it, for the next start: `hutch
// update` changes the limits of a container that does not run this way.
// The spec is written like at create: durably, unless the container is
// removed when it exits.
func (h *Handle) UpdateSpec(fn func(*specs.Spec) error) error {
	if err := h.s.LoadSpec(&h.Container); err != nil {
		return err
	}
	// A deep copy through JSON: fn must not change the handle's spec
	// if it fails, or if the write does.
	var next specs.Spec
	if err := copyJSON(h.Config.Spec, &next); err != nil {
		return err
	}
	if err := fn(&next); err != nil {
		return err
	}
	d := durable
	if h.Config.AutoRemove {
		d = volatile
	}
	if err := writeJSON(filepath.Join(h.s.Dir(h.ID()), specFile), &next, d); err != nil {
		return err
	}
	h.Config.Spec = &next
	return nil
}

// copyJSON deep-copies src into dst through its JSON form.
func copyJSON(src, dst any) error {
	data, err := json.Marshal(src)
	if err != nil {
		return fmt.Errorf("copy runtime spec: %w", err)
	}
	return json.Unmarshal(data, dst)
}
