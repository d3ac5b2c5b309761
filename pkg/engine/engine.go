package engine

import (
	"context"
	"fmt"
	"sync"

	"github.com/sirupsen/logrus"

	"github.com/hutchctr/hutch/pkg/config"
	"github.com/hutchctr/hutch/pkg/errdefs"
	"github.com/hutchctr/hutch/pkg/network"
	"github.com/hutchctr/hutch/pkg/state"
)

// Options configure an Engine.
type Options struct {
	// Root and RunRoot override the data and run directories (--root, --runroot).
	Root, RunRoot string
	// LogLevel is passed to re-executed roles (monitor, init).
	LogLevel string
}

// Engine runs hutch's verbs. It is created per command and closed at exit.
// Opening storage (and, rootless, joining the namespace holder) is deferred
// to the first verb that needs it, so ps, inspect and logs stay cheap.
type Engine struct {
	paths config.Paths
	opts  Options
	state *state.Store

	imgs       imageStore
	openImages func(ctx context.Context) (imageStore, error)
	monitors   monitorLauncher
	client     monitorClient
	execer     execRunner

	netMgr    *network.Manager // opened by networks()
	hostNetNS string
	logins    loginStore
	cg        cgroupBackend                // nil: pkg/cgroupsv2 (cgroups.go); tests set a fake
	file      func() (*config.File, error) // hutch.yaml, read once (hutchConfig)
}

// New opens the engine: it resolves hutch's directories and opens the
// container records. Nothing here needs privileges or the user namespace.
func New(ctx context.Context, opts Options) (*Engine, error) {
	p, err := config.Resolve(opts.Root, opts.RunRoot)
	if err != nil {
		return nil, err
	}
	if err := p.MkdirAll(); err != nil {
		return nil, err
	}
	st, err := state.Open(p.Data, p.Run)
	if err != nil {
		return nil, err
	}
	quietLibraries(opts.LogLevel)
	e := &Engine{paths: p, opts: opts, state: st}
	e.file = sync.OnceValues(func() (*config.File, error) { return config.Load(p.ConfigFile) })
	wireReal(e)
	return e, nil
}

// images opens the image store on first use. Rootless, this is where the
// process joins the namespace holder, which re-executes it: callers must
// call images() before any side effect.
func (e *Engine) images(ctx context.Context) (imageStore, error) {
	if e.imgs == nil {
		s, err := e.openImages(ctx)
		if err != nil {
			return nil, err
		}
		e.imgs = s
	}
	return e.imgs, nil
}

// Close releases the engine's resources (the storage handle).
func (e *Engine) Close() error {
	if e.imgs != nil {
		return e.imgs.Close()
	}
	return nil
}

func notYet(verb string) error {
	return fmt.Errorf("%s: %w", verb, errdefs.ErrNotImplemented)
}

// quietLibraries sets the level of logrus, which containers/storage and
// rootlesskit log through: hutch prints errors once, itself, so their
// warnings only show at --log-level debug or info.
func quietLibraries(level string) {
	switch level {
	case "debug", "trace":
		logrus.SetLevel(logrus.DebugLevel)
	case "info":
		logrus.SetLevel(logrus.InfoLevel)
	default:
		logrus.SetLevel(logrus.FatalLevel)
	}
}

// hutchConfig is hutch.yaml (a missing file is the defaults), read once per
// command. Engines made without New (tests) read it on each call.
func (e *Engine) hutchConfig() (*config.File, error) {
	if e.file == nil {
		return config.Load(e.paths.ConfigFile)
	}
	return e.file()
}
