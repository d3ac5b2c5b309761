package cmd

import (
	"context"
	"testing"
	"time"

	"github.com/hutchctr/hutch/pkg/engine"
)

func TestNewCmdLogs(t *testing.T) {
	since := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name    string
		args    []string
		want    *logsOptions
		wantErr bool
	}{
		{"defaults", []string{"web"}, &logsOptions{Ref: "web", Logs: engine.LogsOptions{Tail: -1}}, false},
		{"all flags", []string{"-f", "--tail", "5", "-t", "--since", "2024-01-02T03:04:05Z", "--until", "1704164645", "web"},
			&logsOptions{Ref: "web", Logs: engine.LogsOptions{Follow: true, Tail: 5, Timestamps: true, Since: since, Until: since}}, false},
		{"bad since", []string{"--since", "last tuesday", "web"}, nil, true},
		{"two containers", []string{"a", "b"}, nil, true},
		{"none", nil, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, _, _ := testIO()
			got, err := parse(t, newLogsCmd, ios, tt.args)
			if got != nil {
				// Times parsed from Unix seconds are local; compare instants.
				got.Logs.Until = got.Logs.Until.UTC()
			}
			checkParse(t, got, err, tt.want, tt.wantErr)
		})
	}
}

func TestParseTimeFlag(t *testing.T) {
	now := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		in      string
		want    time.Time
		wantErr bool
	}{
		{"", time.Time{}, false},
		{"10m", now.Add(-10 * time.Minute), false},
		{"1h30m", now.Add(-90 * time.Minute), false},
		{"1704164645", now, false},
		{"1704164645.5", now.Add(500 * time.Millisecond), false},
		{"2024-01-02T03:04:05Z", now, false},
		{"2024-01-02T04:04:05+01:00", now, false},
		{"2024-01-02T03:04:05", now, false},
		{"2024-01-02", time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC), false},
		{"soon", time.Time{}, true},
	}
	for _, tt := range tests {
		got, err := parseTimeFlag("since", tt.in, now)
		if (err != nil) != tt.wantErr || !got.Equal(tt.want) {
			t.Errorf("parseTimeFlag(%q) = %v, %v; want %v, error %t", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestLogsRun(t *testing.T) {
	ios, _, out, errOut := testIO()
	fake := &fakeEngine{}
	opts := &logsOptions{IO: ios, Engine: use[logsEngine](fake), Ref: "web", Logs: engine.LogsOptions{Tail: 3}}
	code := reportError(errOut, nil, runLogs(context.Background(), opts))
	checkOutput(t, code, out.String(), errOut.String(), 0, "out line\n", "err line\n")
	if fake.logs.Tail != 3 {
		t.Errorf("engine got tail %d, want 3", fake.logs.Tail)
	}
}
