package userns

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hutchctr/hutch/pkg/errdefs"
)

func TestNewMapping(t *testing.T) {
	tests := []struct {
		name     string
		uid      int
		ranges   []Range
		wantUIDs []IDMap
		wantArgs []string
	}{
		{name: "podman layout", uid: 1001, ranges: []Range{{100000, 65536}},
			wantUIDs: []IDMap{{0, 1001, 1}, {1, 100000, 65536}},
			wantArgs: []string{"0", "1001", "1", "1", "100000", "65536"}},
		{name: "ranges follow each other inside", uid: 1001, ranges: []Range{{100000, 10}, {500000, 5}},
			wantUIDs: []IDMap{{0, 1001, 1}, {1, 100000, 10}, {11, 500000, 5}},
			wantArgs: []string{"0", "1001", "1", "1", "100000", "10", "11", "500000", "5"}},
		{name: "own id split out of a range", uid: 1005, ranges: []Range{{1000, 10}},
			wantUIDs: []IDMap{{0, 1005, 1}, {1, 1000, 5}, {6, 1006, 4}},
			wantArgs: []string{"0", "1005", "1", "1", "1000", "5", "6", "1006", "4"}},
		{name: "own id at a range's start", uid: 1000, ranges: []Range{{1000, 3}},
			wantUIDs: []IDMap{{0, 1000, 1}, {1, 1001, 2}},
			wantArgs: []string{"0", "1000", "1", "1", "1001", "2"}},
		{name: "no ranges", uid: 1001, wantUIDs: []IDMap{{0, 1001, 1}}, wantArgs: []string{"0", "1001", "1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := NewMapping("u", tt.uid, tt.uid, tt.ranges, tt.ranges)
			if diff := cmp.Diff(m.UIDs, tt.wantUIDs); diff != "" {
				t.Errorf("uid map (-got +want):\n%s", diff)
			}
			if diff := cmp.Diff(m.GIDs, tt.wantUIDs); diff != "" {
				t.Errorf("gid map (-got +want):\n%s", diff)
			}
			if diff := cmp.Diff(Args(m.UIDs), tt.wantArgs); diff != "" {
				t.Errorf("args (-got +want):\n%s", diff)
			}
		})
	}
}

func TestParseIDMap(t *testing.T) {
	tests := []struct {
		name         string
		content      string
		want         []IDMap
		wantErr      bool
		wantIdentity bool
	}{
		{name: "initial namespace", content: "         0          0 4294967295\n",
			want: []IDMap{{0, 0, 4294967295}}, wantIdentity: true},
		{name: "holder", content: "         0       1001          1\n         1     100000      65536\n",
			want: []IDMap{{0, 1001, 1}, {1, 100000, 65536}}},
		{name: "single root map", content: "0 1001 1\n", want: []IDMap{{0, 1001, 1}}},
		{name: "partial identity", content: "0 0 1000\n", want: []IDMap{{0, 0, 1000}}},
		{name: "garbage", content: "0 x 1\n", wantErr: true},
		{name: "short line", content: "0 1\n", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseIDMap(tt.content)
			if (err != nil) != tt.wantErr {
				t.Fatalf("got error %v, want error %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("map (-got +want):\n%s", diff)
			}
			if got := isIdentity(tt.content); got != tt.wantIdentity {
				t.Errorf("isIdentity: got %v, want %v", got, tt.wantIdentity)
			}
		})
	}
}

func TestFormatRoundTrip(t *testing.T) {
	maps := []IDMap{{0, 1001, 1}, {1, 100000, 65536}}
	got := Format(maps)
	if want := "0 1001 1\n1 100000 65536\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	back, err := ParseIDMap(got)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(back, maps); diff != "" {
		t.Errorf("round trip (-got +want):\n%s", diff)
	}
}

func TestInUserNamespaceInitial(t *testing.T) {
	// go test runs in the initial user namespace (make test runs as root on
	// the host); the helper test below covers the other answer.
	if got := InUserNamespace(); got {
		t.Errorf("got InUserNamespace() = true in the initial namespace")
	}
}

func TestCheckHelpers(t *testing.T) {
	tests := []struct {
		name    string
		missing string
		wantErr string
	}{
		{name: "both present"},
		{name: "newuidmap missing", missing: "newuidmap", wantErr: `newuidmap not found in PATH: install the "uidmap" package`},
		{name: "newgidmap missing", missing: "newgidmap", wantErr: `newgidmap not found in PATH: install the "uidmap" package`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			look := func(name string) (string, error) {
				if name == tt.missing {
					return "", errors.New("not found")
				}
				return "/usr/bin/" + name, nil
			}
			err := CheckHelpers(look)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || err.Error() != tt.wantErr || !errors.Is(err, errdefs.ErrPermission) {
				t.Errorf("got error %v, want %q (ErrPermission)", err, tt.wantErr)
			}
		})
	}
}
