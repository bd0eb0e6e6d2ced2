package agent_test

import (
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/touchprobe/touchprobe/config"
	"github.com/touchprobe/touchprobe/internal/agent"
	"github.com/touchprobe/touchprobe/internal/demoshop"
	"github.com/touchprobe/touchprobe/internal/metrics"
	"github.com/touchprobe/touchprobe/internal/scheduler"
	"github.com/touchprobe/touchprobe/internal/testutil"
	"github.com/touchprobe/touchprobe/internal/testutil/agenttest"
	"github.com/touchprobe/touchprobe/probes"
)

// harness runs a whole agent against the demo shop on loopback.
type harness struct {
	t       *testing.T
	shop    *demoshop.Shop
	agent   *agent.Agent
	base    string
	results chan *probes.Result
	stop    func()

	mu     sync.Mutex
	config string
	logs   testutil.LockedBuffer
}

func start(t *testing.T, configText func(shop *demoshop.Shop) string) *harness {
	t.Helper()
	shop, err := demoshop.Start(demoshop.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { shop.Close() })
	h := &harness{t: t, shop: shop, results: make(chan *probes.Result, 100)}
	h.config = configText(shop)
	r := agenttest.StartAgent(t, agent.Options{
		Load: func() (*config.Config, error) {
			h.mu.Lock()
			defer h.mu.Unlock()
			return config.Parse([]byte(h.config), "agent-test.toml")
		},
		RunAtStart: true,
		OnResult:   func(r *probes.Result) { h.results <- r },
		Logger:     slog.New(slog.NewTextHandler(&h.logs, nil)),
	})
	h.agent, h.base, h.stop = r.Agent, r.URL, r.Stop
	return h
}

func (h *harness) setConfig(text string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.config = text
}

func (h *harness) next(journey string) *probes.Result {
	h.t.Helper()
	timeout := time.After(120 * time.Second)
	for {
		select {
		case r := <-h.results:
			if r.Journey == journey {
				return r
			}
		case <-timeout:
			// What every goroutine waits on says where a run hangs.
			var stacks strings.Builder
			pprof.Lookup("goroutine").WriteTo(&stacks, 1)
			h.t.Fatalf("no run of %q within 120s; goroutines:\n%s", journey, stacks.String())
			return nil
		}
	}
}

