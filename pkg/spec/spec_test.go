package spec

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/hutchctr/hutch/pkg/errdefs"
)

func TestMergeEnv(t *testing.T) {
	tests := []struct {
		base, over, want []string
	}{
		{[]string{"PATH=/bin", "A=1"}, []string{"A=2", "B=3"}, []string{"PATH=/bin", "A=2", "B=3"}},
		{nil, []string{"X=1", "X=2"}, []string{"X=2"}},
		{[]string{"A=1"}, nil, []string{"A=1"}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, MergeEnv(tt.base, tt.over)); diff != "" {
			t.Errorf("MergeEnv(%q, %q) (-want +got):\n%s", tt.base, tt.over, diff)
		}
	}
}

func TestParseEnv(t *testing.T) {
	lookup := func(k string) (string, bool) {
		if k == "HOSTVAR" {
			return "fromhost", true
		}
		return "", false
	}
	tests := []struct {
		in      []string
		want    []string
		wantErr bool
	}{
		{[]string{"A=1", "B=", "C=x=y"}, []string{"A=1", "B=", "C=x=y"}, false},
		{[]string{"HOSTVAR", "UNSET"}, []string{"HOSTVAR=fromhost"}, false},
		{[]string{"=x"}, nil, true},
		{[]string{"A B=1"}, nil, true},
	}
	for _, tt := range tests {
		got, err := ParseEnv(tt.in, lookup)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParseEnv(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			continue
		}
		if err != nil && !errors.Is(err, errdefs.ErrInvalidArgument) {
			t.Errorf("ParseEnv(%q) error = %v, want ErrInvalidArgument", tt.in, err)
		}
		if diff := cmp.Diff(tt.want, got); err == nil && diff != "" {
			t.Errorf("ParseEnv(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
}

func TestParseEnvFile(t *testing.T) {
	none := func(string) (string, bool) { return "", false }
	got, err := ParseEnvFile(strings.NewReader("# comment\n\nA=1\n  B=two words\n"), "f.env", none)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"A=1", "B=two words"}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	_, err = ParseEnvFile(strings.NewReader("A=1\n=bad\n"), "f.env", none)
	if err == nil || !strings.Contains(err.Error(), "f.env:2") {
		t.Errorf("got %v, want an error naming f.env:2", err)
	}
}

func TestNewOptions(t *testing.T) {
	s, err := New(WithArgs("echo", "hi"), WithEnv([]string{"A=1"}), WithCwd("/tmp/"), WithHostname("web"),
		WithTerminal(true), WithReadonlyRootfs(true), WithHostNetwork(), WithRootfs("/r"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"echo", "hi"}, s.Process.Args); diff != "" {
		t.Errorf("args (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{DefaultPath, "A=1", "TERM=xterm"}, s.Process.Env); diff != "" {
		t.Errorf("env (-want +got):\n%s", diff)
	}
	if s.Process.Cwd != "/tmp" || s.Hostname != "web" || !s.Process.Terminal || !s.Root.Readonly || s.Root.Path != "/r" {
		t.Errorf("got %+v %+v", s.Process, s.Root)
	}
	for _, n := range s.Linux.Namespaces {
		if n.Type == specs.NetworkNamespace {
			t.Error("host network kept a network namespace")
		}
	}
	for _, bad := range []Opt{WithArgs(), WithCwd("rel"), WithHostname("a b"), WithMounts(specs.Mount{Destination: "x"})} {
		if _, err := New(bad); !errors.Is(err, errdefs.ErrInvalidArgument) {
			t.Errorf("got %v, want ErrInvalidArgument", err)
		}
	}
}

func TestResolveUser(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	passwd := "root:x:0:0:root:/root:/bin/sh\ntester:x:1000:1000::/home/tester:/bin/sh\n"
	group := "root:x:0:\ntesters:x:1000:\nextra:x:2000:tester\n"
	os.WriteFile(filepath.Join(root, "etc/passwd"), []byte(passwd), 0o644)
	os.WriteFile(filepath.Join(root, "etc/group"), []byte(group), 0o644)
	tests := []struct {
		spec     string
		want     specs.User
		wantHome string
		wantErr  bool
	}{
		{"", specs.User{UID: 0, GID: 0}, "/root", false},
		{"tester", specs.User{UID: 1000, GID: 1000, AdditionalGids: []uint32{2000}}, "/home/tester", false},
		{"1000:1000", specs.User{UID: 1000, GID: 1000}, "/home/tester", false},
		{"tester:root", specs.User{UID: 1000, GID: 0}, "/home/tester", false},
		{"4242", specs.User{UID: 4242, GID: 0}, "/", false},
		{"nobody-here", specs.User{}, "", true},
		{"tester:nogroup", specs.User{}, "", true},
	}
	for _, tt := range tests {
		got, home, err := ResolveUser(root, tt.spec)
		if (err != nil) != tt.wantErr {
			t.Errorf("ResolveUser(%q) error = %v, want error %v", tt.spec, err, tt.wantErr)
			continue
		}
		if err != nil {
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" || home != tt.wantHome {
			t.Errorf("ResolveUser(%q) home %q (want %q) (-want +got):\n%s", tt.spec, home, tt.wantHome, diff)
		}
	}
}

func TestResolveUserStaysInRootfs(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "etc"), 0o755)
	// An image whose /etc/passwd points at the host's must not make hutch
	// read the host's file.
	if err := os.Symlink("/etc/passwd", filepath.Join(root, "etc/passwd")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ResolveUser(root, "root"); err == nil {
		t.Error("resolved a user through a symlink to the host's /etc/passwd")
	}
}

func FuzzParseEnvFile(f *testing.F) {
	f.Add("A=1\n#x\nB\n=bad\n")
	f.Fuzz(func(t *testing.T, s string) {
		env, err := ParseEnvFile(strings.NewReader(s), "fuzz", func(string) (string, bool) { return "v", true })
		if err != nil {
			return
		}
		for _, kv := range env {
			if k, _, ok := strings.Cut(kv, "="); !ok || k == "" {
				t.Fatalf("accepted entry %q", kv)
			}
		}
	})
}
