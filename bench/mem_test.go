package main

import (
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseRollup(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    memUsage
		wantErr bool
	}{
		{
			name: "kernel 6 layout",
			in: "565377e90000-7ffdac6c1000 ---p 00000000 00:00 0                          [rollup]\n" +
				"Rss:                1984 kB\nPss:                1059 kB\nPss_Dirty:           336 kB\n" +
				"Pss_Anon:            336 kB\nShared_Clean:       1012 kB\n",
			want: memUsage{rss: 1984, pss: 1059},
		},
		{name: "no pss", in: "Rss: 10 kB\nPss_Anon: 3 kB\n", wantErr: true},
		{name: "empty", in: "", wantErr: true},
		{name: "garbage number", in: "Rss: x kB\nPss: 1 kB\n", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseRollup(strings.NewReader(tt.in))
			if (err != nil) != tt.wantErr {
				t.Fatalf("error %v, want error %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(got, tt.want, cmp.AllowUnexported(memUsage{})); diff != "" {
				t.Errorf("usage (-got +want):\n%s", diff)
			}
		})
	}
}

// TestReadMemSelf reads this test process's own smaps_rollup: the file
// exists on every kernel since 4.14, and a live Go process has both values.
func TestReadMemSelf(t *testing.T) {
	u, err := readMem(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if u.rss <= 0 || u.pss <= 0 || u.pss > u.rss {
		t.Errorf("got rss %v pss %v KiB, want 0 < pss <= rss", u.rss, u.pss)
	}
}

func TestContainerID(t *testing.T) {
	tests := []struct{ in, want string }{
		{"abc123\n", "abc123"},
		{"Getting image source signatures\nabc123\n", "abc123"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := containerID(tt.in); got != tt.want {
			t.Errorf("containerID(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
