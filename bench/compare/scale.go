package main

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// throughput is the agent running journeys back to back at one
// concurrency.
type throughput struct {
	Concurrency    int
	Runs           float64 // successful runs in the window
	Failed         float64
	PerMinute      float64
	JourneyMS      float64 // mean of successful runs
	WorstResidual  float64 // largest mean step time minus injected delay, ms
	WorstStep      string
	PeakPSS        float64 // MiB, agent and Chromium
	CPUPerJourneyS float64
	// Kinds splits CPUPerJourneyS by kind of process, with how many
	// processes of the kind ran in the window; Unsampled is the part no
	// sample of a process saw (see Usage.Unsampled). Ended counts the runs
	// that ended in the window, whatever their result.
	Kinds     map[string]kindSummary
	Unsampled float64
	Ended     float64
}

// growth is the agent with n journeys configured.
type growth struct {
	Journeys int
	AgentRSS float64 // MiB, the touchprobe process alone
	PeakPSS  float64 // MiB, agent and Chromium
	Runs     float64
	Skipped  float64
	MaxLagS  float64
	ScrapeMS float64 // one /metrics scrape
}

type scaleResult struct {
	Window     time.Duration
	Throughput []throughput
	GrowthFor  time.Duration
	Growth     []growth
}

func (e *environment) scale(ctx context.Context) (*scaleResult, error) {
	bin := e.touchprobeBin()
	res := &scaleResult{Window: e.opts.ScaleDuration, GrowthFor: e.opts.ScaleDuration / 2}
	for _, c := range []int{1, 2} {
		// One journey more than slots, each due every second, keeps every
		// slot busy all the time.
		tp, err := e.throughput(ctx, bin, c, c+1, res.Window, nil)
		if err != nil {
			return nil, err
		}
		res.Throughput = append(res.Throughput, tp)
		fmt.Fprintf(os.Stderr, "bench: concurrency %d: %.1f journeys/minute\n", c, tp.PerMinute)
	}
	for _, n := range []int{1, 10, 100} {
		g, err := e.growth(ctx, bin, n, res.GrowthFor)
		if err != nil {
			return nil, err
		}
		res.Growth = append(res.Growth, g)
		fmt.Fprintf(os.Stderr, "bench: %d journeys configured: agent RSS %.0f MiB, max lag %.1fs\n", n, g.AgentRSS, g.MaxLagS)
	}
	return res, nil
}

// agentConfig writes a configuration with n copies of the demo journey.
func (e *environment) agentConfig(n, concurrency int, schedule string, flags []string) (string, error) {
	base := benchJourney(e.shop.Journey(schedule))
	i := strings.Index(base, "[[journey]]")
	if i < 0 {
		return "", fmt.Errorf("the demo journey has no [[journey]] table")
	}
	head := strings.Replace(base[:i], "concurrency = 1", fmt.Sprintf("concurrency = %d", concurrency), 1)
	var b strings.Builder
	b.WriteString(head)
	fmt.Fprintf(&b, "[browser]\npath = %q\n", e.opts.Chromium)
	if len(flags) > 0 {
		q := make([]string, len(flags))
		for i, f := range flags {
			q[i] = fmt.Sprintf("%q", f)
		}
		fmt.Fprintf(&b, "extra_flags = [%s]\n", strings.Join(q, ", "))
	}
	b.WriteString("\n")
	for k := range n {
		b.WriteString(strings.Replace(base[i:], `name = "checkout"`, fmt.Sprintf(`name = "checkout-%03d"`, k+1), 1))
		b.WriteString("\n")
	}
	path := filepath.Join(e.work, fmt.Sprintf("agent-%d-%d-%d.toml", n, concurrency, len(flags)))
	return path, os.WriteFile(path, []byte(b.String()), 0o644)
}

