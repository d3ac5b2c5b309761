package slirp

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rootless-containers/rootlesskit/v3/pkg/port"
)

func TestWithSbin(t *testing.T) {
	tests := []struct{ path, want string }{
		{path: "/usr/bin:/bin", want: "/usr/bin:/bin:/usr/sbin:/sbin"},
		{path: "/usr/sbin:/usr/bin:/sbin:/bin", want: "/usr/sbin:/usr/bin:/sbin:/bin"},
		{path: "/sbin:/usr/bin", want: "/sbin:/usr/bin:/usr/sbin"},
		{path: "", want: "/usr/sbin:/sbin"},
	}
	for _, tt := range tests {
		if got := withSbin(tt.path); got != tt.want {
			t.Errorf("withSbin(%q): got %q, want %q", tt.path, got, tt.want)
		}
	}
}

func TestBoundInodes(t *testing.T) {
	// Two listeners on port 8080 (0x1F90), one connection from it, one
	// listener on another port.
	table := `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 111 1 0000000000000000 100 0 0 10 0
   1: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 222 1 0000000000000000 100 0 0 10 0
   2: 0100007F:1F90 0100007F:C350 01 00000000:00000000 00:00000000 00000000  1000        0 333 1 0000000000000000 20 4 30 10 -1
   3: 0100007F:1F91 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 444 1 0000000000000000 100 0 0 10 0
`
	path := filepath.Join(t.TempDir(), "tcp")
	must(t, os.WriteFile(path, []byte(table), 0o600))
	tests := []struct {
		name       string
		listenOnly bool
		want       map[string]bool
	}{
		{name: "tcp", listenOnly: true, want: map[string]bool{"111": true, "222": true}},
		{name: "udp", want: map[string]bool{"111": true, "222": true, "333": true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := map[string]bool{}
			boundInodes(path, tt.listenOnly, 8080, got)
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("inodes (-got +want):\n%s", diff)
			}
		})
	}
}

func TestFindPort(t *testing.T) {
	s := PortSpec{Proto: "tcp", HostIP: "127.0.0.1", HostPort: 8080, ChildIP: "10.88.0.2", ChildPort: 80}
	listed := []port.Status{
		{ID: 1, Spec: port.Spec{Proto: "tcp", ParentIP: "127.0.0.1", ParentPort: 8081, ChildIP: "10.88.0.2", ChildPort: 80}},
		{ID: 2, Spec: s.rootlesskit()},
	}
	if got := findPort(listed, s); got != 2 {
		t.Errorf("got id %d, want 2", got)
	}
	if got := findPort(listed[:1], s); got != 0 {
		t.Errorf("got id %d among other ports, want 0", got)
	}
}

func TestCheckContainerID(t *testing.T) {
	long := strings.Repeat("a", 128)
	for _, tt := range []struct {
		id   string
		want bool
	}{
		{"0123abcdef", true}, {"web_1.a-b", true}, {long, true},
		{"", false}, {long + "a", false}, {"-x", false}, {".x", false}, {"a/b", false}, {"a b", false}, {"é", false},
	} {
		if got := checkContainerID(tt.id) == nil; got != tt.want {
			t.Errorf("checkContainerID(%q) ok = %v, want %v", tt.id, got, tt.want)
		}
	}
}
