package metrics

import (
	"bytes"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"

	"github.com/touchprobe/touchprobe/config"
	"github.com/touchprobe/touchprobe/probes"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

var start = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func dur(d time.Duration) config.Duration { return config.Duration{Duration: d} }

func budget(d time.Duration) config.Budget { return config.Budget{Duration: d} }

func checkout() config.Journey {
	return config.Journey{
		Name:     "checkout",
		Schedule: "@every 1m",
		Timeout:  dur(2 * time.Minute),
		Labels:   map[string]string{"brand": "nordlys"},
		Steps: []config.Step{
			{Name: "home", Touchpoint: "landing", Action: "navigate", Budget: budget(2 * time.Second)},
			{Name: "product", Touchpoint: "product", Action: "click", Budget: budget(2200 * time.Millisecond)},
			{Name: "pay", Touchpoint: "checkout", Action: "click", Budget: budget(3 * time.Second)},
		},
	}
}

func support() config.Journey {
	return config.Journey{
		Name:     "support",
		Schedule: "@every 5m",
		Timeout:  dur(time.Minute),
		Labels:   map[string]string{"team": "care", "tier": "gold"},
		Steps: []config.Step{
			{Name: "chat", Touchpoint: "chat", Action: "chat", Budget: budget(5 * time.Second)},
		},
	}
}

func step(name, tp string, status probes.StepStatus, d, budget time.Duration) probes.StepResult {
	return probes.StepResult{Name: name, Touchpoint: tp, Status: status, Duration: d, Budget: budget}
}

func successRun() *probes.Result {
	home := step("home", "landing", probes.StepOK, 1200*time.Millisecond, 2*time.Second)
	home.Page = &probes.PageMetrics{
		URL: "https://shop.example/", Status: 200,
		TTFB: 180 * time.Millisecond, DOMContentLoaded: 700 * time.Millisecond, Load: 1100 * time.Millisecond,
		FCP: 650 * time.Millisecond, // LCP not reported: must not be exposed
		CLS: 0.05, TransferBytes: 512000, Requests: 42,
	}
	return &probes.Result{
		Journey: "checkout", RunID: "r1", Start: start, Duration: 4 * time.Second, Status: probes.StatusSuccess,
		Steps: []probes.StepResult{
			home,
			step("product", "product", probes.StepOK, 900*time.Millisecond, 2200*time.Millisecond),
			step("pay", "checkout", probes.StepOK, 1500*time.Millisecond, 3*time.Second),
		},
	}
}

func failedRun() *probes.Result {
	failed := step("product", "product", probes.StepFailed, 20*time.Second, 2200*time.Millisecond)
	failed.Reason = probes.ReasonSelector
	failed.Message = `element "#buy" not found on https://shop.example/p/1`
	return &probes.Result{
		Journey: "checkout", RunID: "r2", Start: start.Add(time.Minute), Duration: 21 * time.Second,
		Status: probes.StatusFailure, Reason: probes.ReasonSelector, FailedStep: "product", Message: failed.Message,
		Steps: []probes.StepResult{
			step("home", "landing", probes.StepOK, 800*time.Millisecond, 2*time.Second),
			failed,
			step("pay", "checkout", probes.StepNotRun, 0, 3*time.Second),
		},
	}
}

func overBudgetRun() *probes.Result {
	return &probes.Result{
		Journey: "checkout", RunID: "r3", Start: start.Add(2 * time.Minute), Duration: 6 * time.Second,
		Status: probes.StatusSuccess,
		Steps: []probes.StepResult{
			step("home", "landing", probes.StepOK, 1*time.Second, 2*time.Second),
			step("product", "product", probes.StepOK, 2500*time.Millisecond, 2200*time.Millisecond),
			step("pay", "checkout", probes.StepOK, 2*time.Second, 3*time.Second),
		},
	}
}

func supportRun() *probes.Result {
	return &probes.Result{
		Journey: "support", RunID: "s1", Start: start, Duration: 3 * time.Second, Status: probes.StatusSuccess,
		Steps: []probes.StepResult{step("chat", "chat", probes.StepOK, 2*time.Second, 5*time.Second)},
	}
}

func TestGolden(t *testing.T) {
	tests := []struct {
		name string
		do   func(m *Metrics)
	}{
		{"declared", func(m *Metrics) {
			m.SetJourneys("oslo", []config.Journey{checkout()}, intervals([]config.Journey{checkout()}))
		}},
		{"success", func(m *Metrics) {
			m.SetJourneys("oslo", []config.Journey{checkout()}, intervals([]config.Journey{checkout()}))
			m.ObserveLag("checkout", "", 150*time.Millisecond)
			m.ObserveRun(successRun())
		}},
		{"failure", func(m *Metrics) {
			m.SetJourneys("oslo", []config.Journey{checkout()}, intervals([]config.Journey{checkout()}))
			m.ObserveRun(successRun())
			m.ObserveRun(failedRun())
		}},
		{"over_budget", func(m *Metrics) {
			m.SetJourneys("oslo", []config.Journey{checkout()}, intervals([]config.Journey{checkout()}))
			m.ObserveRun(overBudgetRun())
		}},
		{"skip", func(m *Metrics) {
			m.SetJourneys("oslo", []config.Journey{checkout()}, intervals([]config.Journey{checkout()}))
			m.ObserveSkip("checkout", "")
			m.ObserveSkip("checkout", "")
			m.ObserveSkip("unknown", "")
		}},
		{"error_before_steps", func(m *Metrics) {
			m.SetJourneys("oslo", []config.Journey{checkout()}, intervals([]config.Journey{checkout()}))
			m.ObserveRun(&probes.Result{
				Journey: "checkout", RunID: "e1", Start: start, Duration: time.Second,
				Status: probes.StatusError, Reason: probes.ReasonBrowserCrash,
				Message: "chromium exited",
			})
		}},
		{"unbounded_input", func(m *Metrics) {
			m.SetJourneys("oslo", []config.Journey{checkout()}, intervals([]config.Journey{checkout()}))
			r := failedRun()
			r.FailedStep = "https://shop.example/p/1"
			r.Reason = "net::ERR_CONNECTION_RESET"
			r.Steps = append(r.Steps, step("not configured", "other", probes.StepOK, time.Second, time.Second))
			m.ObserveRun(r)
			m.ObserveRun(&probes.Result{Journey: "not configured", Status: probes.StatusSuccess})
			m.ObserveRun(nil)
		}},
		// A run that failed once and passed when retried: two attempts,
		// one flaky run, counted as a pass everywhere else; and a
		// maintenance window that mutes the journey.
		{"flaky_muted", func(m *Metrics) {
			m.SetJourneys("oslo", []config.Journey{checkout()}, intervals([]config.Journey{checkout()}))
			failed := failedRun()
			m.ObserveAttempt(failed)
			r := successRun()
			r.Status, r.Attempt, r.Retried = probes.StatusFlaky, 2, []*probes.Result{failed}
			m.ObserveAttempt(r)
			m.ObserveRun(r)
			m.SetMuted("checkout", true)
			m.SetMuted("not configured", true)
		}},
		{"two_journeys", func(m *Metrics) {
			m.SetJourneys("oslo", []config.Journey{checkout(), support()}, intervals([]config.Journey{checkout(), support()}))
			m.ObserveRun(successRun())
			m.ObserveRun(supportRun())
		}},
		{"two_profiles", func(m *Metrics) {
			// Each profile has series of its own: the mobile run over
			// budget and its skip do not touch the desktop's.
			c := checkout()
			c.Profiles = []string{"desktop", "mobile-4g"}
			c.Steps = c.Steps[:2]
			// The phone's landing budget is its own: its gauge and its
			// histogram's bucket say 1.5s, the desktop's 2s.
			c.Steps[0].Budget.Profiles = map[string]time.Duration{"mobile-4g": 1500 * time.Millisecond}
			m.SetJourneys("oslo", []config.Journey{c}, intervals([]config.Journey{c}))
			desktop := successRun()
			desktop.Profile = "desktop"
			desktop.Steps = desktop.Steps[:2]
			mobile := overBudgetRun()
			mobile.Profile = "mobile-4g"
			mobile.Steps = mobile.Steps[:2]
			// The phone's click responded slowly: its INP and blocking
			// time are the step's.
			mobile.Steps[1].Interaction = &probes.InteractionMetrics{Interactions: 1, INP: 248 * time.Millisecond, TBT: 120 * time.Millisecond}
			m.ObserveRun(desktop)
			m.ObserveRun(mobile)
			m.ObserveSkip("checkout", "mobile-4g")
			m.ObserveLag("checkout", "desktop", 150*time.Millisecond)
			m.ObserveRun(&probes.Result{Journey: "checkout", Profile: "slow-3g", Status: probes.StatusSuccess})
		}},
		{"reload_drops_and_keeps", func(m *Metrics) {
			m.SetJourneys("oslo", []config.Journey{checkout(), support()}, intervals([]config.Journey{checkout(), support()}))
			m.ObserveRun(successRun())
			m.ObserveRun(supportRun())
			// Schedule and timeout are not part of the series: changing
			// them must not reset the counters.
			c := checkout()
			c.Schedule = "@every 30s"
			c.Timeout = dur(time.Minute)
			m.SetJourneys("oslo", []config.Journey{c}, intervals([]config.Journey{c}))
			m.ObserveRun(supportRun())
		}},
		{"reload_changed_budget", func(m *Metrics) {
			m.SetJourneys("oslo", []config.Journey{checkout()}, intervals([]config.Journey{checkout()}))
			m.ObserveRun(successRun())
			c := checkout()
			c.Steps[2].Budget = budget(4 * time.Second)
			m.SetJourneys("oslo", []config.Journey{c}, intervals([]config.Journey{c}))
		}},
		{"agent", func(m *Metrics) {
			m.SetJourneys("oslo", nil, intervals(nil))
			m.SetBrowserUp(true)
			m.BrowserRestarted()
			m.BrowserRestarted()
			m.SetReload(true, start)
			m.SetReload(false, start.Add(time.Hour))
		}},
		{"artifacts", func(m *Metrics) {
			m.SetJourneys("oslo", nil, intervals(nil))
			m.SetArtifacts(12, 48<<20)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := New()
			tt.do(m)
			reg := prometheus.NewRegistry()
			reg.MustRegister(m)
			golden := filepath.Join("testdata", tt.name+".prom")
			if *update {
				if err := os.WriteFile(golden, format(t, reg), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if err := testutil.GatherAndCompare(reg, bytes.NewReader(want)); err != nil {
				t.Error(err)
			}
			problems, err := testutil.CollectAndLint(m)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range problems {
				t.Errorf("lint: %s: %s", p.Metric, p.Text)
			}
		})
	}
}

// format is the text exposition of everything g gathers. GatherAndFormat
// would do, but it formats nothing when given no metric names.
func format(t *testing.T, g prometheus.Gatherer) []byte {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	enc := expfmt.NewEncoder(&b, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range mfs {
		if err := enc.Encode(mf); err != nil {
			t.Fatal(err)
		}
	}
	return b.Bytes()
}

func gather(t *testing.T, g prometheus.Gatherer) map[string]*dto.MetricFamily {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*dto.MetricFamily{}
	for _, mf := range mfs {
		out[mf.GetName()] = mf
	}
	return out
}

func labels(m *dto.Metric) map[string]string {
	out := map[string]string{}
	for _, l := range m.GetLabel() {
		out[l.GetName()] = l.GetValue()
	}
	return out
}

func TestStepBudgetBucket(t *testing.T) {
	m := New()
	m.SetJourneys("oslo", []config.Journey{checkout()}, intervals([]config.Journey{checkout()}))
	mf := gather(t, m.registry())["touchprobe_step_duration_seconds"]
	if mf == nil {
		t.Fatal("touchprobe_step_duration_seconds not exposed")
	}
	want := map[string]float64{"home": 2, "product": 2.2, "pay": 3}
	for _, metric := range mf.GetMetric() {
		stepName := labels(metric)["step"]
		var bounds []float64
		for _, b := range metric.GetHistogram().GetBucket() {
			bounds = append(bounds, b.GetUpperBound())
		}
		if !slices.Contains(bounds, want[stepName]) {
			t.Errorf("step %q: no bucket at its budget %v in %v", stepName, want[stepName], bounds)
		}
		if !slices.IsSorted(bounds) || len(slices.Compact(slices.Clone(bounds))) != len(bounds) {
			t.Errorf("step %q: buckets not strictly increasing: %v", stepName, bounds)
		}
		if got, wantN := len(bounds), len(StepBuckets)+boolInt(!slices.Contains(StepBuckets, want[stepName])); got != wantN {
			t.Errorf("step %q: %d buckets, want %d", stepName, got, wantN)
		}
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (m *Metrics) registry() *prometheus.Registry {
	r := prometheus.NewRegistry()
	r.MustRegister(m)
	return r
}

// TestDocs checks that what is exposed and what is documented agree, both
// ways, once every kind of series exists.
func TestDocs(t *testing.T) {
	m := New()
	m.SetJourneys("oslo", []config.Journey{checkout(), support()}, intervals([]config.Journey{checkout(), support()}))
	m.ObserveRun(successRun())
	m.ObserveRun(failedRun())
	m.ObserveLag("checkout", "", time.Second)
	m.SetReload(true, start)
	m.SetOTLP(true)
	mfs := gather(t, NewRegistry(m))

	docs := map[string]Doc{}
	for _, d := range Docs() {
		if _, dup := docs[d.Name]; dup {
			t.Errorf("%s documented twice", d.Name)
		}
		docs[d.Name] = d
		if !strings.HasPrefix(d.Name, "touchprobe_") {
			t.Errorf("%s: not a touchprobe_ metric", d.Name)
		}
		if mfs[d.Name] == nil {
			t.Errorf("%s documented but not exposed", d.Name)
		}
	}
	journeyLabels := map[string]bool{"brand": true, "team": true, "tier": true}
	for name, mf := range mfs {
		if !strings.HasPrefix(name, "touchprobe_") {
			continue
		}
		d, ok := docs[name]
		if !ok {
			t.Errorf("%s exposed but not in Docs()", name)
			continue
		}
		if mf.GetHelp() != d.Help {
			t.Errorf("%s: help %q, documented %q", name, mf.GetHelp(), d.Help)
		}
		if got := strings.ToLower(mf.GetType().String()); got != d.Type {
			t.Errorf("%s: type %s, documented %s", name, got, d.Type)
		}
		for _, metric := range mf.GetMetric() {
			for l := range labels(metric) {
				if !slices.Contains(d.Labels, l) && !(d.JourneyLabels && journeyLabels[l]) {
					t.Errorf("%s: label %q not documented", name, l)
				}
			}
			for _, l := range d.Labels {
				if _, ok := labels(metric)[l]; !ok {
					t.Errorf("%s: documented label %q missing", name, l)
				}
			}
		}
	}
	want := []string{"go_goroutines"}
	if runtime.GOOS == "linux" {
		want = append(want, "process_cpu_seconds_total")
	}
	for _, name := range want {
		if mfs[name] == nil {
			t.Errorf("%s not exposed", name)
		}
	}
	problems, err := testutil.GatherAndLint(NewRegistry(m))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		if strings.HasPrefix(p.Metric, "touchprobe_") {
			t.Errorf("lint: %s: %s", p.Metric, p.Text)
		}
	}
}

func TestCheckJourneyLabels(t *testing.T) {
	tests := []struct {
		labels map[string]string
		ok     bool
	}{
		{nil, true},
		{map[string]string{"brand": "nordlys", "env_2": "prod"}, true},
		{map[string]string{"location": "x"}, false},
		{map[string]string{"journey": "x"}, false},
		{map[string]string{"le": "x"}, false},
		{map[string]string{"instance": "x"}, false},
		{map[string]string{"__name__": "x"}, false},
		{map[string]string{"brand-name": "x"}, false},
		{map[string]string{"2brand": "x"}, false},
	}
	for _, tt := range tests {
		err := CheckJourneyLabels(tt.labels)
		if (err == nil) != tt.ok {
			t.Errorf("CheckJourneyLabels(%v) = %v, want ok=%v", tt.labels, err, tt.ok)
		}
	}
}

// A journey whose labels clash with touchprobe's own must not make the
// whole scrape fail.
func TestClashingLabelsDropped(t *testing.T) {
	j := checkout()
	j.Labels = map[string]string{"journey": "other", "le": "1", "brand": "nordlys", "bad-name": "x"}
	m := New()
	m.SetJourneys("oslo", []config.Journey{j}, intervals([]config.Journey{j}))
	m.ObserveRun(successRun())
	mfs := gather(t, m.registry())
	for _, metric := range mfs["touchprobe_step_duration_seconds"].GetMetric() {
		l := labels(metric)
		if l["journey"] != "checkout" || l["brand"] != "nordlys" {
			t.Errorf("labels %v", l)
		}
		if _, ok := l["bad-name"]; ok {
			t.Errorf("invalid label name exposed: %v", l)
		}
	}
}

func TestConcurrentUse(t *testing.T) {
	m := New()
	reg := NewRegistry(m)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for k := range 50 {
				switch (i + k) % 5 {
				case 0:
					js := []config.Journey{checkout()}
					if k%2 == 0 {
						js = append(js, support())
					}
					m.SetJourneys("oslo", js, intervals(js))
				case 1:
					m.ObserveRun(successRun())
					m.ObserveRun(supportRun())
				case 2:
					m.ObserveRun(failedRun())
					m.ObserveSkip("checkout", "")
				case 3:
					m.ObserveLag("support", "", time.Second)
					m.BrowserRestarted()
					m.SetReload(k%3 == 0, start)
				case 4:
					if _, err := reg.Gather(); err != nil {
						t.Error(err)
					}
				}
			}
		})
	}
	wg.Wait()
}

func ExampleDocs() {
	for _, d := range Docs()[:2] {
		fmt.Println(d.Type, d.Name)
	}
	// Output:
	// histogram touchprobe_step_duration_seconds
	// gauge touchprobe_step_last_duration_seconds
}

// intervals stands in for the scheduler's Interval in tests: "@every D"
// journeys get D.
func intervals(js []config.Journey) map[string]time.Duration {
	out := map[string]time.Duration{}
	for _, j := range js {
		if d, err := time.ParseDuration(strings.TrimPrefix(j.Schedule, "@every ")); err == nil {
			out[j.Name] = d
		}
	}
	return out
}

// Every label any touchprobe metric sets, and those Prometheus adds, is in
// config's reserved set, so that a journey label can never clash with one
// and be silently dropped.
func TestEveryMetricLabelIsReservedInConfig(t *testing.T) {
	for _, d := range Docs() {
		for _, l := range d.Labels {
			if !slices.Contains(config.ReservedLabelNames, l) {
				t.Errorf("%s sets label %q, which config.ReservedLabelNames does not reserve", d.Name, l)
			}
			if config.LabelNameProblem(l) == "" {
				t.Errorf("config accepts %q as a journey label, which %s sets", l, d.Name)
			}
		}
		if d.Type == "histogram" && config.LabelNameProblem("le") == "" {
			t.Errorf("%s is a histogram but config accepts the label le", d.Name)
		}
	}
	for _, l := range []string{"le", "quantile", "instance", "job", "__name__"} {
		if config.LabelNameProblem(l) == "" {
			t.Errorf("config accepts the label %q, which Prometheus sets", l)
		}
	}
}

// TestHistogramModes: each mode exposes the duration histograms as it
// says, the budget bucket stays wherever classic buckets are served, and a
// change of mode starts the histograms afresh rather than mixing layouts.
func TestHistogramModes(t *testing.T) {
	for _, tc := range []struct {
		mode            string
		classic, native bool
	}{
		{config.HistogramsClassic, true, false},
		{config.HistogramsNative, false, true},
		{config.HistogramsBoth, true, true},
		{"", true, true}, // unknown: the default
	} {
		t.Run(tc.mode, func(t *testing.T) {
			m := New()
			m.SetHistograms(tc.mode)
			js := []config.Journey{checkout()}
			m.SetJourneys("oslo", js, intervals(js))
			m.ObserveRun(successRun())
			mfs := gather(t, m.registry())
			for _, name := range []string{"touchprobe_step_duration_seconds", "touchprobe_journey_duration_seconds"} {
				mf := mfs[name]
				if mf == nil || len(mf.GetMetric()) == 0 {
					t.Fatalf("%s not exposed", name)
				}
				for _, metric := range mf.GetMetric() {
					h := metric.GetHistogram()
					// A native histogram's exemplar may come with a lone
					// +Inf bucket; classic buckets have bounds.
					finite := slices.ContainsFunc(h.GetBucket(), func(b *dto.Bucket) bool { return !math.IsInf(b.GetUpperBound(), 1) })
					if got := finite; got != tc.classic {
						t.Errorf("%s%v: classic buckets %v, want %v", name, labels(metric), got, tc.classic)
					}
					// A native histogram has a schema and, once observed,
					// spans of buckets.
					if got := h.Schema != nil; got != tc.native {
						t.Errorf("%s%v: native histogram %v, want %v", name, labels(metric), got, tc.native)
					}
					if tc.native && h.GetSampleCount() > 0 && len(h.GetPositiveSpan()) == 0 {
						t.Errorf("%s%v: native histogram without buckets after %d observations", name, labels(metric), h.GetSampleCount())
					}
					if name == "touchprobe_step_duration_seconds" && tc.classic && labels(metric)["step"] == "product" {
						if !slices.ContainsFunc(h.GetBucket(), func(b *dto.Bucket) bool { return b.GetUpperBound() == 2.2 }) {
							t.Errorf("step product: no classic bucket at its budget 2.2")
						}
					}
				}
			}
		})
	}

	// Switching mode on reload resets the histograms: a classic series must
	// not turn native with the old counts.
	m := New()
	js := []config.Journey{checkout()}
	m.SetHistograms(config.HistogramsClassic)
	m.SetJourneys("oslo", js, intervals(js))
	m.ObserveRun(successRun())
	m.SetHistograms(config.HistogramsNative)
	m.SetJourneys("oslo", js, intervals(js))
	for _, metric := range gather(t, m.registry())["touchprobe_step_duration_seconds"].GetMetric() {
		if h := metric.GetHistogram(); h.GetSampleCount() != 0 || h.Schema == nil {
			t.Errorf("after switching to native: %v has %d samples, schema %v; want a fresh native histogram", labels(metric), h.GetSampleCount(), h.Schema)
		}
	}
}

// TestExemplars: every observation of the duration histograms carries the
// run's id as an exemplar, in OpenMetrics and in the native histogram, so
// that a point on a graph leads to the run.
func TestExemplars(t *testing.T) {
	for _, mode := range config.HistogramModes {
		t.Run(mode, func(t *testing.T) {
			m := New()
			m.SetHistograms(mode)
			js := []config.Journey{checkout()}
			m.SetJourneys("oslo", js, intervals(js))
			traces := map[string]string{"r1": "0af7651916cd43dd8448eb211c80319c", "r2": "4bf92f3577b34da6a3ce929d0e0e4736"}
			run := successRun()
			run.TraceID = traces["r1"]
			m.ObserveRun(run)
			run = successRun()
			run.RunID, run.TraceID = "r2", traces["r2"]
			run.Steps[1].Duration = 2 * time.Second
			m.ObserveRun(run)

			mfs := gather(t, m.registry())
			for _, name := range []string{"touchprobe_step_duration_seconds", "touchprobe_journey_duration_seconds"} {
				for _, metric := range mfs[name].GetMetric() {
					h := metric.GetHistogram()
					var exemplars []*dto.Exemplar
					for _, b := range h.GetBucket() {
						if e := b.GetExemplar(); e != nil {
							exemplars = append(exemplars, e)
						}
					}
					exemplars = append(exemplars, h.GetExemplars()...)
					if len(exemplars) == 0 {
						t.Errorf("%s%v: no exemplar", name, labels(metric))
					}
					for _, e := range exemplars {
						got := map[string]string{}
						for _, l := range e.GetLabel() {
							got[l.GetName()] = l.GetValue()
						}
						if len(got) != 2 || !slices.Contains([]string{"r1", "r2"}, got["run_id"]) || got["trace_id"] != traces[got["run_id"]] {
							t.Errorf("%s%v: exemplar %v, want run_id r1 or r2 and its trace_id", name, labels(metric), e)
						}
						if e.GetTimestamp() == nil {
							t.Errorf("%s%v: exemplar without a timestamp", name, labels(metric))
						}
					}
				}
			}
			if mode == config.HistogramsNative {
				return
			}
			// OpenMetrics carries them on the buckets: each run's product
			// step lands in a bucket of its own.
			var b bytes.Buffer
			enc := expfmt.NewEncoder(&b, expfmt.NewFormat(expfmt.TypeOpenMetrics))
			mfList, err := m.registry().Gather()
			if err != nil {
				t.Fatal(err)
			}
			for _, mf := range mfList {
				if err := enc.Encode(mf); err != nil {
					t.Fatal(err)
				}
			}
			want := regexp.MustCompile(`touchprobe_step_duration_seconds_bucket\{[^}]*step="product"[^}]*le="1.0"\} 1 # \{(run_id="r1",trace_id="0af7651916cd43dd8448eb211c80319c"|trace_id="0af7651916cd43dd8448eb211c80319c",run_id="r1")\} 0.9 [0-9.e+]+\n`)
			if !want.Match(b.Bytes()) {
				t.Errorf("OpenMetrics lacks the exemplar of r1 at 0.9s on step product:\n%s", b.String())
			}
			want = regexp.MustCompile(`touchprobe_step_duration_seconds_bucket\{[^}]*step="product"[^}]*le="2.0"\} 2 # \{(run_id="r2",trace_id="4bf92f3577b34da6a3ce929d0e0e4736"|trace_id="4bf92f3577b34da6a3ce929d0e0e4736",run_id="r2")\} 2.0 [0-9.e+]+\n`)
			if !want.Match(b.Bytes()) {
				t.Errorf("OpenMetrics lacks the exemplar of r2 at 2s on step product:\n%s", b.String())
			}
		})
	}
}
