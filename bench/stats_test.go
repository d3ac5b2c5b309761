package main

import (
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestStatistics(t *testing.T) {
	tests := []struct {
		name          string
		xs            []float64
		med, p90, avg float64
	}{
		{"one", []float64{5}, 5, 5, 5},
		{"odd", []float64{3, 1, 2}, 2, 3, 2},
		{"even", []float64{4, 1, 3, 2}, 2.5, 4, 2.5},
		{"ten", []float64{10, 9, 8, 7, 6, 5, 4, 3, 2, 1}, 5.5, 9, 5.5},
		{"twenty", []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 100}, 10.5, 18, 14.5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := []float64{median(tt.xs), percentile(tt.xs, 90), mean(tt.xs)}
			want := []float64{tt.med, tt.p90, tt.avg}
			if diff := cmp.Diff(got, want); diff != "" {
				t.Errorf("median, p90, mean (-got +want):\n%s", diff)
			}
		})
	}
}

func TestStatisticsEmpty(t *testing.T) {
	for _, got := range []float64{median(nil), percentile(nil, 90), mean(nil)} {
		if !math.IsNaN(got) {
			t.Errorf("got %v for no samples, want NaN", got)
		}
	}
}

func TestMedianDoesNotReorder(t *testing.T) {
	xs := []float64{3, 1, 2}
	median(xs)
	if diff := cmp.Diff(xs, []float64{3, 1, 2}); diff != "" {
		t.Errorf("samples changed (-got +want):\n%s", diff)
	}
}

func TestResultColumns(t *testing.T) {
	timing := func(h, p Series) Result {
		return Result{Name: "run", Unit: unitMS, Stat: statMedian, Hutch: h, Podman: p, Goal: Goal{Max: 0.2, Of: "ratio"}}
	}
	tests := []struct {
		name string
		r    Result
		want []string // hutch cell, podman cell, ratio, goal
	}{
		{
			"goal met",
			timing(Series{Samples: []float64{10, 20, 30}}, Series{Samples: []float64{200, 100, 300}}),
			[]string{"20.0 ms (p90 30.0 ms)", "200.0 ms (p90 300.0 ms)", "0.10", "ratio <= 0.20: met"},
		},
		{
			"goal missed",
			timing(Series{Samples: []float64{50}}, Series{Samples: []float64{100}}),
			[]string{"50.0 ms", "100.0 ms", "0.50", "ratio <= 0.20: MISSED"},
		},
		{
			"hutch failed",
			timing(Series{Err: "boom"}, Series{Samples: []float64{100}}),
			[]string{"error (see below)", "100.0 ms", "-", "ratio <= 0.20: n/a"},
		},
		{
			"memory mean",
			Result{Unit: unitKiB, Stat: statMean, Goal: Goal{Max: 2, Of: "ratio"},
				Hutch: Series{Samples: []float64{4000, 2000}}, Podman: Series{Samples: []float64{1000, 2000}}},
			[]string{"3000 KiB (n=2)", "1500 KiB (n=2)", "2.00", "ratio <= 2.00: met"},
		},
		{
			"hutch-only goal",
			Result{Unit: unitTimes, Stat: statMedian, Goal: Goal{Max: 1.5, Of: "hutch"},
				Hutch: Series{Samples: []float64{1.7}}, Podman: Series{Samples: []float64{1.1}}},
			[]string{"1.70x", "1.10x", "1.55", "hutch <= 1.50: MISSED"},
		},
		{
			"informational",
			Result{Unit: unitMS, Stat: statMedian, Hutch: Series{}, Podman: Series{Samples: []float64{1}}},
			[]string{"-", "1.0 ms", "-", "(info)"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := []string{tt.r.cell(tt.r.Hutch), tt.r.cell(tt.r.Podman), formatRatio(tt.r.ratio()), tt.r.goalText()}
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("columns (-got +want):\n%s", diff)
			}
		})
	}
}

func TestPrintTable(t *testing.T) {
	results := []Result{
		{Name: "run --rm true (root)", Unit: unitMS, Stat: statMedian, Goal: Goal{Max: 0.2, Of: "ratio"},
			Hutch: Series{Samples: []float64{50}}, Podman: Series{Samples: []float64{500}}},
		{Name: "ps -a growth", Unit: unitTimes, Stat: statMedian, Goal: Goal{Max: 1.5, Of: "hutch"},
			Hutch: Series{Err: "import:\nbad"}, Podman: Series{Samples: []float64{2}}},
		{Name: "create", Unit: unitMS, Stat: statMedian,
			Hutch: Series{Err: "import:\nbad"}, Podman: Series{Samples: []float64{100}}},
	}
	var b strings.Builder
	if err := printTable(&b, results); err != nil {
		t.Fatal(err)
	}
	want := `benchmark            | hutch median      | podman median | ratio | goal
---------------------|-------------------|---------------|-------|-------------------
run --rm true (root) | 50.0 ms           | 500.0 ms      | 0.10  | ratio <= 0.20: met
ps -a growth         | error (see below) | 2.00x         | -     | hutch <= 1.50: n/a
create               | error (see below) | 100.0 ms      | -     | (info)
error: hutch: import: bad [ps -a growth; create]
`
	if diff := cmp.Diff(b.String(), want); diff != "" {
		t.Errorf("table (-got +want):\n%s", diff)
	}
}
