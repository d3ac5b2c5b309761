package engine

import (
	"context"
	"fmt"
	"io"

	"github.com/hutchctr/hutch/pkg/config"
	"github.com/hutchctr/hutch/pkg/errdefs"
)

// Options configure an Engine.
type Options struct {
	// Root and RunRoot override the data and run directories (--root, --runroot).
	Root, RunRoot string
	// LogLevel is passed to re-executed roles (monitor, init).
	LogLevel string
}

// Engine runs hutch's verbs. It is created per command and closed at exit.
type Engine struct {
	paths config.Paths
	opts  Options
}

// New opens the engine. Rootless, it first makes sure the process runs
// inside the user's namespace holder (re-executing into it if needed).
func New(ctx context.Context, opts Options) (*Engine, error) {
	p, err := config.Resolve(opts.Root, opts.RunRoot)
	if err != nil {
		return nil, err
	}
	return &Engine{paths: p, opts: opts}, nil
}

// Close releases the engine's resources (the storage handle).
func (e *Engine) Close() error { return nil }

func notYet(verb string) error {
	return fmt.Errorf("%s: %w", verb, errdefs.ErrNotImplemented)
}

// Create creates a container and returns its ID.
func (e *Engine) Create(ctx context.Context, o CreateOptions) (string, error) {
	return "", notYet("create")
}

// Run creates and starts a container. Detached, it returns the ID once the
// container runs. Attached, it relays stdio until the container exits and
// returns an *ExitError for a non-zero exit code.
func (e *Engine) Run(ctx context.Context, o CreateOptions, r RunOptions) (string, error) {
	return "", notYet("run")
}

// Start starts a created or exited container; with Attach it behaves like
// an attached Run.
func (e *Engine) Start(ctx context.Context, ref string, o StartOptions) error {
	return notYet("start")
}

// Stop sends the stop signal, then SIGKILL after timeout seconds (nil: the
// container's own timeout).
func (e *Engine) Stop(ctx context.Context, ref string, timeout *uint) error {
	return notYet("stop")
}

// Kill sends sig (a name like "KILL", "SIGTERM" or a number) to the container.
func (e *Engine) Kill(ctx context.Context, ref string, sig string) error {
	return notYet("kill")
}

// Restart stops (if running) and starts the container, detached.
func (e *Engine) Restart(ctx context.Context, ref string, timeout *uint) error {
	return notYet("restart")
}

// Remove removes a container (stopping it first with Force).
func (e *Engine) Remove(ctx context.Context, ref string, o RemoveOptions) error {
	return notYet("rm")
}

// List returns the containers matching o.
func (e *Engine) List(ctx context.Context, o ListOptions) ([]ContainerSummary, error) {
	return nil, notYet("ps")
}

// Inspect returns a container's inspect document.
func (e *Engine) Inspect(ctx context.Context, ref string) (*ContainerInspect, error) {
	return nil, notYet("inspect")
}

// Logs writes the container's log to stdout and stderr.
func (e *Engine) Logs(ctx context.Context, ref string, o LogsOptions, stdout, stderr io.Writer) error {
	return notYet("logs")
}

// Exec runs a process in a running container and returns an *ExitError for
// a non-zero exit code. Detached, it returns once the process started.
func (e *Engine) Exec(ctx context.Context, ref string, o ExecOptions) error {
	return notYet("exec")
}

// Attach connects s to a running container until it exits or the caller
// detaches; it returns an *ExitError for a non-zero exit code.
func (e *Engine) Attach(ctx context.Context, ref string, s Streams, sigProxy bool) error {
	return notYet("attach")
}

// Wait waits for the container to exit and returns its exit code.
func (e *Engine) Wait(ctx context.Context, ref string) (int, error) {
	return 0, notYet("wait")
}

// Rename renames a container.
func (e *Engine) Rename(ctx context.Context, ref, name string) error {
	return notYet("rename")
}

// ContainerNames lists container names for shell completion (no storage,
// no namespace joining). With all false, only running containers.
func (e *Engine) ContainerNames(ctx context.Context, all bool) ([]string, error) {
	return nil, notYet("completion")
}

// Load loads the images of a docker-archive or oci-archive file and returns
// their names (or IDs, for unnamed images).
func (e *Engine) Load(ctx context.Context, path string) ([]string, error) {
	return nil, notYet("load")
}

// Import creates an image from a rootfs tarball and returns its ID. ref may
// be empty.
func (e *Engine) Import(ctx context.Context, path, ref string) (string, error) {
	return "", notYet("import")
}

// Save writes images to path as "docker-archive" or "oci-archive".
func (e *Engine) Save(ctx context.Context, path, format string, refs []string) error {
	return notYet("save")
}

// Images lists images.
func (e *Engine) Images(ctx context.Context, all bool) ([]ImageSummary, error) {
	return nil, notYet("images")
}

// InspectImage returns an image's inspect document.
func (e *Engine) InspectImage(ctx context.Context, ref string) (*ImageInspect, error) {
	return nil, notYet("image inspect")
}

// RemoveImage removes an image. It refuses an image a container uses unless
// force, which removes those containers first. It returns the lines to print
// ("Untagged: ...", "Deleted: ...").
func (e *Engine) RemoveImage(ctx context.Context, ref string, force bool) ([]string, error) {
	return nil, notYet("rmi")
}

// ImageNames lists image names for shell completion.
func (e *Engine) ImageNames(ctx context.Context) ([]string, error) {
	return nil, notYet("completion")
}

// Info describes the host, hutch's mode and its stores.
func (e *Engine) Info(ctx context.Context) (*Info, error) {
	return nil, notYet("info")
}
