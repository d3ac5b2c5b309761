package main

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hutchctr/hutch/internal/testutil"
)

func TestParseIperf(t *testing.T) {
	tests := []struct {
		name    string
		out     string
		want    float64
		wantErr bool
	}{
		{"result", `{"end":{"sum_received":{"bits_per_second":9.5e9}}}`, 9.5, false},
		{"server busy", `{"error":"the server is busy running a test. try again later"}`, 0, true},
		{"no data", `{"end":{}}`, 0, true},
		{"not json", `iperf3: error`, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseIperf([]byte(tt.out))
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("parseIperf = %v, %v; want %v, error %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestLddPaths(t *testing.T) {
	out := "\tlinux-vdso.so.1 (0x00007ffd)\n" +
		"\tlibiperf.so.0 => /lib/x86_64-linux-gnu/libiperf.so.0 (0x00007f1)\n" +
		"\t/lib64/ld-linux-x86-64.so.2 (0x00007f2)\n"
	var got []string
	for _, m := range lddPathRE.FindAllStringSubmatch(out, -1) {
		got = append(got, m[1])
	}
	if diff := cmp.Diff(got, []string{"/lib/x86_64-linux-gnu/libiperf.so.0", "/lib64/ld-linux-x86-64.so.2"}); diff != "" {
		t.Errorf("paths (-got +want):\n%s", diff)
	}
}

func TestAppendHostFiles(t *testing.T) {
	host := filepath.Join(t.TempDir(), "lib.so")
	if err := os.WriteFile(host, []byte("elf"), 0o644); err != nil {
		t.Fatal(err)
	}
	base := testutil.MustTar(testutil.Entry{Name: "bin/"}, testutil.Entry{Name: "bin/sh", Body: []byte("sh")})
	b, err := appendHostFiles(base, map[string]string{"lib/x86_64-linux-gnu/lib.so": host, "bin/tool": host})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	tr := tar.NewReader(bytes.NewReader(b))
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, hdr.Name)
	}
	want := []string{"bin/", "bin/sh", "bin/tool", "lib/", "lib/x86_64-linux-gnu/", "lib/x86_64-linux-gnu/lib.so"}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("entries (-got +want):\n%s", diff)
	}
}

func TestMinimumGoal(t *testing.T) {
	tests := []struct {
		name string
		r    Result
		want string
	}{
		{"ratio met", Result{Unit: unitGbps, Stat: statMedian, Goal: Goal{Min: 1.5, Of: "ratio"},
			Hutch: Series{Samples: []float64{9}}, Podman: Series{Samples: []float64{4.5}}}, "ratio >= 1.50: met"},
		{"ratio missed", Result{Unit: unitGbps, Stat: statMedian, Goal: Goal{Min: 1.5, Of: "ratio"},
			Hutch: Series{Samples: []float64{5}}, Podman: Series{Samples: []float64{4.5}}}, "ratio >= 1.50: MISSED"},
		{"hutch's own", Result{Unit: unitTimes, Stat: statMedian, Goal: Goal{Min: 0.8, Of: "hutch"},
			Hutch: ratioSeries(Series{Samples: []float64{9}}, Series{Samples: []float64{10}})}, "hutch >= 0.80: met"},
		{"no samples", Result{Unit: unitTimes, Stat: statMedian, Goal: Goal{Min: 0.8, Of: "hutch"},
			Hutch: ratioSeries(Series{Err: "failed"}, Series{Samples: []float64{10}})}, "hutch >= 0.80: n/a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.r.goalText(); got != tt.want {
				t.Errorf("goalText = %q, want %q", got, tt.want)
			}
		})
	}
	if got := formatValue(9.5, unitGbps); got != "9.50 Gbit/s" {
		t.Errorf("formatValue = %q", got)
	}
}
