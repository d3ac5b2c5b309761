package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"text/template"
	"unicode"
)

// Funcs returns the helper functions available in --format templates, the
// same names Podman offers.
func Funcs() template.FuncMap {
	return template.FuncMap{
		"json":     toJSON,
		"upper":    strings.ToUpper,
		"lower":    strings.ToLower,
		"title":    title,
		"join":     strings.Join,
		"split":    strings.Split,
		"truncate": truncate,
		"pad":      pad,
	}
}

// NewTemplate compiles a --format template with Funcs.
func NewTemplate(text string) (*template.Template, error) {
	t, err := template.New("format").Funcs(Funcs()).Parse(text)
	if err != nil {
		return nil, fmt.Errorf("template %q: %w", strings.TrimSuffix(text, "\n"), err)
	}
	return t, nil
}

// toJSON is the template's `json` function: compact JSON without HTML
// escaping, as a user piping to jq expects.
func toJSON(v any) (string, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}

// title upper-cases the first letter of each space-separated word.
func title(s string) string {
	prev := ' '
	return strings.Map(func(r rune) rune {
		defer func() { prev = r }()
		if unicode.IsSpace(prev) {
			return unicode.ToUpper(r)
		}
		return r
	}, s)
}

// truncate keeps the first n characters of s.
func truncate(s string, n int) string {
	r := []rune(s)
	if n < 0 || len(r) <= n {
		return s
	}
	return string(r[:n])
}

// pad surrounds s with left and right spaces.
func pad(s string, left, right int) string {
	return strings.Repeat(" ", max(left, 0)) + s + strings.Repeat(" ", max(right, 0))
}

// Headers maps the exported field and method names of v's struct type to
// the column titles of a "table" template: the override when there is one,
// else the name split into upper-case words ("CreatedAt" -> "CREATED AT").
// Executing a table template on this map yields its header row.
func Headers(v any, overrides map[string]string) map[string]string {
	h := map[string]string{}
	t := reflect.TypeOf(v)
	if t == nil {
		return h
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() == reflect.Struct {
		for _, f := range reflect.VisibleFields(t) {
			if f.IsExported() {
				h[f.Name] = splitCamel(f.Name)
			}
		}
	}
	for i := range t.NumMethod() {
		h[t.Method(i).Name] = splitCamel(t.Method(i).Name)
	}
	for k, v := range overrides {
		h[k] = v
	}
	return h
}

// splitCamel turns a Go identifier into upper-case words: a word starts at
// an upper-case letter after a lower-case one, or at the last capital of an
// acronym followed by lower case ("HTTPPort" -> "HTTP PORT").
func splitCamel(name string) string {
	r := []rune(name)
	var b strings.Builder
	for i, c := range r {
		if i > 0 && unicode.IsUpper(c) {
			prevLower := unicode.IsLower(r[i-1]) || unicode.IsDigit(r[i-1])
			nextLower := i+1 < len(r) && unicode.IsLower(r[i+1])
			if prevLower || (unicode.IsUpper(r[i-1]) && nextLower) {
				b.WriteByte(' ')
			}
		}
		b.WriteRune(unicode.ToUpper(c))
	}
	return b.String()
}
