package metrics

import (
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"google.golang.org/protobuf/proto"

	"github.com/touchprobe/touchprobe/config"
	"github.com/touchprobe/touchprobe/probes"
)

const (
	acceptText        = "text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
	acceptOpenMetrics = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
	acceptProtobuf    = "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.8,text/plain;version=0.0.4;q=0.5"
)

// cachedAccepts asks for each format the handler keeps encodings in.
var cachedAccepts = []string{acceptText, acceptOpenMetrics, acceptProtobuf}

// scrape serves GET /metrics with the given Accept and Accept-Encoding and
// returns the uncompressed body and the Content-Type.
func scrape(t *testing.T, h http.Handler, accept, encoding string) ([]byte, string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	req.Header.Set("Accept", accept)
	if encoding != "" {
		req.Header.Set("Accept-Encoding", encoding)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /metrics (Accept: %s): %d %s", accept, rec.Code, rec.Body)
	}
	if strings.Contains(encoding, "gzip") && rec.Header().Get("Content-Encoding") != "gzip" {
		t.Errorf("Accept-Encoding: %s answered with Content-Encoding %q", encoding, rec.Header().Get("Content-Encoding"))
	}
	return plainBody(t, rec), rec.Header().Get("Content-Type")
}

// touchprobeFamilies decodes an exposition in the text or protobuf format
// into touchprobe's metric families, each family's series in order of
// their labels: the agent's Go and process metrics change between two
// scrapes, and the order of series within a family means nothing.
func touchprobeFamilies(t *testing.T, body []byte, contentType string) map[string]*dto.MetricFamily {
	t.Helper()
	out := decodeFamilies(t, body, expfmt.Format(contentType))
	for name, mf := range out {
		if !strings.HasPrefix(name, "touchprobe_") {
			delete(out, name)
			continue
		}
		slices.SortFunc(mf.Metric, func(a, b *dto.Metric) int { return strings.Compare(a.String(), b.String()) })
	}
	return out
}

// openMetricsLines returns the lines of touchprobe's metrics in an
// OpenMetrics exposition, sorted, and checks the exposition's shape: each
// metric's lines together, its HELP and TYPE once before its samples, and
// "# EOF" last.
func openMetricsLines(t *testing.T, body []byte) []string {
	t.Helper()
	text := string(body)
	rest, ok := strings.CutSuffix(text, "# EOF\n")
	if !ok {
		t.Fatalf("OpenMetrics exposition does not end with # EOF: ...%s", text[max(0, len(text)-80):])
	}
	var lines []string
	seen := map[string]bool{}
	current := ""
	for _, line := range strings.Split(strings.TrimSuffix(rest, "\n"), "\n") {
		name := line
		if f := strings.Fields(line); strings.HasPrefix(line, "# ") && len(f) > 2 {
			name = f[2]
		} else {
			name = strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(strings.FieldsFunc(line, func(r rune) bool { return r == '{' || r == ' ' })[0], "_bucket"), "_sum"), "_count"), "_total")
		}
		if strings.HasPrefix(line, "# TYPE ") || strings.HasPrefix(line, "# HELP ") {
			name = strings.TrimSuffix(name, "_total")
		}
		if name != current {
			if seen[name] {
				t.Errorf("OpenMetrics: the lines of %s are not together", name)
			}
			seen[name], current = true, name
		}
		if strings.HasPrefix(name, "touchprobe_") {
			lines = append(lines, line)
		}
	}
	slices.Sort(lines)
	return lines
}

