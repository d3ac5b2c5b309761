package report

import "strings"

// Kind is the family of a --format value.
type Kind int

const (
	// Default is the command's own layout ("" or "table").
	Default Kind = iota
	// JSON is `--format json`.
	JSON
	// YAML is `--format yaml`.
	YAML
	// Template is a Go template, see Format.Table.
	Template
)

// Format is a parsed --format value.
type Format struct {
	Kind Kind
	// Text is the template for Kind Template, with "\t" and "\n" escapes
	// expanded (shells pass them literally) and ending in a newline.
	Text string
	// Table is set for "table ..." templates: print a header row and align
	// the tab-separated columns.
	Table bool
}

// ParseFormat parses a --format value. It never fails: anything that is not
// a keyword is a template, checked when it is compiled.
func ParseFormat(s string) Format {
	switch strings.TrimSpace(s) {
	case "", "table":
		return Format{Kind: Default}
	case "json":
		return Format{Kind: JSON}
	case "yaml":
		return Format{Kind: YAML}
	}
	if rest, ok := strings.CutPrefix(s, "table"); ok && rest != "" && (rest[0] == ' ' || rest[0] == '\t') {
		return Format{Kind: Template, Text: normalize(strings.TrimLeft(rest, " \t")), Table: true}
	}
	return Format{Kind: Template, Text: normalize(s)}
}

// normalize expands the escapes users type in shell-quoted formats, as
// Podman and Docker do, and terminates the template with a newline so each
// item prints on its own line.
func normalize(s string) string {
	s = strings.NewReplacer(`\t`, "\t", `\n`, "\n").Replace(s)
	if !strings.HasSuffix(s, "\n") {
		s += "\n"
	}
	return s
}
