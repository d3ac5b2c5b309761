package dns

import (
	"context"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"os/signal"
	"slices"
	"syscall"

	hlog "github.com/hutchctr/hutch/pkg/log"

	"golang.org/x/sys/unix"
)

// Main is the "dns" role's entry point (main.go): a Starter re-executes
// hutch with _HUTCH_ROLE=dns, already in the bridge's network namespace,
// with dns.lock flocked on fd 3 and the readiness pipe on fd 4. It serves
// until no running container is attached to the network, or SIGTERM, and
// returns the process's exit code.
func Main() int {
	ready := os.NewFile(readyFD, "ready")
	lock := os.NewFile(lockFD, lockFile)
	// The responder starts no process; should that change, none may
	// inherit the lock and keep the network looking served.
	unix.CloseOnExec(readyFD)
	unix.CloseOnExec(lockFD)
	cfg, err := readRoleConfig()
	log := hlog.ForRole(os.Stderr, "dns", cfg.LogLevel).With("network", cfg.Network)
	if err != nil {
		log.Error("bad start", "err", err)
		reportReady(ready, err)
		return 1
	}
	src, err := newStateSource(cfg.Network, cfg.NetworkID, cfg.DataDir, cfg.RunDir)
	if err != nil {
		log.Error("open state", "err", err)
		reportReady(ready, err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	r := &responder{cfg: cfg, src: src, log: log}
	return r.run(ctx, ready, lock)
}

// responder is the running role.
type responder struct {
	cfg roleConfig
	src Source
	log *slog.Logger
}

// run serves until idle or ctx ends. The order of the exit matters: the
// sockets close before dns.lock is released, so that a successor started
// as soon as the lock is free can bind the same addresses.
func (r *responder) run(ctx context.Context, ready, lock *os.File) int {
	upstreams := r.cfg.Upstreams
	if upstreams == nil {
		conf, err := os.ReadFile("/etc/resolv.conf")
		if err != nil {
			r.log.Warn("no upstream resolvers: other names will fail", "err", err)
		}
		upstreams = Upstreams(conf)
	}
	upstreams = withoutSelf(upstreams, r.cfg.Listen, r.cfg.Port)
	res := NewResolver(r.src, upstreams, r.cfg.Timeout, r.cfg.MaxAge, r.log)
	srv, err := listen(r.cfg.Listen, r.cfg.Port, res)
	if err != nil {
		r.log.Error("listen", "err", err)
		reportReady(ready, err)
		return 1
	}
	if err := writeInfo(r.cfg.Dir); err != nil {
		srv.close()
		r.log.Error("record responder", "err", err)
		reportReady(ready, err)
		return 1
	}
	reportReady(ready, nil)
	r.log.Info("serving", "listen", r.cfg.Listen, "upstreams", upstreams, "pid", os.Getpid())
	release := r.waitIdle(ctx)
	srv.close()
	os.Remove(r.cfg.path(infoFile))
	unix.Flock(int(lock.Fd()), unix.LOCK_UN)
	lock.Close()
	release()
	r.log.Info("exiting")
	return 0
}

// withoutSelf drops the upstreams that are the responder's own addresses,
// which would make every forwarded query loop back.
func withoutSelf(upstreams []string, listen []netip.Addr, port int) []string {
	var out []string
	for _, u := range upstreams {
		ap, err := netip.ParseAddrPort(withPort(u))
		if err == nil && ap.Port() == uint16(port) && slices.Contains(listen, ap.Addr().Unmap()) {
			continue
		}
		out = append(out, u)
	}
	return out
}

// reportReady tells the starter that the responder serves (err nil) or why
// it cannot, and closes the pipe.
func reportReady(ready *os.File, err error) {
	msg := "ok\n"
	if err != nil {
		msg = "error: " + err.Error() + "\n"
	}
	io.WriteString(ready, msg)
	ready.Close()
}
