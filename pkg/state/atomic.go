package state

import (
	"encoding/json"
	"fmt"

	"github.com/hutchctr/hutch/internal/atomicfile"
	"github.com/hutchctr/hutch/internal/kfile"
)

// durable and volatile say whether a write must survive a power loss
// (fsync of the file and its directory), or only be atomic for readers
// and against crashes of processes. Records of --rm containers and every
// state.json (the state after a reboot is reconciled anyway) need only the
// latter; readers treat a state.json torn by a power loss as an unknown
// exit.
const (
	durable  = atomicfile.Durable
	volatile = atomicfile.Volatile
)

// writeJSON writes v to path atomically: a reader sees the old document or
// the new one, and after a crash of any process the file holds one of the
// two; with durable, also after a power loss.
func writeJSON(path string, v any, d atomicfile.Durability) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s: %w", path, err)
	}
	return atomicfile.Write(path, data, 0o600, d)
}

func readJSON(path string, v any) error {
	data, err := kfile.Read(path) // listings read two per container
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("decode %s: %w", path, err)
	}
	return nil
}
