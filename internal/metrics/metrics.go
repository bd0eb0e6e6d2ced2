// Package metrics defines every Prometheus metric touchprobe exposes and keeps their per-journey state.
package metrics

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/touchprobe/touchprobe/config"
	"github.com/touchprobe/touchprobe/internal/version"
	"github.com/touchprobe/touchprobe/probes"
)

var (
	// StepBuckets are the classic step duration buckets, in seconds,
	// before the step's own budget is added. They are few on purpose:
	// every bucket is a line per step in every scrape, and the native
	// histogram carries the detail.
	StepBuckets = []float64{0.5, 1, 2, 5, 10, 30}
	// JourneyBuckets are the classic journey duration buckets, in seconds.
	JourneyBuckets = []float64{1, 2, 5, 10, 20, 30, 60, 120, 300}
)

// Native histogram settings: a bucket factor of 1.1 (schema 3, buckets
// about 9% wide) resolves a step's p95 to within a few percent; durations
// from 10 ms to 60 s fill at most about 100 of them.
//
// Every scrape carries every exemplar a histogram holds, and Prometheus
// keeps each once. A journey's runs are a minute or more apart and scrapes
// a minute or less, so a scrape seldom finds more than one new run; four,
// which client_golang keeps spread over the range of values, still hold a
// slow run's when several came between two scrapes. Each one more costs
// about 90 bytes per histogram in every protobuf scrape: ten made a scrape of
// journeys that had run a while 19% larger.
const (
	nativeBucketFactor     = 1.1
	nativeMaxBuckets       = 160
	nativeMinResetDuration = time.Hour
	nativeMaxExemplars     = 4
	nativeExemplarTTL      = 5 * time.Minute
)

// Values of the result label of touchprobe_journey_runs_total.
const (
	ResultSuccess = "success"
	ResultFlaky   = "flaky"
	ResultFailure = "failure"
	ResultError   = "error"
	ResultSkipped = "skipped"
)

// ExemplarRunID is the exemplar label of the duration histograms that
// holds the id of the run the observation came from.
const ExemplarRunID = "run_id"

// ExemplarTraceID is the exemplar label that holds the run's trace id,
// which leads from the point to the run's trace. With run_id it takes 58
// of the 128 runes an exemplar's labels may have.
const ExemplarTraceID = "trace_id"

var results = []string{ResultSuccess, ResultFlaky, ResultFailure, ResultError, ResultSkipped}

// attemptResults are the values of the result label of
// touchprobe_journey_attempts_total: an attempt is never flaky or skipped.
var attemptResults = []string{ResultSuccess, ResultFailure, ResultError}

// Metrics holds the state of every touchprobe metric. It is an unchecked
// collector because journeys carry label keys of their own, which a
// fixed set of descriptors cannot describe.
type Metrics struct {
	mu          sync.Mutex
	location    string
	externalURL string
	histograms  string
	journeys    map[string]*journeyMetrics
	// muted holds, by journey name, what SetMuted last said, so that a
	// journey whose series start afresh on a reload stays muted.
	muted map[string]bool
	// sorted is every journey's series in the order a scrape exposes
	// them; stale when a series was created or dropped since.
	sorted []prometheus.Collector
	stale  bool
	// byKey is the journeys' keys in the order /metrics serves them.
	byKey []string
	// scraped and scrapedBefore are when /metrics last served each
	// cached format, and the time before: a recorded run renders its
	// journey anew in the formats scraped twice within formatIdle, so
	// that a scrape only puts renderings together. One visit of a browser
	// or curl does not keep the agent rendering a format for an hour.
	scraped, scrapedBefore [numFormats]time.Time
	// headers holds each format's HELP and TYPE lines by metric name.
	headers [numFormats]map[string][]byte

	browserRestarts float64
	browserUp       bool
	reloadKnown     bool
	reloadOK        bool
	reloadAt        time.Time

	artifactsBytes int64
	artifactsRuns  int

	// otlp says whether runs are exported over OTLP; only then is
	// touchprobe_otlp_spans_dropped_total exposed.
	otlp             bool
	otlpSpansDropped float64

	shardIndex, shardCount int

	// encodeHook, when set by a test, is called as a scrape starts
	// encoding the journeys' series.
	encodeHook func()
}

