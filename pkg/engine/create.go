package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/hutchctr/hutch/pkg/errdefs"
	"github.com/hutchctr/hutch/pkg/network"
	"github.com/hutchctr/hutch/pkg/spec"
	"github.com/hutchctr/hutch/pkg/state"
	"github.com/hutchctr/hutch/pkg/volume"
)

const defaultStopTimeout = 10

// Create creates a container and returns its ID. Nothing is left behind
// when it fails.
func (e *Engine) Create(ctx context.Context, o CreateOptions) (string, error) {
	img, release, err := e.holdImage(ctx, o)
	if err != nil {
		return "", err
	}
	defer release()
	return e.createFrom(ctx, o, img)
}

// holdImage finds (pulling it if o.Pull says so) the image of a new
// container and holds the image store: until the container's record names
// the image, only the hold keeps a concurrent image prune from removing
// it. The caller calls release once the record exists.
func (e *Engine) holdImage(ctx context.Context, o CreateOptions) (*imageMeta, func(), error) {
	imgs, err := e.images(ctx)
	if err != nil {
		return nil, nil, err
	}
	release, err := imgs.Hold(ctx)
	if err != nil {
		return nil, nil, err
	}
	img, err := e.imageForCreate(ctx, imgs, o)
	if err != nil {
		release()
		return nil, nil, err
	}
	return img, sync.OnceFunc(release), nil
}

// createFrom creates a container from img, which holdImage returned.
func (e *Engine) createFrom(ctx context.Context, o CreateOptions, img *imageMeta) (string, error) {
	id := newID()
	cfg, err := e.buildConfig(ctx, id, o, img)
	if err != nil {
		return "", err
	}
	h, err := e.createRecord(ctx, cfg, o.Name == "")
	if err != nil {
		return "", err
	}
	defer h.Unlock()
	if err := e.finishCreate(h); err != nil {
		e.discard(ctx, h)
		return "", err
	}
	return id, nil
}

// createRecord creates the state record, retrying with another generated
// name on a clash, and reclaiming a name held by a crashed create.
func (e *Engine) createRecord(ctx context.Context, cfg state.Config, generated bool) (*state.Handle, error) {
	for attempt := 0; ; attempt++ {
		h, err := e.state.Create(cfg)
		var inUse *state.NameInUseError
		if err == nil || !errors.As(err, &inUse) || attempt >= 5 {
			return h, err
		}
		if e.reclaimStale(ctx, inUse.Owner) {
			continue
		}
		if !generated {
			return nil, err
		}
		cfg.Name = randomName()
		cfg.Spec.Annotations["io.hutch.name"] = cfg.Name
	}
}

// finishCreate creates the container's writable layer and per-container
// files, then marks the record Created.
func (e *Engine) finishCreate(h *state.Handle) error {
	for _, d := range []string{"upper", "work", "merged"} {
		// 0755: the upper directory is the container's root directory.
		if err := os.MkdirAll(filepath.Join(e.rootfsDir(h.ID()), d), 0o755); err != nil {
			return fmt.Errorf("create the container's rootfs directories: %w", err)
		}
	}
	if err := e.writeEtcFiles(h); err != nil {
		return err
	}
	return h.Update(func(s *state.State) error {
		s.Status = state.Created
		return nil
	})
}

// rootfsDir holds a container's overlay directories: upper (its writable
// layer), work (overlay's) and merged (where init mounts the rootfs, in
// the container's own mount namespace).
func (e *Engine) rootfsDir(id string) string { return filepath.Join(e.state.Dir(id), "rootfs") }

// discard removes a half-created container: its record's directory holds
// everything it had.
func (e *Engine) discard(ctx context.Context, h *state.Handle) {
	h.Update(func(s *state.State) error { s.Status = state.Removing; return nil })
	if err := h.Delete(); err != nil {
		logf(ctx, "discard container %s: %v", h.ID(), err)
	}
}

