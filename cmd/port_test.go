package cmd

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hutchctr/hutch/pkg/engine"
)

func TestNewCmdPort(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    *portOptions
		wantErr bool
	}{
		{"container", []string{"web"}, &portOptions{Container: "web"}, false},
		{"port defaults to tcp", []string{"web", "80"}, &portOptions{Container: "web", Private: "80", Port: 80, Proto: "tcp"}, false},
		{"udp", []string{"web", "53/udp"}, &portOptions{Container: "web", Private: "53/udp", Port: 53, Proto: "udp"}, false},
		{"all", []string{"-a"}, &portOptions{All: true}, false},
		{"all and a container", []string{"-a", "web"}, nil, true},
		{"nothing", nil, nil, true},
		{"too many", []string{"web", "80", "81"}, nil, true},
		{"bad port", []string{"web", "http"}, nil, true},
		{"port 0", []string{"web", "0"}, nil, true},
		{"bad protocol", []string{"web", "80/sctp"}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, _, _ := testIO()
			got, err := parse(t, newPortCmd, ios, tt.args)
			checkParse(t, got, err, tt.want, tt.wantErr)
		})
	}
}

func TestPortRun(t *testing.T) {
	web := &engine.ContainerPorts{ID: strings.Repeat("c", 64), Name: "web", Ports: []engine.PublishedPort{
		{HostPort: 8080, ContainerPort: 80, Protocol: "tcp"},
		{HostIP: "127.0.0.1", HostPort: 8443, ContainerPort: 443, Protocol: "tcp"},
		{HostIP: "::1", HostPort: 5353, ContainerPort: 53, Protocol: "udp"},
	}}
	stopped := &engine.ContainerPorts{ID: strings.Repeat("d", 64), Name: "old", Ports: []engine.PublishedPort{}}
	tests := []struct {
		name                string
		opts                portOptions
		wantOut, wantErrOut string
		wantCode            int
	}{
		{"all of a container", portOptions{Container: "web"},
			"80/tcp -> 0.0.0.0:8080\n443/tcp -> 127.0.0.1:8443\n53/udp -> [::1]:5353\n", "", 0},
		{"one port", portOptions{Container: "web", Private: "443", Port: 443, Proto: "tcp"}, "127.0.0.1:8443\n", "", 0},
		{"one udp port", portOptions{Container: "web", Private: "53/udp", Port: 53, Proto: "udp"}, "[::1]:5353\n", "", 0},
		{"a port not published", portOptions{Container: "web", Private: "53", Port: 53, Proto: "tcp"},
			"", "Error: container web does not publish port 53/tcp\n", 125},
		{"a stopped container publishes nothing", portOptions{Container: "old"}, "", "", 0},
		{"unknown container", portOptions{Container: "nosuch"}, "", "Error: container \"nosuch\": not found\n", 125},
		{"every running container", portOptions{All: true},
			"cccccccccccc\t80/tcp -> 0.0.0.0:8080\ncccccccccccc\t443/tcp -> 127.0.0.1:8443\ncccccccccccc\t53/udp -> [::1]:5353\n", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &fakeNetEngine{ports: map[string]*engine.ContainerPorts{"web": web, "old": stopped},
				allPorts: []engine.ContainerPorts{*web}}
			opts := tt.opts
			out, errOut, code := netRun(t, fake, "", func(ios *IOStreams) error {
				opts.IO, opts.Engine = ios, useNet[portEngine](fake)
				return runPort(context.Background(), &opts)
			})
			if diff := cmp.Diff([]any{out, errOut, code}, []any{tt.wantOut, tt.wantErrOut, tt.wantCode}); diff != "" {
				t.Errorf("stdout, stderr, code mismatch (-got +want):\n%s", diff)
			}
		})
	}
}