// TestHandlerServesWhatTheRegistryGathers: the rendered exposition says
// what promhttp gathering every series says, in each format, compressed
// or not, after every kind of change to the journeys' series.
func TestHandlerServesWhatTheRegistryGathers(t *testing.T) {
	m := New()
	journeys := []config.Journey{checkout(), support()}
	withProfiles := support()
	withProfiles.Name, withProfiles.Profiles = "support-mobile", []string{"desktop", "mobile-4g"}
	journeys = append(journeys, withProfiles)
	m.SetJourneys("oslo", journeys, intervals(journeys))
	m.SetShard(1, 3)
	m.SetReload(true, start)

	h := Handler(m, nil)
	gathered := promhttp.HandlerFor(NewRegistry(m), promhttp.HandlerOpts{EnableOpenMetrics: true})

	changes := []struct {
		name string
		do   func()
	}{
		{"declared", func() {}},
		{"a run", func() { m.ObserveRun(successRun()) }},
		{"a failed run, its attempt and a lag", func() {
			m.ObserveAttempt(failedRun())
			m.ObserveRun(failedRun())
			m.ObserveLag("checkout", "", 2*time.Second)
		}},
		{"muted, skipped, another profile", func() {
			m.SetMuted("support", true)
			m.ObserveSkip("support", "")
			r := supportRun()
			r.Journey, r.Profile = "support-mobile", "mobile-4g"
			m.ObserveRun(r)
		}},
		{"an interaction, then none", func() {
			r := overBudgetRun()
			r.Steps[1].Interaction = &probes.InteractionMetrics{INP: 120 * time.Millisecond, TBT: 300 * time.Millisecond}
			m.ObserveRun(r)
			m.ObserveRun(successRun())
		}},
		{"a reload that drops a journey and changes another", func() {
			changed := checkout()
			changed.Steps[0].Budget = budget(time.Second)
			m.SetJourneys("oslo", []config.Journey{changed, withProfiles}, intervals([]config.Journey{changed, withProfiles}))
		}},
		{"a run after the reload", func() { m.ObserveRun(successRun()) }},
	}
	for _, c := range changes {
		c.do()
		for _, encoding := range []string{"", "gzip"} {
			for _, accept := range []string{acceptText, acceptProtobuf} {
				want, wantType := scrape(t, gathered, accept, "")
				got, gotType := scrape(t, h, accept, encoding)
				if gotType != wantType {
					t.Errorf("%s: Content-Type %q, want %q", c.name, gotType, wantType)
				}
				wantFams, gotFams := touchprobeFamilies(t, want, wantType), touchprobeFamilies(t, got, gotType)
				for name, w := range wantFams {
					if g := gotFams[name]; !proto.Equal(g, w) {
						t.Errorf("%s, %s %s: %s is\n%v\nwant\n%v", c.name, gotType, encoding, name, g, w)
					}
				}
				for name := range gotFams {
					if wantFams[name] == nil {
						t.Errorf("%s, %s %s: %s is served, but not gathered", c.name, gotType, encoding, name)
					}
				}
			}
			want, _ := scrape(t, gathered, acceptOpenMetrics, "")
			got, gotType := scrape(t, h, acceptOpenMetrics, encoding)
			if !strings.HasPrefix(gotType, "application/openmetrics-text; version=1.0.0") {
				t.Errorf("%s: OpenMetrics served as %q", c.name, gotType)
			}
			if w, g := openMetricsLines(t, want), openMetricsLines(t, got); !slices.Equal(g, w) {
				t.Errorf("%s, OpenMetrics %s: lines\n%s\nwant\n%s", c.name, encoding, strings.Join(g, "\n"), strings.Join(w, "\n"))
			}
		}
	}
}

// An exposition from renderings must still hold exemplars: they lead from
// a slow point to the run.
func TestHandlerKeepsExemplars(t *testing.T) {
	m := New()
	m.SetJourneys("oslo", []config.Journey{checkout()}, intervals([]config.Journey{checkout()}))
	h := Handler(m, nil)
	scrape(t, h, acceptOpenMetrics, "") // OpenMetrics is now rendered as runs are recorded
	m.ObserveRun(successRun())

	om, _ := scrape(t, h, acceptOpenMetrics, "")
	if !strings.Contains(string(om), `step="home",touchpoint="landing",le="2.0"} 1 # {run_id="r1"} 1.2 `) {
		t.Errorf("OpenMetrics has no exemplar of run r1 on the home step's bucket:\n%s", om)
	}
	pb, contentType := scrape(t, h, acceptProtobuf, "")
	hist := touchprobeFamilies(t, pb, contentType)["touchprobe_step_duration_seconds"]
	found := false
	for _, metric := range hist.GetMetric() {
		for _, ex := range metric.GetHistogram().GetExemplars() {
			found = found || labels(&dto.Metric{Label: ex.GetLabel()})[ExemplarRunID] == "r1"
		}
	}
	if !found {
		t.Errorf("protobuf: no native histogram exemplar with run_id r1:\n%v", hist)
	}
}

