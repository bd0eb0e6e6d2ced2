package metrics

import (
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/touchprobe/touchprobe/config"
	"github.com/touchprobe/touchprobe/probes"
)

// staleJourneys are the journeys TestNoChangeLeavesARenderingStale starts
// from: two, one of them under two profiles.
func staleJourneys() []config.Journey {
	mobile := support()
	mobile.Name, mobile.Profiles = "support-mobile", []string{"desktop", "mobile-4g"}
	return []config.Journey{checkout(), support(), mobile}
}

// Whatever changes a journey's series, the next scrape says so in every
// format, although each format's rendering was made before the change.
func TestNoChangeLeavesARenderingStale(t *testing.T) {
	reload := func(m *Metrics, js []config.Journey) { m.SetJourneys("oslo", js, intervals(js)) }
	for _, c := range []struct {
		name string
		do   func(m *Metrics)
	}{
		{"a run", func(m *Metrics) { m.ObserveRun(overBudgetRun()) }},
		{"a failed run", func(m *Metrics) { m.ObserveRun(failedRun()) }},
		{"a run of another profile", func(m *Metrics) {
			r := supportRun()
			r.Journey, r.Profile = "support-mobile", "mobile-4g"
			m.ObserveRun(r)
		}},
		{"a run without page timings", func(m *Metrics) {
			r := successRun()
			r.Steps[0].Page.TTFB, r.Steps[0].Page.Load = 0, 0
			m.ObserveRun(r)
		}},
		{"an interaction, then none", func(m *Metrics) {
			r := successRun()
			r.Steps[1].Interaction = &probes.InteractionMetrics{INP: 90 * time.Millisecond, TBT: 10 * time.Millisecond}
			m.ObserveRun(r)
			m.ObserveRun(successRun())
		}},
		{"a run of a journey no longer configured", func(m *Metrics) {
			reload(m, []config.Journey{support()})
			m.ObserveRun(successRun())
		}},
		{"an attempt", func(m *Metrics) { m.ObserveAttempt(failedRun()) }},
		{"a flaky attempt", func(m *Metrics) {
			r := successRun()
			r.Status = probes.StatusFlaky
			m.ObserveAttempt(r)
		}},
		{"a skip", func(m *Metrics) { m.ObserveSkip("checkout", "") }},
		{"a skip of another profile", func(m *Metrics) { m.ObserveSkip("support-mobile", "desktop") }},
		{"a lag", func(m *Metrics) { m.ObserveLag("checkout", "", 3*time.Second) }},
		{"a lag, then another", func(m *Metrics) {
			m.ObserveLag("checkout", "", 3*time.Second)
			m.ObserveLag("checkout", "", time.Second)
		}},
		{"muted", func(m *Metrics) { m.SetMuted("support-mobile", true) }},
		{"muted, then not", func(m *Metrics) {
			m.SetMuted("checkout", true)
			m.SetMuted("checkout", false)
		}},
		{"muted as it was", func(m *Metrics) { m.SetMuted("checkout", false) }},
		{"the same configuration again", func(m *Metrics) { reload(m, staleJourneys()) }},
		{"a new schedule", func(m *Metrics) {
			js := staleJourneys()
			iv := intervals(js)
			iv["checkout"] = 7 * time.Minute
			m.SetJourneys("oslo", js, iv)
		}},
		{"no schedule", func(m *Metrics) { m.SetJourneys("oslo", staleJourneys(), nil) }},
		{"a new budget", func(m *Metrics) {
			js := staleJourneys()
			js[0].Steps[0].Budget = budget(time.Second)
			reload(m, js)
		}},
		{"a new label", func(m *Metrics) {
			js := staleJourneys()
			js[1].Labels["tier"] = "silver"
			reload(m, js)
		}},
		{"a new location", func(m *Metrics) { m.SetJourneys("bergen", staleJourneys(), intervals(staleJourneys())) }},
		{"a profile dropped", func(m *Metrics) {
			js := staleJourneys()
			js[2].Profiles = js[2].Profiles[:1]
			reload(m, js)
		}},
		{"a journey dropped, then back", func(m *Metrics) {
			reload(m, staleJourneys()[1:])
			reload(m, staleJourneys())
		}},
		{"a journey dropped while muted, then back", func(m *Metrics) {
			m.SetMuted("checkout", true)
			reload(m, staleJourneys()[1:])
			reload(m, staleJourneys())
		}},
		{"native histograms", func(m *Metrics) {
			m.SetHistograms(config.HistogramsNative)
			reload(m, staleJourneys())
			m.ObserveRun(successRun())
		}},
		{"classic histograms", func(m *Metrics) {
			m.SetHistograms(config.HistogramsClassic)
			reload(m, staleJourneys())
		}},
		{"the agent's own metrics", func(m *Metrics) {
			m.SetBrowserUp(false)
			m.BrowserRestarted()
			m.SetArtifacts(3, 4096)
			m.SetOTLP(true)
			m.OTLPSpansDropped(2)
			m.SetReload(false, start.Add(time.Hour))
			m.SetShard(2, 4)
			m.SetExternalURL("https://probe.example/")
		}},
	} {
		m := New()
		m.SetShard(0, 1)
		reload(m, staleJourneys())
		m.SetBrowserUp(true)
		m.SetReload(true, start)
		m.ObserveRun(successRun())
		m.ObserveRun(supportRun())
		m.ObserveLag("support", "", time.Second)
		h := Handler(m, nil)
		for _, accept := range cachedAccepts {
			serve(h, request{accept: accept})
		}
		c.do(m)
		sameAsGathered(t, c.name, h, m)
	}
}

