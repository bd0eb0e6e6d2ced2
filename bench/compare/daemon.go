package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"
)

// daemonOnly measures what a run costs in the daemon, where the browser
// is warm, for this tree's agent and, with -baseline, an older one: the
// agents take turns, one window each per round, so that a change's
// before and after meet the same drift of a shared machine. Windows open
// and close as a run ends (see throughput); the figure is the CPU of all
// windows over the runs that ended in them.
func daemonOnly(ctx context.Context, o options, out io.Writer) error {
	env, tearDown, err := setUp(o)
	if err != nil {
		return err
	}
	defer tearDown()

	type agent struct {
		label string
		bin   string
		flags []string
		wins  []throughput
	}
	bin, err := env.buildTouchprobe(ctx)
	if err != nil {
		return err
	}
	agents := []*agent{{label: "touchprobe", bin: bin, flags: o.DaemonFlags}}
	if len(o.DaemonFlags) > 0 {
		agents[0].label += " " + strings.Join(o.DaemonFlags, " ")
	}
	if o.Baseline != "" {
		abs, err := baselineBinary(o.Baseline)
		if err != nil {
			return err
		}
		agents = append(agents, &agent{label: "touchprobe before", bin: abs})
	}
	load := loadAverage()
	for round := range o.Daemon {
		for i := range agents {
			a := agents[(i+round)%len(agents)]
			tp, err := env.throughput(ctx, a.bin, 1, 2, o.ScaleDuration, a.flags)
			if err != nil {
				return fmt.Errorf("%s: %w", a.label, err)
			}
			a.wins = append(a.wins, tp)
			fmt.Fprintf(os.Stderr, "bench: round %d/%d %-18s %2.0f runs  cpu %.2f s a run  (%s)\n",
				round+1, o.Daemon, a.label, tp.Ended, tp.CPUPerJourneyS, kindLine(tp.Kinds))
		}
	}

	fmt.Fprintf(out, "CPU per run in the daemon at concurrency 1, %d windows of %s per agent taking turns (%s, load average %s when it began):\n\n",
		o.Daemon, o.ScaleDuration, time.Now().UTC().Format("2006-01-02 15:04 MST"), load)
	fmt.Fprintf(out, "| agent | runs | CPU per run | windows (min–max) | by kind |\n| --- | ---: | ---: | ---: | --- |\n")
	var first float64
	for i, a := range agents {
		runs, cpu, per := pooled(a.wins)
		kinds := map[string]kindSummary{}
		for _, w := range a.wins {
			for k, ks := range w.Kinds {
				s := kinds[k]
				s.CPU += ks.CPU * w.Ended / runs
				kinds[k] = s
			}
		}
		ratio := ""
		if i == 0 {
			first = cpu
		} else if cpu > 0 {
			ratio = fmt.Sprintf(" (this tree %.2f of it)", first/cpu)
		}
		fmt.Fprintf(out, "| %s | %.0f | %.2f s%s | %.2f–%.2f s | %s |\n", a.label, runs, cpu, ratio, slices.Min(per), slices.Max(per), kindLine(kinds))
	}
	return nil
}

// pooled is the CPU per run over all windows (their CPU over their runs),
// with how many runs, and each window's own figure.
func pooled(wins []throughput) (runs, cpuPerRun float64, per []float64) {
	var cpu float64
	for _, w := range wins {
		runs += w.Ended
		cpu += w.CPUPerJourneyS * w.Ended
		per = append(per, w.CPUPerJourneyS)
	}
	if runs > 0 {
		cpuPerRun = cpu / runs
	}
	return runs, cpuPerRun, per
}

// kindLine lists CPU per run by kind of process, largest first.
func kindLine(kinds map[string]kindSummary) string {
	names := make([]string, 0, len(kinds))
	for k := range kinds {
		names = append(names, k)
	}
	slices.SortFunc(names, func(a, b string) int {
		switch {
		case kinds[a].CPU > kinds[b].CPU:
			return -1
		case kinds[a].CPU < kinds[b].CPU:
			return 1
		}
		return strings.Compare(a, b)
	})
	parts := make([]string, 0, len(names))
	for _, k := range names {
		if kinds[k].CPU >= 0.005 {
			parts = append(parts, fmt.Sprintf("%s %.2f", k, kinds[k].CPU))
		}
	}
	return strings.Join(parts, ", ")
}
