package slirp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/hutchctr/hutch/internal/procnet"

	"github.com/rootless-containers/rootlesskit/v3/pkg/api/client"
	"github.com/rootless-containers/rootlesskit/v3/pkg/parent"
	"github.com/rootless-containers/rootlesskit/v3/pkg/port"

	"github.com/hutchctr/hutch/pkg/errdefs"
)

// PortSpec is one port published rootless: the holder's parent listens on
// the host and its child side dials the container's address in N.
type PortSpec struct {
	// Proto is "tcp" or "udp". Required.
	Proto string `json:"proto"`
	// HostIP is the host address to listen on; empty means all of them,
	// IPv4 and IPv6.
	HostIP string `json:"hostIP,omitempty"`
	// HostPort is the port to listen on, 1-65535. Required.
	HostPort int `json:"hostPort"`
	// ChildIP is the container's address on its bridge in N. Required.
	ChildIP string `json:"childIP"`
	// ChildPort is the container's port, 1-65535. Required.
	ChildPort int `json:"childPort"`
}

func (s PortSpec) String() string {
	host := net.JoinHostPort(s.HostIP, strconv.Itoa(s.HostPort))
	return fmt.Sprintf("%s/%s -> %s", host, s.Proto, net.JoinHostPort(s.ChildIP, strconv.Itoa(s.ChildPort)))
}

func (s PortSpec) rootlesskit() port.Spec {
	return port.Spec{Proto: s.Proto, ParentIP: s.HostIP, ParentPort: s.HostPort, ChildIP: s.ChildIP, ChildPort: s.ChildPort}
}

func (s PortSpec) validate() error {
	if s.Proto != "tcp" && s.Proto != "udp" {
		return fmt.Errorf("port %s: protocol must be tcp or udp: %w", s, errdefs.ErrInvalidArgument)
	}
	if s.HostIP != "" && net.ParseIP(s.HostIP) == nil {
		return fmt.Errorf("port %s: host address %q is not an IP address: %w", s, s.HostIP, errdefs.ErrInvalidArgument)
	}
	if net.ParseIP(s.ChildIP) == nil {
		return fmt.Errorf("port %s: container address %q is not an IP address: %w", s, s.ChildIP, errdefs.ErrInvalidArgument)
	}
	if s.HostPort < 1 || s.HostPort > 65535 || s.ChildPort < 1 || s.ChildPort > 65535 {
		return fmt.Errorf("port %s: ports must be 1-65535: %w", s, errdefs.ErrInvalidArgument)
	}
	return nil
}

// AddPorts publishes containerID's ports through the live holder and
// returns their ids, in the order of specs, for RemovePorts. It records
// them in the holder's state first, so that ReclaimPorts can remove them
// if the caller is killed. On error none of specs stays published.
//
// Call it from the user's host network namespace (the monitor's): it
// checks there, before asking the holder, that each host port may be
// bound (ports below net.ipv4.ip_unprivileged_port_start fail wrapping
// errdefs.ErrPermission) and is free (errdefs.ErrConflict).
func AddPorts(ctx context.Context, runDir, containerID string, specs []PortSpec) ([]int, error) {
	if err := checkContainerID(containerID); err != nil {
		return nil, err
	}
	for _, s := range specs {
		if err := s.validate(); err != nil {
			return nil, err
		}
		if err := checkHostPort(s); err != nil {
			return nil, err
		}
	}
	inst, err := liveInstance(runDir)
	if err != nil {
		return nil, err
	}
	rec, err := loadPorts(inst.dir, containerID)
	if err != nil {
		return nil, err
	}
	// Pending entries (id 0) first: a reclaimer finds a port published
	// by a caller killed before it learnt the id by its host address.
	first := len(rec.Ports)
	for _, s := range specs {
		rec.Ports = append(rec.Ports, publishedPort{Spec: s})
	}
	if err := rec.save(inst.dir); err != nil {
		return nil, err
	}
	c, err := client.New(apiSocket(inst))
	if err != nil {
		return nil, errors.Join(err, rollback(ctx, nil, inst.dir, rec, first, nil))
	}
	defer c.Close()
	pm := c.PortManager()
	ids := make([]int, 0, len(specs))
	for i, s := range specs {
		st, err := pm.AddPort(ctx, s.rootlesskit())
		if err != nil {
			return nil, errors.Join(classifyAddError(s, err), rollback(ctx, pm, inst.dir, rec, first, ids))
		}
		ids = append(ids, st.ID)
		rec.Ports[first+i].ID = st.ID
	}
	if err := rec.save(inst.dir); err != nil {
		return nil, errors.Join(err, rollback(ctx, pm, inst.dir, rec, first, ids))
	}
	return ids, nil
}

