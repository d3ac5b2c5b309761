// Package atomicfile replaces small files so that a reader sees the old
// content or the new one, never a torn file, also after a crash of the
// writing process: the data goes to a temporary file in the same
// directory, which is then renamed over the name. Durable writes also
// survive a power loss: the file is synced before the rename (or a
// file system that reorders metadata and data can leave the name on an
// empty file) and the directory after it.
package atomicfile

import (
	"fmt"
	"os"
	"path/filepath"
)

// Durability says whether a write must survive a power loss.
type Durability bool

const (
	// Durable writes survive a power loss: two fsyncs each.
	Durable Durability = true
	// Volatile writes are only atomic: readers and crashed processes
	// see one version or the other.
	Volatile Durability = false
)

// Write replaces path with data, with mode perm. The temporary file is
// created 0600 (before perm is applied), so a secret is never readable by
// others in between, and it is removed on any failure.
func Write(path string, data []byte, perm os.FileMode, d Durability) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	name := tmp.Name()
	defer os.Remove(name) // no-op after the rename
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Chmod(perm) // exact, whatever the umask took away
	}
	if err == nil && d == Durable {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := os.Rename(name, path); err != nil {
		return err
	}
	if d == Volatile {
		return nil
	}
	return SyncDir(dir)
}

// SyncDir makes a rename, link or create in dir durable.
func SyncDir(dir string) error {
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
