package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// registryBinary is Debian's docker-registry (distribution v2.8).
const registryBinary = "/usr/bin/docker-registry"

// localRegistry is a docker-registry process serving plain HTTP on
// 127.0.0.1 in the benchmark's own network namespace.
type localRegistry struct {
	host string
	cmd  *exec.Cmd
	done chan error
}

// startRegistry brings the namespace's loopback up (the program runs in a
// new network namespace, where it starts down) and starts a registry with
// its storage in dir.
func startRegistry(ctx context.Context, dir string) (*localRegistry, error) {
	if out, err := exec.CommandContext(ctx, "ip", "link", "set", "lo", "up").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("loopback up in the benchmark's network namespace: %v: %s", err, out)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("registry port: %w", err)
	}
	host := l.Addr().String()
	l.Close()
	cfg := fmt.Sprintf("version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\n"+
		"storage:\n  filesystem:\n    rootdirectory: %s\n  maintenance:\n    uploadpurging:\n      enabled: false\n"+
		"http:\n  addr: %s\n  secret: hutch-bench\n", filepath.Join(dir, "data"), host)
	path := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		return nil, fmt.Errorf("registry config: %w", err)
	}
	logf, err := os.Create(filepath.Join(dir, "registry.log"))
	if err != nil {
		return nil, fmt.Errorf("registry log: %w", err)
	}
	defer logf.Close()
	r := &localRegistry{host: host, done: make(chan error, 1)}
	r.cmd = exec.Command(registryBinary, "serve", path)
	r.cmd.Stdout, r.cmd.Stderr = logf, logf
	r.cmd.Env = []string{basePath, "TMPDIR=" + dir}
	r.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := r.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s (Debian package docker-registry): %w", registryBinary, err)
	}
	go func() { r.done <- r.cmd.Wait() }()
	if err := r.waitReady(ctx); err != nil {
		r.stop()
		return nil, err
	}
	return r, nil
}

func (r *localRegistry) waitReady(ctx context.Context) error {
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		select {
		case err := <-r.done:
			r.done <- err
			return fmt.Errorf("registry exited: %v", err)
		default:
		}
		if resp, err := http.Get("http://" + r.host + "/v2/"); err == nil {
			resp.Body.Close()
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("registry on %s did not answer", r.host)
}

// stop ends the registry process (by its pid) and waits for it.
func (r *localRegistry) stop() {
	select {
	case err := <-r.done:
		r.done <- err
		return
	default:
	}
	r.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-r.done:
		r.done <- err
	case <-time.After(5 * time.Second):
		r.cmd.Process.Kill()
	}
}

// push uploads img as repo:tag and returns the reference.
func (r *localRegistry) push(ctx context.Context, repoTag string, img v1.Image) (string, error) {
	ref, err := name.ParseReference(r.host+"/"+repoTag, name.Insecure)
	if err != nil {
		return "", err
	}
	if err := remote.Write(ref, img, remote.WithContext(ctx)); err != nil {
		return "", fmt.Errorf("push the benchmark image: %w", err)
	}
	return ref.String(), nil
}
