package version

import (
	"runtime"
	"testing"
)

func TestParseBuildTime(t *testing.T) {
	tests := []struct {
		in   string
		want int64
	}{
		{"", 0},
		{"1700000000", 1700000000},
		{"2023-11-14T22:13:20Z", 1700000000},
		{"2023-11-14T23:13:20+01:00", 1700000000},
		{"yesterday", 0},
	}
	for _, tt := range tests {
		if got := ParseBuildTime(tt.in); got != tt.want {
			t.Errorf("ParseBuildTime(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestGet(t *testing.T) {
	d := Get()
	if d.Version != Version || d.GoVersion != runtime.Version() || d.OsArch != runtime.GOOS+"/"+runtime.GOARCH {
		t.Errorf("Get() = %+v, want Version %q, GoVersion %q, OsArch %s/%s",
			d, Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	}
}
