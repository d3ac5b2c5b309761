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
	// netNames lists networks and containers for --network completion;
	// nil completes the modes only (none, host, bridge, container:).
	netNames func() (netNamer, error)
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
	addNetworkFlags(c, o)
	addResourceFlags(c, o)
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
		"network":     v.completeNetwork,
		"net":         v.completeNetwork,
		"stop-signal": fixedValues(signalNames()...),
		"pull":        fixedValues("always", "missing", "never", "newer"),
	} {
		_ = c.RegisterFlagCompletionFunc(name, fn)
	}
}

// addNetworkFlags registers the networking flags. Values go to the engine
// as given: it parses and checks them.
func addNetworkFlags(c *cobra.Command, o *engine.CreateOptions) {
	fs := c.Flags()
	fs.StringVar(&o.Network, "network", "", "network: bridge (the default network), NAME[,NAME...], none, host or container:NAME")
	fs.StringVar(&o.Network, "net", "", "alias of --network")
	_ = fs.MarkHidden("net")
	fs.StringVar(&o.IP, "ip", "", "the container's address on its first network")
	fs.StringVar(&o.MAC, "mac-address", "", "the container's MAC address on its first network")
	fs.StringSliceVar(&o.Aliases, "network-alias", nil, "DNS name of the container on its networks with DNS (repeatable)")
	fs.StringSliceVar(&o.DNS, "dns", nil, "name server for the container (repeatable)")
	fs.StringSliceVar(&o.DNSSearch, "dns-search", nil, "DNS search domain, \".\" for none (repeatable)")
	fs.StringSliceVar(&o.DNSOptions, "dns-option", nil, "resolv.conf option, such as ndots:2 (repeatable)")
	fs.StringSliceVar(&o.AddHosts, "add-host", nil, "add an /etc/hosts line: NAME:IP, or NAME:host-gateway (repeatable)")
	fs.StringArrayVarP(&o.Publish, "publish", "p", nil, "publish ports: [IP:][HOSTPORT:]PORT[/tcp|/udp], ranges like 8000-8010:80-90 (repeatable)")
	fs.BoolVarP(&o.PublishAll, "publish-all", "P", false, "publish the image's exposed ports on free host ports")
	fs.StringArrayVar(&o.NetworkOpts, "network-opt", nil, "networking option: allow_host_loopback=true (rootless: reach the host's 127.0.0.1 at 10.0.2.2)")
}

// completeNetwork completes --network (netCompleter.mode), with live
// names when v.netNames is set.
func (v *createFlags) completeNetwork(c *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	return netCompleter{names: v.netNames}.mode(c, args, toComplete)
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
