package engine

import (
	"context"
	"path/filepath"
	"strings"

	"github.com/hutchctr/hutch/pkg/state"
)

// Inspect returns a container's inspect document. It reads the record
// only.
func (e *Engine) Inspect(ctx context.Context, ref string) (*ContainerInspect, error) {
	c, err := e.state.Get(ref)
	if err != nil {
		return nil, err
	}
	c = e.reconcile(ctx, c)
	if err := e.state.LoadSpec(c); err != nil {
		return nil, err
	}
	cfg, st := c.Config, c.State
	dir := e.state.Dir(cfg.ID)
	out := &ContainerInspect{
		ID: cfg.ID, Created: cfg.Created, Image: cfg.ImageID, ImageName: cfg.ImageName,
		Rootfs: st.Mountpoint, Name: cfg.Name, RestartCount: st.RestartCount, Driver: "overlay",
		ResolvConfPath: filepath.Join(dir, "resolv.conf"), HostnamePath: filepath.Join(dir, "hostname"),
		HostsPath: filepath.Join(dir, "hosts"), LogPath: e.state.LogPath(cfg.ID),
		State: InspectState{
			Status: displayState(st.Status), Running: st.Status == state.Running || st.Status == state.Stopping,
			Paused: st.Status == state.Paused, OOMKilled: st.OOMKilled, ExitCode: st.ExitCode,
			Error: st.Error, StartedAt: st.StartedAt, FinishedAt: st.FinishedAt,
		},
		Mounts: []InspectMount{},
		Config: InspectConfig{
			User: cfg.User, Image: cfg.ImageName, Labels: cfg.Labels,
			StopSignal: cfg.StopSignal, StopTimeout: cfg.StopTimeout,
			Tty: cfg.Terminal, OpenStdin: cfg.Stdin,
		},
		HostConfig: InspectHostConfig{
			NetworkMode: cfg.NetworkMode, AutoRemove: cfg.AutoRemove,
			Binds: []string{}, Tmpfs: map[string]string{}, CapAdd: []string{}, CapDrop: []string{},
		},
	}
	if st.Status.Active() {
		out.State.Pid, out.State.ConmonPid = st.Pid, st.MonitorPid
	}
	out.NetworkSettings = inspectNetworks(c)
	if len(cfg.Command) > 0 {
		out.Path, out.Args = cfg.Command[0], cfg.Command[1:]
	}
	if sp := cfg.Spec; sp != nil {
		out.Config.Hostname = sp.Hostname
		out.Config.Env = sp.Process.Env
		out.Config.WorkingDir = sp.Process.Cwd
		out.Config.Cmd, out.Config.Entrypoint = cfg.Cmd, cfg.Entrypoint
		out.HostConfig.ReadonlyRootfs = sp.Root.Readonly
		inspectResources(out, sp, st)
		for _, m := range sp.Mounts {
			addInspectMount(out, m.Type, m.Source, m.Destination, m.Options)
		}
	}
	return out, nil
}

func addInspectMount(out *ContainerInspect, typ, src, dst string, opts []string) {
	rw := true
	for _, o := range opts {
		if o == "ro" {
			rw = false
		}
	}
	switch {
	case isDefaultMount(dst):
	case typ == "bind":
		out.Mounts = append(out.Mounts, InspectMount{Type: "bind", Source: src, Destination: dst, Options: opts, RW: rw})
		mode := "rw"
		if !rw {
			mode = "ro"
		}
		out.HostConfig.Binds = append(out.HostConfig.Binds, src+":"+dst+":"+mode)
	case typ == "tmpfs":
		out.Mounts = append(out.Mounts, InspectMount{Type: "tmpfs", Source: "tmpfs", Destination: dst, Options: opts, RW: rw})
		out.HostConfig.Tmpfs[dst] = strings.Join(opts, ",")
	}
}

// isDefaultMount reports whether dst is one of the mounts every container
// gets (kernel filesystems, /etc files), as opposed to the user's.
func isDefaultMount(dst string) bool {
	switch dst {
	case "/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys":
		return true
	}
	for _, f := range etcFiles {
		if dst == "/etc/"+f {
			return true
		}
	}
	return false
}