// New returns Metrics with no journeys; call SetJourneys before observing.
func New() *Metrics {
	return &Metrics{journeys: map[string]*journeyMetrics{}, muted: map[string]bool{}, histograms: config.DefaultHistograms, shardCount: 1}
}

// SetHistograms says how duration histograms are exposed, one of
// config.HistogramModes; an unknown mode is taken as the default. It takes
// effect for the journeys the next SetJourneys declares: a journey whose
// mode changes starts afresh.
func (m *Metrics) SetHistograms(mode string) {
	if !slices.Contains(config.HistogramModes, mode) {
		mode = config.DefaultHistograms
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.histograms = mode
}

// NewRegistry returns a registry exposing m, touchprobe_shard_info,
// touchprobe_build_info, and the Go and process collectors.
func NewRegistry(m *Metrics) *prometheus.Registry {
	r := prometheus.NewRegistry()
	r.MustRegister(m, shardCollector{m})
	r.MustRegister(processCollectors()...)
	return r
}

// processCollectors are the collectors of what the agent's process is,
// whatever it measures.
func processCollectors() []prometheus.Collector {
	return []prometheus.Collector{
		buildInfoCollector(),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	}
}

func buildInfoCollector() prometheus.Collector {
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: buildInfo.Name,
		Help: buildInfo.Help,
		ConstLabels: prometheus.Labels{
			"version":   version.Version,
			"revision":  version.Revision,
			"goversion": version.GoVersion(),
		},
	})
	g.Set(1)
	return g
}

// SetShard records which of how many shards this agent is.
func (m *Metrics) SetShard(index, count int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.shardIndex, m.shardCount = index, count
}

// shardCollector exposes touchprobe_shard_info from m's shard.
type shardCollector struct{ m *Metrics }

func (c shardCollector) Describe(chan<- *prometheus.Desc) {}

func (c shardCollector) Collect(ch chan<- prometheus.Metric) {
	c.m.mu.Lock()
	index, count := c.m.shardIndex, c.m.shardCount
	c.m.mu.Unlock()
	ch <- constMetric(shardInfo, prometheus.Labels{"index": strconv.Itoa(index), "count": strconv.Itoa(count)}, 1)
}

// Describe sends nothing, which makes m an unchecked collector.
func (m *Metrics) Describe(chan<- *prometheus.Desc) {}

// Collect implements prometheus.Collector. It takes what it needs under
// the lock, which is quick, and sends outside it: a scrape of thousands of
// journeys takes seconds, and the recording of runs must not wait for it.
// Each series is safe to read on its own; a run recorded meanwhile shows
// in this scrape or the next.
func (m *Metrics) Collect(ch chan<- prometheus.Metric) {
	fixed, series := m.snapshot()
	for _, c := range fixed {
		ch <- c
	}
	for _, c := range series {
		c.Collect(ch)
	}
}

// snapshot returns the agent's own metrics, valued now, and every
// journey's series.
func (m *Metrics) snapshot() ([]prometheus.Metric, []prometheus.Collector) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.stale || m.sorted == nil {
		m.sorted = m.sortSeries()
		m.stale = false
	}
	return m.agentMetrics(), m.sorted
}

