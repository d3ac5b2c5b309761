package state

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/hutchctr/hutch/pkg/errdefs"
)

// ID is the container's ID.
func (h *Handle) ID() string { return h.Config.ID }

// Unlock releases the record. The Handle must not be used afterwards.
func (h *Handle) Unlock() {
	if h.lock != nil {
		h.lock.Unlock()
		h.lock = nil
	}
}

// Update applies fn to a copy of the state and writes it. A change of Status
// must be allowed by the transition table.
func (h *Handle) Update(fn func(*State) error) error {
	next := h.State
	if err := fn(&next); err != nil {
		return err
	}
	if next.Status != h.State.Status {
		if err := h.State.Status.CanTransition(next.Status); err != nil {
			return fmt.Errorf("container %s: %w", h.Config.Name, err)
		}
	}
	if err := writeJSON(filepath.Join(h.s.Dir(h.ID()), stateFile), &next, volatile); err != nil {
		return err
	}
	h.State = next
	return nil
}

// UpdateNetwork changes the network plan template of the container
// (network connect and disconnect): the one part of Config, besides the
// name, that changes after create. The spec is not touched.
func (h *Handle) UpdateNetwork(fn func(*Config) error) error {
	cfg := h.Config
	if err := fn(&cfg); err != nil {
		return err
	}
	cfg.ID, cfg.Name, cfg.Spec = h.Config.ID, h.Config.Name, h.Config.Spec
	if err := writeJSON(filepath.Join(h.s.Dir(h.ID()), configFile), &cfg, durable); err != nil {
		return err
	}
	h.Config = cfg
	return nil
}

// Rename gives the container a new name, reserving it first so that the
// container never has no name.
func (h *Handle) Rename(name string) error {
	if err := ValidateName(name); err != nil {
		return err
	}
	if name == h.Config.Name {
		return nil
	}
	if err := h.s.reserveName(name, h.ID(), true); err != nil {
		return err
	}
	cfg := h.Config
	cfg.Name = name
	if err := writeJSON(filepath.Join(h.s.Dir(h.ID()), configFile), &cfg, durable); err != nil {
		h.s.releaseName(name, h.ID())
		return err
	}
	h.s.releaseName(h.Config.Name, h.ID())
	h.Config = cfg
	return nil
}

// Delete removes the record and its name. The directory is first renamed
// to trash, atomically, so a crash never leaves half a record; the name goes
// last, and a name left without a directory is reclaimed by the next create.
func (h *Handle) Delete() error {
	id := h.ID()
	trash := filepath.Join(h.s.containersDir(), trashPrefix+id)
	if err := os.Rename(h.s.Dir(id), trash); err != nil {
		if os.IsNotExist(err) {
			return fmt.Errorf("container %s: %w", shortID(id), errdefs.ErrNotFound)
		}
		return fmt.Errorf("remove container %s: %w", shortID(id), err)
	}
	h.Unlock()
	if err := os.RemoveAll(trash); err != nil {
		return fmt.Errorf("remove container %s: %w", shortID(id), err)
	}
	if h.Config.Name != "" {
		h.s.releaseName(h.Config.Name, id)
	}
	os.RemoveAll(h.s.RunDir(id))
	return nil
}
