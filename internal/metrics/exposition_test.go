package metrics

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/touchprobe/touchprobe/config"
	"github.com/touchprobe/touchprobe/probes"
)

// steadyRuns is how many runs manyJourneys observes of each journey: enough
// for a scrape to hold what it holds once an agent has run a while, an
// exemplar in every classic bucket a step's time fell in and as many
// native exemplars as a histogram keeps.
const steadyRuns = 12

// manyJourneys returns Metrics with n journeys of steps steps, each with
// steadyRuns successful runs observed, every step landing on a page, and
// step times spread over the classic buckets.
func manyJourneys(n, steps int) *Metrics {
	journeys := manyJourneyConfigs(n, steps)
	m := New()
	m.SetJourneys("oslo", journeys, intervals(journeys))
	for run := range steadyRuns {
		for i := range journeys {
			m.ObserveRun(steadyRun(journeys, i, run))
			m.ObserveLag(journeys[i].Name, "", 20*time.Millisecond)
		}
	}
	return m
}

// manyJourneyConfigs returns the journeys of manyJourneys.
func manyJourneyConfigs(n, steps int) []config.Journey {
	journeys := make([]config.Journey, n)
	for i := range journeys {
		j := config.Journey{
			Name:     fmt.Sprintf("journey-%04d", i),
			Schedule: "@every 1m",
			Timeout:  dur(2 * time.Minute),
			Labels:   map[string]string{"brand": "nordlys"},
		}
		for s := range steps {
			j.Steps = append(j.Steps, config.Step{
				Name: fmt.Sprintf("step-%d", s), Touchpoint: "product", Action: "click", Budget: budget(3 * time.Second),
			})
		}
		journeys[i] = j
	}
	return journeys
}

// steadyRun is the run-th run of the i-th (modulo their number) of
// manyJourneys' journeys: its step times go round the classic buckets.
func steadyRun(journeys []config.Journey, i, run int) *probes.Result {
	j := journeys[i%len(journeys)]
	// 0.3 s to 7 s: every classic bucket up to 10 s sees a run.
	stepTime := 300*time.Millisecond + time.Duration(run%steadyRuns)*600*time.Millisecond
	r := &probes.Result{Journey: j.Name, RunID: fmt.Sprintf("%012x", run), TraceID: fmt.Sprintf("%032x", run),
		Start: start, Duration: time.Duration(len(j.Steps)) * stepTime, Status: probes.StatusSuccess}
	for s, st := range j.Steps {
		r.Steps = append(r.Steps, probes.StepResult{
			Index: s, Name: st.Name, Touchpoint: st.Touchpoint, Action: st.Action,
			Status: probes.StepOK, Duration: stepTime, Budget: 3 * time.Second,
			Page: &probes.PageMetrics{
				URL: "http://shop.example/", Status: 200, TTFB: 20 * time.Millisecond,
				DOMContentLoaded: 80 * time.Millisecond, Load: 120 * time.Millisecond,
				FCP: 90 * time.Millisecond, LCP: 150 * time.Millisecond, CLS: 0.01,
				TransferBytes: 40000, Requests: 12,
			},
		})
	}
	return r
}

// BenchmarkExposition serves /metrics of an agent with 10, 100 and 1,000
// journeys of 8 steps that have run a while (see manyJourneys), as
// Prometheus 2.x scrapes it by default (text format, gzip), and reports
// the size of a scrape in bytes, uncompressed and on the wire.
//
//	go test -run '^$' -bench Exposition ./internal/metrics
//
// Between two scrapes a quarter of the journeys record a run, as when
// journeys due every minute are scraped every 15 s, with its lag, and
// every journey's maintenance state is set again, as the agent does every
// second; the runs' rendering is ObserveRun's cost (BenchmarkObserveRun),
// not the scrape's.
func BenchmarkExposition(b *testing.B) {
	for _, n := range []int{10, 100, 1000} {
		b.Run(fmt.Sprintf("journeys=%d", n), func(b *testing.B) {
			m := manyJourneys(n, 8)
			benchmarkScrapes(b, m, manyJourneyConfigs(n, 8), Handler(m, nil))
		})
	}
}

