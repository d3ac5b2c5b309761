package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

type item struct {
	ID     string            `json:"Id"`
	Names  []string          `json:"Names"`
	Labels map[string]string `json:"Labels"`
	Flag   string            `json:"Flag"`
}

type itemView struct {
	ID    string
	Names string
	Count int
}

func viewOf(i item) itemView {
	return itemView{ID: i.ID[:3], Names: strings.Join(i.Names, ","), Count: len(i.Names)}
}

var listTable = Table{Default: "table {{.ID}}\t{{.Names}}", Headers: map[string]string{"ID": "ITEM ID"}}

func TestWriteList(t *testing.T) {
	items := []item{
		{ID: "abcdef", Names: []string{"one"}, Labels: map[string]string{"k": "v"}, Flag: "true"},
		{ID: "123456", Names: []string{"a-much-longer-name", "two"}},
	}
	tests := []struct {
		name   string
		format string
		items  []item
		want   string
	}{
		{"default table", "", items, "" +
			"ITEM ID     NAMES\n" +
			"abc         one\n" +
			"123         a-much-longer-name,two\n"},
		{"default empty", "table", nil, "ITEM ID     NAMES\n"},
		{"template", "{{.Names}} {{.ID}}", items, "one abc\na-much-longer-name,two 123\n"},
		{"template tabs raw", `{{.ID}}\t{{.Names}}`, items[:1], "abc\tone\n"},
		{"table template", `table {{.Names}}\t{{.ID}}`, items, "" +
			"NAMES                   ITEM ID\n" +
			"one                     abc\n" +
			"a-much-longer-name,two  123\n"},
		{"table template unknown header", `table {{.ID}}\t{{if gt .Count 0}}some{{end}}`, items[:1], "abc         some\n"},
		{"json", "json", items[:1], `[
    {
        "Id": "abcdef",
        "Names": [
            "one"
        ],
        "Labels": {
            "k": "v"
        },
        "Flag": "true"
    }
]
`},
		{"json empty", "json", nil, "[]\n"},
		{"yaml", "yaml", items, `- Id: abcdef
  Names:
    - one
  Labels:
    k: v
  Flag: "true"
- Id: "123456"
  Names:
    - a-much-longer-name
    - two
  Labels: null
  Flag: ""
`},
		{"yaml empty", "yaml", nil, "[]\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := WriteList(&b, ParseFormat(tt.format), listTable, tt.items, viewOf); err != nil {
				t.Fatalf("WriteList: %v", err)
			}
			if diff := cmp.Diff(b.String(), tt.want); diff != "" {
				t.Errorf("output mismatch (-got +want):\n%s", diff)
			}
		})
	}
}

func TestWriteListErrors(t *testing.T) {
	tests := []struct{ name, format string }{
		{"parse", "{{.ID"},
		{"unknown field", "{{.Nope}}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			err := WriteList(&b, ParseFormat(tt.format), listTable, []item{{ID: "abcdef"}}, viewOf)
			if err == nil {
				t.Errorf("WriteList(%q) = nil error, output %q", tt.format, b.String())
			}
		})
	}
}

func TestWriteDocs(t *testing.T) {
	docs := []item{{ID: "a"}, {ID: "b"}}
	tests := []struct {
		name, format string
		docs         []item
		want         string
	}{
		{"default is a json array", "", docs[:1], "[\n    {\n        \"Id\": \"a\",\n        \"Names\": null,\n        \"Labels\": null,\n        \"Flag\": \"\"\n    }\n]\n"},
		{"empty", "json", nil, "[]\n"},
		{"template per doc", "{{.ID}}", docs, "a\nb\n"},
		{"table prefix ignored", "table {{.ID}}", docs, "a\nb\n"},
		{"yaml", "yaml", docs[:1], "- Id: a\n  Names: null\n  Labels: null\n  Flag: \"\"\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := WriteDocs(&b, ParseFormat(tt.format), tt.docs); err != nil {
				t.Fatalf("WriteDocs: %v", err)
			}
			if diff := cmp.Diff(b.String(), tt.want); diff != "" {
				t.Errorf("output mismatch (-got +want):\n%s", diff)
			}
		})
	}
}

func TestWriteDoc(t *testing.T) {
	type doc struct {
		Host struct {
			Arch string `json:"arch"`
		} `json:"host"`
		Multi string `json:"multi"`
	}
	var d doc
	d.Host.Arch = "amd64"
	d.Multi = "a\nb"
	tests := []struct{ format, want string }{
		{"json", "{\n    \"host\": {\n        \"arch\": \"amd64\"\n    },\n    \"multi\": \"a\\nb\"\n}\n"},
		{"yaml", "host:\n  arch: amd64\nmulti: |-\n  a\n  b\n"},
		{"{{.Host.Arch}}", "amd64\n"},
	}
	for _, tt := range tests {
		var b bytes.Buffer
		if err := WriteDoc(&b, ParseFormat(tt.format), d); err != nil {
			t.Fatalf("WriteDoc(%q): %v", tt.format, err)
		}
		if diff := cmp.Diff(b.String(), tt.want); diff != "" {
			t.Errorf("WriteDoc(%q) mismatch (-got +want):\n%s", tt.format, diff)
		}
	}
}
