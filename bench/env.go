package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/hutchctr/hutch/internal/testutil"
)

// containersConf is the smallest containers.conf with which Podman 4.3 runs
// on this host, found by removing settings until it failed:
//
//   - default_ulimits: as root, Podman asks runc for nofile=1048576 and a
//     large nproc; this host lacks CAP_SYS_RESOURCE, so raising a limit above
//     the hard limit (20000 files, 96364 processes) fails with "error setting
//     rlimit type 7" (nofile), then "type 6" (nproc). Rootless Podman
//     already copies the caller's limits; the setting does no harm there.
//   - runtime = "runc": crun refuses this hybrid-cgroup host (and is not even
//     installed; Podman would fall back to runc, but pinning it makes the
//     comparison explicit).
//
// Not needed (Podman picks them by itself on this host, checked with
// `podman info`): cgroup_manager = "cgroupfs" (no systemd here) and
// events_logger = "file" (no journald).
const containersConf = `[containers]
default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]

[engine]
runtime = "runc"
`

// storageConf pins the overlay driver. Rootless Podman 4.3 without a
// storage.conf falls back to vfs here (a full copy of the image per
// container), which would flatter hutch; native overlay in a user namespace
// works on this kernel, as hutch uses it. As root, Podman rejects a
// storage.conf without runroot ("runroot must be set") before it looks at
// --root/--runroot, so the file repeats the paths of the global flags.
// hutch configures containers/storage itself and ignores this file.
func storageConf(d toolDirs) string {
	return fmt.Sprintf("[storage]\ndriver = \"overlay\"\ngraphroot = %q\nrunroot = %q\n", d.root, d.runroot)
}

// basePath is the PATH of every engine command: the usual system
// directories only, so nothing from the caller's environment leaks in.
const basePath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// phaseEnv writes the configuration files into dir and returns the
// environment both tools run with: a private HOME, XDG directories and
// TMPDIR inside dir (so neither tool finds a real store, config or runtime
// dir of the calling user), and Podman's config files.
func phaseEnv(dir string) ([]string, error) {
	files := map[string]string{
		"containers.conf": containersConf,
		"storage.conf":    storageConf(dirsOf(dir, "podman")),
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			return nil, fmt.Errorf("podman config: %w", err)
		}
	}
	home := filepath.Join(dir, "home")
	xdgRun := filepath.Join(dir, "xdg-run")
	tmp := filepath.Join(dir, "tmp")
	for _, d := range []string{home, xdgRun, tmp} {
		// 0700: XDG_RUNTIME_DIR must be private to its user, and Podman
		// checks that.
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("private dirs: %w", err)
		}
	}
	return []string{
		basePath,
		"LANG=C.UTF-8",
		"HOME=" + home,
		"XDG_RUNTIME_DIR=" + xdgRun,
		"XDG_CONFIG_HOME=" + filepath.Join(home, ".config"),
		"XDG_DATA_HOME=" + filepath.Join(home, ".local", "share"),
		"TMPDIR=" + tmp,
		"CONTAINERS_CONF=" + filepath.Join(dir, "containers.conf"),
		"CONTAINERS_STORAGE_CONF=" + filepath.Join(dir, "storage.conf"),
	}, nil
}

// writeImage writes the rootfs tarball both tools import: Debian's static
// busybox with applet symlinks and a minimal /etc (the e2e suite's fixture
// layer).
func writeImage(path string) error {
	b, err := testutil.BusyboxLayer()
	if err != nil {
		return fmt.Errorf("image tarball: %w", err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("image tarball: %w", err)
	}
	return nil
}
