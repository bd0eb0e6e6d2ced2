// Command compare measures touchprobe against the tools its users would
// pick instead — k6's browser module, a Playwright script, blackbox_exporter
// (HTTP only) — and against a minimal hand-written chromedp program (the
// floor), on the same journey through the built-in demo shop, in one run on
// one machine. `make bench` runs it; see BENCHMARKS.md.
//
// Every tool runs as a process of its own, one journey per process, and the
// tools take turns (A B C A B C ...) so that drift of a shared machine falls
// on all of them alike. For each run it records the wall time, the CPU time
// of the whole process tree (Chromium's helpers included), the peak PSS of
// the tree, the start-up time (from exec until the journey began) and each
// step's time as the tool reported it. The shop injects a known delay into
// every step; a step's fidelity is the reported time minus that delay.
//
// Everything stays on loopback. Peers that are not installed are skipped
// with a note; scripts/bench-peers installs them.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"
)

type options struct {
	Runs          int
	Tools         []string
	Cache         string // where peers and built binaries live
	Chromium      string
	Write         string // BENCHMARKS.md to update; empty: print only
	Scale         bool
	ScaleDuration time.Duration
	Command       string // how to reproduce, written into BENCHMARKS.md
	Baseline      string // another touchprobe binary to measure alongside, for before/after figures
	// Daemon, when above zero, measures only the agent's CPU per run in
	// that many windows of ScaleDuration, this tree's agent and the
	// baseline's taking turns; DaemonFlags are extra Chromium flags for
	// this tree's agent alone, to try a flag against the same binary.
	Daemon      int
	DaemonFlags []string
}

func main() {
	var o options
	tools := flag.String("tools", "touchprobe,floor,k6,playwright,blackbox", "Tools to measure, comma-separated.")
	flag.IntVar(&o.Runs, "runs", 7, "Journeys per tool (interleaved rounds).")
	flag.StringVar(&o.Cache, "cache", ".cache/bench", "Where the peers are installed and binaries built.")
	flag.StringVar(&o.Chromium, "chromium", "/usr/bin/chromium", "The Chromium every tool drives.")
	flag.StringVar(&o.Write, "write", "", "Update the figures between the markers of this file (BENCHMARKS.md).")
	flag.BoolVar(&o.Scale, "scale", true, "Also measure throughput and cost growth of the touchprobe agent.")
	flag.DurationVar(&o.ScaleDuration, "scale.duration", 60*time.Second, "How long each throughput measurement runs.")
	flag.StringVar(&o.Command, "command", "make bench", "The command that reproduces the figures, for BENCHMARKS.md.")
	flag.StringVar(&o.Baseline, "baseline", "", "A touchprobe binary built from an earlier revision, measured as one more tool (\"before\").")
	flag.IntVar(&o.Daemon, "daemon", 0, "Only measure the agent's CPU per run in the daemon: this many windows of -scale.duration per agent, this tree's and -baseline's taking turns.")
	daemonFlags := flag.String("daemon.flags", "", "Extra Chromium flags, space-separated, for this tree's agent in -daemon (not the baseline's).")
	serve := flag.Bool("serve", false, "Only serve the benchmark's shop and print its address, to try a script by hand.")
	flag.Parse()
	o.Tools = strings.Split(*tools, ",")
	if *daemonFlags != "" {
		o.DaemonFlags = strings.Fields(*daemonFlags)
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	var err error
	switch {
	case *serve:
		err = serveOnly(ctx)
	case o.Daemon > 0:
		err = daemonOnly(ctx, o, os.Stdout)
	default:
		err = run(ctx, o, os.Stdout)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		os.Exit(1)
	}
}

func serveOnly(ctx context.Context) error {
	shop, err := startShop()
	if err != nil {
		return err
	}
	defer shop.Close()
	fmt.Println(shop.URL())
	<-ctx.Done()
	return nil
}

func run(ctx context.Context, o options, out io.Writer) error {
	if o.Runs < 1 {
		return fmt.Errorf("-runs must be at least 1")
	}
	env, tearDown, err := setUp(o)
	if err != nil {
		return err
	}
	defer tearDown()
	shop := env.shop
	// The machine's load when the run began says how far to trust it.
	loadAtStart := loadAverage()

	var tools []*tool
	var notes []string
	for _, name := range o.Tools {
		t, note, err := env.prepare(ctx, strings.TrimSpace(name))
		if err != nil {
			return err
		}
		if note != "" {
			notes = append(notes, note)
			fmt.Fprintf(os.Stderr, "bench: %s\n", note)
			continue
		}
		tools = append(tools, t)
	}
	if o.Baseline != "" {
		t, err := env.baseline(o.Baseline)
		if err != nil {
			return err
		}
		tools = append(tools, t)
	}
	if len(tools) == 0 {
		return fmt.Errorf("no tool to measure")
	}

	samples := make(map[string][]sample)
	slow := make(map[string][]sample)
	started := time.Now()
	for round := range o.Runs {
		// Rotate the order each round, so that no tool always runs right
		// after the same other one.
		order := make([]*tool, len(tools))
		for i := range tools {
			order[i] = tools[(i+round)%len(tools)]
		}
		for _, t := range order {
			s := env.measure(ctx, t)
			if ctx.Err() != nil {
				return ctx.Err()
			}
			progress(round, o.Runs, t, "", s)
			samples[t.name] = append(samples[t.name], s)
		}
		if err := slowDown(shop, extraDelay); err != nil {
			return err
		}
		for _, t := range order {
			if !t.browser {
				continue
			}
			s := env.measure(ctx, t)
			if ctx.Err() != nil {
				return ctx.Err()
			}
			progress(round, o.Runs, t, "slow", s)
			slow[t.name] = append(slow[t.name], s)
		}
		if err := slowDown(shop, 0); err != nil {
			return err
		}
	}
	res := summarize(tools, samples, slow)
	res.Notes = notes
	res.Versions = env.versions(tools)
	res.Runs = o.Runs
	res.Elapsed = time.Since(started)

	if o.Scale && has(tools, "touchprobe") {
		sc, err := env.scale(ctx)
		if err != nil {
			return fmt.Errorf("scale: %w", err)
		}
		res.Scale = sc
	}
	if o.Scale {
		x, err := runExposition(ctx)
		if err != nil {
			return err
		}
		res.Exposition = x
	}
	res.Command = o.Command
	res.Date = time.Now().UTC()
	res.Machine = fmt.Sprintf("%d cores, load average %s when it began", runtime.NumCPU(), loadAtStart)
	text := res.markdown()
	fmt.Fprint(out, text)
	if o.Write != "" {
		if err := writeBetweenMarkers(o.Write, text); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "bench: figures written to %s\n", o.Write)
	}
	return nil
}

