package slirp

import (
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/hutchctr/hutch/internal/testutil"
)

// iperf3 requires the iperf3 client and server (Debian's iperf3).
var iperf3 = testutil.Requirement{Name: "iperf3", Check: func() error {
	_, err := exec.LookPath("iperf3")
	return err
}}

// BenchmarkPortThroughput measures TCP throughput with iperf3 from the
// host's loopback (P's) through a published port to an iperf3 server in a
// container network namespace wired to N by a veth (MTU 1500 and 65520),
// next to the loopback itself and to N -> container without the port
// driver. Each iperf3 run lasts iperfSeconds; run with -benchtime=1x.
func BenchmarkPortThroughput(b *testing.B) {
	testutil.Requires(b, iperf3)
	e := newNetEnv(b)
	h := e.rpc(b, false)
	ctrs := []struct {
		name, veth, subnet string
		mtu                int
	}{
		{name: "mtu1500", veth: "vh0", subnet: "10.99.0", mtu: 1500},
		{name: "mtu65520", veth: "vh1", subnet: "10.98.0", mtu: MTU},
	}
	for _, c := range ctrs {
		h.mustCall(b, rpcRequest{Op: "ctr", Argv: []string{"iperf3", "-s", "-p", "5201"},
			Veth: c.veth, HostCIDR: c.subnet + ".1/24", CtrCIDR: c.subnet + ".2/24", MTU: c.mtu})
		port := e.freePort(b)
		h.mustCall(b, rpcRequest{Op: "add", ContainerID: c.name, Specs: []PortSpec{
			{Proto: "tcp", HostIP: "127.0.0.1", HostPort: port, ChildIP: c.subnet + ".2", ChildPort: 5201}}})
		b.Run("published-port-"+c.name, func(b *testing.B) {
			e.iperf(b, func(args []string) ([]byte, error) { return e.runInP(b, args) }, "127.0.0.1", port)
		})
		b.Run("N-to-container-"+c.name, func(b *testing.B) {
			e.iperf(b, func(args []string) ([]byte, error) {
				rep := h.call(b, rpcRequest{Op: "execN", Argv: args})
				if rep.Err != "" {
					return nil, errors.New(rep.Err)
				}
				return []byte(rep.Data), nil
			}, c.subnet+".2", 5201)
		})
	}
	b.Run("host-loopback", func(b *testing.B) {
		port := e.freePort(b)
		srv := exec.Command("iperf3", "-s", "-p", strconv.Itoa(port))
		must(b, e.inP(b, srv.Start))
		defer func() { srv.Process.Kill(); srv.Wait() }()
		time.Sleep(200 * time.Millisecond)
		e.iperf(b, func(args []string) ([]byte, error) { return e.runInP(b, args) }, "127.0.0.1", port)
	})
}

const iperfSeconds = 3

// iperf runs an iperf3 client with run against host:port b.N times and
// reports the mean received throughput.
func (e *netEnv) iperf(b *testing.B, run func([]string) ([]byte, error), host string, port int) {
	var sum float64
	for range b.N {
		var out []byte
		var err error
		for try := 0; try < 20; try++ { // the server may not listen yet
			out, err = run([]string{"iperf3", "-c", host, "-p", strconv.Itoa(port), "-t", strconv.Itoa(iperfSeconds), "-J"})
			if err == nil {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if err != nil {
			b.Fatalf("iperf3: %v: %s", err, out)
		}
		var r struct {
			End struct {
				SumReceived struct {
					BitsPerSecond float64 `json:"bits_per_second"`
				} `json:"sum_received"`
			}
		}
		must(b, json.Unmarshal(out, &r))
		sum += r.End.SumReceived.BitsPerSecond
	}
	gbps := sum / float64(b.N) / 1e9
	b.ReportMetric(gbps, "Gbit/s")
	b.Logf("%s:%d: %.2f Gbit/s", host, port, gbps)
}

// runInP runs args in P and returns its output.
func (e *netEnv) runInP(t testing.TB, args []string) ([]byte, error) {
	var out []byte
	err := e.inP(t, func() error {
		var err error
		out, err = exec.Command(args[0], args[1:]...).Output()
		return err
	})
	if err != nil {
		err = fmt.Errorf("%v: %w", args, err)
	}
	return out, err
}
