package probes_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/touchprobe/touchprobe/config"
	"github.com/touchprobe/touchprobe/internal/browser"
	"github.com/touchprobe/touchprobe/internal/demoshop"
	"github.com/touchprobe/touchprobe/internal/testutil"
	"github.com/touchprobe/touchprobe/internal/testutil/chromiumtest"
	"github.com/touchprobe/touchprobe/probes"
)

// One browser serves the whole package, as one serves the whole agent.
// Tests that mostly wait (on hung pages, timeouts) and assert nothing a
// loaded machine could change call t.Parallel; the tests that judge a
// step's time, or kill the browser, run alone before them.
var shared *browser.Manager

func TestMain(m *testing.M) {
	path := chromiumtest.ForTestMain()
	dir, err := os.MkdirTemp("", "tp-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	shared, err = browser.New(browser.Options{Path: path, Dir: dir})
	if err != nil {
		fmt.Fprintf(os.Stderr, "the end-to-end tests drive a real Chromium: %v\n", err)
		os.Exit(1)
	}
	code := m.Run()

	pgid := shared.PGID()
	shared.Close()
	if pgid != 0 {
		if left := browser.GroupPIDs(pgid); len(left) > 0 {
			fmt.Fprintf(os.Stderr, "Chromium processes left after Close: %v\n", left)
			code = 1
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) > 0 {
		fmt.Fprintf(os.Stderr, "browser files left after Close: %d entries\n", len(entries))
		code = 1
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

func startShop(t *testing.T, opts demoshop.Options) *demoshop.Shop {
	t.Helper()
	shop, err := demoshop.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { shop.Close() })
	return shop
}

func parse(t *testing.T, text string) *config.Config {
	t.Helper()
	cfg, err := config.Parse([]byte(text), t.Name()+".toml")
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	return cfg
}

func testLogger(t *testing.T) *slog.Logger { return testutil.Logger(t, slog.LevelDebug) }

func runJourney(t *testing.T, cfg *config.Config, name string) *probes.Result {
	t.Helper()
	r, _ := runProbe(t, cfg, name, false)
	return r
}

// runProbe runs a journey of cfg in the shared browser within the journey's
// timeout, keeping evidence in memory if asked to.
func runProbe(t *testing.T, cfg *config.Config, name string, capturing bool) (*probes.Result, *kept) {
	t.Helper()
	return prepareRun(t, shared, cfg, name, capturing)()
}

// prepareRun looks journey name up in cfg, failing the test if there is
// none, and returns its run in b within the journey's timeout. The run
// never fails the test, so that a goroutine other than the test's may do
// it while the test waits for its result.
func prepareRun(t *testing.T, b probes.Browser, cfg *config.Config, name string, capturing bool) func() (*probes.Result, *kept) {
	t.Helper()
	j := cfg.Journey(name)
	if j == nil {
		t.Fatalf("no journey %q", name)
	}
	p := &probes.Prober{Browser: b, Logger: testLogger(t)}
	return func() (*probes.Result, *kept) {
		ctx, cancel := context.WithTimeout(context.Background(), j.Timeout.Duration)
		defer cancel()
		return runKeeping(ctx, p, j, cfg.Secrets(), capturing)
	}
}

// runKeeping runs j with p; when capturing, it keeps the run's evidence in
// memory and returns what was kept, nil if nothing was.
func runKeeping(ctx context.Context, p *probes.Prober, j *config.Journey, secrets *config.Secrets, capturing bool) (*probes.Result, *kept) {
	// The journey's first profile; the built-in ones are found without
	// the configuration.
	profile := (*config.Config)(nil).JourneyProfiles(j)[0]
	if !capturing {
		return p.Run(ctx, j, profile, secrets, nil), nil
	}
	mk := &memKeeper{}
	r := p.Run(ctx, j, profile, secrets, mk)
	if r.Evidence == nil {
		return r, nil
	}
	f := mk.files
	return r, &kept{Step: r.Evidence.Step, Screenshot: f[probes.ScreenshotFile], HTML: f[probes.HTMLFile],
		Console: f[probes.ConsoleFile], HAR: f[probes.HARFile], files: f}
}

// kept is the evidence of one run, as its keeper received it.
type kept struct {
	Step                           int
	Screenshot, HTML, Console, HAR []byte
	files                          map[string][]byte
}

func (k *kept) Files() map[string][]byte { return k.files }

// memKeeper keeps the evidence of one run in memory.
type memKeeper struct {
	files map[string][]byte
}

func (m *memKeeper) Write(journey, runID string, files map[string][]byte) (string, []string, error) {
	m.files = files
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	slices.Sort(names)
	return "memory/" + runID, names, nil
}

func step(t *testing.T, r *probes.Result, name string) probes.StepResult {
	t.Helper()
	for _, s := range r.Steps {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("run has no step %q", name)
	return probes.StepResult{}
}

func describe(r *probes.Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s %s %q\n", r.Status, r.FailedStep, r.Reason, r.Message)
	for _, s := range r.Steps {
		fmt.Fprintf(&b, "  %-18s %-8s %7.3fs %s %s\n", s.Name, s.Status, s.Duration.Seconds(), s.Reason, s.Message)
	}
	return b.String()
}

func TestDemoJourneySucceeds(t *testing.T) {
	shop := startShop(t, demoshop.Options{})
	cfg := parse(t, shop.Journey("@every 1m"))
	r := runJourney(t, cfg, "checkout")
	if r.Status != probes.StatusSuccess {
		t.Fatalf("demo journey did not succeed:\n%s", describe(r))
	}
	for _, s := range r.Steps {
		if s.Status != probes.StepOK {
			t.Errorf("step %q: status %s, want ok (consent banner shows in every fresh context)", s.Name, s.Status)
		}
		if s.Duration <= 0 {
			t.Errorf("step %q: duration %v, want > 0", s.Name, s.Duration)
		}
	}
	landing := step(t, r, "landing")
	if landing.Page == nil {
		t.Fatal("landing step has no page timings")
	}
	p := landing.Page
	if p.TTFB <= 0 || p.FCP <= 0 || p.LCP <= 0 || p.Load <= 0 || p.DOMContentLoaded <= 0 {
		t.Errorf("landing page timings incomplete: %+v", *p)
	}
	if p.Requests < 2 || p.TransferBytes <= 0 {
		t.Errorf("landing page: %d requests, %d bytes; want the document, the hero image and the product API", p.Requests, p.TransferBytes)
	}
	if p.Status != 200 {
		t.Errorf("landing page status %d, want 200", p.Status)
	}
	if chat := step(t, r, "chat reply"); chat.Duration < demoshop.DefaultChatDelay {
		t.Errorf("chat reply took %v, less than the shop's reply delay %v: the reply was not waited for", chat.Duration, demoshop.DefaultChatDelay)
	}
	// A click that navigates lands on a page with timings of its own.
	if pp := step(t, r, "product page").Page; pp == nil || !strings.Contains(pp.URL, "/product/") {
		t.Errorf("product page step: page %+v, want the product page's timings", pp)
	}
	if ab := step(t, r, "add to basket"); ab.Page != nil {
		t.Errorf("add to basket does not navigate, but got page timings for %s", ab.Page.URL)
	}
}

// The reference configuration from the README, pointed at the demo shop,
// must work as written.
func TestExampleConfigWorksAsWritten(t *testing.T) {
	t.Setenv("CHECKOUT_EMAIL", "synthetic.shopper@example.com")
	shop := startShop(t, demoshop.Options{})
	cfg := parse(t, strings.Replace(shop.ExampleConfig(), `artifacts_dir = "/var/lib/touchprobe"`, `artifacts_dir = "`+t.TempDir()+`"`, 1))
	r := runJourney(t, cfg, "storefront")
	if r.Status != probes.StatusSuccess {
		t.Fatalf("reference journey did not succeed:\n%s", describe(r))
	}
}

func TestStepTimeFollowsInjectedDelay(t *testing.T) {
	shop := startShop(t, demoshop.Options{})
	cfg := parse(t, shop.Journey("@every 1m"))
	base := runJourney(t, cfg, "checkout")
	if base.Status != probes.StatusSuccess {
		t.Fatalf("baseline run failed:\n%s", describe(base))
	}
	// Some pages of the shop serve two steps: "basket" is both the basket
	// API and the basket page, "checkout" both the checkout page and the
	// delivery form's submission.
	// Long enough that a neighbouring step slowed by the machine (another
	// suite restarting its browser beside this one) does not reach it.
	const delay = 3 * time.Second
	cases := []struct {
		page   string
		slowed []string
	}{
		{"product", []string{"product page"}},
		{"basket", []string{"add to basket", "basket"}},
		{"checkout", []string{"checkout", "delivery details"}},
		{"chat", []string{"chat reply"}},
	}
	for _, tc := range cases {
		t.Run(tc.page, func(t *testing.T) {
			if err := shop.SetSlow(tc.page, delay); err != nil {
				t.Fatal(err)
			}
			defer shop.SetSlow(tc.page, 0)
			r := runJourney(t, cfg, "checkout")
			if r.Status != probes.StatusSuccess {
				t.Fatalf("slowed run failed:\n%s", describe(r))
			}
			first, last := len(r.Steps), -1
			for _, name := range tc.slowed {
				s := step(t, r, name)
				first, last = min(first, s.Index), max(last, s.Index)
				// The slowed step waited for the delay ...
				if s.Duration < delay {
					t.Errorf("step %q took %v with %v injected: it did not wait for the slow response", name, s.Duration, delay)
				}
				// ... and did not run on into a timeout.
				if limit := delay + 8*time.Second; s.Duration > limit {
					t.Errorf("step %q took %v with %v injected: more than %v means it measured something else", name, s.Duration, delay, limit)
				}
			}
			// The steps around them did not absorb the delay.
			for _, i := range []int{first - 1, last + 1} {
				if i < 0 || i >= len(r.Steps) {
					continue
				}
				if n := r.Steps[i]; n.Duration >= delay {
					t.Errorf("step %q, next to the slowed steps %q, took %v (baseline %v): the delay was charged to the wrong step",
						n.Name, tc.slowed, n.Duration, base.Steps[i].Duration)
				}
			}
		})
	}
}

func TestSlowPageIsOverBudget(t *testing.T) {
	shop := startShop(t, demoshop.Options{Slow: map[string]time.Duration{"product": 2500 * time.Millisecond}})
	t.Setenv("CHECKOUT_EMAIL", "synthetic.shopper@example.com")
	cfg := parse(t, strings.Replace(shop.ExampleConfig(), `artifacts_dir = "/var/lib/touchprobe"`, `artifacts_dir = "`+t.TempDir()+`"`, 1))
	r := runJourney(t, cfg, "storefront")
	if r.Status != probes.StatusSuccess {
		t.Fatalf("a slow page is not a failure:\n%s", describe(r))
	}
	pp := step(t, r, "product page")
	if !pp.OverBudget() || pp.Budget != 2*time.Second {
		t.Errorf("product page: %v against budget %v, over budget %v; want over its 2s budget", pp.Duration, pp.Budget, pp.OverBudget())
	}
	if !r.OverBudget() {
		t.Error("run not marked over budget")
	}
	if lp := step(t, r, "landing"); lp.OverBudget() {
		t.Errorf("landing was not slowed but is over budget: %v", lp.Duration)
	}
}

func TestBrokenCheckoutFails(t *testing.T) {
	shop := startShop(t, demoshop.Options{Fail: map[string]bool{"checkout": true}})
	cfg := parse(t, shop.Journey("@every 1m"))
	r := runJourney(t, cfg, "checkout")
	if r.Status != probes.StatusFailure || r.Reason != probes.ReasonHTTPStatus || r.FailedStep != "checkout" {
		t.Fatalf("want failure at step checkout with reason http_status:\n%s", describe(r))
	}
	if !strings.Contains(r.Message, "500") {
		t.Errorf("message %q does not name the status", r.Message)
	}
	sawNotRun := false
	for _, s := range r.Steps {
		if s.Status == probes.StepNotRun {
			sawNotRun = true
		}
	}
	if !sawNotRun {
		t.Error("steps after the failure should be not_run")
	}
}

func TestCookiesDoNotLeakBetweenRuns(t *testing.T) {
	t.Parallel()
	shop := startShop(t, demoshop.Options{})
	cfg := parse(t, shop.Journey("@every 1m"))
	for i := range 2 {
		r := runJourney(t, cfg, "checkout")
		if r.Status != probes.StatusSuccess {
			t.Fatalf("run %d failed (a basket of 2 or a missing consent banner means state leaked):\n%s", i+1, describe(r))
		}
		if s := step(t, r, "accept cookies"); s.Status != probes.StepOK {
			t.Errorf("run %d: consent banner step %s; a fresh context must show the banner", i+1, s.Status)
		}
	}
}

func TestFailureReasons(t *testing.T) {
	t.Parallel()
	shop := startShop(t, demoshop.Options{})
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refusedURL := "http://" + closed.Addr().String() + "/"
	closed.Close()

	cases := []struct {
		name   string
		steps  string
		reason probes.Reason
		msg    string
	}{
		{"missing selector", `
  [[journey.step]]
  name = "landing"
  action = "navigate"
  url = "` + shop.URL() + `"
  [[journey.step]]
  name = "ghost button"
  action = "click"
  selector = "#no-such-button"
  timeout = "2s"`, probes.ReasonSelector, `no element matches "#no-such-button"`},
		{"assertion", `
  [[journey.step]]
  name = "landing"
  action = "navigate"
  url = "` + shop.URL() + `"
  [[journey.step]]
  name = "count"
  action = "assert"
  selector = "#basket-count"
  text = "42"
  timeout = "2s"`, probes.ReasonAssertion, `expected "42", got "0"`},
		{"http status", `
  [[journey.step]]
  name = "missing page"
  action = "navigate"
  url = "` + shop.URL() + `no-such-page"`, probes.ReasonHTTPStatus, "404"},
		{"connection refused", `
  [[journey.step]]
  name = "down"
  action = "navigate"
  url = "` + refusedURL + `"`, probes.ReasonConnRefused, "ERR_CONNECTION_REFUSED"},
		{"missing frame", `
  [[journey.step]]
  name = "landing"
  action = "navigate"
  url = "` + shop.URL() + `"
  [[journey.step]]
  name = "chat"
  action = "chat"
  frame = "iframe#no-such-frame"
  input = "#message"
  message = "hello"
  reply = "p.reply"
  timeout = "2s"`, probes.ReasonFrame, `iframe "iframe#no-such-frame"`},
		{"url assertion", `
  [[journey.step]]
  name = "landing"
  action = "navigate"
  url = "` + shop.URL() + `"
  [[journey.step]]
  name = "where"
  action = "assert"
  url_matches = "/confirmation$"
  timeout = "1s"`, probes.ReasonAssertion, "page URL"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := parse(t, "[[journey]]\nname = \"j\"\ntimeout = \"30s\"\n"+tc.steps+"\n")
			r := runJourney(t, cfg, "j")
			if r.Status != probes.StatusFailure || r.Reason != tc.reason {
				t.Fatalf("want failure with reason %s:\n%s", tc.reason, describe(r))
			}
			if !strings.Contains(r.Message, tc.msg) {
				t.Errorf("message %q does not contain %q", r.Message, tc.msg)
			}
		})
	}
}

func TestSecretsAreMaskedInMessages(t *testing.T) {
	shop := startShop(t, demoshop.Options{})
	t.Setenv("SHOP_TOKEN", "s3cr3t-t0ken-value")
	cfg := parse(t, `[[journey]]
name = "j"
  [[journey.step]]
  name = "private page"
  action = "navigate"
  url = "`+shop.URL()+`no-such-page?token=${env:SHOP_TOKEN}"
`)
	r := runJourney(t, cfg, "j")
	if r.Status != probes.StatusFailure {
		t.Fatalf("want a failure:\n%s", describe(r))
	}
	if strings.Contains(describe(r), "s3cr3t") {
		t.Fatalf("secret leaked into the result:\n%s", describe(r))
	}
	if s := step(t, r, "private page"); s.Page != nil && strings.Contains(s.Page.URL, "s3cr3t") {
		t.Fatalf("secret leaked into the page URL %q", s.Page.URL)
	}
}

func TestBrowserCrashMidRunIsAnErrorAndTheNextRunSucceeds(t *testing.T) {
	shop := startShop(t, demoshop.Options{Slow: map[string]time.Duration{"product": 3 * time.Second}})
	cfg := parse(t, shop.Journey("@every 1m"))
	if err := shared.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	oldGroup := shared.PGID()

	run := prepareRun(t, shared, cfg, "checkout", false)
	done := make(chan *probes.Result, 1)
	go func() {
		r, _ := run()
		done <- r
	}()
	// Kill once the run is waiting on the slowed product page. Not
	// testutil.WaitFor: the run must end before the test may.
	deadline := time.Now().Add(20 * time.Second)
	for shop.Requests("product") == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if shop.Requests("product") == 0 {
		t.Error("the run did not reach the slowed product page within 20s")
	}
	if err := shared.Kill(); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.Status != probes.StatusError || r.Reason != probes.ReasonBrowserCrash {
		t.Fatalf("want status error with reason browser_crash:\n%s", describe(r))
	}

	shop.SetSlow("product", 0)
	next := runJourney(t, cfg, "checkout")
	if next.Status != probes.StatusSuccess {
		t.Fatalf("the run after a crash must succeed on a new browser:\n%s", describe(next))
	}
	if left := browser.GroupPIDs(oldGroup); len(left) > 0 {
		t.Errorf("processes of the dead browser left: %v", left)
	}
	if shared.PGID() == oldGroup {
		t.Error("browser was not restarted")
	}
}
