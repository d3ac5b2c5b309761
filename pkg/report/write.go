package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"

	"gopkg.in/yaml.v3"
)

// Table describes a listing's default layout.
type Table struct {
	// Default is the "table ..." template printed when no --format is
	// given. Required.
	Default string
	// Headers overrides column titles by field name ("ID": "CONTAINER ID").
	Headers map[string]string
}

// NewTabWriter returns the column aligner Podman uses for its tables: at
// least 12 columns wide, two spaces between columns.
func NewTabWriter(w io.Writer) *tabwriter.Writer {
	return tabwriter.NewWriter(w, 12, 2, 2, ' ', 0)
}

// WriteList prints a listing. JSON and YAML marshal items as an array ("[]"
// when empty); templates and the default table are executed on view(item).
func WriteList[T, V any](w io.Writer, f Format, t Table, items []T, view func(T) V) (err error) {
	// Templates and the tab writer write a cell at a time: collect the
	// output and write it once (200 rows were 2,800 write calls).
	bw := bufio.NewWriter(w)
	defer func() {
		if ferr := bw.Flush(); err == nil {
			err = ferr
		}
	}()
	w = bw
	if items == nil {
		items = []T{}
	}
	switch f.Kind {
	case JSON:
		return WriteJSON(w, items)
	case YAML:
		return WriteYAML(w, items)
	case Default:
		f = ParseFormat(t.Default)
	}
	tmpl, err := NewTemplate(f.Text)
	if err != nil {
		return err
	}
	out := w
	var tw *tabwriter.Writer
	if f.Table {
		tw = NewTabWriter(w)
		out = tw
		var zero V
		if err := writeHeader(tw, f.Text, Headers(zero, t.Headers)); err != nil {
			return err
		}
	}
	for _, it := range items {
		if err := tmpl.Execute(out, view(it)); err != nil {
			return fmt.Errorf("format: %w", err)
		}
	}
	if tw != nil {
		return tw.Flush()
	}
	return nil
}

// writeHeader executes the table template on the header map. A template
// that cannot run on strings (say `{{join .Names ","}}`) gets no header
// rather than an error: the rows are still what the user asked for.
func writeHeader(w io.Writer, text string, headers map[string]string) error {
	tmpl, err := NewTemplate(text)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if tmpl.Option("missingkey=zero").Execute(&b, headers) != nil {
		return nil
	}
	_, err = w.Write(b.Bytes())
	return err
}

// WriteDocs prints inspect documents: a JSON array by default and for
// --format json, a YAML list, or the template once per document (a
// "table" prefix is accepted and ignored, as Podman does).
func WriteDocs[T any](w io.Writer, f Format, docs []T) error {
	if docs == nil {
		docs = []T{}
	}
	switch f.Kind {
	case Default, JSON:
		return WriteJSON(w, docs)
	case YAML:
		return WriteYAML(w, docs)
	}
	return executeEach(w, f.Text, docs)
}

// WriteDoc prints one document (info, version): JSON for Default and JSON,
// YAML, or the template.
func WriteDoc(w io.Writer, f Format, doc any) error {
	switch f.Kind {
	case Default, JSON:
		return WriteJSON(w, doc)
	case YAML:
		return WriteYAML(w, doc)
	}
	return executeEach(w, f.Text, []any{doc})
}

func executeEach[T any](w io.Writer, text string, docs []T) error {
	tmpl, err := NewTemplate(text)
	if err != nil {
		return err
	}
	for _, d := range docs {
		if err := tmpl.Execute(w, d); err != nil {
			return fmt.Errorf("format: %w", err)
		}
	}
	return nil
}

// WriteJSON prints v as indented JSON, without HTML escaping.
func WriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "    ")
	return enc.Encode(v)
}

// WriteYAML prints v as YAML with the field names and order of its JSON
// form: v goes through JSON into a yaml.Node (YAML is a superset of JSON,
// so key order survives), and the node's JSON flow styles are cleared so it
// prints in block style. Strings that would read as another type ("true",
// "10") are quoted by the encoder.
func WriteYAML(w io.Writer, v any) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	var n yaml.Node
	if err := yaml.Unmarshal(b.Bytes(), &n); err != nil {
		return fmt.Errorf("convert json to yaml: %w", err)
	}
	clearStyle(&n)
	ye := yaml.NewEncoder(w)
	ye.SetIndent(2)
	if err := ye.Encode(&n); err != nil {
		return err
	}
	return ye.Close()
}

func clearStyle(n *yaml.Node) {
	n.Style = 0
	for _, c := range n.Content {
		clearStyle(c)
	}
}