// agentMetrics returns the agent's own metrics, valued now; m.mu is held.
func (m *Metrics) agentMetrics() []prometheus.Metric {
	loc := prometheus.Labels{"location": m.location}
	fixed := make([]prometheus.Metric, 0, 8)
	fixed = append(fixed,
		constMetric(browserRestartsTotal, loc, m.browserRestarts),
		constMetric(browserUp, loc, boolFloat(m.browserUp)),
		constMetric(agentInfo, prometheus.Labels{"location": m.location, "external_url": m.externalURL}, 1),
	)
	// Before the first load there is nothing to report; a 0 would page
	// someone for a reload that never happened.
	if m.reloadKnown {
		fixed = append(fixed, constMetric(configLastReloadSuccessful, loc, boolFloat(m.reloadOK)))
		if !m.reloadAt.IsZero() {
			fixed = append(fixed, constMetric(configLastReloadSuccessTimestampSeconds, loc, unixSeconds(m.reloadAt)))
		}
	}
	fixed = append(fixed,
		constMetric(artifactsBytes, loc, float64(m.artifactsBytes)),
		constMetric(artifactsRuns, loc, float64(m.artifactsRuns)),
	)
	if m.otlp {
		fixed = append(fixed, constMetric(otlpSpansDroppedTotal, loc, m.otlpSpansDropped))
	}
	return fixed
}

// agentCollector exposes the agent's own metrics of m, not the journeys'.
type agentCollector struct{ m *Metrics }

func (c agentCollector) Describe(chan<- *prometheus.Desc) {}

func (c agentCollector) Collect(ch chan<- prometheus.Metric) {
	c.m.mu.Lock()
	fixed := c.m.agentMetrics()
	c.m.mu.Unlock()
	for _, metric := range fixed {
		ch <- metric
	}
}

// sortSeries returns every journey's series in the order the registry
// sorts a scrape's metrics into: by name, then by label values. Sent in
// that order, the registry's sort of a thousand journeys' series finds
// them sorted and costs a pass instead of a quarter of the scrape. The
// order is kept until a series comes or goes.
func (m *Metrics) sortSeries() []prometheus.Collector {
	n := 0
	for _, j := range m.journeys {
		n += len(j.series)
	}
	all := make([]*series, 0, n)
	for _, j := range m.journeys {
		for _, s := range j.series {
			all = append(all, s)
		}
	}
	slices.SortFunc(all, func(a, b *series) int { return strings.Compare(a.order, b.order) })
	sorted := make([]prometheus.Collector, len(all))
	for i, s := range all {
		sorted[i] = s.c
	}
	return sorted
}

func constMetric(d *def, labels prometheus.Labels, v float64) prometheus.Metric {
	vt := prometheus.GaugeValue
	if d.Type == typeCounter {
		vt = prometheus.CounterValue
	}
	return prometheus.MustNewConstMetric(prometheus.NewDesc(d.Name, d.Help, nil, labels), vt, v)
}

// SetJourneys declares the configured journeys, on start and on every
// reload, each once per profile (j.Profiles; config.DefaultProfile when it
// names none): every series carries a profile label, and two profiles of a
// journey never share a series. A journey's profile whose location, labels
// and steps (names, touchpoints, budgets) are unchanged keeps its counters
// and histograms, so that a reload does not look like a counter reset; any
// other starts afresh, and journeys and profiles no longer configured
// disappear. intervals holds, by journey name, the longest gap between two
// scheduled runs (the scheduler's Interval); a journey without one has no
// interval series.
func (m *Metrics) SetJourneys(location string, journeys []config.Journey, intervals map[string]time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()

	m.location = location
	next := make(map[string]*journeyMetrics, len(journeys))
	configured := make(map[string]bool, len(journeys))
	for _, j := range journeys {
		configured[j.Name] = true
		for _, profile := range journeyProfiles(j) {
			key := journeyKey(j.Name, profile)
			if _, dup := next[key]; dup {
				continue
			}
			fp := fingerprint(location, j, profile) + " histograms " + m.histograms
			jm, ok := m.journeys[key]
			if !ok || jm.fingerprint != fp {
				jm = newJourneyMetrics(location, j, profile, fp, m.histograms, &m.stale)
				jm.setMuted(m.muted[j.Name])
			}
			// The schedule is not part of the fingerprint: a new schedule
			// changes this value, not the series. A value set again as it
			// was keeps the journey's rendering.
			if iv := intervals[j.Name]; iv > 0 {
				if iv != jm.interval {
					jm.gauge(journeyIntervalSeconds).Set(iv.Seconds())
				}
			} else {
				jm.drop(journeyIntervalSeconds)
			}
			jm.interval = intervals[j.Name]
			next[key] = jm
		}
	}
	m.journeys = next
	m.byKey = slices.Sorted(maps.Keys(next))
	m.stale = true
	for name := range m.muted {
		if !configured[name] {
			delete(m.muted, name)
		}
	}
}