// What the renderings cannot serve, promhttp does: a name[] filter and
// the protobuf text format.
func TestHandlerFallsBackToGathering(t *testing.T) {
	m := New()
	m.SetJourneys("oslo", []config.Journey{checkout()}, intervals([]config.Journey{checkout()}))
	m.ObserveRun(successRun())
	h := Handler(m, nil)

	req := httptest.NewRequest(http.MethodGet, "/metrics?name[]=touchprobe_journey_success", nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	fams := touchprobeFamilies(t, rec.Body.Bytes(), rec.Header().Get("Content-Type"))
	if len(fams) != 1 || fams["touchprobe_journey_success"] == nil {
		t.Errorf("name[]=touchprobe_journey_success served %d families: %v", len(fams), slices.Collect(maps.Keys(fams)))
	}

	req = httptest.NewRequest(http.MethodGet, "/metrics", nil)
	req.Header.Set("Accept", "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=text")
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if ct := rec.Header().Get("Content-Type"); expfmt.Format(ct).FormatType() != expfmt.TypeProtoText || !strings.Contains(rec.Body.String(), `"touchprobe_journey_success"`) {
		t.Errorf("protobuf text: Content-Type %q, body without touchprobe_journey_success:\n%.300s", ct, rec.Body)
	}
}

// A format scraped twice within formatIdle, as a scraper on a schedule
// does, is rendered as runs are recorded. One that was not (last scraped
// long ago, or only once, by a browser or curl) is not, so that it holds
// no memory; the next scrape in it renders what it needs.
func TestIdleFormatIsNotRendered(t *testing.T) {
	m := New()
	m.SetJourneys("oslo", []config.Journey{checkout()}, intervals([]config.Journey{checkout()}))
	now := time.Now()
	m.journeyFamilies(formatText, now.Add(-formatIdle-2*time.Minute))
	m.journeyFamilies(formatText, now.Add(-formatIdle-time.Minute))
	m.journeyFamilies(formatProtobuf, now.Add(-time.Minute))
	m.journeyFamilies(formatProtobuf, now)
	m.journeyFamilies(formatOpenMetrics, now)
	m.ObserveRun(successRun())

	j := m.journeys[journeyKey("checkout", "")]
	if r := j.rendered[formatProtobuf]; r == nil || r.chunks == nil {
		t.Error("a run did not render the journey in protobuf, scraped twice in the last minute")
	}
	if j.rendered[formatText] != nil {
		t.Errorf("a run rendered the journey in the text format, last scraped %v ago", formatIdle+time.Minute)
	}
	if j.rendered[formatOpenMetrics] != nil {
		t.Error("a run rendered the journey in OpenMetrics, scraped only once")
	}
	h := Handler(m, nil)
	body, contentType := scrape(t, h, acceptText, "")
	if got := touchprobeFamilies(t, body, contentType)["touchprobe_journey_success"].GetMetric(); len(got) != 1 || got[0].GetGauge().GetValue() != 1 {
		t.Errorf("the text format, scraped again, says touchprobe_journey_success %v, want 1", got)
	}
}

// Scrapes in every format while runs are recorded, under -race: a scrape
// writes renderings that a run may replace meanwhile.
func TestHandlerWhileRunsAreRecorded(t *testing.T) {
	journeys := manyJourneyConfigs(20, 4)
	m := New()
	m.SetJourneys("oslo", journeys, intervals(journeys))
	h := Handler(m, nil)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for run := range 200 {
			m.ObserveRun(steadyRun(journeys, run, run))
			m.ObserveLag(journeys[run%len(journeys)].Name, "", time.Millisecond)
		}
	}()
	for range 10 {
		for _, accept := range cachedAccepts {
			body, contentType := scrape(t, h, accept, "gzip")
			if accept != acceptOpenMetrics && len(touchprobeFamilies(t, body, contentType)["touchprobe_step_success"].GetMetric()) > 20*4 {
				t.Errorf("%s: more touchprobe_step_success series than steps", contentType)
			}
		}
	}
	<-done
	body, contentType := scrape(t, h, acceptText, "")
	if got := touchprobeFamilies(t, body, contentType)["touchprobe_journey_runs_total"]; len(got.GetMetric()) != 20*len(results) {
		t.Errorf("touchprobe_journey_runs_total has %d series, want %d", len(got.GetMetric()), 20*len(results))
	}
	total := 0.0
	for _, metric := range touchprobeFamilies(t, body, contentType)["touchprobe_journey_runs_total"].GetMetric() {
		total += metric.GetCounter().GetValue()
	}
	if total != 200 {
		t.Errorf("the last scrape counts %v runs, want 200", total)
	}
}