// agent runs `touchprobe run` under measure and calls drive while it
// serves; drive gets the agent's address.
func (e *environment) agent(ctx context.Context, bin, cfg string, drive func(addr string, pid int, procs *procTable) error) (Usage, error) {
	port, err := freePort()
	if err != nil {
		return Usage{}, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	cmd, _ := stdoutCmd(ctx, nil, bin, "run", "--config", cfg, "--web.listen-address", addr,
		"--browser.dir", e.work, "--log.level", "error", "--shutdown.grace", "10s")
	return measure(ctx, cmd, 200*time.Millisecond, 15*time.Second, func(pid int, procs *procTable) error {
		defer syscall.Kill(pid, syscall.SIGTERM)
		if err := waitReady(ctx, addr); err != nil {
			return err
		}
		return drive(addr, pid, procs)
	})
}

func waitReady(ctx context.Context, addr string) error {
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://" + addr + "/-/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if err := sleepCtx(ctx, 50*time.Millisecond); err != nil {
			return err
		}
	}
	return fmt.Errorf("the agent at %s never became ready", addr)
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func (e *environment) throughput(ctx context.Context, bin string, concurrency, journeys int, window time.Duration, flags []string) (throughput, error) {
	tp := throughput{Concurrency: concurrency}
	cfg, err := e.agentConfig(journeys, concurrency, "@every 1s", flags)
	if err != nil {
		return tp, err
	}
	var before, after map[string]*dto.MetricFamily
	var cpu0, cpu1 time.Duration
	var kinds0, kinds1 map[procKey]procEntry
	u, err := e.agent(ctx, bin, cfg, func(addr string, pid int, procs *procTable) error {
		// The window opens and closes as a run ends. Opened at any moment,
		// it would count a part of the runs in flight at either end and
		// none of them in the number of runs: with some ten runs in a
		// window, that moved the CPU per journey by a tenth or more.
		mark := func() (map[string]*dto.MetricFamily, time.Duration, map[procKey]procEntry, error) {
			fams, err := afterARunEnds(ctx, addr)
			if err != nil {
				return nil, 0, nil, err
			}
			procs.sampleTree()
			return fams, treeCPU(pid), procs.snapshot(), nil
		}
		var err error
		if before, cpu0, kinds0, err = mark(); err != nil {
			return err
		}
		if err := sleepCtx(ctx, window); err != nil {
			return err
		}
		after, cpu1, kinds1, err = mark()
		return err
	})
	if err != nil {
		return tp, fmt.Errorf("touchprobe at concurrency %d: %w", concurrency, err)
	}
	runs := func(result string) float64 {
		return sum(after, "touchprobe_journey_runs_total", "result", result) - sum(before, "touchprobe_journey_runs_total", "result", result)
	}
	tp.Runs = runs("success")
	tp.Failed = runs("failure") + runs("error")
	tp.PerMinute = tp.Runs / window.Minutes()
	tp.Ended = finishedRuns(after) - finishedRuns(before)
	if ended := tp.Ended; ended > 0 {
		// Every run ended in the window costs CPU, whatever its result.
		tp.CPUPerJourneyS = (cpu1 - cpu0).Seconds() / ended
		tp.Kinds = map[string]kindSummary{}
		var split time.Duration
		for k, ku := range kindsBetween(kinds0, kinds1) {
			tp.Kinds[k] = kindSummary{CPU: ku.CPU.Seconds() / ended, Processes: float64(ku.Processes)}
			split += ku.CPU
		}
		tp.Unsampled = max(0, (cpu1-cpu0-split).Seconds()/ended)
	}
	tp.PeakPSS = float64(u.PeakPSS) / (1 << 20)
	dsum := histSum(after, "touchprobe_journey_duration_seconds", "") - histSum(before, "touchprobe_journey_duration_seconds", "")
	dcount := histCount(after, "touchprobe_journey_duration_seconds", "") - histCount(before, "touchprobe_journey_duration_seconds", "")
	tp.JourneyMS = 1000 * dsum / dcount
	tp.WorstResidual = math.NaN()
	for _, step := range stepNames {
		s := histSum(after, "touchprobe_step_duration_seconds", step) - histSum(before, "touchprobe_step_duration_seconds", step)
		n := histCount(after, "touchprobe_step_duration_seconds", step) - histCount(before, "touchprobe_step_duration_seconds", step)
		if n == 0 {
			continue
		}
		r := 1000*s/n - ms(injected[step])
		if math.IsNaN(tp.WorstResidual) || r > tp.WorstResidual {
			tp.WorstResidual, tp.WorstStep = r, step
		}
	}
	return tp, nil
}