// setUp readies what every measurement needs: this process as the
// subreaper of the tools' helpers, the cache's absolute path, a work
// directory and the shop. tearDown removes them.
func setUp(o options) (env *environment, tearDown func(), err error) {
	if err := becomeSubreaper(); err != nil {
		return nil, nil, err
	}
	if o.Cache, err = filepath.Abs(o.Cache); err != nil {
		return nil, nil, err
	}
	work, err := os.MkdirTemp("", "touchprobe-bench-")
	if err != nil {
		return nil, nil, err
	}
	shop, err := startShop()
	if err != nil {
		os.RemoveAll(work)
		return nil, nil, err
	}
	tearDown = func() {
		shop.Close()
		os.RemoveAll(work)
	}
	return &environment{opts: o, work: work, shopURL: shop.URL(), shop: shop}, tearDown, nil
}

func progress(round, runs int, t *tool, variant string, s sample) {
	status := "ok"
	if s.err != nil {
		status = s.err.Error()
	}
	procs := 0
	for _, k := range s.usage.Kinds {
		procs += k.Processes
	}
	fmt.Fprintf(os.Stderr, "bench: round %d/%d %-10s %-4s journey %6.0f ms  cpu %5.2f s (own %4.2f, renderers %4.2f, %2d processes)  pss %4d MiB  %s\n",
		round+1, runs, t.name, variant, s.rec.JourneyMS, s.usage.CPU.Seconds(), s.usage.Kinds[kindTool].CPU.Seconds(),
		s.usage.Kinds[kindRenderer].CPU.Seconds(), procs, s.usage.PeakPSS>>20, status)
}

func has(tools []*tool, name string) bool {
	for _, t := range tools {
		if t.name == name {
			return true
		}
	}
	return false
}

// loadAverage is the one-minute load average, or "unknown".
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if fields := strings.Fields(string(b)); err == nil && len(fields) > 0 {
		return fields[0]
	}
	return "unknown"
}