// BenchmarkExpositionGathered is BenchmarkExposition served as before
// journeys were rendered: every series gathered and encoded by promhttp at
// every scrape.
func BenchmarkExpositionGathered(b *testing.B) {
	for _, n := range []int{10, 100, 1000} {
		b.Run(fmt.Sprintf("journeys=%d", n), func(b *testing.B) {
			m := manyJourneys(n, 8)
			benchmarkScrapes(b, m, manyJourneyConfigs(n, 8), promhttp.HandlerFor(NewRegistry(m), promhttp.HandlerOpts{EnableOpenMetrics: true}))
		})
	}
}

// benchmarkScrapes times scrapes of m by h, a quarter of journeys
// recording a run between two of them.
func benchmarkScrapes(b *testing.B, m *Metrics, journeys []config.Journey, h http.Handler) {
	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	req.Header.Set("Accept", "text/plain;version=0.0.4;q=0.5,*/*;q=0.1")
	req.Header.Set("Accept-Encoding", "gzip")
	scrape := func() *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("GET /metrics: %d", rec.Code)
		}
		return rec
	}
	// Two scrapes, as a scraper on a schedule makes: from then on the
	// agent renders a journey as it records a run.
	scrape()
	scrape()
	var wire int
	next := 0
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		// As the agent does: a lag as each run starts, and every
		// journey's maintenance state every second.
		for range len(journeys) / 4 {
			m.ObserveLag(journeys[next%len(journeys)].Name, "", 20*time.Millisecond)
			m.ObserveRun(steadyRun(journeys, next, steadyRuns+next))
			next++
		}
		for _, j := range journeys {
			m.SetMuted(j.Name, false)
		}
		b.StartTimer()
		wire = scrape().Body.Len()
	}
	b.StopTimer()
	// Uncompressed sizes, once each, outside the timing: the text
	// format, OpenMetrics (with exemplars, what Prometheus asks
	// for first) and protobuf (with native histograms, what a
	// Prometheus with native histograms enabled asks for).
	for _, f := range []struct{ unit, accept string }{
		{"bytes/scrape", req.Header.Get("Accept")},
		{"openmetrics-bytes/scrape", "application/openmetrics-text;version=1.0.0"},
		{"protobuf-bytes/scrape", "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited"},
	} {
		plain := httptest.NewRequest(http.MethodGet, "/metrics", nil)
		plain.Header.Set("Accept", f.accept)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, plain)
		b.ReportMetric(float64(rec.Body.Len()), f.unit)
	}
	b.ReportMetric(float64(wire), "gzip-bytes/scrape")
}

// BenchmarkObserveRun records a run of one journey of 8 steps among 1,000
// that a scraper reads in the text format: the rendering a scrape no
// longer does.
func BenchmarkObserveRun(b *testing.B) {
	journeys := manyJourneyConfigs(1000, 8)
	m := manyJourneys(1000, 8)
	h := Handler(m, nil)
	// Scraped twice, as a scraper on a schedule does: the text format is
	// rendered as runs are recorded.
	for range 2 {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/metrics", nil))
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		m.ObserveRun(steadyRun(journeys, i, steadyRuns+i))
		i++
	}
}

// TestExpositionOfManyJourneys keeps the benchmark's setup honest: every
// journey and step is exposed.
func TestExpositionOfManyJourneys(t *testing.T) {
	mfs := gather(t, manyJourneys(20, 8).registry())
	steps := map[string]bool{}
	for _, metric := range mfs["touchprobe_step_duration_seconds"].GetMetric() {
		l := labels(metric)
		steps[l["journey"]+"/"+l["step"]] = true
	}
	if len(steps) != 20*8 {
		t.Errorf("touchprobe_step_duration_seconds has %d journey/step series, want %d", len(steps), 20*8)
	}
}
