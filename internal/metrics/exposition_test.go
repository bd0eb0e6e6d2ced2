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
	m := New()
	m.SetJourneys("oslo", journeys, intervals(journeys))
	for run := range steadyRuns {
		// 0.3 s to 7 s: every classic bucket up to 10 s sees a run.
		stepTime := 300*time.Millisecond + time.Duration(run)*600*time.Millisecond
		for _, j := range journeys {
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
			m.ObserveRun(r)
			m.ObserveLag(j.Name, "", 20*time.Millisecond)
		}
	}
	return m
}

// BenchmarkExposition serves /metrics of an agent with 10, 100 and 1,000
// journeys of 8 steps that have run a while (see manyJourneys), as
// Prometheus 2.x scrapes it by default (text format, gzip), and reports
// the size of a scrape in bytes, uncompressed and on the wire.
//
//	go test -run '^$' -bench Exposition ./internal/metrics
func BenchmarkExposition(b *testing.B) {
	for _, n := range []int{10, 100, 1000} {
		b.Run(fmt.Sprintf("journeys=%d", n), func(b *testing.B) {
			h := promhttp.HandlerFor(NewRegistry(manyJourneys(n, 8)), promhttp.HandlerOpts{EnableOpenMetrics: true})
			req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
			req.Header.Set("Accept", "text/plain;version=0.0.4;q=0.5,*/*;q=0.1")
			req.Header.Set("Accept-Encoding", "gzip")
			var wire int
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("GET /metrics: %d", rec.Code)
				}
				wire = rec.Body.Len()
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
		})
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
