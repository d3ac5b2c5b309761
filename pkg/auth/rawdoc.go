package auth

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/hutchctr/hutch/internal/atomicfile"

	"github.com/hutchctr/hutch/pkg/errdefs"
)

// rawDoc is an auth file as Login and Logout edit it: every top-level key
// and every entry is kept as raw JSON, so keys hutch does not know
// (credHelpers, a user's additions) survive a rewrite untouched.
type rawDoc struct {
	top   map[string]json.RawMessage
	auths map[string]json.RawMessage
}

// readRaw reads path for editing; a missing or empty file is an empty
// document. A malformed file is an error naming it: rewriting it would
// destroy whatever the user had there.
func readRaw(path string) (*rawDoc, error) {
	d := &rawDoc{top: map[string]json.RawMessage{}, auths: map[string]json.RawMessage{}}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return d, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read auth file %s: %w", path, err)
	}
	if strings.TrimSpace(string(data)) == "" {
		return d, nil
	}
	if err := json.Unmarshal(data, &d.top); err != nil {
		return nil, errdefs.Errorf(errdefs.ErrInvalidArgument, "auth file %s is not valid: %s (fix or remove it)",
			path, jsonProblem(err))
	}
	if raw, ok := d.top["auths"]; ok && string(raw) != "null" {
		if err := json.Unmarshal(raw, &d.auths); err != nil {
			return nil, errdefs.Errorf(errdefs.ErrInvalidArgument, `auth file %s: "auths" must be an object (fix or remove it)`, path)
		}
	}
	return d, nil
}

// remove deletes every entry that names host (under any alias or URL form,
// not repository-scoped ones) and reports whether there was one.
func (d *rawDoc) remove(host string) bool {
	removed := false
	for key := range d.auths {
		if h, scoped := keyHost(key, false); h == host && !scoped {
			delete(d.auths, key)
			removed = true
		}
	}
	return removed
}

// encode renders the document indented, as docker and podman write it.
func (d *rawDoc) encode() ([]byte, error) {
	auths, err := json.Marshal(d.auths)
	if err != nil {
		return nil, err
	}
	d.top["auths"] = auths
	data, err := json.MarshalIndent(d.top, "", "\t")
	if err != nil {
		return nil, err
	}
	return append(data, '\n'), nil
}

// writeFileAtomic replaces path with data, mode 0600 from the start (the
// secret is never readable by others): readers see the old file or the
// new one, and after a crash or power loss the file holds one of the two
// (logins must survive reboots).
func writeFileAtomic(path string, data []byte) error {
	if err := atomicfile.Write(path, data, 0o600, atomicfile.Durable); err != nil {
		return fmt.Errorf("write auth file %s: %w", path, err)
	}
	return nil
}
