package userns

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hutchctr/hutch/pkg/errdefs"
)

func TestParseSubIDs(t *testing.T) {
	tests := []struct {
		name    string
		content string
		user    string
		uid     int
		want    []Range
		wantErr string
	}{
		{name: "by name", content: "alice:100000:65536\nbob:165536:65536\n", user: "bob", uid: 1002,
			want: []Range{{165536, 65536}}},
		{name: "by uid", content: "alice:100000:65536\n1002:165536:65536\n", user: "bob", uid: 1002,
			want: []Range{{165536, 65536}}},
		{name: "several ranges, comments and blanks", content: "# ranges\n\nbob:100000:1000\n  alice:1:2  \n1002:300000:10\n",
			user: "bob", uid: 1002, want: []Range{{100000, 1000}, {300000, 10}}},
		{name: "no match", content: "alice:100000:65536\n", user: "bob", uid: 1002},
		{name: "unnamed user matches only by uid", content: ":1:2\n1002:5:6\n", uid: 1002, want: []Range{{5, 6}}},
		{name: "malformed line", content: "alice:100000\n", user: "bob", uid: 1002,
			wantErr: `/etc/subuid line 1: malformed entry "alice:100000": want "user:start:count"`},
		{name: "bad count on own line", content: "alice:x:y\nbob:100000:0\n", user: "bob", uid: 1002,
			wantErr: `/etc/subuid line 2: malformed entry "bob:100000:0": want "user:start:count"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseSubIDs(strings.NewReader(tt.content), "/etc/subuid", tt.user, tt.uid)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr || !errors.Is(err, errdefs.ErrPermission) {
					t.Fatalf("got error %v, want %q (ErrPermission)", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("ranges (-got +want):\n%s", diff)
			}
		})
	}
}

func TestForUser(t *testing.T) {
	const hint = `ask an administrator to run "usermod --add-subuids 100000-165535 --add-subgids 100000-165535 bob"`
	tests := []struct {
		name           string
		subuid, subgid *string // nil: file absent
		want           Mapping
		wantErr        string
	}{
		{
			name: "both ranges", subuid: ptr("bob:100000:65536\n"), subgid: ptr("bob:200000:1000\nbob:300000:10\n"),
			want: Mapping{User: "bob", HostUID: 1002, HostGID: 1003,
				UIDs: []IDMap{{0, 1002, 1}, {1, 100000, 65536}},
				GIDs: []IDMap{{0, 1003, 1}, {1, 200000, 1000}, {1001, 300000, 10}}},
		},
		{name: "no uid range", subuid: ptr("alice:100000:65536\n"), subgid: ptr("bob:100000:65536\n"),
			wantErr: `no subordinate uid range for user "bob" in SUBUID: ` + hint},
		{name: "no subuid file", subgid: ptr("bob:100000:65536\n"),
			wantErr: `no subordinate uid range for user "bob" in SUBUID: ` + hint},
		{name: "no gid range", subuid: ptr("bob:100000:65536\n"), subgid: ptr(""),
			wantErr: `no subordinate gid range for user "bob" in SUBGID: ` + hint},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			files := Files{SubUID: filepath.Join(dir, "subuid"), SubGID: filepath.Join(dir, "subgid")}
			writeIf(t, files.SubUID, tt.subuid)
			writeIf(t, files.SubGID, tt.subgid)
			got, err := ForUser("bob", 1002, 1003, files)
			if tt.wantErr != "" {
				want := strings.NewReplacer("SUBUID", files.SubUID, "SUBGID", files.SubGID).Replace(tt.wantErr)
				if err == nil || err.Error() != want || !errors.Is(err, errdefs.ErrPermission) {
					t.Fatalf("got error %v, want %q (ErrPermission)", err, want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("mapping (-got +want):\n%s", diff)
			}
		})
	}
}

func ptr(s string) *string { return &s }

func writeIf(t *testing.T, path string, content *string) {
	t.Helper()
	if content == nil {
		return
	}
	if err := os.WriteFile(path, []byte(*content), 0o644); err != nil {
		t.Fatal(err)
	}
}
