package report

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSplitCamel(t *testing.T) {
	tests := []struct{ in, want string }{
		{"ID", "ID"},
		{"Names", "NAMES"},
		{"CreatedAt", "CREATED AT"},
		{"RunningFor", "RUNNING FOR"},
		{"ImageID", "IMAGE ID"},
		{"HTTPPort", "HTTP PORT"},
		{"OsArch", "OS ARCH"},
		{"IPv4Addr", "I PV4 ADDR"},
	}
	for _, tt := range tests {
		if got := splitCamel(tt.in); got != tt.want {
			t.Errorf("splitCamel(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

type headerView struct {
	ID        string
	CreatedAt string
	hidden    string //nolint:unused // proves unexported fields are skipped
}

func (headerView) RunningFor() string { return "" }

func TestHeaders(t *testing.T) {
	got := Headers(headerView{}, map[string]string{"ID": "CONTAINER ID"})
	want := map[string]string{"ID": "CONTAINER ID", "CreatedAt": "CREATED AT", "RunningFor": "RUNNING FOR"}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("Headers mismatch (-got +want):\n%s", diff)
	}
}

func TestFuncs(t *testing.T) {
	type doc struct {
		Name   string
		Labels map[string]string
		Names  []string
	}
	d := doc{Name: "web server", Labels: map[string]string{"a": "<b>"}, Names: []string{"x", "y"}}
	tests := []struct{ tmpl, want string }{
		{`{{upper .Name}}`, "WEB SERVER"},
		{`{{lower "AbC"}}`, "abc"},
		{`{{title .Name}}`, "Web Server"},
		{`{{join .Names ","}}`, "x,y"},
		{`{{index (split "a:b" ":") 1}}`, "b"},
		{`{{truncate .Name 3}}`, "web"},
		{`{{truncate .Name 30}}`, "web server"},
		{`[{{pad "x" 1 2}}]`, "[ x  ]"},
		{`{{json .Labels}}`, `{"a":"<b>"}`},
	}
	for _, tt := range tests {
		tmpl, err := NewTemplate(tt.tmpl)
		if err != nil {
			t.Fatalf("NewTemplate(%q): %v", tt.tmpl, err)
		}
		var b bytes.Buffer
		if err := tmpl.Execute(&b, d); err != nil {
			t.Fatalf("Execute(%q): %v", tt.tmpl, err)
		}
		if got := b.String(); got != tt.want {
			t.Errorf("%s = %q, want %q", tt.tmpl, got, tt.want)
		}
	}
}

func TestNewTemplateError(t *testing.T) {
	if _, err := NewTemplate("{{.Names"); err == nil {
		t.Error("NewTemplate accepted an unclosed action")
	}
}
