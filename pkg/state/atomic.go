package state

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/hutchctr/hutch/internal/kfile"
)

// durability says whether a write must survive a power loss (fsync of the
// file and its directory), or only be atomic for readers and against
// crashes of processes. Records of --rm containers and every state.json
// (the state after a reboot is reconciled anyway) need only the latter;
// readers treat a state.json torn by a power loss as an unknown exit.
type durability bool

const (
	durable  durability = true
	volatile durability = false
)

// writeJSON writes v to path atomically: a reader sees the old document or
// the new one, and after a crash of any process the file holds one of the
// two; with durable, also after a power loss.
func writeJSON(path string, v any, d durability) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s: %w", path, err)
	}
	return writeFileAtomic(path, data, 0o600, d)
}

func writeFileAtomic(path string, data []byte, perm os.FileMode, d durability) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	tmpName := tmp.Name()
	defer os.Remove(tmpName) // no-op after a successful rename
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", tmpName, err)
	}
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return err
	}
	// fsync before rename: otherwise a power loss can leave the new name
	// pointing at an empty file on filesystems that reorder metadata and
	// data.
	if d == durable {
		if err := tmp.Sync(); err != nil {
			tmp.Close()
			return fmt.Errorf("sync %s: %w", tmpName, err)
		}
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmpName, path); err != nil {
		return err
	}
	if d == volatile {
		return nil
	}
	return syncDir(dir)
}

// syncDir makes a rename or create in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
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