// journeyProfiles are the profiles j runs under: the ones it names, or the
// default profile.
func journeyProfiles(j config.Journey) []string {
	if len(j.Profiles) == 0 {
		return []string{config.DefaultProfile}
	}
	return j.Profiles
}

// journeyKey identifies one journey's series under one profile. A result
// without a profile counts as the default profile's.
func journeyKey(journey, profile string) string {
	if profile == "" {
		profile = config.DefaultProfile
	}
	return journey + "\x00" + profile
}

// SetExternalURL records the URL under which the agent is reached, which
// touchprobe_agent_info carries so that alerts can link to its pages.
func (m *Metrics) SetExternalURL(u string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.externalURL = u
}

// ObserveRun records one finished run. Runs of journeys that are no longer
// configured are ignored: their series are gone and must not come back.
func (m *Metrics) ObserveRun(r *probes.Result) {
	if r == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	j, ok := m.journeys[journeyKey(r.Journey, r.Profile)]
	if !ok {
		return
	}
	j.observe(r)
	// Rendered now, off the scrape's path: between two scrapes many
	// journeys run, and a scrape that rendered them all would take as
	// long as one that rendered everything.
	m.renderScraped(j, time.Now())
}

// ObserveAttempt records one attempt of a run, whether or not it is
// retried; ObserveRun records the run once its last attempt is done.
func (m *Metrics) ObserveAttempt(r *probes.Result) {
	if r == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	result := resultOf(r.Status)
	if result == ResultFlaky {
		// The last attempt of a flaky run passed.
		result = ResultSuccess
	}
	if j, ok := m.journeys[journeyKey(r.Journey, r.Profile)]; ok {
		j.counter(journeyAttemptsTotal, result).Inc()
	}
}

// setMuted sets touchprobe_journey_muted. The agent says it again every
// second: a value set as it was keeps the journey's rendering.
func (j *journeyMetrics) setMuted(muted bool) {
	if muted != j.muted {
		j.muted = muted
		j.gauge(journeyMuted).Set(boolFloat(muted))
	}
}

// SetMuted records whether a maintenance window holds a journey's alerts,
// under every profile it runs.
func (m *Metrics) SetMuted(journey string, muted bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	configured := false
	for _, j := range m.journeys {
		if j.base["journey"] == journey {
			configured = true
			j.setMuted(muted)
		}
	}
	if configured {
		m.muted[journey] = muted
	}
}

// ObserveSkip records a run of the journey under profile that did not
// start because the previous one still ran.
func (m *Metrics) ObserveSkip(journey, profile string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if j, ok := m.journeys[journeyKey(journey, profile)]; ok {
		j.counter(journeyRunsTotal, ResultSkipped).Inc()
	}
}

// ObserveLag records how late a run of the journey under profile started
// against its schedule.
func (m *Metrics) ObserveLag(journey, profile string, lag time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if j, ok := m.journeys[journeyKey(journey, profile)]; ok {
		j.gauge(scheduleLagSeconds).Set(lag.Seconds())
	}
}

// BrowserRestarted counts one restart of Chromium.
func (m *Metrics) BrowserRestarted() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.browserRestarts++
}

// SetArtifacts records how much evidence of failed and slow runs is kept
// (zero when none is: no artifacts_dir).
func (m *Metrics) SetArtifacts(runs int, bytes int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.artifactsRuns, m.artifactsBytes = runs, bytes
}

// SetOTLP says whether runs are exported over OTLP, which exposes
// touchprobe_otlp_spans_dropped_total; its count survives a reload that
// turns the export off and on again.
func (m *Metrics) SetOTLP(enabled bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.otlp = enabled
}

