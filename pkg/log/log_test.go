package log

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

func TestParseLevel(t *testing.T) {
	for _, tt := range []struct {
		in      string
		want    slog.Level
		wantErr bool
	}{
		{"trace", slog.LevelDebug - 4, false},
		{"DEBUG", slog.LevelDebug, false},
		{"info", slog.LevelInfo, false},
		{"warning", slog.LevelWarn, false},
		{"error", slog.LevelError, false},
		{"panic", slog.LevelError + 4, false},
		{"loud", 0, true},
	} {
		got, err := ParseLevel(tt.in)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("ParseLevel(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

// TestForRole: each record is one line marked with the role, filtered by
// level; an unknown level means info.
func TestForRole(t *testing.T) {
	var buf bytes.Buffer
	l := ForRole(&buf, "monitor", "warn")
	l.Info("hidden")
	l.Warn("shown", "id", "abc")
	l.Error("also shown")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("got %d lines, want 2:\n%s", len(lines), buf.String())
	}
	for _, line := range lines {
		if !strings.HasPrefix(line, "[hutch:monitor] time=") {
			t.Errorf("line %q is not marked with the role", line)
		}
	}
	if !strings.Contains(lines[0], "msg=shown id=abc") {
		t.Errorf("first line %q", lines[0])
	}
	buf.Reset()
	ForRole(&buf, "dns", "bogus").Info("default level")
	if !strings.HasPrefix(buf.String(), "[hutch:dns] ") || !strings.Contains(buf.String(), "default level") {
		t.Errorf("unknown level: got %q, want an info record", buf.String())
	}
}
