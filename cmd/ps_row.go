package cmd

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hutchctr/hutch/pkg/engine"
	"github.com/hutchctr/hutch/pkg/report"
)

// psRow is what `ps --format` templates see, with Podman's field names and
// meanings: formatted strings where Podman has them.
type psRow struct {
	ID           string // 12 characters unless --no-trunc
	Image        string
	ImageID      string
	Command      string // joined; truncated unless --no-trunc
	CreatedAt    string // the creation time
	CreatedHuman string // "5 seconds ago"
	RunningFor   string // "5 seconds ago"
	Status       string // "Up 5 seconds", "Exited (0) 2 seconds ago", "Created"
	State        string // "running", "exited", ...
	Names        string // comma-separated
	Labels       map[string]string
	Ports        string
	Mounts       []string
	Networks     []string
	Pid          int
	ExitCode     int
	AutoRemove   bool
}

// commandWidth is where Podman cuts the COMMAND column.
const commandWidth = 17

func newPsRow(c engine.ContainerSummary, now time.Time, noTrunc bool) psRow {
	created := createdTime(c).In(now.Location())
	cmdline := strings.Join(c.Command, " ")
	if r := []rune(cmdline); !noTrunc && len(r) > commandWidth {
		cmdline = string(r[:commandWidth]) + "..."
	}
	return psRow{
		ID:           idString(c.ID, noTrunc),
		Image:        c.Image,
		ImageID:      c.ImageID,
		Command:      cmdline,
		CreatedAt:    created.String(),
		CreatedHuman: report.Ago(created, now),
		RunningFor:   report.Ago(created, now),
		Status:       psStatus(c, now),
		State:        c.State,
		Names:        strings.Join(c.Names, ","),
		Labels:       c.Labels,
		Ports:        portsString(c.Ports),
		Mounts:       c.Mounts,
		Networks:     c.Networks,
		Pid:          c.Pid,
		ExitCode:     c.ExitCode,
		AutoRemove:   c.AutoRemove,
	}
}

// createdTime prefers the precise CreatedAt when the engine gives one in
// RFC 3339, else the Unix seconds.
func createdTime(c engine.ContainerSummary) time.Time {
	if t, err := time.Parse(time.RFC3339Nano, c.CreatedAt); err == nil {
		return t
	}
	if c.Created == 0 {
		return time.Time{}
	}
	return time.Unix(c.Created, 0)
}

// psStatus is the STATUS column, computed from the state and times the way
// Podman does, so it is fresh whatever the engine cached in Status.
func psStatus(c engine.ContainerSummary, now time.Time) string {
	switch c.State {
	case "running":
		if c.StartedAt <= 0 {
			return "Up"
		}
		return "Up " + report.HumanDuration(now.Sub(time.Unix(c.StartedAt, 0)))
	case "exited", "stopped":
		if c.ExitedAt <= 0 {
			return fmt.Sprintf("Exited (%d)", c.ExitCode)
		}
		return fmt.Sprintf("Exited (%d) %s", c.ExitCode, report.Ago(time.Unix(c.ExitedAt, 0), now))
	case "configured", "created":
		return "Created"
	case "":
		return c.Status
	}
	return strings.ToUpper(c.State[:1]) + c.State[1:]
}

// portsString renders published ports like Podman ("0.0.0.0:8080->80/tcp,
// ..."). The engine's port type is not settled: strings pass through, and
// maps with Podman's PortMapping keys are formatted.
func portsString(ports []any) string {
	out := make([]string, 0, len(ports))
	for _, p := range ports {
		switch v := p.(type) {
		case string:
			out = append(out, v)
		case map[string]any:
			out = append(out, portMapping(v))
		default:
			out = append(out, fmt.Sprint(v))
		}
	}
	return strings.Join(out, ", ")
}

func portMapping(m map[string]any) string {
	str := func(k string) string {
		switch v := m[k].(type) {
		case string:
			return v
		case float64:
			return strconv.FormatFloat(v, 'f', -1, 64)
		case int:
			return strconv.Itoa(v)
		}
		return ""
	}
	host := str("host_ip")
	if host == "" {
		host = "0.0.0.0"
	}
	proto := str("protocol")
	if proto == "" {
		proto = "tcp"
	}
	return fmt.Sprintf("%s:%s->%s/%s", host, str("host_port"), str("container_port"), proto)
}
