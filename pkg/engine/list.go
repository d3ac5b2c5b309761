package engine

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/hutchctr/hutch/pkg/errdefs"
	"github.com/hutchctr/hutch/pkg/state"
)

// List returns the containers matching o, newest first. It reads records
// only: no storage, no namespace joining.
func (e *Engine) List(ctx context.Context, o ListOptions) ([]ContainerSummary, error) {
	match, err := newFilter(o.Filters)
	if err != nil {
		return nil, err
	}
	records, err := e.state.List()
	if err != nil {
		return nil, err
	}
	now := time.Now()
	out := make([]ContainerSummary, 0, len(records))
	for _, c := range records {
		c = e.reconcile(ctx, c)
		if !o.All && !c.State.Status.Active() && !hasStatusFilter(o.Filters) {
			continue
		}
		if !match(c) {
			continue
		}
		out = append(out, summarize(c, now))
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Created > out[j].Created })
	return out, nil
}

// displayState maps a record's status to the state users see.
func displayState(s state.Status) string {
	if s == state.Configured {
		return string(state.Created)
	}
	return string(s)
}

func summarize(c *state.Container, now time.Time) ContainerSummary {
	s := ContainerSummary{
		ID: c.Config.ID, Names: []string{c.Config.Name},
		Image: c.Config.ImageName, ImageID: c.Config.ImageID,
		Command: c.Config.Command, Created: c.Config.Created.Unix(),
		CreatedAt: c.Config.Created.Format("2006-01-02 15:04:05.999999999 -0700 MST"),
		State:     displayState(c.State.Status), Status: statusText(c, now),
		Exited: c.State.Status == state.Exited, ExitCode: c.State.ExitCode,
		Labels: c.Config.Labels, AutoRemove: c.Config.AutoRemove,
		Mounts: []string{},
	}
	s.Networks, s.Ports = summaryNetworks(c)
	if c.State.Status.Active() {
		s.Pid = c.State.Pid
	}
	if !c.State.StartedAt.IsZero() {
		s.StartedAt = c.State.StartedAt.Unix()
	}
	if !c.State.FinishedAt.IsZero() {
		s.ExitedAt = c.State.FinishedAt.Unix()
	}
	s.Mounts = append(s.Mounts, c.Config.Mounts...)
	return s
}

// statusText is the STATUS column: "Up 5 seconds", "Exited (0) 2 minutes
// ago", "Created".
func statusText(c *state.Container, now time.Time) string {
	switch c.State.Status {
	case state.Running, state.Stopping:
		return "Up " + humanDuration(now.Sub(c.State.StartedAt))
	case state.Paused:
		return "Up " + humanDuration(now.Sub(c.State.StartedAt)) + " (Paused)"
	case state.Exited:
		return fmt.Sprintf("Exited (%d) %s ago", c.State.ExitCode, humanDuration(now.Sub(c.State.FinishedAt)))
	case state.Removing:
		return "Removing"
	default:
		return "Created"
	}
}

// humanDuration renders d like Docker's units.HumanDuration.
func humanDuration(d time.Duration) string {
	switch s := int(d.Seconds()); {
	case s < 1:
		return "Less than a second"
	case s == 1:
		return "1 second"
	case s < 60:
		return fmt.Sprintf("%d seconds", s)
	}
	switch m := int(d.Minutes()); {
	case m == 1:
		return "About a minute"
	case m < 60:
		return fmt.Sprintf("%d minutes", m)
	}
	switch h := int(d.Round(time.Hour).Hours()); {
	case h == 1:
		return "About an hour"
	case h < 48:
		return fmt.Sprintf("%d hours", h)
	case h < 24*7*2:
		return fmt.Sprintf("%d days", h/24)
	case h < 24*30*2:
		return fmt.Sprintf("%d weeks", h/24/7)
	case h < 24*365*2:
		return fmt.Sprintf("%d months", h/24/30)
	default:
		return fmt.Sprintf("%d years", h/24/365)
	}
}

func hasStatusFilter(f map[string][]string) bool { return len(f["status"]) > 0 }

// newFilter compiles ps filters: values of one key are ORed, keys ANDed.
func newFilter(filters map[string][]string) (func(*state.Container) bool, error) {
	var preds []func(*state.Container) bool
	for key, values := range filters {
		var one []func(*state.Container) bool
		for _, v := range values {
			p, err := filterPredicate(key, v)
			if err != nil {
				return nil, err
			}
			one = append(one, p)
		}
		preds = append(preds, func(c *state.Container) bool {
			for _, p := range one {
				if p(c) {
					return true
				}
			}
			return len(one) == 0
		})
	}
	return func(c *state.Container) bool {
		for _, p := range preds {
			if !p(c) {
				return false
			}
		}
		return true
	}, nil
}

func filterPredicate(key, v string) (func(*state.Container) bool, error) {
	switch key {
	case "name":
		re, err := regexp.Compile(v)
		if err != nil {
			return nil, errdefs.Errorf(errdefs.ErrInvalidArgument, "filter name=%s: %v", v, err)
		}
		return func(c *state.Container) bool { return re.MatchString(c.Config.Name) }, nil
	case "id":
		return func(c *state.Container) bool { return strings.HasPrefix(c.Config.ID, v) }, nil
	case "status":
		switch v {
		case "created", "running", "paused", "exited", "stopping", "removing":
		default:
			return nil, errdefs.Errorf(errdefs.ErrInvalidArgument, "filter status=%s: want created, running, paused, exited, stopping or removing", v)
		}
		return func(c *state.Container) bool { return displayState(c.State.Status) == v }, nil
	case "label":
		k, val, hasVal := strings.Cut(v, "=")
		return func(c *state.Container) bool {
			got, ok := c.Config.Labels[k]
			return ok && (!hasVal || got == val)
		}, nil
	case "ancestor":
		return func(c *state.Container) bool {
			return c.Config.ImageName == v || c.Config.Image == v || strings.HasPrefix(c.Config.ImageID, v)
		}, nil
	default:
		return nil, errdefs.Errorf(errdefs.ErrInvalidArgument, "filter %q: supported filters are name, id, status, label and ancestor", key)
	}
}

// ContainerNames lists container names for shell completion (no storage,
// no namespace joining). With all false, only running containers.
func (e *Engine) ContainerNames(ctx context.Context, all bool) ([]string, error) {
	records, err := e.state.List()
	if err != nil {
		return nil, err
	}
	var names []string
	for _, c := range records {
		if c.Config.Name == "" || !all && !c.State.Status.Active() {
			continue
		}
		names = append(names, c.Config.Name)
	}
	sort.Strings(names)
	return names, nil
}