// OTLPSpansDropped counts n spans that were not exported over OTLP.
func (m *Metrics) OTLPSpansDropped(n int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.otlpSpansDropped += float64(n)
}

// SetBrowserUp records whether Chromium is running.
func (m *Metrics) SetBrowserUp(up bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.browserUp = up
}

// SetReload records the outcome of a configuration load; at is the time of
// the load and only moves the timestamp when it succeeded.
func (m *Metrics) SetReload(ok bool, at time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.reloadKnown = true
	m.reloadOK = ok
	if ok {
		m.reloadAt = at
	}
}

// journeyMetrics holds every series of one journey under one profile.
// series is keyed by metric name and the values of the labels after
// "profile", so series can
// be created when they first have something to say and dropped when they
// no longer do.
type journeyMetrics struct {
	fingerprint string
	// histograms is one of config.HistogramModes.
	histograms string
	// base holds location, the journey's own labels, journey and profile.
	base    prometheus.Labels
	profile string
	steps   []*stepMetrics
	byName  map[string]*stepMetrics
	series  map[string]*series
	// changed is set when a series is created or dropped.
	changed *bool
	// interval is the value of touchprobe_journey_interval_seconds,
	// zero when the journey has none.
	interval time.Duration
	// rendered is the journey's series as /metrics serves them, by
	// format.
	rendered [numFormats]*rendering
	// sorted is the journey's series in the order a scrape exposes
	// them; nil when a series was created or dropped since.
	sorted []*series
	// muted is the value of touchprobe_journey_muted.
	muted bool
	// version counts the changes of the journey's series, so that a
	// scrape encoding them without m.mu keeps what it encoded only if
	// none changed meanwhile.
	version uint64
}

// series is one exposed series and its place in a scrape.
type series struct {
	c   prometheus.Collector
	def *def
	// order sorts as the registry sorts metrics: by name, then by the
	// number of labels, then by their values in the order of their names.
	order string
}

type stepMetrics struct {
	name, touchpoint string
	buckets          []float64
	// timings are the timing label values currently exposed, so that a
	// timing the browser stopped reporting does not linger.
	timings []string
}

func newJourneyMetrics(location string, j config.Journey, profile, fp, histograms string, changed *bool) *journeyMetrics {
	base := prometheus.Labels{}
	for k, v := range j.Labels {
		if CheckJourneyLabels(map[string]string{k: v}) != nil {
			// A clash would make the whole scrape fail; configuration
			// validation should have rejected it with CheckJourneyLabels.
			continue
		}
		base[k] = labelValue(v)
	}
	base["location"] = labelValue(location)
	base["journey"] = labelValue(j.Name)
	base["profile"] = labelValue(profile)

	jm := &journeyMetrics{
		fingerprint: fp,
		histograms:  histograms,
		base:        base,
		profile:     profile,
		byName:      map[string]*stepMetrics{},
		series:      map[string]*series{},
		changed:     changed,
	}
	for _, r := range results {
		jm.counter(journeyRunsTotal, r)
	}
	for _, r := range attemptResults {
		jm.counter(journeyAttemptsTotal, r)
	}
	jm.gauge(journeyMuted)
	jm.histogram(journeyDurationSeconds, JourneyBuckets)
	for _, s := range j.Steps {
		name := labelValue(s.Name)
		if _, dup := jm.byName[name]; dup {
			// Two series with the same labels would fail the scrape;
			// configuration validation should reject duplicate names.
			continue
		}
		sm := &stepMetrics{
			name:       name,
			touchpoint: labelValue(s.Touchpoint),
			buckets:    stepBuckets(s.Budget.For(profile)),
		}
		jm.steps = append(jm.steps, sm)
		jm.byName[name] = sm
		jm.gauge(stepBudgetSeconds, sm.name, sm.touchpoint).Set(s.Budget.For(profile).Seconds())
		jm.counter(stepOverBudgetTotal, sm.name, sm.touchpoint)
		jm.gauge(stepConsecutiveOverBudgetRuns, sm.name, sm.touchpoint)
		jm.gauge(stepConsecutiveFailedRuns, sm.name, sm.touchpoint)
		jm.histogram(stepDurationSeconds, sm.buckets, sm.name, sm.touchpoint)
	}
	return jm
}