// buildConfig validates the options and builds the immutable record,
// including the runtime-spec template. It creates nothing.
func (e *Engine) buildConfig(ctx context.Context, id string, o CreateOptions, img *imageMeta) (state.Config, error) {
	name := o.Name
	if name == "" {
		name = randomName()
	} else if err := state.ValidateName(name); err != nil {
		return state.Config{}, err
	}
	entrypoint, cmd, err := command(o, img.Config)
	if err != nil {
		return state.Config{}, err
	}
	args := append(append([]string(nil), entrypoint...), cmd...)
	env, err := e.environment(o, img.Config)
	if err != nil {
		return state.Config{}, err
	}
	mounts, err := userMounts(o)
	if err != nil {
		return state.Config{}, err
	}
	if o.Init {
		return state.Config{}, errdefs.Errorf(errdefs.ErrNotImplemented, "--init")
	}
	hostname := o.Hostname
	if hostname == "" {
		hostname = id[:12]
		if o.Network == netHost {
			hostname, _ = os.Hostname()
		}
	}
	net, err := e.networkSettings(ctx, id, name, hostname, o, img)
	if err != nil {
		return state.Config{}, err
	}
	stopSignal := firstNonEmpty(o.StopSignal, img.Config.StopSignal, "SIGTERM")
	if _, err := parseSignal(stopSignal); err != nil {
		return state.Config{}, err
	}
	timeout := uint(defaultStopTimeout)
	if o.StopTimeout != nil {
		timeout = *o.StopTimeout
	}
	labels := mergeLabels(img.Config.Labels, o.Labels)
	opts := []spec.Opt{
		spec.WithArgs(args...),
		spec.WithEnv(append(env, "HOSTNAME="+hostname)),
		spec.WithCwd(firstNonEmpty(o.Workdir, img.Config.WorkingDir, "/")),
		spec.WithHostname(hostname),
		spec.WithTerminal(o.Terminal),
		spec.WithReadonlyRootfs(o.ReadOnly),
		spec.WithMounts(e.etcMounts(id)...),
		spec.WithMounts(mounts...),
		spec.WithAnnotations(map[string]string{"io.hutch.name": name, "io.hutch.id": id}),
		e.withResources(id, o),
	}
	if net.mode == netHost {
		opts = append(opts, spec.WithHostNetwork())
	}
	sp, err := spec.New(opts...)
	if err != nil {
		return state.Config{}, err
	}
	imageName := o.Image
	if len(img.Names) > 0 {
		imageName = img.Names[0]
	}
	return state.Config{
		ID: id, Name: name, Created: time.Now().UTC(),
		Image: o.Image, ImageID: img.ID, ImageName: imageName,
		Command: args, Entrypoint: entrypoint, Cmd: cmd, Labels: labels, Mounts: destinations(mounts),
		User:  firstNonEmpty(o.User, img.Config.User),
		Stdin: o.Stdin, Terminal: o.Terminal, AutoRemove: o.AutoRemove,
		NetworkMode: net.mode, Network: net.plan, NetworkFrom: net.from, StopSignal: stopSignal, StopTimeout: timeout,
		Rootless: e.paths.Rootless, Spec: sp,
	}, nil
}

// command is Docker's rule: --entrypoint replaces the image's entrypoint
// and drops its Cmd; a command given by the user replaces Cmd.
func command(o CreateOptions, img ImageConfig) (entrypoint, cmd []string, err error) {
	entrypoint, cmd = img.Entrypoint, img.Cmd
	if o.Entrypoint != nil {
		entrypoint, cmd = nil, nil
		if *o.Entrypoint != "" {
			entrypoint = []string{*o.Entrypoint}
		}
	}
	if len(o.Command) > 0 {
		cmd = o.Command
	}
	if len(entrypoint)+len(cmd) == 0 {
		return nil, nil, errdefs.Errorf(errdefs.ErrInvalidArgument, "no command given and the image has no Cmd or Entrypoint")
	}
	return entrypoint, cmd, nil
}

// environment merges, in order of precedence from low to high: hutch's
// defaults, the image's Env, env files, and -e.
func (e *Engine) environment(o CreateOptions, img ImageConfig) ([]string, error) {
	env := spec.MergeEnv([]string{spec.DefaultPath, "container=hutch"}, img.Env)
	if o.Terminal {
		env = spec.MergeEnv(env, []string{"TERM=xterm"})
	}
	return withUserEnv(env, o.EnvFiles, o.Env)
}

