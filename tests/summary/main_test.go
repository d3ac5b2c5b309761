package main

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSummarizer(t *testing.T) {
	tests := []struct {
		name       string
		input      string
		wantCounts counts
		// wantOut are substrings of the printed log.
		wantOut []string
	}{
		{
			name: "pass fail skip with subtests",
			input: `{"Action":"run","Package":"p","Test":"TestA"}
{"Action":"output","Package":"p","Test":"TestA","Output":"=== RUN   TestA\n"}
{"Action":"pass","Package":"p","Test":"TestA","Elapsed":0.5}
{"Action":"output","Package":"p","Test":"TestB/sub","Output":"    b_test.go:9: boom\n"}
{"Action":"fail","Package":"p","Test":"TestB/sub"}
{"Action":"fail","Package":"p","Test":"TestB"}
{"Action":"output","Package":"p","Test":"TestC","Output":"    c_test.go:3: not here\n"}
{"Action":"skip","Package":"p","Test":"TestC"}
{"Action":"fail","Package":"p","Elapsed":1}`,
			wantCounts: counts{Passed: 1, Failed: 2, Skipped: 1},
			wantOut:    []string{"--- PASS: TestA (0.50s)", "b_test.go:9: boom", "c_test.go:3: not here", "FAIL\tp\t1.00s"},
		},
		{
			name: "package fails outside tests",
			input: `{"Action":"output","Package":"q","Output":"e2e: build fixtures: no busybox\n"}
{"Action":"fail","Package":"q","Elapsed":0.1}`,
			wantCounts: counts{Failed: 1},
			wantOut:    []string{"e2e: build fixtures: no busybox", "FAIL\tq (outside any test)"},
		},
		{
			name: "build failure and plain text",
			input: `# github.com/x/y
{"ImportPath":"y [y.test]","Action":"build-output","Output":"y.go:1: syntax error\n"}
{"ImportPath":"y [y.test]","Action":"build-fail"}
{"Action":"output","Package":"y","Output":"FAIL\ty [build failed]\n"}
{"Action":"fail","Package":"y","Elapsed":0,"FailedBuild":"y [y.test]"}`,
			wantCounts: counts{Failed: 1},
			wantOut:    []string{"# github.com/x/y", "y.go:1: syntax error", "y [build failed]"},
		},
		{
			name:       "no test files",
			input:      `{"Action":"skip","Package":"z","Elapsed":0}`,
			wantCounts: counts{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out strings.Builder
			s := &summarizer{out: &out, pending: map[string][]string{}, pkgFailed: map[string]int{}}
			for _, l := range strings.Split(tt.input, "\n") {
				s.line(l)
			}
			if diff := cmp.Diff(s.counts, tt.wantCounts); diff != "" {
				t.Errorf("counts (-got +want):\n%s", diff)
			}
			for _, w := range tt.wantOut {
				if !strings.Contains(out.String(), w) {
					t.Errorf("log lacks %q:\n%s", w, out.String())
				}
			}
		})
	}
}
