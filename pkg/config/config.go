// Package config resolves hutch's directories (DESIGN.md §3) for root and
// rootless use, and reads hutch.yaml.
package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

// RootlessUIDEnv carries the invoking user's host uid (and RootlessGIDEnv the
// gid) into processes re-executed inside the namespace holder, where getuid()
// returns 0.
const (
	RootlessUIDEnv = "_HUTCH_ROOTLESS_UID"
	RootlessGIDEnv = "_HUTCH_ROOTLESS_GID"
)

// Paths are hutch's directories for one user.
type Paths struct {
	// Data holds storage, containers, volumes (/var/lib/hutch as root).
	Data string
	// Run holds sockets, locks and the namespace holder (/run/hutch as root).
	Run string
	// ConfigFile is hutch.yaml's path (it need not exist).
	ConfigFile string
	// Rootless is true for an unprivileged user (also inside the holder).
	Rootless bool
	// HostUID and HostGID are the user's ids on the host.
	HostUID, HostGID int
}

// HostIDs returns the invoking user's host uid and gid: from the
// environment inside the namespace holder, else from the kernel.
func HostIDs() (uid, gid int, inHolder bool) {
	if v := os.Getenv(RootlessUIDEnv); v != "" {
		if u, err := strconv.Atoi(v); err == nil {
			g, gerr := strconv.Atoi(os.Getenv(RootlessGIDEnv))
			if gerr != nil {
				g = u
			}
			return u, g, true
		}
	}
	return os.Getuid(), os.Getgid(), false
}

// Resolve computes the directories. root and runroot, when set, override
// Data and Run (the --root and --runroot flags).
func Resolve(root, runroot string) (Paths, error) {
	uid, gid, _ := HostIDs()
	p := Paths{HostUID: uid, HostGID: gid, Rootless: uid != 0}
	if !p.Rootless {
		p.Data, p.Run, p.ConfigFile = "/var/lib/hutch", "/run/hutch", "/etc/hutch/hutch.yaml"
	} else {
		home := os.Getenv("HOME")
		dataHome := os.Getenv("XDG_DATA_HOME")
		if dataHome == "" {
			if home == "" {
				return p, fmt.Errorf("neither XDG_DATA_HOME nor HOME is set: cannot place hutch's data directory")
			}
			dataHome = filepath.Join(home, ".local", "share")
		}
		configHome := os.Getenv("XDG_CONFIG_HOME")
		if configHome == "" && home != "" {
			configHome = filepath.Join(home, ".config")
		}
		p.Data = filepath.Join(dataHome, "hutch")
		p.ConfigFile = filepath.Join(configHome, "hutch", "hutch.yaml")
		if rt := os.Getenv("XDG_RUNTIME_DIR"); rt != "" {
			p.Run = filepath.Join(rt, "hutch")
		} else {
			p.Run = filepath.Join(os.TempDir(), "hutch-run-"+strconv.Itoa(uid))
		}
	}
	if root != "" {
		p.Data = root
	}
	if runroot != "" {
		p.Run = runroot
	}
	var err error
	if p.Data, err = filepath.Abs(p.Data); err != nil {
		return p, err
	}
	if p.Run, err = filepath.Abs(p.Run); err != nil {
		return p, err
	}
	return p, nil
}

// MkdirAll creates Data and Run with mode 0700 (Run must not be readable by
// other users: it holds sockets that control containers).
func (p Paths) MkdirAll() error {
	for _, d := range []string{p.Data, p.Run} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return fmt.Errorf("create %s: %w", d, err)
		}
	}
	return nil
}
