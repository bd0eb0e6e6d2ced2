package web

import (
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/touchprobe/touchprobe/config"
	"github.com/touchprobe/touchprobe/internal/evidence"
	"github.com/touchprobe/touchprobe/internal/metrics"
	"github.com/touchprobe/touchprobe/internal/runs"
	"github.com/touchprobe/touchprobe/probes"
)

// Journey names a browser, an alert link and a file system must all cope
// with.
const (
	plainJourney   = "checkout"
	spacedJourney  = "Checkout EU/NO & more"
	hostileJourney = `<script>alert("name")</script>`

	failedRun = "a1b2c3d4e5f6"
	slowRun   = "0f0e0d0c0b0a"
	okRun     = "00aa11bb22cc"
	mobileRun = "0123456789ab"

	// The secret the fixture configuration fills in; the pages must never
	// show it.
	fixtureSecret = "hunter2-secret-value"
)

const fixtureConfig = `
[agent]
location = "oslo"

[[journey]]
name = "checkout"
schedule = "@every 1m"
profiles = ["desktop", "mobile-4g"]

  [[journey.step]]
  name = "landing"
  touchpoint = "landing"
  action = "navigate"
  url = "http://127.0.0.1:1/?token=${env:TOUCHPROBE_WEB_TEST_SECRET}"

[[journey]]
name = "Checkout EU/NO & more"
schedule = "@every 1m"

  [[journey.step]]
  name = "landing"
  action = "navigate"
  url = "http://127.0.0.1:1/"

[[journey]]
name = '<script>alert("name")</script>'
schedule = "@every 1m"

  [[journey.step]]
  name = "landing"
  action = "navigate"
  url = "http://127.0.0.1:1/"
`

