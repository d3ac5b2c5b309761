package auth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/gofrs/flock"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/hutchctr/hutch/pkg/errdefs"
)

// VerifyFunc checks credentials against the registry before Login stores
// them (pkg/registry pings the registry's /v2/ with them).
type VerifyFunc func(ctx context.Context, a authn.Authenticator) error

// Login verifies user and password with verify, then stores them for
// registry in hutch's auth file (replacing any entry under one of the
// registry's other names). The file is created with mode 0600 in a
// directory created 0700, and rewritten atomically under a lock, keeping
// the other entries and keys. A nil verify stores without checking.
// Errors never contain the password, whatever verify returned.
func (s *Store) Login(ctx context.Context, registry, user, password string, verify VerifyFunc) error {
	host, err := registryHost(registry)
	if err != nil {
		return err
	}
	switch {
	case user == "":
		return errdefs.Errorf(errdefs.ErrInvalidArgument, "log in to %s: the user name is empty", host)
	case strings.Contains(user, ":"):
		// The stored form is base64("user:password"), split at the first
		// colon: a colon in the user name could not be read back.
		return errdefs.Errorf(errdefs.ErrInvalidArgument, "log in to %s: the user name must not contain ':'", host)
	case password == "":
		return errdefs.Errorf(errdefs.ErrInvalidArgument, "log in to %s: the password is empty", host)
	}
	if verify != nil {
		if err := verify(ctx, Basic(host, user, password)); err != nil {
			return redact(fmt.Errorf("log in to %s as %q: %w", host, user, err), user, password)
		}
	}
	entry, _ := json.Marshal(map[string]string{"auth": base64.StdEncoding.EncodeToString([]byte(user + ":" + password))})
	err = s.update(func(d *rawDoc) bool {
		d.remove(host)
		d.auths[host] = entry
		return true
	})
	return redact(err, user, password)
}

// Logout removes registry's credentials from hutch's auth file. When it
// has none the error is ErrNotFound, and names the source of the
// credentials hutch would use instead, if any, so the user knows which
// tool's logout to run.
func (s *Store) Logout(ctx context.Context, registry string) error {
	host, err := registryHost(registry)
	if err != nil {
		return err
	}
	removed := false
	if _, err := os.Lstat(s.file); err == nil {
		if err := s.update(func(d *rawDoc) bool { removed = d.remove(host); return removed }); err != nil {
			return err
		}
	}
	if removed {
		return nil
	}
	if c, lerr := s.Lookup(ctx, host); lerr == nil && c != nil {
		return errdefs.Errorf(errdefs.ErrNotFound, "not logged in to %s in %s; its credentials come from %s: remove them there",
			host, s.file, c.Source)
	}
	return errdefs.Errorf(errdefs.ErrNotFound, "not logged in to %s", host)
}

// LogoutAll removes every registry's credentials from hutch's auth file
// (other files are left alone).
func (s *Store) LogoutAll() error {
	if _, err := os.Lstat(s.file); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return s.update(func(d *rawDoc) bool {
		changed := len(d.auths) > 0
		clear(d.auths)
		return changed
	})
}

// update applies change to hutch's auth file under an exclusive lock and
// rewrites the file when change reports a change. The lock is a sibling
// file because the auth file itself is replaced by rename, and a lock on a
// replaced inode would not exclude anyone.
func (s *Store) update(change func(*rawDoc) bool) error {
	path := s.file
	// Write through a symlink (a user may keep the file elsewhere) instead
	// of replacing the link with a regular file.
	if target, err := filepath.EvalSymlinks(path); err == nil {
		path = target
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create auth file directory: %w", err)
	}
	lock := flock.New(filepath.Join(dir, "."+filepath.Base(path)+".lock"), flock.SetPermissions(0o600))
	if err := lock.Lock(); err != nil {
		return fmt.Errorf("lock auth file %s: %w", path, err)
	}
	defer lock.Unlock()
	doc, err := readRaw(path)
	if err != nil {
		return err
	}
	if !change(doc) {
		return nil
	}
	data, err := doc.encode()
	if err != nil {
		return fmt.Errorf("encode auth file %s: %w", path, err)
	}
	return writeFileAtomic(path, data)
}
