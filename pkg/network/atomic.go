package network

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/hutchctr/hutch/internal/atomicfile"
)

// writeJSON writes v to path atomically and durably: a reader sees the old
// or the new document, also after a crash or a power loss.
func writeJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode %s: %w", path, err)
	}
	return atomicfile.Write(path, append(data, '\n'), 0o600, atomicfile.Durable)
}

func readJSON(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("decode %s: %w", path, err)
	}
	return nil
}
