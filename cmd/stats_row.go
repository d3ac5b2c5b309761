package cmd

import (
	"strconv"
	"time"

	units "github.com/docker/go-units"

	"github.com/hutchctr/hutch/pkg/engine"
)

// statsRow is what `stats --format` templates see, with Podman's field
// names: formatted strings ("1.5%", "3.1MB / 67.1MB") and the raw numbers.
// JSON and YAML carry the strings, under Podman's keys.
type statsRow struct {
	ID      string `json:"id"` // 12 characters unless --no-trunc
	Name    string `json:"name"`
	UpTime  string `json:"cpu_time"` // the CPU time used, like Podman's CPU TIME
	CPUPerc string `json:"cpu_percent"`
	AVGCPU  string `json:"avg_cpu"`
	// MemUsage is "USAGE / LIMIT" in decimal units, MemUsageBytes in
	// binary ones.
	MemUsage string `json:"mem_usage"`
	MemPerc  string `json:"mem_percent"`
	NetIO    string `json:"net_io"`
	BlockIO  string `json:"block_io"`
	PIDS     string `json:"pids"`

	ContainerID   string  `json:"-"`
	MemUsageBytes string  `json:"-"`
	CPU           float64 `json:"-"`
	AvgCPU        float64 `json:"-"`
	CPUNano       uint64  `json:"-"`
	MemLimit      uint64  `json:"-"`
	NetInput      uint64  `json:"-"`
	NetOutput     uint64  `json:"-"`
	BlockInput    uint64  `json:"-"`
	BlockOutput   uint64  `json:"-"`
	PIDs          uint64  `json:"-"`
}

func newStatsRow(s engine.ContainerStats, noTrunc bool) statsRow {
	pids := "--"
	if s.PIDs > 0 {
		pids = strconv.FormatUint(s.PIDs, 10)
	}
	return statsRow{
		ID:            idString(s.ID, noTrunc),
		Name:          s.Name,
		UpTime:        time.Duration(s.CPUNano).String(),
		CPUPerc:       percent(s.CPU),
		AVGCPU:        percent(s.AvgCPU),
		MemUsage:      pair(s.MemUsage, s.MemLimit, units.HumanSize),
		MemUsageBytes: pair(s.MemUsage, s.MemLimit, units.BytesSize),
		MemPerc:       percent(s.MemPerc),
		NetIO:         pair(s.NetInput, s.NetOutput, units.HumanSize),
		BlockIO:       pair(s.BlockInput, s.BlockOutput, units.HumanSize),
		PIDS:          pids,
		ContainerID:   s.ID,
		CPU:           s.CPU,
		AvgCPU:        s.AvgCPU,
		CPUNano:       s.CPUNano,
		MemLimit:      s.MemLimit,
		NetInput:      s.NetInput,
		NetOutput:     s.NetOutput,
		BlockInput:    s.BlockInput,
		BlockOutput:   s.BlockOutput,
		PIDs:          s.PIDs,
	}
}

// percent is Podman's rendering: two decimals, "--" for nothing.
func percent(f float64) string {
	if f <= 0 {
		return "--"
	}
	return strconv.FormatFloat(f, 'f', 2, 64) + "%"
}

// pair renders "A / B" with human sizes ("0B / 0B" too, as Podman 4.3
// prints it).
func pair(a, b uint64, human func(float64) string) string {
	return human(float64(a)) + " / " + human(float64(b))
}