// withUserEnv merges env files, then -e values, into env (later wins).
func withUserEnv(env, files, entries []string) ([]string, error) {
	for _, path := range files {
		f, err := os.Open(path)
		if err != nil {
			return nil, errdefs.Errorf(errdefs.ErrInvalidArgument, "env file: %v", err)
		}
		vars, err := spec.ParseEnvFile(f, path, os.LookupEnv)
		f.Close()
		if err != nil {
			return nil, err
		}
		env = spec.MergeEnv(env, vars)
	}
	vars, err := spec.ParseEnv(entries, os.LookupEnv)
	if err != nil {
		return nil, err
	}
	return spec.MergeEnv(env, vars), nil
}

// userMounts parses -v, --tmpfs and --mount, refusing two mounts on one
// destination.
func userMounts(o CreateOptions) ([]specs.Mount, error) {
	var out []specs.Mount
	seen := map[string]bool{}
	add := func(m specs.Mount, err error) error {
		if err != nil {
			return err
		}
		if seen[m.Destination] {
			return errdefs.Errorf(errdefs.ErrInvalidArgument, "duplicate mount destination %s", m.Destination)
		}
		seen[m.Destination] = true
		out = append(out, m)
		return nil
	}
	for _, v := range o.Volumes {
		if err := add(volume.ParseVolume(v)); err != nil {
			return nil, err
		}
	}
	for _, v := range o.Tmpfs {
		if err := add(volume.ParseTmpfs(v)); err != nil {
			return nil, err
		}
	}
	for _, v := range o.Mounts {
		if err := add(volume.ParseMount(v)); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// etcFiles are the per-container files bind-mounted over the image's.
var etcFiles = []string{"hostname", "hosts", "resolv.conf"}

func (e *Engine) etcMounts(id string) []specs.Mount {
	ms := make([]specs.Mount, 0, len(etcFiles))
	for _, f := range etcFiles {
		ms = append(ms, specs.Mount{
			Destination: "/etc/" + f, Type: "bind", Source: filepath.Join(e.state.Dir(id), f),
			Options: []string{"bind", "rprivate"},
		})
	}
	return ms
}

// writeEtcFiles writes the container's /etc/hostname, /etc/hosts and
// /etc/resolv.conf into its data directory. On networks, the monitor
// rewrites the last two once the container has its addresses.
func (e *Engine) writeEtcFiles(h *state.Handle) error {
	dir := e.state.Dir(h.ID())
	hostname := h.Config.Spec.Hostname
	plan := h.Config.Network
	if plan == nil {
		plan = &network.Plan{ContainerName: h.Config.Name}
	}
	plan.Hostname = hostname
	hostResolv, err := os.ReadFile("/etc/resolv.conf")
	if err != nil {
		hostResolv = nil // no resolver on the host: an empty file, as Podman writes
	}
	resolv := network.ResolvConf(plan, hostResolv)
	if h.Config.NetworkMode == netHost && len(plan.DNS.Servers) == 0 {
		// The host's own resolvers, loopback ones included, are reachable.
		resolv = hostResolv
	}
	files := map[string][]byte{
		"hostname":    []byte(hostname + "\n"),
		"hosts":       network.Hosts(plan),
		"resolv.conf": resolv,
	}
	for name, data := range files {
		// 0644: the container's users must read them whatever their uid.
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return fmt.Errorf("write container %s: %w", name, err)
		}
	}
	return nil
}

func mergeLabels(maps ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range maps {
		for k, v := range m {
			out[k] = v
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

// parseSignal accepts "KILL", "SIGKILL", "sigkill" and "9".
func parseSignal(s string) (unix.Signal, error) {
	if s == "" {
		return 0, errdefs.Errorf(errdefs.ErrInvalidArgument, "empty signal")
	}
	var n int
	if _, err := fmt.Sscanf(s, "%d", &n); err == nil && fmt.Sprint(n) == s {
		if n <= 0 || n > 64 {
			return 0, errdefs.Errorf(errdefs.ErrInvalidArgument, "signal %q out of range", s)
		}
		return unix.Signal(n), nil
	}
	name := strings.ToUpper(s)
	if !strings.HasPrefix(name, "SIG") {
		name = "SIG" + name
	}
	sig := unix.SignalNum(name)
	if sig == 0 {
		return 0, errdefs.Errorf(errdefs.ErrInvalidArgument, "unknown signal %q", s)
	}
	return sig, nil
}

func destinations(ms []specs.Mount) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Destination)
	}
	return out
}
