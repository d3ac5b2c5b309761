package slirp

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/hutchctr/hutch/internal/atomicfile"

	"github.com/hutchctr/hutch/pkg/errdefs"
)

// portsDirName holds, in a holder's instance directory, one record per
// container with published ports: <id>.json. The records live and die
// with the holder, as the ports they list do.
const portsDirName = "ports"

// portRecord is the set of ports a container published through one holder.
type portRecord struct {
	ContainerID string          `json:"containerID"`
	Ports       []publishedPort `json:"ports"`
}

// publishedPort is one port; ID is 0 while it is being published.
type publishedPort struct {
	Spec PortSpec `json:"spec"`
	ID   int      `json:"id,omitempty"`
}

// checkContainerID refuses ids that are not plain file names: 1 to 128
// characters of [A-Za-z0-9_.-], the first alphanumeric. (Not a regexp: a
// compiled {0,127} costs every hutch process most of a millisecond at
// start-up.)
func checkContainerID(id string) error {
	ok := len(id) > 0 && len(id) <= 128
	for i := 0; ok && i < len(id); i++ {
		c := id[i]
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		ok = alnum || i > 0 && (c == '_' || c == '.' || c == '-')
	}
	if !ok {
		return fmt.Errorf("container id %q: %w", id, errdefs.ErrInvalidArgument)
	}
	return nil
}

func portRecordPath(dir, containerID string) string {
	return filepath.Join(dir, portsDirName, containerID+".json")
}

// loadPorts reads containerID's record in the instance directory dir; a
// missing one is empty.
func loadPorts(dir, containerID string) (*portRecord, error) {
	rec := &portRecord{ContainerID: containerID}
	b, err := os.ReadFile(portRecordPath(dir, containerID))
	if errors.Is(err, fs.ErrNotExist) {
		return rec, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read published ports: %w", err)
	}
	if err := json.Unmarshal(b, rec); err != nil {
		return nil, fmt.Errorf("parse %s: %w", portRecordPath(dir, containerID), err)
	}
	return rec, nil
}

// listPorts reads every record in the instance directory dir.
func listPorts(dir string) ([]*portRecord, error) {
	entries, err := os.ReadDir(filepath.Join(dir, portsDirName))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list published ports: %w", err)
	}
	var recs []*portRecord
	for _, e := range entries {
		id, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok || checkContainerID(id) != nil {
			continue // temporary files
		}
		rec, err := loadPorts(dir, id)
		if err != nil {
			return nil, err
		}
		recs = append(recs, rec)
	}
	return recs, nil
}

// save replaces the record atomically (a reader sees the old or the new
// one), or removes it when no port is left. No fsync: the run directory
// does not outlive a reboot, and neither do the ports.
func (r *portRecord) save(dir string) error {
	path := portRecordPath(dir, r.ContainerID)
	if len(r.Ports) == 0 {
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("forget published ports: %w", err)
		}
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("record published ports: %w", err)
	}
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	if err := atomicfile.Write(path, b, 0o600, atomicfile.Volatile); err != nil {
		return fmt.Errorf("record published ports: %w", err)
	}
	return nil
}
