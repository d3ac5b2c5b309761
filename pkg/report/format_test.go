package report

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseFormat(t *testing.T) {
	tests := []struct {
		in   string
		want Format
	}{
		{"", Format{Kind: Default}},
		{"table", Format{Kind: Default}},
		{" json ", Format{Kind: JSON}},
		{"yaml", Format{Kind: YAML}},
		{"{{.Names}} {{.Status}}", Format{Kind: Template, Text: "{{.Names}} {{.Status}}\n"}},
		{`table {{.ID}}\t{{.Image}}`, Format{Kind: Template, Text: "{{.ID}}\t{{.Image}}\n", Table: true}},
		{"table\t{{.ID}}\n", Format{Kind: Template, Text: "{{.ID}}\n", Table: true}},
		{"tablespoon {{.ID}}", Format{Kind: Template, Text: "tablespoon {{.ID}}\n"}},
		{`{{.A}}\n{{.B}}`, Format{Kind: Template, Text: "{{.A}}\n{{.B}}\n"}},
	}
	for _, tt := range tests {
		got := ParseFormat(tt.in)
		if diff := cmp.Diff(got, tt.want); diff != "" {
			t.Errorf("ParseFormat(%q) mismatch (-got +want):\n%s", tt.in, diff)
		}
	}
}
