package main

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"time"
)

// The figures in BENCHMARKS.md sit between these markers; the prose around
// them is left alone.
const (
	beginMarker = "<!-- bench:figures:begin -->"
	endMarker   = "<!-- bench:figures:end -->"
)

type toolSummary struct {
	Name, Label string
	Browser     bool
	OK, Failed  int
	FirstError  string

	JourneyMS float64 // as the tool reported it
	ProcessMS float64 // from exec to exit
	StartupMS float64 // from exec to the journey's start
	// OutsideMS is the median over the runs of each run's process time
	// minus its journey: start-up plus shut-down. The difference of the
	// two medians above would mix runs, which a loaded machine spreads.
	OutsideMS float64
	CPU       float64 // seconds, process tree
	PSS       float64 // MiB, peak of the process tree

	// Kinds is the median over the runs, per kind of process, of its CPU
	// time and of how many processes of that kind there were.
	Kinds map[string]kindSummary
	// Unsampled is the median CPU time (s) of the tree that the split by
	// kind does not hold.
	Unsampled float64
	// Pages holds, per step of pageSteps, the median page timings in the
	// tool's browser.
	Pages map[string]pageSummary

	StepMS  map[string]float64 // median reported step time
	StepErr map[string]float64 // median of reported minus injected
	// StepDelta is the measuring error: how much more the median step
	// time grew in the slow variant than the injected delay did.
	StepDelta map[string]float64
}

type kindSummary struct {
	CPU       float64 // seconds
	Processes float64
}

type pageSummary struct {
	// FirstByteToDCL and FirstByteToLoad are medians in milliseconds, NaN
	// when no run reported them.
	FirstByteToDCL, FirstByteToLoad float64
	Runs                            int // runs that reported the page
	// DCLs and Loads are the runs' own figures, for the goal's interval.
	DCLs, Loads []float64
}

// pageSteps are the steps whose pages the report compares across tools:
// the first page, loaded by navigation, and one a click opens.
var pageSteps = []string{"landing", "product page"}

// pageGoal is the goal for touchprobe's page timings against Playwright's:
// the instrument must not slow what it measures by more than this.
const pageGoal = 1.05

