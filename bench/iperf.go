package main

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/hutchctr/hutch/internal/testutil"
)

// netImageRef is the network benchmarks' image: busybox plus the host's
// iperf3 and its shared libraries.
const netImageRef = "localhost/hutch-bench-net:latest"

// iperfPort is iperf3's port inside the containers.
const iperfPort = 5201

// lddPathRE matches the paths ldd prints: "libc.so.6 => /lib/... (0x...)"
// and "/lib64/ld-linux-x86-64.so.2 (0x...)".
var lddPathRE = regexp.MustCompile(`(?m)(?:=>\s+|^\s*)(/\S+)\s+\(0x`)

// writeNetImage writes the rootfs tarball of netImageRef: the busybox
// fixture layer, then iperf3 under usr/bin and every library ldd names at
// its own path (Debian's loader searches /lib/x86_64-linux-gnu without a
// cache, so nothing else is needed).
func writeNetImage(path string) error {
	bin, err := exec.LookPath("iperf3")
	if err != nil {
		return fmt.Errorf("iperf3 (make deps installs it): %w", err)
	}
	out, err := exec.Command("ldd", bin).Output()
	if err != nil {
		return fmt.Errorf("ldd %s: %w", bin, err)
	}
	files := map[string]string{"usr/bin/iperf3": bin}
	for _, m := range lddPathRE.FindAllStringSubmatch(string(out), -1) {
		files[strings.TrimPrefix(m[1], "/")] = m[1]
	}
	base, err := testutil.BusyboxLayer()
	if err != nil {
		return err
	}
	b, err := appendHostFiles(base, files)
	if err != nil {
		return fmt.Errorf("network image: %w", err)
	}
	return os.WriteFile(path, b, 0o644)
}

// appendHostFiles returns the tar stream base followed by the host files
// (path in the archive -> host path), with the directories they need.
func appendHostFiles(base []byte, files map[string]string) ([]byte, error) {
	var entries []testutil.Entry
	tr := tar.NewReader(bytes.NewReader(base))
	have := map[string]bool{}
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		body, err := io.ReadAll(tr)
		if err != nil {
			return nil, err
		}
		have[hdr.Name] = true
		entries = append(entries, testutil.Entry{Name: hdr.Name, Type: hdr.Typeflag, Linkname: hdr.Linkname,
			Mode: hdr.Mode, UID: hdr.Uid, GID: hdr.Gid, Body: body})
	}
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		var dirs []string
		for d := p; strings.Contains(d, "/"); {
			d = d[:strings.LastIndexByte(d, '/')]
			dirs = append([]string{d + "/"}, dirs...)
		}
		for _, d := range dirs {
			if !have[d] {
				have[d] = true
				entries = append(entries, testutil.Entry{Name: d})
			}
		}
		body, err := os.ReadFile(files[p])
		if err != nil {
			return nil, err
		}
		entries = append(entries, testutil.Entry{Name: p, Mode: 0o755, Body: body})
	}
	return testutil.Tar(entries...)
}

// iperfResult is the part of `iperf3 -J` output the benchmark reads.
type iperfResult struct {
	End struct {
		SumReceived struct {
			BitsPerSecond float64 `json:"bits_per_second"`
		} `json:"sum_received"`
	} `json:"end"`
	Error string `json:"error"`
}

// parseIperf returns the received throughput in Gbit/s of `iperf3 -J`.
func parseIperf(out []byte) (float64, error) {
	var r iperfResult
	if err := json.Unmarshal(out, &r); err != nil {
		return 0, fmt.Errorf("iperf3 -J output: %w", err)
	}
	if r.Error != "" {
		return 0, errors.New("iperf3: " + r.Error)
	}
	if r.End.SumReceived.BitsPerSecond <= 0 {
		return 0, errors.New("iperf3 reported no received data")
	}
	return r.End.SumReceived.BitsPerSecond / 1e9, nil
}

// iperfClient measures one run of seconds against 127.0.0.1:port; prefix
// (nsenter ... or nothing) chooses the namespace it runs in.
func iperfClient(ctx context.Context, prefix []string, port, seconds int) (float64, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Duration(seconds+30)*time.Second)
	defer cancel()
	args := append(append([]string(nil), prefix...), "iperf3", "-c", "127.0.0.1", "-p", fmt.Sprint(port),
		"-t", fmt.Sprint(seconds), "-J")
	out, err := exec.CommandContext(ctx, args[0], args[1:]...).Output()
	if v, perr := parseIperf(out); perr == nil {
		return v, nil
	} else if err == nil {
		err = perr
	}
	return 0, fmt.Errorf("iperf3 client to port %d: %w", port, err)
}

// waitIperf polls with one-second runs until the server behind port
// answers, or 30 s pass.
func waitIperf(ctx context.Context, prefix []string, port int) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, err := iperfClient(ctx, prefix, port, 1)
		if err == nil || time.Now().After(deadline) || ctx.Err() != nil {
			return err
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// iperfServer runs iperf3 -s on 127.0.0.1:port in this process's
// namespace: the host-loopback baseline. stop ends it.
func iperfServer(port int) (stop func(), err error) {
	cmd := exec.Command("iperf3", "-s", "-B", "127.0.0.1", "-p", fmt.Sprint(port))
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("iperf3 server: %w", err)
	}
	return func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}, nil
}
