package main

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
)

// Units of a Result's samples.
const (
	unitMS    = "ms"     // wall time in milliseconds
	unitKiB   = "KiB"    // memory in kibibytes
	unitTimes = "x"      // a dimensionless factor
	unitGbps  = "Gbit/s" // throughput in gigabits per second
)

// Headline statistics of a Result.
const (
	statMedian = "median"
	statMean   = "mean" // memory: the sum over all monitors divided by their number
)

// Series is one tool's samples for one benchmark, or why there are none.
type Series struct {
	Samples []float64 `json:"samples,omitempty"`
	Err     string    `json:"error,omitempty"`
}

// Goal is the target a Result is judged against: at most Max (timings,
// memory) or at least Min (throughput). Both zero mark an informational row.
type Goal struct {
	Max float64 `json:"max,omitempty"`
	Min float64 `json:"min,omitempty"`
	// Of says what is compared with Max: "ratio" (hutch / podman) or "hutch"
	// (hutch's own value, for rows that compare hutch with itself).
	Of string `json:"of,omitempty"`
}

// Result is one row of the table.
type Result struct {
	Name   string `json:"name"`
	Unit   string `json:"unit"`
	Stat   string `json:"stat"`
	Hutch  Series `json:"hutch"`
	Podman Series `json:"podman"`
	Goal   Goal   `json:"goal"`
}

// median returns the middle value of xs (the mean of the two middle values
// for an even count), or NaN for no samples.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := sorted(xs)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// percentile returns the nearest-rank p-th percentile (0 < p <= 100): the
// smallest sample that at least p% of the samples are less than or equal to.
func percentile(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := sorted(xs)
	rank := int(math.Ceil(p / 100 * float64(len(s))))
	return s[max(rank, 1)-1]
}

func mean(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	sum := 0.0
	for _, x := range xs {
		sum += x
	}
	return sum / float64(len(xs))
}

func sorted(xs []float64) []float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return s
}

// headline is the value of s that the table and the ratio use.
func (r Result) headline(s Series) float64 {
	if s.Err != "" {
		return math.NaN()
	}
	if r.Stat == statMean {
		return mean(s.Samples)
	}
	return median(s.Samples)
}

// ratio is hutch's headline value over Podman's (NaN when either is missing).
func (r Result) ratio() float64 {
	h, p := r.headline(r.Hutch), r.headline(r.Podman)
	if p == 0 {
		return math.NaN()
	}
	return h / p
}

// goalText describes the goal and whether this run met it.
func (r Result) goalText() string {
	if r.Goal.Max == 0 && r.Goal.Min == 0 {
		return "(info)"
	}
	v, what := r.ratio(), "ratio"
	if r.Goal.Of == "hutch" {
		v, what = r.headline(r.Hutch), "hutch"
	}
	op, bound, missed := "<=", r.Goal.Max, v > r.Goal.Max
	if r.Goal.Min != 0 {
		op, bound, missed = ">=", r.Goal.Min, v < r.Goal.Min
	}
	verdict := "met"
	switch {
	case math.IsNaN(v):
		verdict = "n/a"
	case missed:
		verdict = "MISSED"
	}
	return fmt.Sprintf("%s %s %.2f: %s", what, op, bound, verdict)
}

// cell formats one tool's column: the headline value, with the p90 for
// timings and the sample count for means.
func (r Result) cell(s Series) string {
	if s.Err != "" {
		return "error (see below)"
	}
	if len(s.Samples) == 0 {
		return "-"
	}
	v := formatValue(r.headline(s), r.Unit)
	switch {
	case r.Stat == statMean:
		return fmt.Sprintf("%s (n=%d)", v, len(s.Samples))
	case len(s.Samples) > 1:
		return fmt.Sprintf("%s (p90 %s)", v, formatValue(percentile(s.Samples, 90), r.Unit))
	}
	return v
}

func formatValue(v float64, unit string) string {
	switch unit {
	case unitMS:
		return fmt.Sprintf("%.1f ms", v)
	case unitKiB:
		return fmt.Sprintf("%.0f KiB", v)
	case unitGbps:
		return fmt.Sprintf("%.2f Gbit/s", v)
	}
	return fmt.Sprintf("%.2f%s", v, unit)
}

func formatRatio(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "-"
	}
	return fmt.Sprintf("%.2f", v)
}

// printTable writes the results as an aligned pipe table, then each
// distinct error once (with the rows it affected), so that a failing tool
// is explained rather than silently missing.
func printTable(w io.Writer, results []Result) error {
	rows := [][]string{{"benchmark", "hutch median", "podman median", "ratio", "goal"}}
	var notes []string
	affected := map[string][]string{}
	for _, r := range results {
		ratio := "-"
		if r.Goal.Of != "hutch" {
			ratio = formatRatio(r.ratio())
		}
		rows = append(rows, []string{r.Name, r.cell(r.Hutch), r.cell(r.Podman), ratio, r.goalText()})
		for _, s := range []struct {
			tool string
			Series
		}{{"hutch", r.Hutch}, {"podman", r.Podman}} {
			if s.Err == "" {
				continue
			}
			note := s.tool + ": " + oneLine(s.Err)
			if affected[note] == nil {
				notes = append(notes, note)
			}
			affected[note] = append(affected[note], r.Name)
		}
	}
	var b strings.Builder
	writeRows(&b, rows)
	for _, n := range notes {
		fmt.Fprintf(&b, "error: %s [%s]\n", n, strings.Join(affected[n], "; "))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// oneLine folds a multi-line error (errors.Join) into one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

func writeRows(b *strings.Builder, rows [][]string) {
	widths := make([]int, len(rows[0]))
	for _, row := range rows {
		for i, c := range row {
			widths[i] = max(widths[i], len(c))
		}
	}
	for n, row := range rows {
		cells := make([]string, len(row))
		for i, c := range row {
			cells[i] = c + strings.Repeat(" ", widths[i]-len(c))
		}
		fmt.Fprintln(b, strings.TrimRight(strings.Join(cells, " | "), " "))
		if n == 0 {
			dashes := make([]string, len(widths))
			for i, w := range widths {
				dashes[i] = strings.Repeat("-", w)
			}
			fmt.Fprintln(b, strings.Join(dashes, "-|-"))
		}
	}
}