// fixture is a configuration, a store of results and a run folder copied
// from testdata/evidence, as the agent would hand them to New.
type fixture struct {
	deps   Deps
	runDir string
	store  *runs.Store
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	t.Setenv("TOUCHPROBE_WEB_TEST_SECRET", fixtureSecret)
	cfg, err := config.Parse([]byte(fixtureConfig), "fixture.toml")
	if err != nil {
		t.Fatalf("fixture configuration: %v", err)
	}
	runDir := filepath.Join(t.TempDir(), "checkout", failedRun)
	if err := os.MkdirAll(runDir, 0o755); err != nil {
		t.Fatal(err)
	}
	// The failed run's evidence: every file a run keeps.
	files := []string{evidence.ScreenshotFile, evidence.HTMLFile, evidence.ConsoleFile, evidence.HARFile, evidence.RunFile}
	for _, name := range files {
		copyFile(t, filepath.Join("testdata", "evidence", name), filepath.Join(runDir, name))
	}
	// The secret as a page would leak it, in a console message the
	// capture missed masking.
	f, err := os.OpenFile(filepath.Join(runDir, evidence.ConsoleFile), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(f)
	data = append(data[:len(data)-2], []byte(`,{"time":"2026-11-23T10:00:06Z","level":"error","text":"token `+fixtureSecret+` rejected","step":"checkout"}]`)...)
	f.Truncate(0)
	f.WriteAt(data, 0)
	f.Close()

	store := runs.New(50)
	start := time.Now().Add(-10 * time.Minute)
	steps := func(checkout probes.StepResult) []probes.StepResult {
		return []probes.StepResult{
			{Index: 0, Name: "landing", Touchpoint: "landing", Action: "navigate", Status: probes.StepOK, Duration: 420 * time.Millisecond, Budget: 3 * time.Second,
				Page: &probes.PageMetrics{URL: "http://127.0.0.1:40501/", Status: 200, TTFB: 12 * time.Millisecond, DOMContentLoaded: 80 * time.Millisecond, Load: 300 * time.Millisecond, FCP: 120 * time.Millisecond, LCP: 260 * time.Millisecond, CLS: 0.012, TransferBytes: 48213, Requests: 19}},
			{Index: 1, Name: "product page", Touchpoint: "product", Action: "click", Status: probes.StepOK, Duration: 4100 * time.Millisecond, Budget: 3 * time.Second,
				Page: &probes.PageMetrics{URL: "http://127.0.0.1:40501/product/3", Status: 200, TTFB: 4020 * time.Millisecond, Load: 4090 * time.Millisecond},
				Interaction: &probes.InteractionMetrics{Interactions: 1, INP: 344 * time.Millisecond, TBT: 268 * time.Millisecond, LongFrames: []probes.LongFrame{{Duration: 330 * time.Millisecond, Blocking: 268 * time.Millisecond,
					Scripts: []probes.FrameScript{{URL: "http://127.0.0.1:40501/static/<recs>.js", Function: "showRecommendations", Invoker: "A#product-3.onclick", Duration: 312 * time.Millisecond}}}}}},
			checkout,
			{Index: 3, Name: "payment", Touchpoint: "checkout", Action: "fill", Status: probes.StepNotRun, Budget: 3 * time.Second},
		}
	}
	for i := range 8 {
		store.Add(&probes.Result{Journey: plainJourney, Profile: "desktop", RunID: "older" + string(rune('a'+i)), Start: start.Add(time.Duration(i) * time.Minute), Duration: time.Duration(2+i%3) * time.Second, Status: probes.StatusSuccess,
			Steps: steps(probes.StepResult{Index: 2, Name: "checkout", Touchpoint: "checkout", Action: "navigate", Status: probes.StepOK, Duration: time.Second, Budget: 3 * time.Second})})
	}
	store.Add(&probes.Result{Journey: plainJourney, Profile: "desktop", RunID: slowRun, Start: start.Add(8 * time.Minute), Duration: 5 * time.Second, Status: probes.StatusSuccess,
		Steps:    steps(probes.StepResult{Index: 2, Name: "checkout", Touchpoint: "checkout", Action: "navigate", Status: probes.StepOK, Duration: time.Second, Budget: 3 * time.Second}),
		Evidence: &probes.Evidence{Dir: filepath.Join(t.TempDir(), "expired"), Step: 1, Files: []string{evidence.ScreenshotFile, evidence.HARFile}}})
	store.Add(&probes.Result{Journey: plainJourney, Profile: "desktop", RunID: failedRun, Start: start.Add(9 * time.Minute), Duration: 7 * time.Second, Status: probes.StatusFailure,
		Reason: probes.ReasonHTTPStatus, FailedStep: "checkout", Message: `GET http://127.0.0.1:40501/checkout answered 500 Internal Server Error <b>bold</b>`,
		Steps: steps(probes.StepResult{Index: 2, Name: "checkout", Touchpoint: "checkout", Action: "navigate", Status: probes.StepFailed, Duration: 95 * time.Millisecond, Budget: 3 * time.Second,
			Reason: probes.ReasonHTTPStatus, Message: `GET http://127.0.0.1:40501/checkout answered 500 Internal Server Error <b>bold</b>`}),
		Evidence: &probes.Evidence{Dir: runDir, Step: 2, Files: files}})
	// The same journey on a phone: slower, and its own history.
	store.Add(&probes.Result{Journey: plainJourney, Profile: "mobile-4g", RunID: mobileRun, Start: start.Add(9*time.Minute + 30*time.Second), Duration: 9 * time.Second, Status: probes.StatusSuccess,
		Steps: []probes.StepResult{{Index: 0, Name: "landing", Touchpoint: "landing", Action: "navigate", Status: probes.StepOK, Duration: 2345 * time.Millisecond, Budget: 5 * time.Second}}})
	store.Add(&probes.Result{Journey: spacedJourney, Profile: "desktop", RunID: okRun, Start: start, Duration: time.Second, Status: probes.StatusSuccess,
		Steps: []probes.StepResult{{Name: "landing", Status: probes.StepOK, Duration: time.Second, Budget: 3 * time.Second}}})
	store.Add(&probes.Result{Journey: hostileJourney, Profile: "desktop", RunID: okRun, Start: start, Duration: time.Second, Status: probes.StatusFailure,
		Reason: probes.ReasonAssertion, FailedStep: `<img src=x onerror="alert('step')">`, Message: `expected "<script>alert('want')</script>", got "<i>x</i>"`,
		Steps: []probes.StepResult{{Name: `<img src=x onerror="alert('step')">`, Status: probes.StepFailed, Duration: time.Second, Budget: 3 * time.Second, Reason: probes.ReasonAssertion,
			Message: `expected "<script>alert('want')</script>", got "<i>x</i>"`}}})

	return &fixture{
		runDir: runDir,
		store:  store,
		deps: Deps{
			Metrics:     metrics.Handler(metrics.New(), nil),
			Runs:        store,
			Config:      func() *config.Config { return cfg },
			Ready:       func() bool { return true },
			Reload:      func() ReloadResult { return ReloadResult{} },
			ExternalURL: "http://probe-1.example:9747",
		},
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o644); err != nil {
		t.Fatal(err)
	}
}