// The agent says every second whether each journey is muted, and records
// a lag as each run starts: a scrape after those encodes again only the
// series they changed, not every series of every journey, which at 1,000
// journeys takes about a second while runs wait to be recorded.
func TestAScrapeEncodesOnlyWhatChanged(t *testing.T) {
	js := staleJourneys()
	m := New()
	m.SetJourneys("oslo", js, intervals(js))
	m.ObserveRun(successRun())
	m.ObserveRun(supportRun())
	for format := range numFormats {
		before := map[string][][]byte{}
		for _, f := range m.journeyFamilies(format, time.Now()) {
			before[f.name] = f.bodies
		}
		for _, j := range js {
			m.SetMuted(j.Name, false)
		}
		m.ObserveLag("checkout", "", time.Second)
		m.ObserveAttempt(successRun())
		changed := map[string]bool{"touchprobe_schedule_lag_seconds": true, "touchprobe_journey_attempts_total": true}
		for _, f := range m.journeyFamilies(format, time.Now()) {
			if changed[f.name] {
				continue
			}
			for i, body := range f.bodies {
				if i >= len(before[f.name]) || &body[0] != &before[f.name][i][0] {
					t.Errorf("format %d: %s of journey %d encoded again, unchanged", format, f.name, i)
				}
			}
		}
	}
}

// The first scrape in a format encodes every journey's series, which at
// 1,000 journeys takes about a second: it does so without holding up the
// recording of runs, which shows in that scrape or the next.
func TestEncodingAllDoesNotHoldUpRuns(t *testing.T) {
	js := manyJourneyConfigs(20, 2)
	m := New()
	m.SetJourneys("oslo", js, intervals(js))
	encoding, release := make(chan struct{}), make(chan struct{})
	m.encodeHook = func() {
		close(encoding)
		<-release
	}
	h := Handler(m, nil)
	scraped := make(chan struct{})
	go func() {
		defer close(scraped)
		serve(h, request{accept: acceptText})
	}()
	<-encoding
	recorded := make(chan struct{})
	go func() {
		defer close(recorded)
		m.ObserveRun(steadyRun(js, 3, 0))
		m.ObserveLag(js[4].Name, "", time.Second)
		m.SetMuted(js[5].Name, true)
	}()
	select {
	case <-recorded:
	case <-time.After(30 * time.Second):
		t.Error("recording a run waited for a scrape to encode every journey")
	}
	close(release)
	<-scraped
	<-recorded
	m.encodeHook = nil
	sameAsGathered(t, "after a run recorded during a scrape", h, m)
}

// Scrapes in every format, two at a time, while runs, lags, attempts,
// maintenance and reloads come: under -race, and the scrape after them
// all says what promhttp says.
func TestHandlerWhileEverythingChanges(t *testing.T) {
	js := manyJourneyConfigs(12, 3)
	m := New()
	m.SetJourneys("oslo", js, intervals(js))
	h := Handler(m, nil)
	var wg sync.WaitGroup
	wg.Go(func() {
		for run := range 120 {
			name := js[run%len(js)].Name
			m.ObserveLag(name, "", time.Duration(run)*time.Millisecond)
			m.ObserveAttempt(steadyRun(js, run, run))
			m.ObserveRun(steadyRun(js, run, run))
			m.SetMuted(name, run%3 == 0)
			if run%40 == 39 {
				changed := slices.Clone(js)
				changed[run%len(js)].Steps = changed[run%len(js)].Steps[:2]
				m.SetJourneys("oslo", changed, intervals(changed))
				m.SetJourneys("oslo", js, intervals(js))
			}
		}
	})
	for range 2 {
		wg.Go(func() {
			for i := range 15 {
				for _, accept := range cachedAccepts {
					serve(h, request{accept: accept, encoding: []string{[]string{"", "gzip"}[i%2]}})
				}
			}
		})
	}
	wg.Wait()
	sameAsGathered(t, "after it all", h, m)
}

// sameAsGathered checks that h answers a GET in each cached format as
// promhttp does, gathering m's registry afresh.
func sameAsGathered(t *testing.T, what string, h http.Handler, m *Metrics) {
	t.Helper()
	gathered := promhttp.HandlerFor(NewRegistry(m), promhttp.HandlerOpts{EnableOpenMetrics: true})
	for _, accept := range cachedAccepts {
		req := request{method: http.MethodGet, accept: accept}
		sameResponse(t, what, serve(h, req), serve(gathered, req))
	}
}