func (j *journeyMetrics) observe(r *probes.Result) {
	// A flaky run ended in a pass: the site works, if not every time.
	success := r.Status == probes.StatusSuccess || r.Status == probes.StatusFlaky
	j.counter(journeyRunsTotal, resultOf(r.Status)).Inc()
	j.gauge(journeySuccess).Set(boolFloat(success))
	if success {
		// A failed run's duration is the time to failure, often a
		// timeout; it says nothing about how long the journey takes.
		observe(j.histogram(journeyDurationSeconds, JourneyBuckets), r.Duration, r.RunID, r.TraceID)
	} else if r.Reason != probes.ReasonNone {
		j.counter(journeyFailuresTotal, j.stepLabel(r.FailedStep), reasonOf(r.Reason)).Inc()
	}
	j.gauge(journeyLastRunTimestampSeconds).Set(unixSeconds(r.Start.Add(r.Duration)))
	j.gauge(journeyOverBudget).Set(boolFloat(r.OverBudget()))

	seen := make(map[*stepMetrics]bool, len(j.steps))
	for _, s := range r.Steps {
		sm, ok := j.byName[labelValue(s.Name)]
		if !ok || seen[sm] {
			continue
		}
		seen[sm] = true
		switch s.Status {
		case probes.StepOK:
			observe(j.histogram(stepDurationSeconds, sm.buckets, sm.name, sm.touchpoint), s.Duration, r.RunID, r.TraceID)
			j.gauge(stepLastDurationSeconds, sm.name, sm.touchpoint).Set(s.Duration.Seconds())
			j.gauge(stepSuccess, sm.name, sm.touchpoint).Set(1)
			j.gauge(stepConsecutiveFailedRuns, sm.name, sm.touchpoint).Set(0)
			if s.OverBudget() {
				j.counter(stepOverBudgetTotal, sm.name, sm.touchpoint).Inc()
				j.gauge(stepConsecutiveOverBudgetRuns, sm.name, sm.touchpoint).Inc()
			} else {
				j.gauge(stepConsecutiveOverBudgetRuns, sm.name, sm.touchpoint).Set(0)
			}
		case probes.StepSkipped:
			j.gauge(stepSuccess, sm.name, sm.touchpoint).Set(1)
			j.gauge(stepConsecutiveFailedRuns, sm.name, sm.touchpoint).Set(0)
		case probes.StepFailed:
			j.gauge(stepSuccess, sm.name, sm.touchpoint).Set(0)
			// A run the agent could not measure (browser crash) says
			// nothing about the site: it neither extends nor breaks the
			// streak.
			if r.Status == probes.StatusFailure {
				j.gauge(stepConsecutiveFailedRuns, sm.name, sm.touchpoint).Inc()
			}
		default:
			j.gauge(stepSuccess, sm.name, sm.touchpoint).Set(0)
		}
		if s.Page != nil {
			j.observePage(sm, s.Page)
		}
		if s.Status == probes.StepOK {
			j.observeInteraction(sm, s.Interaction)
		}
	}
	// A step missing from the result did not run, e.g. the browser died
	// before the journey reached it.
	for _, sm := range j.steps {
		if !seen[sm] {
			j.gauge(stepSuccess, sm.name, sm.touchpoint).Set(0)
		}
	}
}

func (j *journeyMetrics) observePage(sm *stepMetrics, p *probes.PageMetrics) {
	timings := []struct {
		name string
		d    time.Duration
	}{
		{"ttfb", p.TTFB},
		{"dom_content_loaded", p.DOMContentLoaded},
		{"load", p.Load},
		{"fcp", p.FCP},
		{"lcp", p.LCP},
	}
	var reported []string
	for _, t := range timings {
		if t.d <= 0 {
			continue
		}
		reported = append(reported, t.name)
		j.gauge(pageTimingSeconds, sm.name, t.name).Set(t.d.Seconds())
	}
	for _, old := range sm.timings {
		if !slices.Contains(reported, old) {
			j.drop(pageTimingSeconds, sm.name, old)
		}
	}
	sm.timings = reported
	j.gauge(pageCLS, sm.name).Set(p.CLS)
	j.gauge(pageTransferBytes, sm.name).Set(float64(p.TransferBytes))
	j.gauge(pageRequests, sm.name).Set(float64(p.Requests))
}