// treeCPU reads the CPU time so far of pid and every process below it,
// from /proc: each live process's own time and the time of the children it
// has reaped. In a daemon's window Chromium's renderers start and exit
// (each run has its own), and their zygote reaps them: without its reaped
// time they would count for nothing, and the agent would look cheaper per
// journey than it is.
func treeCPU(pid int) time.Duration {
	var total time.Duration
	for _, p := range append([]int{pid}, descendants(pid)...) {
		if st, ok := readStat(p); ok {
			total += st.cpu + st.reaped
		}
	}
	return total
}

func (e *environment) growth(ctx context.Context, bin string, n int, window time.Duration) (growth, error) {
	g := growth{Journeys: n}
	// Due every 5 minutes and spread over them by the agent's offsets: the
	// window sees about window/5m of the runs of each journey.
	cfg, err := e.agentConfig(n, 1, "@every 5m", nil)
	if err != nil {
		return g, err
	}
	var last map[string]*dto.MetricFamily
	u, err := e.agent(ctx, bin, cfg, func(addr string, pid int, _ *procTable) error {
		if err := sleepCtx(ctx, window); err != nil {
			return err
		}
		g.AgentRSS = float64(rss(pid)) / (1 << 20)
		start := time.Now()
		var err error
		last, err = scrape(addr)
		g.ScrapeMS = ms(time.Since(start))
		return err
	})
	if err != nil {
		return g, fmt.Errorf("touchprobe with %d journeys: %w", n, err)
	}
	g.PeakPSS = float64(u.PeakPSS) / (1 << 20)
	g.Runs = sum(last, "touchprobe_journey_runs_total", "result", "success")
	g.Skipped = sum(last, "touchprobe_journey_runs_total", "result", "skipped")
	if f := last["touchprobe_schedule_lag_seconds"]; f != nil {
		for _, m := range f.Metric {
			g.MaxLagS = math.Max(g.MaxLagS, m.GetGauge().GetValue())
		}
	}
	return g, nil
}

// runEndPoll is how often afterARunEnds looks at the agent's metrics. A
// scrape costs the agent a few milliseconds; the polls happen only while
// a window waits for a run to end.
const runEndPoll = 100 * time.Millisecond

// afterARunEnds waits until the agent finishes a run and returns its
// metrics just after. It gives up after runEndWait.
func afterARunEnds(ctx context.Context, addr string) (map[string]*dto.MetricFamily, error) {
	first, err := scrape(addr)
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(runEndWait)
	for time.Now().Before(deadline) {
		if err := sleepCtx(ctx, runEndPoll); err != nil {
			return nil, err
		}
		fams, err := scrape(addr)
		if err != nil {
			return nil, err
		}
		if finishedRuns(fams) > finishedRuns(first) {
			return fams, nil
		}
	}
	return nil, fmt.Errorf("the agent at %s finished no run in %s", addr, runEndWait)
}

// runEndWait bounds the wait for a run to end: far longer than the
// benchmark's journey takes.
const runEndWait = 2 * time.Minute

// finishedRuns counts the runs the agent has finished, whatever their
// result; skipped runs never started.
func finishedRuns(fams map[string]*dto.MetricFamily) float64 {
	var n float64
	for _, result := range []string{"success", "flaky", "failure", "error"} {
		n += sum(fams, "touchprobe_journey_runs_total", "result", result)
	}
	return n
}

