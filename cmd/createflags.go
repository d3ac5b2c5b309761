package cmd

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/hutchctr/hutch/pkg/engine"
)

// createFlags are the flags run and create share. Most bind straight into
// engine.CreateOptions; the rest need work after parsing.
type createFlags struct {
	opts        engine.CreateOptions
	labels      []string
	entrypoint  string
	stopTimeout uint
	registry    registryFlags
	quiet       bool
}

// addCreateFlags registers the shared flags. Flags after the image belong
// to the container's command, hence no interspersed flags.
func addCreateFlags(c *cobra.Command, v *createFlags) {
	fs := c.Flags()
	fs.SetInterspersed(false)
	o := &v.opts
	fs.BoolVarP(&o.Stdin, "interactive", "i", false, "keep stdin open, even if not attached")
	fs.BoolVarP(&o.Terminal, "tty", "t", false, "allocate a pseudo-terminal for the container")
	fs.BoolVar(&o.AutoRemove, "rm", false, "remove the container when it exits")
	fs.StringVar(&o.Name, "name", "", "name the container (default: generated)")
	fs.StringArrayVarP(&o.Env, "env", "e", nil, "set an environment variable: KEY=VALUE, or KEY to copy hutch's (repeatable)")
	fs.StringArrayVar(&o.EnvFiles, "env-file", nil, "read environment variables from a file (repeatable)")
	fs.StringVarP(&o.Workdir, "workdir", "w", "", "working directory inside the container")
	fs.StringVarP(&o.User, "user", "u", "", "user[:group] to run as, by name or number")
	// -h is the host name, as in Podman and Docker. Cobra would claim -h
	// for help, so help is declared here, long form only.
	fs.StringVarP(&o.Hostname, "hostname", "h", "", "the container's host name")
	fs.Bool("help", false, "help for "+c.Name())
	fs.StringVar(&v.entrypoint, "entrypoint", "", "override the image's entrypoint (\"\" clears it)")
	fs.StringArrayVarP(&v.labels, "label", "l", nil, "set a label: KEY=VALUE (repeatable)")
	fs.StringVar(&o.Network, "network", "none", "network mode: none or host")
	fs.StringVar(&o.Network, "net", "none", "alias of --network")
	_ = fs.MarkHidden("net")
	fs.BoolVar(&o.ReadOnly, "read-only", false, "mount the container's root filesystem read-only")
	fs.StringArrayVarP(&o.Volumes, "volume", "v", nil, "bind mount: HOST-DIR:CONTAINER-DIR[:ro|rw] (repeatable)")
	fs.StringArrayVar(&o.Tmpfs, "tmpfs", nil, "mount a tmpfs: CONTAINER-DIR[:OPTIONS] (repeatable)")
	fs.StringArrayVar(&o.Mounts, "mount", nil, "mount: type=bind|tmpfs,source=...,destination=...[,ro] (repeatable)")
	fs.BoolVar(&o.Init, "init", false, "run an init in the container that forwards signals and reaps zombies")
	fs.StringVar(&o.StopSignal, "stop-signal", "", "signal that stops the container (default SIGTERM)")
	fs.UintVar(&v.stopTimeout, "stop-timeout", 10, "seconds to wait for the stop signal before SIGKILL")
	fs.StringVar(&o.Pull, "pull", engine.PullMissing, "pull policy: always, missing (when not in local storage), never or newer (when the registry's digest differs)")
	fs.StringVar(&o.PullOptions.Platform, "platform", "", "pull the image for this platform: OS/ARCH[/VARIANT]")
	fs.BoolVarP(&v.quiet, "quiet", "q", false, "show no pull progress")
	addRegistryFlags(c, &v.registry, true)

	for name, fn := range map[string]cobra.CompletionFunc{
		"network":     fixedValues("none", "host"),
		"net":         fixedValues("none", "host"),
		"stop-signal": fixedValues(signalNames()...),
		"pull":        fixedValues("always", "missing", "never", "newer"),
	} {
		_ = c.RegisterFlagCompletionFunc(name, fn)
	}
}

// options validates the flags and returns the create options for args
// (IMAGE [COMMAND [ARG...]]).
func (v *createFlags) options(c *cobra.Command, args []string) (engine.CreateOptions, error) {
	o := v.opts
	o.Image = args[0]
	if len(args) > 1 {
		o.Command = args[1:]
	}
	if c.Flags().Changed("entrypoint") {
		ep := v.entrypoint
		o.Entrypoint = &ep
	}
	o.StopTimeout = uintIfChanged(c.Flags(), "stop-timeout", v.stopTimeout)
	labels, err := parseLabels(v.labels)
	if err != nil {
		return o, err
	}
	o.Labels = labels
	switch o.Pull {
	case engine.PullMissing, engine.PullAlways, engine.PullNever, engine.PullNewer:
	default:
		return o, flagErrorf("invalid --pull %q: use always, missing, never or newer", o.Pull)
	}
	o.PullOptions.TLSVerify = tlsVerifyFlag(c, &v.registry)
	o.PullOptions.AuthFile = v.registry.authFile
	return o, nil
}

// withPullIO completes the pull settings that depend on the terminal: the
// progress output, and a --creds password asked for.
func (v *createFlags) withPullIO(ios *IOStreams, o engine.CreateOptions) (engine.CreateOptions, error) {
	creds, err := credsFlag(ios, &v.registry)
	if err != nil {
		return o, err
	}
	o.PullOptions.Creds = creds
	o.PullOptions.Progress, o.PullOptions.Terminal = pullProgress(ios, v.quiet)
	return o, nil
}

// parseLabels turns KEY=VALUE (or KEY, an empty value) into a map.
func parseLabels(in []string) (map[string]string, error) {
	if len(in) == 0 {
		return nil, nil
	}
	m := make(map[string]string, len(in))
	for _, l := range in {
		k, val, _ := strings.Cut(l, "=")
		if k == "" {
			return nil, flagErrorf("invalid label %q: the key is empty", l)
		}
		m[k] = val
	}
	return m, nil
}
