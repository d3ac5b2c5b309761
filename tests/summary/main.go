// Command summary turns a stream of test2json events (`go test -json`, or a
// test binary's `-test.v=test2json` output piped through `go tool
// test2json`) into a short log and the lane's closing line:
//
//	unit: 120 passed, 0 failed, 3 skipped
//
// It prints a line per finished package and top-level test, and the whole
// output of every failed test. Lines that are not JSON are printed as they
// are. It exits 1 when a test failed, when no test passed (a lane that
// cannot run fails), or when the test command itself failed (-rc-file).
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

// event is one test2json record.
type event struct {
	Action  string
	Package string
	Test    string
	Elapsed float64
	Output  string
}

// counts are the lane's results.
type counts struct {
	Passed, Failed, Skipped int
}

// summarizer holds the output of running tests until they end.
type summarizer struct {
	out     io.Writer
	verbose bool
	counts  counts
	// pending is the output of each running test (key: package and test),
	// and of each package outside its tests.
	pending map[string][]string
	// pkgFailed counts failed tests per package, to tell a package that
	// failed without a failing test (build error, TestMain) apart.
	pkgFailed map[string]int
}

func main() {
	lane := flag.String("lane", "tests", "name printed before the closing line (one word)")
	verbose := flag.Bool("v", false, "print all output as it arrives")
	countsFile := flag.String("counts", "", "write \"PASSED FAILED SKIPPED\" to this file")
	rcFile := flag.String("rc-file", "", "file holding the test command's exit code, read at end of input")
	flag.Parse()
	start := time.Now()
	s := &summarizer{out: os.Stdout, verbose: *verbose, pending: map[string][]string{}, pkgFailed: map[string]int{}}
	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(make([]byte, 1024*1024), 16*1024*1024)
	for sc.Scan() {
		s.line(sc.Text())
	}
	if err := sc.Err(); err != nil {
		fmt.Fprintf(s.out, "summary: read input: %v\n", err)
		s.counts.Failed++
	}
	if *rcFile != "" {
		s.checkExitCode(*rcFile)
	}
	c := s.counts
	fmt.Fprintf(s.out, "%s lane took %v\n", *lane, time.Since(start).Round(time.Second))
	fmt.Fprintf(s.out, "%s: %d passed, %d failed, %d skipped\n", *lane, c.Passed, c.Failed, c.Skipped)
	if *countsFile != "" {
		data := fmt.Sprintf("%d %d %d\n", c.Passed, c.Failed, c.Skipped)
		if err := os.WriteFile(*countsFile, []byte(data), 0o644); err != nil {
			fmt.Fprintf(os.Stderr, "summary: %v\n", err)
		}
	}
	if c.Failed > 0 || c.Passed == 0 {
		os.Exit(1)
	}
}

// checkExitCode counts a failure when the test command exited non-zero
// without any test failing (a crash, a timeout, a failed build).
func (s *summarizer) checkExitCode(path string) {
	data, err := os.ReadFile(path)
	rc, perr := strconv.Atoi(strings.TrimSpace(string(data)))
	switch {
	case err != nil || perr != nil:
		fmt.Fprintf(s.out, "summary: the test command's exit code is unknown (%s: %v %v)\n", path, err, perr)
		s.counts.Failed++
	case rc != 0 && s.counts.Failed == 0:
		fmt.Fprintf(s.out, "summary: the test command exited %d although no test failed\n", rc)
		s.counts.Failed++
	}
}

func (s *summarizer) line(text string) {
	var e event
	if !strings.HasPrefix(text, "{") || json.Unmarshal([]byte(text), &e) != nil {
		fmt.Fprintln(s.out, text)
		return
	}
	key := e.Package + "\x00" + e.Test
	switch e.Action {
	case "output", "build-output":
		if s.verbose || e.Action == "build-output" {
			fmt.Fprint(s.out, e.Output)
		} else {
			s.pending[key] = append(s.pending[key], e.Output)
		}
	case "pass", "fail", "skip":
		if e.Test == "" {
			s.packageDone(e, key)
		} else {
			s.testDone(e, key)
		}
	}
}

func (s *summarizer) testDone(e event, key string) {
	switch e.Action {
	case "pass":
		s.counts.Passed++
	case "fail":
		s.counts.Failed++
		s.pkgFailed[e.Package]++
	case "skip":
		s.counts.Skipped++
	}
	if !s.verbose && (e.Action == "fail" || (e.Action == "skip" && !strings.Contains(e.Test, "/"))) {
		for _, l := range s.pending[key] {
			fmt.Fprint(s.out, l)
		}
	} else if !s.verbose && !strings.Contains(e.Test, "/") {
		fmt.Fprintf(s.out, "--- %s: %s (%.2fs)\n", strings.ToUpper(e.Action), e.Test, e.Elapsed)
	}
	delete(s.pending, key)
}

func (s *summarizer) packageDone(e event, key string) {
	switch {
	case e.Action == "fail" && s.pkgFailed[e.Package] == 0:
		// The package failed outside any test (its build, TestMain, a
		// timeout): show why and count it.
		s.counts.Failed++
		for _, l := range s.pending[key] {
			fmt.Fprint(s.out, l)
		}
		fmt.Fprintf(s.out, "FAIL\t%s (outside any test)\n", e.Package)
	case e.Action == "fail":
		fmt.Fprintf(s.out, "FAIL\t%s\t%.2fs\n", e.Package, e.Elapsed)
	case e.Action == "pass":
		fmt.Fprintf(s.out, "ok  \t%s\t%.2fs\n", e.Package, e.Elapsed)
	}
	delete(s.pending, key)
}
