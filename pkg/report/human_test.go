package report

import (
	"testing"
	"time"
)

func TestHumanDuration(t *testing.T) {
	tests := []struct {
		in   time.Duration
		want string
	}{
		{-time.Second, "Less than a second"},
		{500 * time.Millisecond, "Less than a second"},
		{time.Second, "1 second"},
		{5 * time.Second, "5 seconds"},
		{59 * time.Second, "59 seconds"},
		{90 * time.Second, "About a minute"},
		{45 * time.Minute, "45 minutes"},
		{61 * time.Minute, "About an hour"},
		{90 * time.Minute, "2 hours"},
		{47 * time.Hour, "47 hours"},
		{72 * time.Hour, "3 days"},
		{15 * 24 * time.Hour, "2 weeks"},
		{90 * 24 * time.Hour, "3 months"},
		{3 * 365 * 24 * time.Hour, "3 years"},
	}
	for _, tt := range tests {
		if got := HumanDuration(tt.in); got != tt.want {
			t.Errorf("HumanDuration(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestAgo(t *testing.T) {
	now := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		in   time.Time
		want string
	}{
		{time.Time{}, ""},
		{now.Add(-5 * time.Second), "5 seconds ago"},
		{now, "Less than a second ago"},
	}
	for _, tt := range tests {
		if got := Ago(tt.in, now); got != tt.want {
			t.Errorf("Ago(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestHumanSize(t *testing.T) {
	tests := []struct {
		in   int64
		want string
	}{
		{0, "0 B"},
		{512, "512 B"},
		{1000, "1 kB"},
		{1987655, "1.99 MB"},
		{4890000, "4.89 MB"},
		{999_600, "1 MB"},
		{120_000_000, "120 MB"},
		{7_300_000_000, "7.3 GB"},
	}
	for _, tt := range tests {
		if got := HumanSize(tt.in); got != tt.want {
			t.Errorf("HumanSize(%d) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestShortID(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"abc", "abc"},
		{"2455260fa90bf5cd2180328cdbb296fa0f19ddb26ee6edaa25922ca5d5143895", "2455260fa90b"},
		{"sha256:b58b9d6b0736d89f809244237eb2fda052e4f84d97733e16cff100b492e6ed86", "b58b9d6b0736"},
	}
	for _, tt := range tests {
		if got := ShortID(tt.in); got != tt.want {
			t.Errorf("ShortID(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