func (h *harness) get(path string) (int, string) {
	h.t.Helper()
	resp, err := http.Get(h.base + path)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func demoJourney(shop *demoshop.Shop) string { return shop.Journey("@every 1h") }

func TestAgentServesMetricsOfARealRun(t *testing.T) {
	t.Parallel()
	h := start(t, demoJourney)
	r := h.next("checkout")
	if r.Status != probes.StatusSuccess {
		t.Fatalf("demo run failed: %s %s %s", r.FailedStep, r.Reason, r.Message)
	}
	if code, _ := h.get("/-/healthy"); code != http.StatusOK {
		t.Errorf("/-/healthy: %d", code)
	}
	if code, _ := h.get("/-/ready"); code != http.StatusOK {
		t.Errorf("/-/ready: %d", code)
	}
	code, body := h.get("/metrics")
	if code != http.StatusOK {
		t.Fatalf("/metrics: %d", code)
	}
	for _, d := range metrics.Docs() {
		if d.Name == "touchprobe_config_last_reload_successful" || strings.HasPrefix(d.Name, "touchprobe_page_") ||
			d.Name == "touchprobe_journey_failures_total" || d.Name == "touchprobe_otlp_spans_dropped_total" {
			continue // checked below, only present after a failure, or only with [otlp]
		}
		if !strings.Contains(body, "\n"+d.Name) && !strings.Contains(body, d.Name+"_bucket") {
			t.Errorf("documented metric %s is not exposed", d.Name)
		}
	}
	// The budget bucket holds the landing step's run if it kept to its
	// budget, which a loaded machine need not.
	withinBudget := 0
	for _, s := range r.Steps {
		if s.Name == "landing" && s.Duration <= 3*time.Second {
			withinBudget = 1
		}
	}
	for _, want := range []string{
		`touchprobe_step_success{brand="nordlys",journey="checkout",location="demo",profile="desktop",step="landing",touchpoint="landing"} 1`,
		`touchprobe_journey_success{brand="nordlys",journey="checkout",location="demo",profile="desktop"} 1`,
		`touchprobe_journey_runs_total{brand="nordlys",journey="checkout",location="demo",profile="desktop",result="success"} 1`,
		`touchprobe_step_budget_seconds{brand="nordlys",journey="checkout",location="demo",profile="desktop",step="product page",touchpoint="product"} 3`,
		`touchprobe_page_timing_seconds{brand="nordlys",journey="checkout",location="demo",profile="desktop",step="landing",timing="lcp"}`,
		fmt.Sprintf(`touchprobe_step_duration_seconds_bucket{brand="nordlys",journey="checkout",location="demo",profile="desktop",step="landing",touchpoint="landing",le="3"} %d`, withinBudget),
		`touchprobe_config_last_reload_successful{location="demo"} 1`,
		`touchprobe_build_info{`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if code, page := h.get("/"); code != http.StatusOK || !strings.Contains(page, "checkout") || !strings.Contains(page, "chat reply") {
		t.Errorf("status page: %d, journeys and steps not listed", code)
	}
	// The journey and run pages of a real run: the run is listed and its
	// page has the step table and the browser's page timings.
	if code, page := h.get("/journeys/checkout"); code != http.StatusOK || !strings.Contains(page, "runs/"+r.RunID) {
		t.Errorf("journey page: %d, run %s not listed", code, r.RunID)
	}
	if code, page := h.get("/journeys/checkout/runs/" + r.RunID); code != http.StatusOK || !strings.Contains(page, "chat reply") || !strings.Contains(page, "Page timings") {
		t.Errorf("run page: %d, steps or page timings missing", code)
	}
}

func TestAgentRecoversFromABrowserCrash(t *testing.T) {
	h := start(t, func(shop *demoshop.Shop) string {
		shop.SetSlow("product", 3*time.Second)
		return demoJourney(shop)
	})
	testutil.WaitFor(t, 60*time.Second, "the run to wait on the slowed product page", func() bool {
		return h.shop.Requests("product") > 0
	})
	if err := h.agent.Browser().Kill(); err != nil {
		t.Fatal(err)
	}
	r := h.next("checkout")
	if r.Status != probes.StatusError || r.Reason != probes.ReasonBrowserCrash {
		t.Fatalf("run during the crash: %s %s, want error browser_crash", r.Status, r.Reason)
	}
	h.shop.SetSlow("product", 0)
	h.runNow("checkout")
	if r := h.next("checkout"); r.Status != probes.StatusSuccess {
		t.Fatalf("run after the crash: %s %s %s", r.Status, r.Reason, r.Message)
	}
	_, body := h.get("/metrics")
	for _, want := range []string{
		`touchprobe_browser_restarts_total{location="demo"} 1`,
		`touchprobe_journey_runs_total{brand="nordlys",journey="checkout",location="demo",profile="desktop",result="error"} 1`,
		`touchprobe_journey_failures_total{brand="nordlys",journey="checkout",location="demo",profile="desktop",reason="browser_crash",step="product page"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

func TestReloadKeepsTheRunningConfigWhenTheNewOneIsBad(t *testing.T) {
	t.Parallel()
	h := start(t, demoJourney)
	h.next("checkout")
	good := h.config
	h.setConfig(good + "\n[[journey]]\nname = \"broken\"\nschedule = \"every minute\"\n")
	resp, err := http.Post(h.base+"/-/reload", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusInternalServerError || !strings.Contains(string(body), `journey "broken" (#2)`) {
		t.Errorf("bad reload: %d %q; want 500 naming the journey", resp.StatusCode, body)
	}
	if h.agent.Config().Journey("broken") != nil || h.agent.Config().Journey("checkout") == nil {
		t.Error("a bad reload changed the running configuration")
	}
	if _, m := h.get("/metrics"); !strings.Contains(m, `touchprobe_config_last_reload_successful{location="demo"} 0`) {
		t.Error("failed reload not reported in touchprobe_config_last_reload_successful")
	}

	h.setConfig(strings.Replace(good, `name = "checkout"`, `name = "purchase"`, 1))
	resp, err = http.Post(h.base+"/-/reload", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("good reload: %d", resp.StatusCode)
	}
	if h.agent.Config().Journey("purchase") == nil {
		t.Error("good reload not applied")
	}
	_, m := h.get("/metrics")
	if strings.Contains(m, `journey="checkout"`) {
		t.Error("metrics of the removed journey are still exposed")
	}
	if !strings.Contains(m, `touchprobe_config_last_reload_successful{location="demo"} 1`) {
		t.Error("good reload not reported")
	}
}

// Each profile of a journey is a run of its own with its own series, last
// run and history: the phone's run never overwrites the desktop's.
func TestAgentRunsEveryProfileOfAJourney(t *testing.T) {
	h := start(t, func(shop *demoshop.Shop) string {
		text := strings.Replace(demoJourney(shop), `name = "checkout"`, `name = "checkout"
profiles = ["desktop", "phone"]`, 1)
		text = strings.Replace(text, `  name = "landing"
`, `  name = "landing"
  budget = { phone = "7s" }
`, 1)
		return text + `
[[profile]]
name = "phone"
width = 412
height = 823
mobile = true
touch = true
`
	})
	got := map[string]*probes.Result{}
	for len(got) < 2 {
		r := h.next("checkout")
		if r.Status != probes.StatusSuccess {
			t.Fatalf("run under %q: %s %s %s", r.Profile, r.FailedStep, r.Reason, r.Message)
		}
		got[r.Profile] = r
	}
	if got["desktop"] == nil || got["phone"] == nil {
		t.Fatalf("runs under %v, want desktop and phone", slices.Collect(maps.Keys(got)))
	}
	for name, r := range got {
		if last := h.agent.Runs().Last("checkout", name); last == nil || last.RunID != r.RunID {
			t.Errorf("the last %s run is %v, want %s", name, last, r.RunID)
		}
	}
	// Each profile is held to its own budget.
	if d, p := got["desktop"].Steps[0].Budget, got["phone"].Steps[0].Budget; d != 3*time.Second || p != 7*time.Second {
		t.Errorf("landing budgets: desktop %v, phone %v; want 3s and 7s", d, p)
	}
	_, body := h.get("/metrics")
	if !strings.Contains(body, `touchprobe_step_budget_seconds{brand="nordlys",journey="checkout",location="demo",profile="phone",step="landing",touchpoint="landing"} 7`) {
		t.Error("/metrics lacks the phone's own landing budget")
	}
	for _, p := range []string{"desktop", "phone"} {
		for _, want := range []string{
			`touchprobe_journey_runs_total{brand="nordlys",journey="checkout",location="demo",profile="` + p + `",result="success"} 1`,
			`touchprobe_step_success{brand="nordlys",journey="checkout",location="demo",profile="` + p + `",step="landing",touchpoint="landing"} 1`,
		} {
			if !strings.Contains(body, want) {
				t.Errorf("/metrics lacks %s", want)
			}
		}
	}
	if _, page := h.get("/"); !strings.Contains(page, "profile phone") || !strings.Contains(page, "runs/"+got["phone"].RunID) || !strings.Contains(page, "runs/"+got["desktop"].RunID) {
		t.Error("the status page does not show each profile's last run")
	}
	if _, page := h.get("/journeys/checkout/runs/" + got["phone"].RunID); !strings.Contains(page, `profile <strong class="profile">phone</strong>`) {
		t.Error("the phone run's page does not name its profile")
	}
	if logs := h.logs.String(); !strings.Contains(logs, "profile=phone") {
		t.Error("the logs do not name the phone profile")
	}
}

// A run's result is handed over (OnResult, the runs store, /metrics) only
// once the run has left the scheduler, so that whoever sees it can start
// the next run at once. A RunNow that found the run still in flight was
// refused, and no run came: the next of an hourly journey an hour later.
// Without a browser every run ends at once.
func TestResultIsHandedOverOnceTheRunIsOver(t *testing.T) {
	t.Parallel()
	load, _ := fileLoader(t, twoJourneys)
	type handOff struct {
		running  []string
		accepted bool // a RunNow of the journey, as its result was seen
	}
	var sched atomic.Pointer[scheduler.Scheduler]
	seen := make(chan handOff, 10)
	var first sync.Once
	r := serve(t, agent.Options{Load: load, BrowserPath: "/bin/false",
		OnResult: func(res *probes.Result) {
			first.Do(func() {
				s := sched.Load()
				seen <- handOff{running: s.Running(), accepted: s.RunNow(res.Journey)}
			})
		}})
	sched.Store(r.Scheduler())
	if !r.Scheduler().RunNow("kept") {
		t.Fatal("RunNow(kept) refused on an idle agent")
	}
	var h handOff
	select {
	case h = <-seen:
	case <-time.After(time.Minute):
		t.Fatal("no run of kept within a minute")
	}
	if len(h.running) > 0 || !h.accepted {
		t.Errorf("as the result was handed over, running %q and RunNow accepted: %v; want none running and the next run started", h.running, h.accepted)
	}
	if h.accepted {
		testutil.WaitFor(t, time.Minute, "the second run of kept", func() bool { return len(r.Results()) >= 2 })
	}
}