// Timing label values of how the page responded to a step's input.
const (
	TimingINP = "inp"
	TimingTBT = "tbt"
)

// observeInteraction records the step's INP and total blocking time; a
// step whose last run could not say drops them.
func (j *journeyMetrics) observeInteraction(sm *stepMetrics, im *probes.InteractionMetrics) {
	if im == nil {
		j.drop(pageTimingSeconds, sm.name, TimingINP)
		j.drop(pageTimingSeconds, sm.name, TimingTBT)
		return
	}
	j.gauge(pageTimingSeconds, sm.name, TimingINP).Set(im.INP.Seconds())
	j.gauge(pageTimingSeconds, sm.name, TimingTBT).Set(im.TBT.Seconds())
}

// observe records d in h with the run's id and trace id as its exemplar,
// which leads from a point on a graph to the run's page and its trace.
func observe(h prometheus.Histogram, d time.Duration, runID, traceID string) {
	if runID == "" {
		h.Observe(d.Seconds())
		return
	}
	ex := prometheus.Labels{ExemplarRunID: labelValue(runID)}
	if traceID != "" {
		ex[ExemplarTraceID] = labelValue(traceID)
	}
	h.(prometheus.ExemplarObserver).ObserveWithExemplar(d.Seconds(), ex)
}

// stepLabel keeps the step label bounded: a failing step that is not
// configured (the result of a run that started before a reload) is
// reported without a step.
func (j *journeyMetrics) stepLabel(name string) string {
	if sm, ok := j.byName[labelValue(name)]; ok {
		return sm.name
	}
	return ""
}

func (j *journeyMetrics) gauge(d *def, values ...string) prometheus.Gauge {
	return j.get(d, nil, values).(prometheus.Gauge)
}

func (j *journeyMetrics) counter(d *def, values ...string) prometheus.Counter {
	return j.get(d, nil, values).(prometheus.Counter)
}

func (j *journeyMetrics) histogram(d *def, buckets []float64, values ...string) prometheus.Histogram {
	return j.get(d, buckets, values).(prometheus.Histogram)
}

// get returns the series of d for the given values of d's labels after
// "profile", creating it on first use.
func (j *journeyMetrics) get(d *def, buckets []float64, values []string) prometheus.Collector {
	// Every series asked for is about to change, or is new.
	j.touch(d)
	key := seriesKey(d, values...)
	if s, ok := j.series[key]; ok {
		return s.c
	}
	extra := d.Labels[slices.Index(d.Labels, "profile")+1:]
	if len(extra) != len(values) {
		panic(fmt.Sprintf("metrics: %s takes %d label values, got %d", d.Name, len(extra), len(values)))
	}
	labels := maps.Clone(j.base)
	for i, name := range extra {
		labels[name] = values[i]
	}
	var c prometheus.Collector
	switch d.Type {
	case typeCounter:
		c = prometheus.NewCounter(prometheus.CounterOpts{Name: d.Name, Help: d.Help, ConstLabels: labels})
	case typeGauge:
		c = prometheus.NewGauge(prometheus.GaugeOpts{Name: d.Name, Help: d.Help, ConstLabels: labels})
	case typeHistogram:
		c = prometheus.NewHistogram(histogramOpts(d, labels, buckets, j.histograms))
	default:
		panic("metrics: unknown type " + d.Type)
	}
	j.series[key] = &series{c: c, def: d, order: sortOrder(d.Name, labels)}
	j.sorted = nil
	*j.changed = true
	return c
}