func scrape(addr string) (map[string]*dto.MetricFamily, error) {
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		return nil, fmt.Errorf("scraping the agent: %w", err)
	}
	defer resp.Body.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("parsing the agent's metrics: %w", err)
	}
	return fams, nil
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.Label {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

// sum adds the counter's series whose label has the value.
func sum(fams map[string]*dto.MetricFamily, name, lname, lvalue string) float64 {
	var s float64
	if f := fams[name]; f != nil {
		for _, m := range f.Metric {
			if label(m, lname) == lvalue {
				s += m.GetCounter().GetValue()
			}
		}
	}
	return s
}

// histSum and histCount add a histogram's series, all of them or those of
// one step.
func histSum(fams map[string]*dto.MetricFamily, name, step string) float64 {
	var s float64
	if f := fams[name]; f != nil {
		for _, m := range f.Metric {
			if step == "" || label(m, "step") == step {
				s += m.GetHistogram().GetSampleSum()
			}
		}
	}
	return s
}

func histCount(fams map[string]*dto.MetricFamily, name, step string) float64 {
	var s float64
	if f := fams[name]; f != nil {
		for _, m := range f.Metric {
			if step == "" || label(m, "step") == step {
				s += float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	return s
}

// daemonGoal is the goal for a journey's CPU in the agent: at most
// this share of a per-check process's.
const daemonGoal = 0.5

// cheapestPeer is the per-check peer (k6 browser or Playwright) whose
// journey in a process of its own took the least CPU: the daemon's goal is
// judged against it.
func cheapestPeer(perProcess []toolSummary) (toolSummary, bool) {
	var best toolSummary
	found := false
	for _, t := range perProcess {
		if (t.Name == "k6" || t.Name == "playwright") && t.CPU > 0 && (!found || t.CPU < best.CPU) {
			best, found = t, true
		}
	}
	return best, found
}

func (s *scaleResult) markdown(w func(string, ...any), perProcess []toolSummary) {
	w("\n#### The agent at concurrency 1 and 2\n\n")
	w("`touchprobe run` with one journey more than slots, each due every second, so that every slot is always busy, for about %s: "+
		"the window opens and closes as a run ends, so that it holds whole runs only. "+
		"CPU per journey is the tree's CPU time in the window over the runs that ended in it. "+
		"Step error is the largest mean step time minus its injected delay (page work included, as in the first step table).\n\n", s.Window)
	w("| concurrency | journeys/minute | failed | mean journey | largest step time − injected | CPU per journey | peak PSS, agent and Chromium |\n")
	w("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	for _, t := range s.Throughput {
		w("| %d | %.1f | %.0f | %.0f ms | %+.0f ms (%s) | %.2f s | %.0f MiB |\n", t.Concurrency, t.PerMinute, t.Failed,
			t.JourneyMS, t.WorstResidual, t.WorstStep, t.CPUPerJourneyS, t.PeakPSS)
	}
	var rows []toolSummary
	for _, t := range s.Throughput {
		if t.Kinds != nil {
			rows = append(rows, toolSummary{Label: fmt.Sprintf("concurrency %d, %.0f runs", t.Concurrency, t.Ended), Kinds: t.Kinds, Unsampled: t.Unsampled})
		}
	}
	if len(rows) > 0 {
		w("\nCPU per journey in the agent by kind of process, in seconds, and in brackets how many processes of the kind ran in the window " +
			"(as in the per-process table; the agent's own process is the tool's). " +
			"Every run has a browser context and renderers of its own; the browser, GPU and network processes serve all runs.\n\n")
		kindRows(w, "agent", rows)
	}
	if len(s.Throughput) > 0 && s.Throughput[0].CPUPerJourneyS > 0 {
		one := s.Throughput[0]
		var parts []string
		for _, t := range perProcess {
			if t.Browser && t.CPU > 0 {
				parts = append(parts, fmt.Sprintf("%s of %s's", ratio(one.CPUPerJourneyS, t.CPU), t.Label))
			}
		}
		if len(parts) > 0 {
			w("\nA journey in the agent at concurrency %d costs %s CPU for a journey in a process of its own (goal: at most %.1f of a per-check process of k6 browser or Playwright).",
				one.Concurrency, strings.Join(parts, ", "), daemonGoal)
			if peer, ok := cheapestPeer(perProcess); ok {
				verdict := "met"
				if one.CPUPerJourneyS > daemonGoal*peer.CPU {
					verdict = "missed"
				}
				w(" Against the cheaper of the two, %s: **%s** in this window of %.0f runs; `-daemon` measures several windows.", peer.Label, verdict, one.Ended)
			}
			w("\n")
		}
	}
	w("\n#### Cost of configured journeys\n\n")
	w("`touchprobe run` with 1, 10 and 100 copies of the journey, each due every 5 minutes (spread over them by the agent's offsets), concurrency 1, for %s.\n\n", s.GrowthFor)
	w("| journeys | agent RSS | peak PSS, agent and Chromium | runs | skipped | largest schedule lag | one /metrics scrape |\n")
	w("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	for _, g := range s.Growth {
		w("| %d | %.0f MiB | %.0f MiB | %.0f | %.0f | %.1f s | %.0f ms |\n", g.Journeys, g.AgentRSS, g.PeakPSS, g.Runs, g.Skipped, g.MaxLagS, g.ScrapeMS)
	}
}
