package slirp

import (
	"strings"
	"testing"

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
