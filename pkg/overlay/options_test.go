package overlay

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"
)

func TestParseOptions(t *testing.T) {
	tests := []struct {
		name   string
		opts   []string
		strict bool
		want   parsedOptions
		err    bool
	}{
		{name: "later wins", opts: []string{"ro", "nosuid", "rw", "suid", "noexec"},
			want: parsedOptions{flags: unix.MS_NOEXEC}},
		{name: "defaults is nothing", opts: []string{"defaults"}},
		{name: "data keeps order", opts: []string{"mode=755", "nodev", "size=1m"},
			want: parsedOptions{flags: unix.MS_NODEV, data: []string{"mode=755", "size=1m"}}},
		{name: "propagation in order", opts: []string{"rshared", "private"},
			want: parsedOptions{propagation: []uintptr{unix.MS_SHARED | unix.MS_REC, unix.MS_PRIVATE}}},
		{name: "rro then rrw", opts: []string{"rbind", "rro", "rrw"},
			want: parsedOptions{flags: unix.MS_BIND | unix.MS_REC}},
		{name: "rro", opts: []string{"rbind", "rro"},
			want: parsedOptions{flags: unix.MS_BIND | unix.MS_REC | unix.MS_RDONLY, recursiveRO: true}},
		{name: "unknown is data when not strict", opts: []string{"z"}, want: parsedOptions{data: []string{"z"}}},
		{name: "unknown fails when strict", opts: []string{"z"}, strict: true, err: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseOptions(tt.opts, tt.strict)
			if (err != nil) != tt.err {
				t.Fatalf("parseOptions error %v, want error %v", err, tt.err)
			}
			if diff := cmp.Diff(got, tt.want, cmp.AllowUnexported(parsedOptions{})); diff != "" {
				t.Errorf("parseOptions (-got +want):\n%s", diff)
			}
		})
	}
}