// touch forgets the renderings of d's series, which are about to change.
func (j *journeyMetrics) touch(d *def) {
	j.version++
	for _, r := range j.rendered {
		if r != nil {
			delete(r.bodies, d.Name)
			r.chunks = nil
		}
	}
}

// sortedSeries returns the journey's series in the order a scrape
// exposes them.
func (j *journeyMetrics) sortedSeries() []*series {
	if j.sorted == nil {
		j.sorted = slices.SortedFunc(maps.Values(j.series), func(a, b *series) int { return strings.Compare(a.order, b.order) })
	}
	return j.sorted
}

// drop removes the series of d for the given values, if it exists.
func (j *journeyMetrics) drop(d *def, values ...string) {
	key := seriesKey(d, values...)
	if _, ok := j.series[key]; ok {
		delete(j.series, key)
		j.sorted = nil
		*j.changed = true
		j.touch(d)
	}
}

// sortOrder is a series' sort key (see series.order). A NUL separates the
// values so that a value sorts before the values it is a prefix of.
func sortOrder(name string, labels prometheus.Labels) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\x00%04d", name, len(labels))
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		b.WriteString("\x00")
		b.WriteString(labels[k])
	}
	return b.String()
}

// histogramOpts returns the options of a histogram exposed as mode says:
// classic buckets, a native histogram, or both.
func histogramOpts(d *def, labels prometheus.Labels, buckets []float64, mode string) prometheus.HistogramOpts {
	o := prometheus.HistogramOpts{Name: d.Name, Help: d.Help, ConstLabels: labels}
	if mode != config.HistogramsNative {
		o.Buckets = buckets
	}
	if mode != config.HistogramsClassic {
		o.NativeHistogramBucketFactor = nativeBucketFactor
		o.NativeHistogramMaxBucketNumber = nativeMaxBuckets
		o.NativeHistogramMinResetDuration = nativeMinResetDuration
		// The most recent runs' ids, over the histogram's range.
		o.NativeHistogramMaxExemplars = nativeMaxExemplars
		o.NativeHistogramExemplarTTL = nativeExemplarTTL
	}
	return o
}

func seriesKey(d *def, values ...string) string {
	return d.Name + "\xff" + strings.Join(values, "\xff")
}

// stepBuckets adds the budget as a bucket so that "share of runs within
// budget" is an exact query rather than an interpolation.
func stepBuckets(budget time.Duration) []float64 {
	b := slices.Clone(StepBuckets)
	if budget > 0 && !slices.Contains(b, budget.Seconds()) {
		b = append(b, budget.Seconds())
		slices.Sort(b)
	}
	return b
}

// fingerprint is what decides whether a journey keeps its state across a
// reload: anything that changes a label set or a bucket layout must change
// it, and nothing else should.
func fingerprint(location string, j config.Journey, profile string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%q profile %q", location, profile)
	for _, k := range slices.Sorted(maps.Keys(j.Labels)) {
		fmt.Fprintf(&b, " %q=%q", k, j.Labels[k])
	}
	for _, s := range j.Steps {
		fmt.Fprintf(&b, " step %q %q %d", s.Name, s.Touchpoint, s.Budget.For(profile))
	}
	return b.String()
}

func resultOf(s probes.Status) string {
	switch s {
	case probes.StatusSuccess:
		return ResultSuccess
	case probes.StatusFlaky:
		return ResultFlaky
	case probes.StatusFailure:
		return ResultFailure
	default:
		return ResultError
	}
}

// reasonOf keeps the reason label within probes.Reasons whatever a probe
// reports.
func reasonOf(r probes.Reason) string {
	if slices.Contains(probes.Reasons, r) {
		return string(r)
	}
	return string(probes.ReasonInternal)
}

// labelValue makes s a valid label value; an invalid one would fail the
// whole scrape.
func labelValue(s string) string {
	return strings.ToValidUTF8(s, "\uFFFD")
}

func boolFloat(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func unixSeconds(t time.Time) float64 {
	return float64(t.UnixNano()) / 1e9
}
