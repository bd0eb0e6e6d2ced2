package agent_test

import (
	"bufio"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/touchprobe/touchprobe/config"
	"github.com/touchprobe/touchprobe/internal/agent"
	"github.com/touchprobe/touchprobe/internal/browser"
	"github.com/touchprobe/touchprobe/internal/testutil"
	"github.com/touchprobe/touchprobe/internal/testutil/agenttest"
	"github.com/touchprobe/touchprobe/internal/testutil/chromiumtest"
	"github.com/touchprobe/touchprobe/probes"
)

// site is a loopback site that counts the requests it is answering at
// once, overall and per journey, so that a test can see from outside the
// agent how many runs were really in flight.
type site struct {
	*httptest.Server
	inflight, maxInflight atomic.Int32
	perJourney            sync.Map // journey -> *atomic.Int32
	overlapped            atomic.Bool
	slowHits              atomic.Int32
	hang                  atomic.Bool
}

func newSite(t *testing.T) *site {
	t.Helper()
	s := &site{}
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<!doctype html><title>ok</title><p id="ok">fine</p>`)
	})
	// /slow?ms=N&j=NAME answers after N milliseconds, or never while hang
	// is set; it ends early when the client goes away.
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		s.slowHits.Add(1)
		n := s.inflight.Add(1)
		defer s.inflight.Add(-1)
		for {
			m := s.maxInflight.Load()
			if n <= m || s.maxInflight.CompareAndSwap(m, n) {
				break
			}
		}
		j := r.URL.Query().Get("j")
		c, _ := s.perJourney.LoadOrStore(j, new(atomic.Int32))
		if c.(*atomic.Int32).Add(1) > 1 {
			s.overlapped.Store(true)
		}
		defer c.(*atomic.Int32).Add(-1)
		ms, _ := strconv.Atoi(r.URL.Query().Get("ms"))
		wait := time.Duration(ms) * time.Millisecond
		if s.hang.Load() {
			wait = 2 * time.Minute
		}
		select {
		case <-r.Context().Done():
			return
		case <-time.After(wait):
		}
		fmt.Fprint(w, `<!doctype html><title>slow</title><p id="ok">done</p>`)
	})
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

func testLogger(t *testing.T) *slog.Logger { return testutil.Logger(t, slog.LevelInfo) }

// startAgent runs an agent on text until the test ends, then checks that
// no Chromium process of it is left. Each agent has a browser of its own,
// so the tests that wait for runs and timeouts, and judge no step's time,
// run side by side (t.Parallel); the tests that kill or restart a browser
// run alone, as in probes.
func startAgent(t *testing.T, text string, opts agent.Options) *agenttest.RunningAgent {
	t.Helper()
	cfg, err := config.Parse([]byte(text), t.Name()+".toml")
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	opts.Load = func() (*config.Config, error) { return cfg, nil }
	opts.Logger = testLogger(t)
	return agenttest.StartAgent(t, opts)
}

// get serves path from the agent's handler.
func get(t *testing.T, a *agent.Agent, path string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	a.Handler().ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
	return rec.Code, rec.Body.String()
}

// metric returns the value of the sample of /metrics whose line starts
// with prefix (name and labels), or -1.
func metric(t *testing.T, a *agent.Agent, prefix string) float64 {
	t.Helper()
	_, body := get(t, a, "/metrics")
	sc := bufio.NewScanner(strings.NewReader(body))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, prefix+" ") {
			v, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimPrefix(line, prefix)), 64)
			if err != nil {
				t.Fatalf("metric line %q: %v", line, err)
			}
			return v
		}
	}
	return -1
}

func journey(name, schedule, url, timeout string) string {
	return fmt.Sprintf(`[[journey]]
name = %q
schedule = %q
timeout = %q
  [[journey.step]]
  name = "open"
  action = "navigate"
  url = %q
  wait_for = "#ok"
`, name, schedule, timeout, url)
}

func describe(rs []*probes.Result) string {
	var b strings.Builder
	for _, r := range rs {
		fmt.Fprintf(&b, "  %s %s %s %s %q\n", r.Journey, r.Status, r.FailedStep, r.Reason, r.Message)
	}
	return b.String()
}

// TestBrowserExitsAtStart: a Chromium that exits as soon as it starts makes
// every run an error with reason browser_crash, the agent keeps serving and
// says it is not ready, starts are retried with a growing backoff rather
// than on every run, and once Chromium starts again the next run succeeds.
func TestBrowserExitsAtStart(t *testing.T) {
	real := chromiumtest.RequireChromium(t)
	dir := t.TempDir()
	broken := filepath.Join(dir, "broken")
	starts := filepath.Join(dir, "starts")
	script := filepath.Join(dir, "chromium")
	if err := os.WriteFile(broken, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(script, []byte(fmt.Sprintf(`#!/bin/sh
echo start >> %q
if [ -e %q ]; then echo "chromium: cannot start" >&2; exit 1; fi
exec %q "$@"
`, starts, broken, real)), 0o755); err != nil {
		t.Fatal(err)
	}
	s := newSite(t)
	a := startAgent(t, "[agent]\nlocation = \"t\"\n\n"+journey("j", "@every 1s", s.URL+"/ok", "20s"), agent.Options{BrowserPath: script})

	testutil.WaitFor(t, 60*time.Second, "six runs", func() bool { return len(a.Results()) >= 6 })
	rs := a.Results()
	t.Logf("recorded while Chromium exits at start:\n%s", describe(rs))
	for _, r := range rs {
		if r.Status != probes.StatusError || r.Reason != probes.ReasonBrowserCrash {
			t.Errorf("run %s: %s %s, want error browser_crash", r.RunID, r.Status, r.Reason)
		}
		if !strings.Contains(r.Message, "could not open a browser tab") {
			t.Errorf("message %q does not say the browser could not be opened", r.Message)
		}
	}
	if code, _ := get(t, a.Agent, "/-/ready"); code != http.StatusServiceUnavailable {
		t.Errorf("/-/ready answered %d while Chromium cannot start, want 503", code)
	}
	if code, _ := get(t, a.Agent, "/-/healthy"); code != http.StatusOK {
		t.Errorf("/-/healthy answered %d, want 200: the agent itself is fine", code)
	}
	if v := metric(t, a.Agent, `touchprobe_browser_up{location="t"}`); v != 0 {
		t.Errorf("touchprobe_browser_up = %v, want 0", v)
	}
	if v := metric(t, a.Agent, `touchprobe_journey_runs_total{journey="j",location="t",profile="desktop",result="error"}`); v < 6 {
		t.Errorf("error runs counted: %v, want at least 6", v)
	}
	attempts := lines(t, starts)
	if attempts >= len(rs)+1 {
		t.Errorf("Chromium was started %d times for %d runs: failed starts must back off", attempts, len(rs))
	}
	backedOff := false
	for _, r := range rs {
		if strings.Contains(r.Message, "times in a row; next try in") {
			backedOff = true
		}
	}
	if !backedOff {
		t.Error("no run says the start is backing off")
	}

	// Chromium mended: the next start after the backoff works.
	os.Remove(broken)
	n := len(rs)
	testutil.WaitFor(t, 90*time.Second, "a successful run after Chromium starts again", func() bool {
		for _, r := range a.Results()[n:] {
			if r.Status == probes.StatusSuccess {
				return true
			}
		}
		return false
	})
	testutil.WaitFor(t, 10*time.Second, "/-/ready to answer 200", func() bool {
		code, _ := get(t, a.Agent, "/-/ready")
		return code == http.StatusOK
	})
}

func lines(t *testing.T, path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(b), "\n")
}

// TestBrowserKilledMidRun: Chromium killed while journeys run ends those
// runs as errors with reason browser_crash; the agent restarts Chromium, the
// journeys go on succeeding, nothing of the dead browser is left and the new
// one has as many processes as the old.
func TestBrowserKilledMidRun(t *testing.T) {
	s := newSite(t)
	text := "[agent]\nlocation = \"t\"\nconcurrency = 2\n\n" +
		journey("slow", "@every 1s", s.URL+"/slow?ms=2000&j=slow", "20s") +
		journey("steady", "@every 1s", s.URL+"/ok", "20s")
	a := startAgent(t, text, agent.Options{})
	testutil.WaitFor(t, 60*time.Second, "a successful run of each journey", func() bool {
		ok := map[string]bool{}
		for _, r := range a.Results() {
			ok[r.Journey] = ok[r.Journey] || r.Status == probes.StatusSuccess
		}
		return ok["slow"] && ok["steady"]
	})
	// Kill while slow waits for its page.
	hits := s.slowHits.Load()
	testutil.WaitFor(t, 30*time.Second, "the slow page to be requested", func() bool { return s.slowHits.Load() > hits && s.inflight.Load() > 0 })
	old := a.Browser().PGID()
	before := len(browser.GroupPIDs(old))
	n := len(a.Results())
	if err := a.Browser().Kill(); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, 60*time.Second, "both journeys to succeed again", func() bool {
		ok := map[string]bool{}
		for _, r := range a.Results()[n:] {
			ok[r.Journey] = ok[r.Journey] || r.Status == probes.StatusSuccess
		}
		return ok["slow"] && ok["steady"]
	})
	after := a.Results()[n:]
	t.Logf("recorded after the kill:\n%s", describe(after))
	var crashed *probes.Result
	for _, r := range after {
		if r.Journey == "slow" {
			crashed = r
			break
		}
	}
	if crashed == nil || crashed.Status != probes.StatusError || crashed.Reason != probes.ReasonBrowserCrash {
		t.Errorf("the run of slow in flight at the kill: want error browser_crash, got\n%s", describe(after))
	} else if !strings.Contains(crashed.Message, "browser") {
		t.Errorf("message %q does not blame the browser", crashed.Message)
	}
	for _, r := range after {
		if r.Status == probes.StatusFailure {
			t.Errorf("a run was a failure of the site, but the browser was killed:\n%s", describe(after))
		}
	}
	if v := metric(t, a.Agent, `touchprobe_browser_restarts_total{location="t"}`); v != 1 {
		t.Errorf("touchprobe_browser_restarts_total = %v, want 1", v)
	}
	if left := browser.GroupPIDs(old); len(left) > 0 {
		t.Errorf("processes of the killed browser left: %v", left)
	}
	cur := a.Browser().PGID()
	if cur == old || cur == 0 {
		t.Fatalf("browser group %d, was %d: not restarted", cur, old)
	}
	// The new browser settles to what the old one had with runs going;
	// one spare renderer more or less is Chromium's business.
	testutil.WaitFor(t, 30*time.Second, fmt.Sprintf("the new browser to have at most %d processes", before+1), func() bool {
		return len(browser.GroupPIDs(cur)) <= before+1
	})
}

// TestSchedulingUnderLoad: journeys that take longer than their interval
// are skipped and counted, never stacked; the concurrency limit holds as
// seen from the site; and schedule lag is measured and exposed.
func TestSchedulingUnderLoad(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	var text strings.Builder
	text.WriteString("[agent]\nlocation = \"t\"\nconcurrency = 2\n\n")
	names := []string{"a", "b", "c", "d"}
	for _, n := range names {
		// Each run takes about 2.5s; each journey is due every second.
		text.WriteString(journey(n, "@every 1s", s.URL+"/slow?ms=2500&j="+n, "20s"))
	}
	a := startAgent(t, text.String(), agent.Options{})
	testutil.WaitFor(t, 90*time.Second, "two runs of every journey", func() bool {
		count := map[string]int{}
		for _, r := range a.Results() {
			count[r.Journey]++
		}
		for _, n := range names {
			if count[n] < 2 {
				return false
			}
		}
		return true
	})
	a.Stop()
	if m := s.maxInflight.Load(); m > 2 {
		t.Errorf("the site saw %d runs at once; the concurrency limit is 2", m)
	} else if m < 2 {
		t.Errorf("the site never saw 2 runs at once (max %d): the test did not load the agent", m)
	}
	if s.overlapped.Load() {
		t.Error("a journey had two runs at once")
	}
	for _, r := range a.Results() {
		if r.Status != probes.StatusSuccess {
			t.Errorf("a slow run is not a failure here:\n%s", describe([]*probes.Result{r}))
		}
	}
	for _, n := range names {
		skipped := metric(t, a.Agent, fmt.Sprintf(`touchprobe_journey_runs_total{journey=%q,location="t",profile="desktop",result="skipped"}`, n))
		t.Logf("journey %s: %v runs skipped", n, skipped)
		if skipped < 1 {
			t.Errorf("journey %s: %v skipped runs counted, want at least 1", n, skipped)
		}
		lag := metric(t, a.Agent, fmt.Sprintf(`touchprobe_schedule_lag_seconds{journey=%q,location="t",profile="desktop"}`, n))
		if lag < 0 {
			t.Errorf("journey %s: no touchprobe_schedule_lag_seconds", n)
		}
	}
	// Four journeys of 2.5s sharing two slots: some run must have waited
	// for a slot, and its lag says so.
	maxLag := 0.0
	for _, n := range names {
		maxLag = max(maxLag, metric(t, a.Agent, fmt.Sprintf(`touchprobe_schedule_lag_seconds{journey=%q,location="t",profile="desktop"}`, n)))
	}
	t.Logf("%d runs, at most %d at once at the site, largest lag %.2fs", len(a.Results()), s.maxInflight.Load(), maxLag)
	if maxLag < 0.5 {
		t.Errorf("largest schedule lag %.3fs; runs waiting for a slot must show lag", maxLag)
	}
}

// TestThousandJourneys: a configuration of 1,000 journeys loads, every
// journey is scheduled, and /metrics exposes each. They are due far in the
// future, so nothing runs.
func TestThousandJourneys(t *testing.T) {
	var text strings.Builder
	text.WriteString("[agent]\nlocation = \"t\"\n\n")
	// Daily, spread over the hours from two to 21 hours ahead: none may
	// fall due while the test runs, whatever the time of day.
	hour := time.Now().Hour()
	for i := range 1000 {
		fmt.Fprintf(&text, `[[journey]]
name = "journey-%04d"
schedule = "%d %d * * *"
  [[journey.step]]
  name = "landing"
  action = "navigate"
  url = "http://127.0.0.1:9/%d"
`, i, i%60, (hour+2+i%20)%24, i)
	}
	a := startAgent(t, text.String(), agent.Options{})
	testutil.WaitFor(t, 60*time.Second, "every journey to have its next run", func() bool {
		next := a.Scheduler().NextRuns()
		if len(next) != 1000 {
			return false
		}
		for _, at := range next {
			if at.IsZero() {
				return false
			}
		}
		return true
	})
	for name, at := range a.Scheduler().NextRuns() {
		if time.Until(at) > 24*time.Hour+time.Minute {
			t.Errorf("journey %s next at %v: more than a day away", name, at)
		}
	}
	_, body := get(t, a.Agent, "/metrics")
	if n := strings.Count(body, "touchprobe_step_budget_seconds{"); n != 1000 {
		t.Errorf("/metrics has %d step budgets, want 1000", n)
	}
	if runs := a.Results(); len(runs) > 0 {
		t.Errorf("%d runs happened; every journey is due later", len(runs))
	}
}
