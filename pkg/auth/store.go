package auth

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/hutchctr/hutch/pkg/config"
	"github.com/hutchctr/hutch/pkg/log"
)

// FileName is the name of hutch's auth file, next to hutch.yaml.
const FileName = "auth.json"

// Store looks credentials up in a list of files and writes hutch's own.
// It reads the files on every lookup (no cache), so a login by another
// process is seen at once. A Store is safe for concurrent use.
type Store struct {
	file    string   // hutch's auth file: read first, the only one written
	sources []source // in lookup order, file first
}

// source is one file credentials are read from.
type source struct {
	path string
	// legacy marks docker's config.json, whose keys never name a
	// repository scope: every key is cut at its first slash.
	legacy bool
}

// DefaultFile returns hutch's auth file for p: auth.json in hutch.yaml's
// directory (/etc/hutch as root, ~/.config/hutch rootless), which survives
// reboots, unlike containers' file under the runtime directory.
func DefaultFile(p config.Paths) string {
	return filepath.Join(filepath.Dir(p.ConfigFile), FileName)
}

// Default returns the Store for p with the standard lookup order (see New).
func Default(p config.Paths) *Store { return New(DefaultFile(p)) }

// New returns a Store that writes file and reads, in order: file;
// containers' auth.json ($XDG_RUNTIME_DIR/containers/auth.json, else
// /run/containers/UID/auth.json, where `podman login` writes); docker's
// config.json ($DOCKER_CONFIG/config.json, else ~/.docker/config.json). The
// environment is read now, not at each lookup.
func New(file string) *Store {
	s := FromFile(file)
	uid, _, _ := config.HostIDs()
	containersFile := filepath.Join("/run/containers", strconv.Itoa(uid), "auth.json")
	if dir := os.Getenv("XDG_RUNTIME_DIR"); dir != "" {
		containersFile = filepath.Join(dir, "containers", "auth.json")
	}
	s.sources = append(s.sources, source{path: containersFile})
	if dir := os.Getenv("DOCKER_CONFIG"); dir != "" {
		s.sources = append(s.sources, source{path: filepath.Join(dir, "config.json"), legacy: true})
	} else if home, err := os.UserHomeDir(); err == nil {
		s.sources = append(s.sources, source{path: filepath.Join(home, ".docker", "config.json"), legacy: true})
	}
	return s
}

// FromFile returns a Store that reads and writes only file: the
// --authfile flag, which (as in Podman) replaces the whole lookup list so
// that a command's credentials are exactly those the user named.
func FromFile(file string) *Store {
	return &Store{file: file, sources: []source{{path: file}}}
}

// File returns the path Login and Logout change.
func (s *Store) File() string { return s.file }

// Sources returns the files read, in lookup order.
func (s *Store) Sources() []string {
	paths := make([]string, len(s.sources))
	for i, src := range s.sources {
		paths[i] = src.path
	}
	return paths
}

// Credentials returns the authenticator for registry (a host[:port], or
// docker.io under any of its names): the first source's credentials, or
// authn.Anonymous when no source has any. It implements pkg/registry's
// Credentials interface.
func (s *Store) Credentials(ctx context.Context, registry string) (authn.Authenticator, error) {
	c, err := s.Lookup(ctx, registry)
	if err != nil {
		return nil, err
	}
	if c == nil {
		return authn.Anonymous, nil
	}
	return c, nil
}

// Lookup returns registry's credentials and where they come from, or nil,
// nil when no source has any. A malformed file or a failing credential
// helper named for the registry in credHelpers is an error naming the
// file; so is an unreadable one.
func (s *Store) Lookup(ctx context.Context, registry string) (*Credential, error) {
	host, err := registryHost(registry)
	if err != nil {
		return nil, err
	}
	for _, src := range s.sources {
		c, err := src.lookup(ctx, host)
		if err != nil || c != nil {
			return c, err
		}
	}
	return nil, nil
}

// lookup searches one file: a helper credHelpers names for host, then the
// file's default credsStore helper, then the "auths" entry (docker's
// order; an entry with no secret, as docker leaves beside a store, counts
// as none).
func (src source) lookup(ctx context.Context, host string) (*Credential, error) {
	cf, err := readConfig(src.path)
	if err != nil || cf == nil {
		return nil, err
	}
	if name := cf.helperFor(host, src.legacy); name != "" {
		c, err := runHelper(ctx, name, host, src.path)
		if err != nil || c != nil {
			return c, err
		}
	}
	if cf.CredsStore != "" {
		c, err := runHelper(ctx, cf.CredsStore, host, src.path)
		switch {
		case err != nil:
			// A default store is often a leftover (Docker Desktop's
			// "desktop" on a machine without it, a locked keychain); failing
			// every pull of a public image for it would be worse than
			// trying the remaining sources, and a registry that needs
			// credentials still says so.
			msg := "credential store failed; trying the next source"
			if errors.Is(err, exec.ErrNotFound) {
				msg = "credential store not installed; trying the next source"
			}
			log.G(ctx).Warn(msg, "registry", host, "error", err)
		case c != nil:
			return c, nil
		}
	}
	key, entry, ok := cf.entryFor(host, src.legacy)
	if !ok {
		return nil, nil
	}
	c, err := entry.credential(host, key, src.path)
	if err != nil || c.empty() {
		return nil, err
	}
	return c, nil
}