// rollback unpublishes ids (the first of rec's entries from first on) and
// drops the entries from first on from the record. It goes on when ctx is
// cancelled: a port left behind would stay published with no record.
func rollback(ctx context.Context, pm port.Manager, dir string, rec *portRecord, first int, ids []int) error {
	ctx = context.WithoutCancel(ctx)
	var errs []error
	for _, id := range ids {
		errs = append(errs, removePort(ctx, pm, id))
	}
	rec.Ports = rec.Ports[:first]
	errs = append(errs, rec.save(dir))
	return errors.Join(errs...)
}

// RemovePorts unpublishes containerID's ports with the given ids and
// forgets them. Only ids recorded for containerID in the live holder are
// touched: ids of a holder since replaced (they went with it) may name
// other containers' ports in its successor. Without a live holder there is
// nothing to do.
func RemovePorts(ctx context.Context, runDir, containerID string, ids []int) error {
	if err := checkContainerID(containerID); err != nil {
		return err
	}
	inst, err := liveInstance(runDir)
	if errors.Is(err, errdefs.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	rec, err := loadPorts(inst.dir, containerID)
	if err != nil {
		return err
	}
	c, err := client.New(apiSocket(inst))
	if err != nil {
		return err
	}
	defer c.Close()
	var errs []error
	kept := rec.Ports[:0]
	for _, p := range rec.Ports {
		if p.ID == 0 || !slices.Contains(ids, p.ID) {
			kept = append(kept, p)
			continue
		}
		if err := removePort(ctx, c.PortManager(), p.ID); err != nil {
			errs = append(errs, err)
			kept = append(kept, p) // for a later ReclaimPorts
		}
	}
	rec.Ports = kept
	errs = append(errs, rec.save(inst.dir))
	return errors.Join(errs...)
}

// ReclaimPorts unpublishes the ports of every container for which alive
// returns false (its monitor is gone, e.g. SIGKILLed before it could call
// RemovePorts) and returns those containers' ids.
func ReclaimPorts(ctx context.Context, runDir string, alive func(containerID string) bool) ([]string, error) {
	inst, err := liveInstance(runDir)
	if errors.Is(err, errdefs.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	recs, err := listPorts(inst.dir)
	if err != nil || len(recs) == 0 {
		return nil, err
	}
	c, err := client.New(apiSocket(inst))
	if err != nil {
		return nil, err
	}
	defer c.Close()
	pm := c.PortManager()
	var listed []port.Status
	var reclaimed []string
	var errs []error
	for _, rec := range recs {
		if alive(rec.ContainerID) {
			continue
		}
		if listed == nil {
			if listed, err = pm.ListPorts(ctx); err != nil {
				return nil, fmt.Errorf("list published ports: %w", err)
			}
		}
		if err := reclaim(ctx, pm, inst.dir, rec, listed); err != nil {
			errs = append(errs, fmt.Errorf("container %s: %w", rec.ContainerID, err))
			continue
		}
		reclaimed = append(reclaimed, rec.ContainerID)
	}
	return reclaimed, errors.Join(errs...)
}

// reclaim unpublishes a dead container's ports (pending ones found among
// listed by their host address, which the holder keeps unique) and
// removes its record.
func reclaim(ctx context.Context, pm port.Manager, dir string, rec *portRecord, listed []port.Status) error {
	var errs []error
	for _, p := range rec.Ports {
		id := p.ID
		if id == 0 {
			id = findPort(listed, p.Spec)
		}
		if id != 0 {
			errs = append(errs, removePort(ctx, pm, id))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	rec.Ports = nil
	return rec.save(dir)
}

func findPort(listed []port.Status, s PortSpec) int {
	want := s.rootlesskit()
	for _, st := range listed {
		if st.Spec == want {
			return st.ID
		}
	}
	return 0
}

// removePort unpublishes id; an id the holder does not know (already
// removed, e.g. by a concurrent reclaim) is not an error. The API reports
// that only in words.
func removePort(ctx context.Context, pm port.Manager, id int) error {
	err := pm.RemovePort(ctx, id)
	if err != nil && strings.Contains(err.Error(), "unknown id") {
		return nil
	}
	if err != nil {
		return fmt.Errorf("unpublish port %d: %w", id, err)
	}
	return nil
}

func apiSocket(inst *instance) string {
	return inst.dir + "/" + parent.StateFileAPISock
}

// checkHostPort tries to bind the host port itself, in the caller's (the
// host's) network namespace, to report the two common failures with a
// typed errno rather than the holder's words over HTTP.
func checkHostPort(s PortSpec) error {
	start, err := unprivilegedPortStart()
	if err == nil && s.HostPort < start {
		return privilegedPortError(s.HostPort, start)
	}
	addr := net.JoinHostPort(s.HostIP, strconv.Itoa(s.HostPort))
	if s.Proto == "udp" {
		var pc net.PacketConn
		if pc, err = net.ListenPacket("udp", addr); err == nil {
			return pc.Close()
		}
	} else {
		var l net.Listener
		if l, err = net.Listen("tcp", addr); err == nil {
			return l.Close()
		}
	}
	switch {
	case errors.Is(err, syscall.EADDRINUSE):
		return portInUseError(s)
	case errors.Is(err, syscall.EACCES) && start > 0:
		return privilegedPortError(s.HostPort, start)
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return fmt.Errorf("port %s: the host has no address %s: %w", s, s.HostIP, errdefs.ErrInvalidArgument)
	}
	return fmt.Errorf("port %s: %w", s, err)
}

func unprivilegedPortStart() (int, error) {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_unprivileged_port_start")
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(string(b)))
}

func privilegedPortError(p, start int) error {
	return fmt.Errorf("host port %d is privileged: rootless containers can publish host ports from "+
		"net.ipv4.ip_unprivileged_port_start (%d) up; use a higher host port, or let users bind from %d "+
		"(as root: sysctl -w net.ipv4.ip_unprivileged_port_start=%d, and add it to /etc/sysctl.d/ to keep it): %w",
		p, start, p, p, errdefs.ErrPermission)
}

func portInUseError(s PortSpec) error {
	msg := fmt.Sprintf("host port %d/%s is already in use", s.HostPort, s.Proto)
	if s.HostIP != "" {
		msg = fmt.Sprintf("host port %s/%s is already in use", net.JoinHostPort(s.HostIP, strconv.Itoa(s.HostPort)), s.Proto)
	}
	if who := procnet.Holder("/proc/net", s.Proto, uint16(s.HostPort)); who != "" {
		msg += " by " + who
	}
	return fmt.Errorf("%s: %w", msg, errdefs.ErrConflict)
}

// classifyAddError turns the holder's refusal into hutch's error classes.
// The API reports errors only as text, so this matches the kernel's and
// rootlesskit's words; checkHostPort has already caught the usual causes.
func classifyAddError(s PortSpec, err error) error {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "address already in use") || strings.Contains(msg, "conflict with ID"):
		return portInUseError(s)
	case strings.Contains(msg, "permission denied") || strings.Contains(msg, "privileged port"):
		if start, e := unprivilegedPortStart(); e == nil && s.HostPort < start {
			return privilegedPortError(s.HostPort, start)
		}
	}
	return fmt.Errorf("publish port %s: %w", s, err)
}
