package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// imageParams are the sizes of the image benchmarks (issue 3).
type imageParams struct {
	pullRounds int // timed pulls per tool, each into new, empty storage
	pullMB     int // the pull image's uncompressed size in MiB
	pullLayers int
	manyImages int // images in storage for the `images` benchmark
}

// imagePhase runs the image benchmarks as root in dir: a pull of a big
// image from a local registry into cold storage, with this machine's
// decompression and disk write rates measured in the same run, and
// `images` with many images. It returns the rows and notes for the table.
func imagePhase(ctx context.Context, o options, dir, image string) ([]Result, []string) {
	if err := os.Mkdir(dir, 0o700); err != nil {
		return []Result{phaseError("image benchmarks", err)}, nil
	}
	results, notes := benchPull(ctx, o, dir, image)
	return append(results, benchImages(ctx, o, filepath.Join(dir, "many"))), notes
}

// phaseError is a row saying a whole benchmark could not run.
func phaseError(name string, err error) Result {
	e := Series{Err: err.Error()}
	return Result{Name: name, Hutch: e, Podman: e}
}

// benchPull generates the image, measures the machine, pushes the image
// to a registry started for the run and times the pulls.
func benchPull(ctx context.Context, o options, dir, warm string) ([]Result, []string) {
	ip := o.imageParams
	name := fmt.Sprintf("pull %d MiB, %d layers, cold storage (root)", ip.pullMB, ip.pullLayers)
	slog.Info("generating the pull image", "MiB", ip.pullMB, "layers", ip.pullLayers)
	img, err := genBigImage(ip.pullLayers, ip.pullMB)
	if err != nil {
		return []Result{phaseError(name, err)}, nil
	}
	zipped, raw := img.sizes()
	slog.Info("measuring gzip and disk rates")
	m, err := measureMachine(dir, img)
	if err != nil {
		return []Result{phaseError(name, err)}, nil
	}
	regDir := filepath.Join(dir, "registry")
	if err := os.Mkdir(regDir, 0o700); err != nil {
		return []Result{phaseError(name, err)}, nil
	}
	reg, err := startRegistry(ctx, regDir)
	if err != nil {
		return []Result{phaseError(name, err)}, nil
	}
	defer reg.stop()
	ref, err := reg.push(ctx, "bench/big:latest", img.img)
	if err != nil {
		return []Result{phaseError(name, err)}, nil
	}
	cfg, err := img.img.ConfigName()
	if err != nil {
		return []Result{phaseError(name, err)}, nil
	}
	samples, cpu, errs := pullRounds(ctx, o, dir, warm, ref, cfg.Hex)
	pull := Result{Name: name, Unit: unitMS, Stat: statMedian, Goal: Goal{Max: 0.6, Of: "ratio"},
		Hutch: seriesOf(samples[0], errs[0]), Podman: seriesOf(samples[1], errs[1])}
	cpuRow := Result{Name: "pull CPU time (user+sys, the CLI and its children)", Unit: unitMS, Stat: statMedian,
		Hutch: seriesOf(cpu[0], errs[0]), Podman: seriesOf(cpu[1], errs[1])}
	verified := overLimit("pull time / limit with both digests counted", pull, m.verifiedLimit())
	results := append(machineRows(m), pull, limitRow(pull, m), verified, cpuRow)
	notes := []string{fmt.Sprintf("pull image: %d layers, %.0f MiB uncompressed, %.0f MiB gzip; machine limit = max(gunzip of all layers at once, write+fsync of their content) = %.0f ms; with both SHA-256s = %.0f ms",
		ip.pullLayers, float64(raw)/mb, float64(zipped)/mb, float64(m.limit())/float64(time.Millisecond), float64(m.verifiedLimit())/float64(time.Millisecond))}
	return results, notes
}

func seriesOf(samples []float64, err error) Series {
	if err != nil {
		return Series{Err: err.Error()}
	}
	return Series{Samples: samples}
}

