package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"

	"github.com/moby/sys/capability"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/hutchctr/hutch/pkg/errdefs"
	"github.com/hutchctr/hutch/pkg/ns"
	"github.com/hutchctr/hutch/pkg/spec"
	"github.com/hutchctr/hutch/pkg/state"
)

// Exec runs a process in a running container and returns an *ExitError for
// a non-zero exit code. Detached, it returns once the process started.
func (e *Engine) Exec(ctx context.Context, ref string, o ExecOptions) error {
	if len(o.Command) == 0 {
		return errdefs.Errorf(errdefs.ErrInvalidArgument, "exec: no command given")
	}
	c, err := e.state.Get(ref)
	if err != nil {
		return err
	}
	c = e.reconcile(ctx, c)
	if err := e.state.LoadSpec(c); err != nil {
		return err
	}
	if c.State.Status != state.Running {
		return errdefs.Errorf(errdefs.ErrConflict, "container %s is not running (it is %s)", c.Config.Name, displayState(c.State.Status))
	}
	proc, err := execProcessSpec(c, o)
	if err != nil {
		return err
	}
	stdio, closeStdio, err := execStdio(o)
	if err != nil {
		return err
	}
	// The process counts against the container's limits, and top sees it.
	var place func(int) error
	if hasCgroup(c.State) {
		place = e.cgroups().Open(*c.State.Cgroup).Join
	}
	p, err := e.execer.StartExec(ctx, c.State.Pid, proc, stdio.files, o.Detach, place)
	closeStdio()
	if err != nil {
		stdio.stop()
		var execErr *ns.ExecError
		if errors.As(err, &execErr) {
			return execExitError(o.Command[0], execErr)
		}
		return fmt.Errorf("exec in %s: %w", c.Config.Name, err)
	}
	if o.Detach {
		return nil
	}
	if con := p.Console(); con != nil {
		stopRelay := relayConsole(ctx, con, o.Streams)
		defer stopRelay()
	}
	code, err := p.Wait()
	stdio.stop()
	if err != nil {
		return fmt.Errorf("exec in %s: %w", c.Config.Name, err)
	}
	if code != 0 {
		return &ExitError{Code: code}
	}
	return nil
}

// execProcessSpec builds the exec'd process from the container's own
// process (capabilities, rlimits, no_new_privs) and the options.
func execProcessSpec(c *state.Container, o ExecOptions) (*specs.Process, error) {
	if c.Config.Spec == nil || c.Config.Spec.Process == nil {
		return nil, errdefs.Errorf(errdefs.ErrInvalidArgument, "container %s has no runtime spec", c.Config.Name)
	}
	p := *c.Config.Spec.Process
	p.Args = o.Command
	p.Terminal = o.Terminal
	env, err := withUserEnv(p.Env, o.EnvFiles, o.Env)
	if err != nil {
		return nil, err
	}
	p.Env = env
	if o.Terminal {
		p.Env = spec.MergeEnv([]string{"TERM=xterm"}, p.Env)
	}
	if o.Workdir != "" {
		p.Cwd = o.Workdir
	}
	// The user is resolved in the running container's own files.
	root := "/proc/" + strconv.Itoa(c.State.Pid) + "/root"
	user, home, err := spec.ResolveUser(root, firstNonEmpty(o.User, c.Config.User))
	if err != nil {
		return nil, err
	}
	p.User = user
	if spec.LookupEnv(p.Env, "HOME") == "" {
		p.Env = append(p.Env, "HOME="+home)
	}
	if o.Privileged {
		all := allCapabilities()
		p.Capabilities = &specs.LinuxCapabilities{Bounding: all, Effective: all, Permitted: all}
	}
	return &p, nil
}

func allCapabilities() []string {
	var out []string
	last, err := capability.LastCap()
	if err != nil {
		return append([]string(nil), spec.DefaultCapabilities...)
	}
	for _, c := range capability.ListKnown() {
		if c <= last {
			out = append(out, "CAP_"+upper(c.String()))
		}
	}
	return out
}

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

// execIO holds the exec'd process's stdio and the copies that feed it.
type execIO struct {
	files [3]*os.File
	wg    sync.WaitGroup
	stopF []func()
}

// stop waits for output copies to drain and stops the input copy.
func (x *execIO) stop() {
	for _, f := range x.stopF {
		f()
	}
	x.wg.Wait()
}

// execStdio gives the process the caller's files directly where they are
// files, and pipes with copies otherwise. The returned func closes the
// child's ends after the process started.
func execStdio(o ExecOptions) (*execIO, func(), error) {
	x := &execIO{}
	if o.Terminal || o.Detach {
		return x, func() {}, nil
	}
	var childEnds []*os.File
	closeChild := func() {
		for _, f := range childEnds {
			f.Close()
		}
	}
	if o.Interactive && o.Streams.In != nil {
		if f, ok := o.Streams.In.(*os.File); ok {
			x.files[0] = f
		} else {
			r, w, err := os.Pipe()
			if err != nil {
				return nil, nil, err
			}
			x.files[0], childEnds = r, append(childEnds, r)
			go func() { io.Copy(w, o.Streams.In); w.Close() }()
			x.stopF = append(x.stopF, func() { w.Close() })
		}
	}
	for i, dst := range []io.Writer{o.Streams.Out, o.Streams.Err} {
		if dst == nil {
			continue
		}
		if f, ok := dst.(*os.File); ok {
			x.files[i+1] = f
			continue
		}
		r, w, err := os.Pipe()
		if err != nil {
			closeChild()
			return nil, nil, err
		}
		x.files[i+1], childEnds = w, append(childEnds, w)
		x.wg.Add(1)
		go func() { defer x.wg.Done(); io.Copy(dst, r); r.Close() }()
	}
	return x, closeChild, nil
}