type result struct {
	Tools []toolSummary
	Notes []string
	// Versions names what was measured.
	Versions []string
	Runs     int
	Elapsed  time.Duration
	Scale    *scaleResult
	// Exposition is BenchmarkExposition's result.
	Exposition *exposition
	Command    string
	Date       time.Time
	// Machine says what the figures were measured on.
	Machine string
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// stepMedians returns each step's median reported time over the samples
// that succeeded.
func stepMedians(samples []sample) map[string]float64 {
	steps := map[string][]float64{}
	for _, s := range samples {
		if s.err != nil {
			continue
		}
		for _, st := range s.rec.Steps {
			steps[st.Name] = append(steps[st.Name], st.MS)
		}
	}
	out := make(map[string]float64, len(steps))
	for name, xs := range steps {
		out[name] = median(xs)
	}
	return out
}

// kindMedians returns, per kind of process, the median CPU time and count
// over the samples that succeeded (a kind missing from a run counts as 0
// there), and the median CPU time that no kind holds.
func kindMedians(samples []sample) (map[string]kindSummary, float64) {
	cpu, count := map[string][]float64{}, map[string][]float64{}
	var unsampled []float64
	for _, s := range samples {
		if s.err != nil {
			continue
		}
		for _, k := range processKinds {
			u := s.usage.Kinds[k]
			cpu[k] = append(cpu[k], u.CPU.Seconds())
			count[k] = append(count[k], float64(u.Processes))
		}
		unsampled = append(unsampled, s.usage.Unsampled().Seconds())
	}
	out := map[string]kindSummary{}
	for _, k := range processKinds {
		if len(cpu[k]) > 0 {
			out[k] = kindSummary{CPU: median(cpu[k]), Processes: median(count[k])}
		}
	}
	return out, median(unsampled)
}

// pageMedians returns the median page timings of each step of pageSteps
// over the samples that succeeded.
func pageMedians(samples []sample) map[string]pageSummary {
	out := map[string]pageSummary{}
	for _, step := range pageSteps {
		var dcl, load []float64
		runs := 0
		for _, s := range samples {
			if s.err != nil {
				continue
			}
			for _, p := range s.rec.Pages {
				if p.Step != step {
					continue
				}
				runs++
				if v, ok := p.FirstByteToDOMContentLoaded(); ok {
					dcl = append(dcl, v)
				}
				if v, ok := p.FirstByteToLoad(); ok {
					load = append(load, v)
				}
				break
			}
		}
		out[step] = pageSummary{FirstByteToDCL: median(dcl), FirstByteToLoad: median(load), Runs: runs, DCLs: dcl, Loads: load}
	}
	return out
}

func summarize(tools []*tool, samples, slow map[string][]sample) *result {
	res := &result{}
	for _, t := range tools {
		ts := toolSummary{Name: t.name, Label: t.label, Browser: t.browser,
			StepErr: map[string]float64{}, StepDelta: map[string]float64{}}
		var journey, process, startup, outside, cpu, pss []float64
		for _, s := range samples[t.name] {
			if s.err != nil {
				ts.Failed++
				if ts.FirstError == "" {
					ts.FirstError = s.err.Error()
				}
				continue
			}
			ts.OK++
			journey = append(journey, s.rec.JourneyMS)
			process = append(process, ms(s.usage.Wall))
			startup = append(startup, float64(s.rec.StartMS-s.usage.Started.UnixMilli()))
			outside = append(outside, ms(s.usage.Wall)-s.rec.JourneyMS)
			cpu = append(cpu, s.usage.CPU.Seconds())
			pss = append(pss, float64(s.usage.PeakPSS)/(1<<20))
		}
		ts.JourneyMS, ts.ProcessMS, ts.StartupMS = median(journey), median(process), median(startup)
		ts.OutsideMS = median(outside)
		ts.CPU, ts.PSS = median(cpu), median(pss)
		ts.Kinds, ts.Unsampled = kindMedians(samples[t.name])
		ts.Pages = pageMedians(samples[t.name])
		ts.StepMS = stepMedians(samples[t.name])
		for name, v := range ts.StepMS {
			ts.StepErr[name] = v - ms(injected[name])
		}
		for name, v := range stepMedians(slow[t.name]) {
			if base, ok := ts.StepMS[name]; ok {
				ts.StepDelta[name] = v - base - ms(time.Duration(delayedRequests[name])*extraDelay)
			}
		}
		res.Tools = append(res.Tools, ts)
	}
	return res
}

func (r *result) tool(name string) *toolSummary {
	for i := range r.Tools {
		if r.Tools[i].Name == name {
			return &r.Tools[i]
		}
	}
	return nil
}

// maxStepError is the largest measuring error over the steps that have an
// injected delay.
func (t *toolSummary) maxStepError() (float64, string) {
	worst, at := math.NaN(), ""
	for _, name := range stepNames {
		e, ok := t.StepDelta[name]
		if delayedRequests[name] == 0 {
			continue
		}
		if !ok {
			continue
		}
		if math.IsNaN(worst) || math.Abs(e) > worst {
			worst, at = math.Abs(e), name
		}
	}
	return worst, at
}

func num(v float64, format string) string {
	if math.IsNaN(v) {
		return "–"
	}
	return fmt.Sprintf(format, v)
}

func ratio(a, b float64) string {
	if math.IsNaN(a) || math.IsNaN(b) || b == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f", a/b)
}

func (r *result) markdown() string {
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	w("Measured %s UTC with `%s`: %d journeys per tool, one per process, the tools taking turns; medians. "+
		"One run on one machine (%s), so differences of a few per cent are noise.\n\n",
		r.Date.Format("2006-01-02 15:04"), r.Command, r.Runs, r.Machine)
	for _, n := range append(r.Versions, r.Notes...) {
		w("- %s\n", n)
	}
	w("\n")

	w("#### One journey per process\n\n")
	w("*Outside the journey* is each run's process time minus its journey (start-up plus shut-down), median over the runs.\n\n")
	w("| tool | runs ok | journey | process (start to exit) | start-up | outside the journey | CPU, process tree | peak PSS, process tree |\n")
	w("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	for _, t := range r.Tools {
		w("| %s | %d/%d | %s ms | %s ms | %s ms | %s ms | %s s | %s MiB |\n", t.Label, t.OK, t.OK+t.Failed,
			num(t.JourneyMS, "%.0f"), num(t.ProcessMS, "%.0f"), num(t.StartupMS, "%.0f"), num(t.OutsideMS, "%.0f"), num(t.CPU, "%.2f"), num(t.PSS, "%.0f"))
	}
	for _, t := range r.Tools {
		if t.Failed > 0 {
			w("\n%s: %d runs failed; the first: %s\n", t.Label, t.Failed, t.FirstError)
		}
	}

	if tp := r.tool("touchprobe"); tp != nil && len(r.Tools) > 1 {
		w("\n#### touchprobe / peer\n\n")
		w("Below 1 means touchprobe needs less. The floor's row is touchprobe's overhead (target: at most 1.10).\n\n")
		w("| peer | journey | process | start-up | outside the journey | CPU | peak PSS |\n")
		w("| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n")
		for _, t := range r.Tools {
			if t.Name == "touchprobe" {
				continue
			}
			w("| %s | %s | %s | %s | %s | %s | %s |\n", t.Label, ratio(tp.JourneyMS, t.JourneyMS), ratio(tp.ProcessMS, t.ProcessMS),
				ratio(tp.StartupMS, t.StartupMS), ratio(tp.OutsideMS, t.OutsideMS), ratio(tp.CPU, t.CPU), ratio(tp.PSS, t.PSS))
		}
		w("\nblackbox_exporter fetches the landing page's HTML over HTTP and nothing else: no browser, no assets, no script, no later step. Its row shows what a browser journey costs, not a race.\n")
	}

	var browsers []toolSummary
	for _, t := range r.Tools {
		if t.Browser {
			browsers = append(browsers, t)
		}
	}
	if len(browsers) > 0 {
		kindTable(w, browsers)
		r.pageTable(w, browsers)
	}
	if len(browsers) > 0 {
		stepTable(w, browsers, "Step times: reported minus injected (ms)",
			"The shop delays each step by a known amount (injected); what a tool reports beyond it is the page's real work on loopback, "+
				"filling fields, and the tool's own overhead.",
			"injected", func(name string) float64 { return ms(injected[name]) }, "%+.0f",
			func(t toolSummary, name string) (float64, bool) { v, ok := t.StepErr[name]; return v, ok }, false)
		stepTable(w, browsers, "Measuring error (ms)",
			fmt.Sprintf("Each round also runs every browser tool against the shop with %s more on every delayed request. "+
				"A step's error is how much more its median time grew than the delay did: the page's own work cancels out, "+
				"what is left is what the tool adds to or misses of what it measures. Target for touchprobe: under 50 ms.", extraDelay),
			"added", func(name string) float64 { return ms(time.Duration(delayedRequests[name]) * extraDelay) }, "%+.0f",
			func(t toolSummary, name string) (float64, bool) { v, ok := t.StepDelta[name]; return v, ok }, true)
	}
	if r.Scale != nil {
		r.Scale.markdown(w, r.Tools)
	}
	if r.Exposition != nil {
		r.Exposition.markdown(w)
	}
	return b.String()
}

// kindLabels head the columns of the CPU split.
var kindLabels = map[string]string{
	kindTool: "tool's own process", kindBrowser: "browser", kindRenderer: "renderers", kindGPU: "GPU",
	kindNetwork: "network service", kindUtility: "other utility", kindZygote: "zygotes", kindCrashpad: "crashpad",
	kindOther: "other",
}

func kindTable(w func(string, ...any), tools []toolSummary) {
	w("\n#### CPU by kind of process\n\n")
	w("The process tree's CPU time split by process, median per journey in seconds, and in brackets how many processes of the kind ran. "+
		"Chromium's processes are told apart by the `--type=` of their command line. Each process counts with its CPU time at its last sample "+
		"(every %s; the tool's own process and orphans exactly, read before they are reaped); *not sampled* is the rest of the tree's time: "+
		"what helpers spent after their last sample, and helpers that lived less than a sample.\n\n", sampleInterval)
	kindRows(w, "tool", tools)
}

// kindRows writes a table of CPU time by kind of process, a row for each
// of rows (its Label, Kinds and Unsampled), headed by first.
func kindRows(w func(string, ...any), first string, rows []toolSummary) {
	w("| %s |", first)
	for _, k := range processKinds {
		w(" %s |", kindLabels[k])
	}
	w(" not sampled | processes |\n| --- |")
	for range processKinds {
		w(" ---: |")
	}
	w(" ---: | ---: |\n")
	for _, t := range rows {
		w("| %s |", t.Label)
		total := 0.0
		for _, k := range processKinds {
			ks, ok := t.Kinds[k]
			if !ok || ks.Processes == 0 && ks.CPU == 0 {
				w(" – |")
				continue
			}
			total += ks.Processes
			w(" %.2f (%s) |", ks.CPU, strings.TrimSuffix(fmt.Sprintf("%.1f", ks.Processes), ".0"))
		}
		w(" %s | %s |\n", num(t.Unsampled, "%.2f"), strings.TrimSuffix(fmt.Sprintf("%.1f", total), ".0"))
	}
}

// pageTable compares the page timings in each tool's browser, and
// touchprobe's with Playwright's against pageGoal.
func (r *result) pageTable(w func(string, ...any), tools []toolSummary) {
	tp, pw := r.tool("touchprobe"), r.tool("playwright")
	withRatio := tp != nil && pw != nil
	w("\n#### Page timings in each tool's browser (ms)\n\n")
	w("The same pages as each tool's browser measured them (Navigation Timing, read after the step was timed), medians: " +
		"from the document's first byte until its DOMContentLoaded handlers had run, and until its load handlers had run. " +
		"The page and the machine are the same for every tool; what differs is what the tool has the browser do alongside.")
	if withRatio {
		w(" Goal: touchprobe's at most %.2f of Playwright's. In brackets, the ratio's %.0f%% interval over the rounds "+
			"(the runs of each tool drawn again at random, %d times): the goal is *met* when all of it is within the goal, "+
			"*missed* when none of it is, and *not shown* when the rounds cannot tell.", pageGoal, 100*intervalLevel, resamples)
	}
	w("\n\n| page | first byte to |")
	for _, t := range tools {
		w(" %s |", t.Label)
	}
	if withRatio {
		w(" touchprobe / Playwright |")
	}
	w("\n| --- | --- |")
	for range tools {
		w(" ---: |")
	}
	if withRatio {
		w(" ---: |")
	}
	w("\n")
	for _, step := range pageSteps {
		for _, m := range []struct {
			name string
			get  func(pageSummary) float64
			runs func(pageSummary) []float64
		}{
			{"DOMContentLoaded", func(p pageSummary) float64 { return p.FirstByteToDCL }, func(p pageSummary) []float64 { return p.DCLs }},
			{"load", func(p pageSummary) float64 { return p.FirstByteToLoad }, func(p pageSummary) []float64 { return p.Loads }},
		} {
			w("| %s | %s |", step, m.name)
			for _, t := range tools {
				v := math.NaN()
				if p, ok := t.Pages[step]; ok {
					v = m.get(p)
				}
				w(" %s |", num(v, "%.0f"))
			}
			if withRatio {
				a, b := m.get(tp.Pages[step]), m.get(pw.Pages[step])
				cell := ratio(a, b)
				if cell != "–" {
					lo, hi := ratioInterval(m.runs(tp.Pages[step]), m.runs(pw.Pages[step]))
					cell += fmt.Sprintf(" (%.2f–%.2f) %s", lo, hi, pageVerdict(lo, hi))
				}
				w(" %s |", cell)
			}
			w("\n")
		}
	}
}

// intervalLevel is the share of the resampled ratios that ratioInterval's
// bounds hold; resamples is how many it draws.
const (
	intervalLevel = 0.9
	resamples     = 2000
)

// ratioInterval is a bootstrap interval of the ratio of the medians of a
// and b: both drawn again with replacement, resamples times. A median of
// seven rounds moves by more than the page goal's 5% from run to run on a
// shared machine; the interval says how far these rounds pin it down. The
// draws are seeded, so that the same runs give the same interval.
func ratioInterval(a, b []float64) (lo, hi float64) {
	if len(a) == 0 || len(b) == 0 {
		return math.NaN(), math.NaN()
	}
	rng := rand.New(rand.NewPCG(1, 2))
	ra, rb := make([]float64, len(a)), make([]float64, len(b))
	ratios := make([]float64, 0, resamples)
	for range resamples {
		for i := range ra {
			ra[i] = a[rng.IntN(len(a))]
		}
		for i := range rb {
			rb[i] = b[rng.IntN(len(b))]
		}
		if mb := median(rb); mb > 0 {
			ratios = append(ratios, median(ra)/mb)
		}
	}
	if len(ratios) == 0 {
		return math.NaN(), math.NaN()
	}
	slices.Sort(ratios)
	tail := (1 - intervalLevel) / 2
	at := func(q float64) float64 { return ratios[min(len(ratios)-1, int(q*float64(len(ratios))))] }
	return at(tail), at(1 - tail)
}

// pageVerdict judges the page goal from the ratio's interval.
func pageVerdict(lo, hi float64) string {
	switch {
	case math.IsNaN(lo) || math.IsNaN(hi):
		return "not shown"
	case hi <= pageGoal:
		return "met"
	case lo > pageGoal:
		return "missed"
	}
	return "not shown"
}

func stepTable(w func(string, ...any), tools []toolSummary, title, intro, col string, colValue func(string) float64,
	format string, value func(toolSummary, string) (float64, bool), largest bool) {
	w("\n#### %s\n\n%s\n\n| step | %s |", title, intro, col)
	for _, t := range tools {
		w(" %s |", t.Label)
	}
	w("\n| --- | ---: |")
	for range tools {
		w(" ---: |")
	}
	w("\n")
	for _, name := range stepNames {
		if largest && delayedRequests[name] == 0 {
			continue
		}
		w("| %s | %.0f |", name, colValue(name))
		for _, t := range tools {
			v, ok := value(t, name)
			if !ok {
				v = math.NaN()
			}
			w(" %s |", num(v, format))
		}
		w("\n")
	}
	if largest {
		w("| largest |  |")
		for _, t := range tools {
			v, at := t.maxStepError()
			w(" %s (%s) |", num(v, "%.0f"), at)
		}
		w("\n")
	}
}

// writeBetweenMarkers replaces what is between the markers of path with
// text, or appends the markers and text when the file has none.
func writeBetweenMarkers(path, text string) error {
	old, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	block := beginMarker + "\n" + text + endMarker
	i := bytes.Index(old, []byte(beginMarker))
	j := bytes.Index(old, []byte(endMarker))
	var out []byte
	switch {
	case i >= 0 && j > i:
		out = append(append(append([]byte{}, old[:i]...), block...), old[j+len(endMarker):]...)
	case i < 0 && j < 0:
		out = append(append(old, '\n'), block+"\n"...)
	default:
		return fmt.Errorf("%s: the markers %s and %s are not in order", path, beginMarker, endMarker)
	}
	if err := os.WriteFile(path, out, 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