// pullRounds pulls ref with each tool pullRounds times, each time into new
// storage (new --root, --runroot and configuration, used once by an
// untimed import of the small tarball warm), alternating which tool goes
// first, and checks that the image ID printed is the image's. It returns
// the wall times and the CPU times, in milliseconds.
func pullRounds(ctx context.Context, o options, dir, warm, ref, wantID string) ([2][]float64, [2][]float64, [2]error) {
	var samples, cpu [2][]float64
	var errs [2]error
	for round := 0; round < o.pullRounds && ctx.Err() == nil; round++ {
		// Short paths: Podman refuses a runroot longer than 50 characters.
		rdir := filepath.Join(dir, fmt.Sprintf("p%d", round))
		tools, err := roundTools(rdir, o)
		if err != nil {
			return samples, cpu, [2]error{err, err}
		}
		slog.Info("pull", "round", round+1, "of", o.pullRounds)
		for k := range 2 {
			i := (k + round) % 2
			if errs[i] != nil || tools[i].broken != nil {
				errs[i] = cmpErr(errs[i], tools[i].broken)
				continue
			}
			// A store without the image's layers but used before,
			// as a user's is: the overlay driver probes the kernel
			// when it stores its first layer (idmapped mounts: an
			// overlay mount whose unmount syncs the file system) and
			// caches the answer in the run root; that is not the
			// pull's work.
			if _, _, err := tools[i].run(ctx, "import", warm, "bench/warm"); err != nil {
				errs[i] = err
				continue
			}
			d, out, err := tools[i].run(ctx, "pull", "-q", "--tls-verify=false", ref)
			if err == nil && !strings.HasSuffix(strings.TrimSpace(out), wantID) {
				err = fmt.Errorf("%s pull printed %q, want the image ID %s", tools[i].name, lastLine([]byte(out)), wantID)
			}
			if err != nil {
				errs[i] = err
				continue
			}
			samples[i] = append(samples[i], float64(d)/float64(time.Millisecond))
			cpu[i] = append(cpu[i], float64(tools[i].lastCPU)/float64(time.Millisecond))
		}
		killLeftovers(rdir)
		if err := unmountUnder(rdir); err != nil {
			slog.Warn("cleanup", "err", err)
		}
		if err := os.RemoveAll(rdir); err != nil {
			slog.Warn("cleanup", "err", err)
		}
	}
	return samples, cpu, errs
}

func cmpErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// roundTools makes fresh tools (empty stores, private configuration) in dir.
func roundTools(dir string, o options) ([]*tool, error) {
	if err := os.Mkdir(dir, 0o700); err != nil {
		return nil, err
	}
	env, err := phaseEnv(dir)
	if err != nil {
		return nil, err
	}
	return newTools(dir, o.hutch, o.podman, env)
}

// machineRows are the informational rows of the machine's rates (in the
// hutch column: they belong to neither tool).
func machineRows(m machineRates) []Result {
	row := func(name string, v float64) Result {
		return Result{Name: name, Unit: " MB/s", Stat: statMedian, Hutch: Series{Samples: []float64{v}}}
	}
	return []Result{
		row("machine: gunzip, one stream", m.gunzipOne),
		row("machine: gunzip, every layer at once", m.gunzipAllRate),
		row("machine: SHA-256 + gunzip + SHA-256, every layer at once", m.verifyAllRate),
		row("machine: disk write + fsync", m.writeRate),
	}
}

// limitRow compares each tool's pull with the machine's limit; the goal is
// hutch within 1.5x of it.
func limitRow(pull Result, m machineRates) Result {
	r := overLimit("pull time / machine limit", pull, m.limit())
	r.Goal = Goal{Max: 1.5, Of: "hutch"}
	return r
}

// overLimit is each tool's median pull over limit.
func overLimit(name string, pull Result, limit time.Duration) Result {
	ms := float64(limit) / float64(time.Millisecond)
	of := func(s Series) Series {
		if s.Err != "" || len(s.Samples) == 0 {
			return s
		}
		return Series{Samples: []float64{median(s.Samples) / ms}}
	}
	return Result{Name: name, Unit: unitTimes, Stat: statMedian, Hutch: of(pull.Hutch), Podman: of(pull.Podman)}
}

// benchImages loads manyImages images into each tool and times `images`.
func benchImages(ctx context.Context, o options, dir string) Result {
	name := fmt.Sprintf("images, %d images (root)", o.manyImages)
	if err := os.Mkdir(dir, 0o700); err != nil {
		return phaseError(name, err)
	}
	env, err := phaseEnv(dir)
	if err != nil {
		return phaseError(name, err)
	}
	tools, err := newTools(dir, o.hutch, o.podman, env)
	if err != nil {
		return phaseError(name, err)
	}
	archive := filepath.Join(dir, "many.tar")
	if err := writeManyImages(archive, o.manyImages); err != nil {
		return phaseError(name, err)
	}
	slog.Info("loading images", "count", o.manyImages)
	for _, t := range tools {
		if t.broken != nil {
			continue
		}
		if _, _, err := t.run(ctx, "load", "-i", archive); err != nil {
			t.broken = fmt.Errorf("load %d images: %w", o.manyImages, err)
		}
	}
	slog.Info("images", "rounds", o.warmup+o.iterations)
	s := newSampler(tools)
	s.rounds(ctx, o.params, "images")
	return s.result(name, unitMS, statMedian, ratioGoal())
}
