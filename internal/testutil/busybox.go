package testutil

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"os"
	"runtime"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// BusyboxPath is where Debian's busybox-static package installs the binary.
const BusyboxPath = "/usr/bin/busybox"

// TesterUID and TesterGID are the ids of the fixture's unprivileged user
// "tester" (group "testers"), who owns /home/tester and /home/tester/owned.
const (
	TesterUID = 1000
	TesterGID = 1000
)

// DefaultPath is the PATH the fixture image sets.
const DefaultPath = "PATH=/usr/sbin:/usr/bin:/sbin:/bin"

// applets are the busybox commands the test suites run; each becomes a
// symlink /bin/<applet> -> busybox.
func applets() []string {
	return []string{
		"sh", "ls", "cat", "echo", "id", "sleep", "true", "false", "touch",
		"stat", "mkdir", "ps", "hostname", "env", "pwd", "printf", "kill",
		"rm", "test", "[", "grep", "head", "tail", "wc", "ln", "chmod",
		"chown", "cp", "mv", "uname", "whoami", "readlink", "stty", "date",
		"seq", "yes", "sed", "tr", "trap", "mount", "cut", "basename",
		"dirname", "nc", "wget", "ip", "ifconfig", "mknod", "dd", "tee",
	}
}

const passwd = `root:x:0:0:root:/root:/bin/sh
tester:x:1000:1000:tester:/home/tester:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
`

const group = `root:x:0:
testers:x:1000:tester
nogroup:x:65534:
`

// BusyboxLayer returns an uncompressed tar of a minimal root filesystem:
// /bin/busybox with symlinks for the applets tests use, /etc/passwd and
// /etc/group (root, tester 1000:1000 with home /home/tester, group testers
// 1000, nobody 65534), /tmp with mode 1777, /home/tester and the file
// /home/tester/owned owned by 1000:1000, and the empty mount-point
// directories a runtime expects (/dev, /proc, /sys, /run, /root, /var).
func BusyboxLayer() ([]byte, error) {
	bin, err := os.ReadFile(BusyboxPath)
	if err != nil {
		return nil, fmt.Errorf("busybox fixture needs Debian's busybox-static: %w", err)
	}
	entries := []Entry{
		{Name: "bin/"},
		{Name: "bin/busybox", Mode: 0o755, Body: bin},
	}
	for _, a := range applets() {
		entries = append(entries, Entry{Name: "bin/" + a, Type: tar.TypeSymlink, Linkname: "busybox"})
	}
	entries = append(entries,
		Entry{Name: "dev/"}, Entry{Name: "proc/"}, Entry{Name: "sys/"},
		Entry{Name: "run/"}, Entry{Name: "var/"}, Entry{Name: "root/", Mode: 0o700},
		Entry{Name: "tmp/", Mode: 0o1777},
		Entry{Name: "etc/"},
		Entry{Name: "etc/passwd", Body: []byte(passwd)},
		Entry{Name: "etc/group", Body: []byte(group)},
		Entry{Name: "home/"},
		Entry{Name: "home/tester/", UID: TesterUID, GID: TesterGID},
		Entry{Name: "home/tester/owned", UID: TesterUID, GID: TesterGID, Body: []byte("owned by tester\n")},
	)
	return Tar(entries...)
}

// ImageOption customises BusyboxImage.
type ImageOption func(*v1.ConfigFile, *[]v1.Layer) error

// WithLabels sets image labels.
func WithLabels(labels map[string]string) ImageOption {
	return func(c *v1.ConfigFile, _ *[]v1.Layer) error { c.Config.Labels = labels; return nil }
}

// WithUser sets the image's default user.
func WithUser(user string) ImageOption {
	return func(c *v1.ConfigFile, _ *[]v1.Layer) error { c.Config.User = user; return nil }
}

// WithWorkdir sets the image's working directory.
func WithWorkdir(dir string) ImageOption {
	return func(c *v1.ConfigFile, _ *[]v1.Layer) error { c.Config.WorkingDir = dir; return nil }
}

// WithEntrypoint sets the image's entrypoint.
func WithEntrypoint(args ...string) ImageOption {
	return func(c *v1.ConfigFile, _ *[]v1.Layer) error { c.Config.Entrypoint = args; return nil }
}

// WithCmd replaces the image's default command (["sh"]).
func WithCmd(args ...string) ImageOption {
	return func(c *v1.ConfigFile, _ *[]v1.Layer) error { c.Config.Cmd = args; return nil }
}

// WithEnv appends KEY=VALUE entries to the image's environment.
func WithEnv(env ...string) ImageOption {
	return func(c *v1.ConfigFile, _ *[]v1.Layer) error { c.Config.Env = append(c.Config.Env, env...); return nil }
}

// WithStopSignal sets the image's stop signal (e.g. "SIGINT").
func WithStopSignal(sig string) ImageOption {
	return func(c *v1.ConfigFile, _ *[]v1.Layer) error { c.Config.StopSignal = sig; return nil }
}

// WithExposedPorts sets the image's exposed ports ("80/tcp").
func WithExposedPorts(ports ...string) ImageOption {
	return func(c *v1.ConfigFile, _ *[]v1.Layer) error {
		c.Config.ExposedPorts = map[string]struct{}{}
		for _, p := range ports {
			c.Config.ExposedPorts[p] = struct{}{}
		}
		return nil
	}
}

// WithLayer appends a layer (an uncompressed tar, e.g. from Tar) on top of
// the busybox layer.
func WithLayer(uncompressed []byte) ImageOption {
	return func(_ *v1.ConfigFile, ls *[]v1.Layer) error {
		l, err := layerFromBytes(uncompressed)
		if err != nil {
			return err
		}
		*ls = append(*ls, l)
		return nil
	}
}

// BusyboxImage returns an OCI image of BusyboxLayer (gzip-compressed in its
// manifest, like a registry image) with Env [DefaultPath] and Cmd ["sh"],
// customised by opts. The result is reproducible: the same options give the
// same image ID.
func BusyboxImage(opts ...ImageOption) (v1.Image, error) {
	raw, err := BusyboxLayer()
	if err != nil {
		return nil, err
	}
	base, err := layerFromBytes(raw)
	if err != nil {
		return nil, err
	}
	cfg := &v1.ConfigFile{
		Architecture: runtime.GOARCH,
		OS:           "linux",
		Created:      v1.Time{Time: Epoch()},
		Config:       v1.Config{Env: []string{DefaultPath}, Cmd: []string{"sh"}},
	}
	layers := []v1.Layer{base}
	for _, o := range opts {
		if err := o(cfg, &layers); err != nil {
			return nil, err
		}
	}
	return assemble(cfg, layers)
}

// assemble builds an OCI image from layers with cfg as its configuration
// (diff IDs and history filled in here).
func assemble(cfg *v1.ConfigFile, layers []v1.Layer) (v1.Image, error) {
	cfg.RootFS = v1.RootFS{Type: "layers"}
	cfg.History = nil
	for _, l := range layers {
		d, err := l.DiffID()
		if err != nil {
			return nil, err
		}
		cfg.RootFS.DiffIDs = append(cfg.RootFS.DiffIDs, d)
		cfg.History = append(cfg.History, v1.History{Created: v1.Time{Time: Epoch()}, CreatedBy: "testutil layer " + d.Hex[:12]})
	}
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	img, err := mutate.AppendLayers(img, layers...)
	if err != nil {
		return nil, err
	}
	return mutate.ConfigFile(img, cfg)
}

func layerFromBytes(b []byte) (v1.Layer, error) {
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(b)), nil
	}, tarball.WithMediaType(types.OCILayer))
}
