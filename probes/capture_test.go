package probes_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/touchprobe/touchprobe/config"
	"github.com/touchprobe/touchprobe/internal/demoshop"
	"github.com/touchprobe/touchprobe/probes"
)

var pngMagic = []byte("\x89PNG\r\n\x1a\n")

func runCapturing(t *testing.T, cfg *config.Config, name string) (*probes.Result, *kept) {
	t.Helper()
	return runProbe(t, cfg, name, true)
}

// shortTimeouts makes the demo journey fail within seconds rather than
// the default step timeout.
func shortTimeouts(text string) string {
	return strings.Replace(text, `default_step_timeout = "20s"`, `default_step_timeout = "8s"`, 1)
}

func TestPassingRunKeepsNoEvidence(t *testing.T) {
	shop := startShop(t, demoshop.Options{})
	// Every step's budget is its timeout: a step that passes is within
	// budget however loaded the machine, so the test always asserts.
	cfg := parse(t, strings.Replace(shop.Journey("@every 1m"), `default_budget = "3s"`, `default_budget = "20s"`, 1))
	r, c := runCapturing(t, cfg, "checkout")
	if r.Status != probes.StatusSuccess || r.OverBudget() {
		t.Fatalf("the run did not pass within budget:\n%s", describe(r))
	}
	if c != nil {
		t.Errorf("a passing run captured evidence: step %d, %d bytes of screenshot", c.Step, len(c.Screenshot))
	}
}

func TestSlowRunKeepsTheSlowStepAndItsRequest(t *testing.T) {
	const delay = 4 * time.Second
	shop := startShop(t, demoshop.Options{Slow: map[string]time.Duration{"product": delay}})
	cfg := parse(t, shop.Journey("@every 1m"))
	r, c := runCapturing(t, cfg, "checkout")
	if r.Status != probes.StatusSuccess {
		t.Fatalf("slowed run failed:\n%s", describe(r))
	}
	product := step(t, r, "product page")
	if !product.OverBudget() {
		t.Fatalf("product page not over budget:\n%s", describe(r))
	}
	if c == nil {
		t.Fatal("a run over budget captured no evidence")
	}
	if c.Step != product.Index {
		t.Errorf("evidence shows step %d, want the slow product page (%d)", c.Step, product.Index)
	}
	if !bytes.HasPrefix(c.Screenshot, pngMagic) {
		t.Errorf("screenshot is not a PNG (%d bytes)", len(c.Screenshot))
	}
	if !bytes.Contains(c.HTML, []byte(`id="add-to-basket"`)) {
		t.Errorf("page HTML is not the product page:\n%.500s", c.HTML)
	}
	var console []probes.ConsoleEntry
	if err := json.Unmarshal(c.Console, &console); err != nil {
		t.Errorf("console.json: %v", err)
	}

	har := checkHAR(t, c.HAR)
	var found bool
	for _, e := range har.Log.Entries {
		if e.Request.Method == "GET" && strings.Contains(e.Request.URL, "/product/") && e.ResourceType == "document" {
			found = true
			if e.Response.Status != 200 {
				t.Errorf("product page entry: status %d, want 200", e.Response.Status)
			}
			// Chromium stamps the end of sending when its network thread
			// learns that the request was written, which on a loaded
			// machine can come tens of milliseconds after the shop got
			// it and began its delay.
			const stampLate = 100 * time.Millisecond
			if e.Timings.Wait < float64((delay - stampLate).Milliseconds()) {
				t.Errorf("product page entry: wait %.0fms, want the injected delay %v (less at most %v)", e.Timings.Wait, delay, stampLate)
			}
			if e.Pageref != fmt.Sprintf("step_%d", product.Index+1) {
				t.Errorf("product page entry belongs to page %q, want the product page step's", e.Pageref)
			}
			if e.Response.Content.Size <= 0 || e.Response.TransferSize <= 0 {
				t.Errorf("product page entry: content size %d, transfer size %d; want both > 0", e.Response.Content.Size, e.Response.TransferSize)
			}
		}
	}
	if !found {
		t.Errorf("HAR has no entry for the product page among %d entries", len(har.Log.Entries))
	}
	// The chat widget is another origin, in a renderer of its own: its
	// reply request is recorded too.
	var chat bool
	for _, e := range har.Log.Entries {
		chat = chat || strings.Contains(e.Request.URL, "/api/reply")
	}
	if !chat {
		t.Error("HAR has no entry for the chat widget's reply request")
	}
}

func TestFailingRunKeepsTheFailingPage(t *testing.T) {
	t.Parallel()
	shop := startShop(t, demoshop.Options{Fail: map[string]bool{"checkout": true}})
	cfg := parse(t, shortTimeouts(shop.Journey("@every 1m")))
	r, c := runCapturing(t, cfg, "checkout")
	if r.Status != probes.StatusFailure || r.FailedStep != "checkout" {
		t.Fatalf("want a failure at checkout:\n%s", describe(r))
	}
	if c == nil {
		t.Fatal("a failed run captured no evidence")
	}
	if c.Step != step(t, r, "checkout").Index {
		t.Errorf("evidence shows step %d, want the failing checkout step", c.Step)
	}
	if !bytes.HasPrefix(c.Screenshot, pngMagic) {
		t.Errorf("screenshot is not a PNG (%d bytes)", len(c.Screenshot))
	}
	if len(c.HTML) == 0 {
		t.Error("no page HTML")
	}
	var console []probes.ConsoleEntry
	if err := json.Unmarshal(c.Console, &console); err != nil {
		t.Fatalf("console.json: %v", err)
	}
	var logged bool
	for _, e := range console {
		logged = logged || e.Level == "error" && strings.Contains(e.Text, "500") && e.Step == "checkout"
	}
	if !logged {
		t.Errorf("console has no error about the 500 of the checkout step: %+v", console)
	}
	har := checkHAR(t, c.HAR)
	var found bool
	for _, e := range har.Log.Entries {
		found = found || strings.HasSuffix(e.Request.URL, "/checkout") && e.Response.Status == 500
	}
	if !found {
		t.Error("HAR has no entry for the checkout's 500")
	}
}

// The reasons name what broke: the selector and its frame, the expected and
// the shown text, the HTTP status with method and URL, and a request that
// failed before an element went missing.
func TestFailureReasonsAreSpecific(t *testing.T) {
	// Reasons, not times, are asserted: it waits beside other tests.
	t.Parallel()
	shop := startShop(t, demoshop.Options{})
	base := shortTimeouts(shop.Journey("@every 1m"))
	cases := []struct {
		name, fail, step string
		reason           probes.Reason
		want             []string
		edit             func(string) string
	}{
		{
			name: "API behind a missing element", fail: "products", step: "product page", reason: probes.ReasonSelector,
			want: []string{`no element matches "a.product-link"`, `a request failed in step "landing": GET ` + shop.URL() + "api/products answered HTTP 500 Internal Server Error"},
		},
		{
			name: "page status", fail: "checkout", step: "checkout", reason: probes.ReasonHTTPStatus,
			want: []string{"GET " + shop.URL() + "checkout answered HTTP 500 Internal Server Error"},
		},
		{
			name: "chat frame", fail: "chat", step: "chat reply", reason: probes.ReasonTimeout,
			want: []string{`no reply "p.reply" appeared in the chat widget "iframe#chat-frame"`},
		},
		{
			name: "assertion", step: "confirmation", reason: probes.ReasonAssertion,
			edit: func(s string) string { return strings.Replace(s, `text = "TP-"`, `text = "ORDER-"`, 1) },
			want: []string{`text of "#order-number": expected "ORDER-", got "TP-`},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.fail != "" {
				if err := shop.SetFail(tc.fail, true); err != nil {
					t.Fatal(err)
				}
				defer shop.SetFail(tc.fail, false)
			}
			text := base
			if tc.edit != nil {
				text = tc.edit(text)
			}
			r := runJourney(t, parse(t, text), "checkout")
			if r.FailedStep != tc.step || r.Reason != tc.reason {
				t.Fatalf("want %s at %q:\n%s", tc.reason, tc.step, describe(r))
			}
			for _, w := range tc.want {
				if !strings.Contains(r.Message, w) {
					t.Errorf("message %q\ndoes not contain %q", r.Message, w)
				}
			}
		})
	}
}

// A secret goes into a URL and into a field that is still on screen when
// the run fails: no file of the evidence holds it, raw or URL-encoded, and
// the field shows dots in the screenshot.
func TestEvidenceMasksSecrets(t *testing.T) {
	const secret = "agent.k@example.net"
	t.Setenv("TP_TEST_SECRET", secret)
	shop := startShop(t, demoshop.Options{})
	text := shortTimeouts(shop.Journey("@every 1m"))
	text = strings.Replace(text, `url = "`+shop.URL()+`"`, `url = "`+shop.URL()+`?ref=${env:TP_TEST_SECRET}"`, 1)
	// After the checkout page: type the secret and stop, failing on an
	// element that never comes.
	text = strings.Replace(text, `  [[journey.step]]
  name = "delivery details"`, `  [[journey.step]]
  name = "type email"
  action = "fill"
  fields = { "#email" = "${env:TP_TEST_SECRET}" }

  [[journey.step]]
  name = "never"
  action = "wait"
  selector = "#no-such-thing"
  timeout = "2s"

  [[journey.step]]
  name = "delivery details"`, 1)
	cfg := parse(t, text)
	r, c := runCapturing(t, cfg, "checkout")
	if r.FailedStep != "never" || r.Reason != probes.ReasonSelector {
		t.Fatalf("want a selector failure at the step after typing:\n%s", describe(r))
	}
	if c == nil || len(c.Screenshot) == 0 || len(c.HTML) == 0 {
		t.Fatal("no screenshot or HTML captured")
	}
	// The field was turned into dots at capture time.
	if !bytes.Contains(c.HTML, []byte(`data-touchprobe-masked="secret"`)) || !bytes.Contains(c.HTML, []byte("-webkit-text-security: disc")) {
		t.Errorf("the email field was not masked when the page was captured")
	}
	har := checkHAR(t, c.HAR)
	if !strings.Contains(har.Log.Entries[0].Request.URL, "ref="+config.Masked) && !strings.Contains(har.Log.Entries[0].Request.URL, "ref="+url.QueryEscape(config.Masked)) {
		t.Errorf("first request's URL %q does not show the secret masked", har.Log.Entries[0].Request.URL)
	}
	for name, b := range c.Files() {
		for _, form := range []string{secret, url.QueryEscape(secret), url.PathEscape(secret)} {
			if bytes.Contains(b, []byte(form)) {
				t.Errorf("%s holds the secret as %q", name, form)
			}
		}
	}
	for _, h := range []string{"cookie", "set-cookie"} {
		for _, e := range har.Log.Entries {
			for _, hv := range append(e.Request.Headers, e.Response.Headers...) {
				if strings.EqualFold(hv.Name, h) && hv.Value != "<redacted>" {
					t.Errorf("%s header not redacted: %q", hv.Name, hv.Value)
				}
			}
		}
	}
	if strings.Contains(r.Message, secret) {
		t.Errorf("message holds the secret: %s", r.Message)
	}
}

// checkHAR parses b as HAR 1.2 and checks what the specification requires
// of every object, on the raw JSON so that a field left out is caught.
func checkHAR(t *testing.T, b []byte) *probes.HAR {
	t.Helper()
	var raw map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatalf("HAR is not JSON: %v", err)
	}
	need := func(where string, m map[string]any, keys ...string) {
		t.Helper()
		for _, k := range keys {
			if _, ok := m[k]; !ok {
				t.Errorf("HAR %s: no %q", where, k)
			}
		}
	}
	obj := func(v any) map[string]any { m, _ := v.(map[string]any); return m }
	log := obj(raw["log"])
	need("log", log, "version", "creator", "entries")
	if log["version"] != "1.2" {
		t.Errorf("HAR version %v, want 1.2", log["version"])
	}
	need("creator", obj(log["creator"]), "name", "version")
	pages := map[string]bool{}
	list, _ := log["pages"].([]any)
	for _, p := range list {
		pm := obj(p)
		need("page", pm, "startedDateTime", "id", "title", "pageTimings")
		pages[fmt.Sprint(pm["id"])] = true
	}
	entries, _ := log["entries"].([]any)
	if len(entries) == 0 {
		t.Fatal("HAR has no entries")
	}
	for i, e := range entries {
		em := obj(e)
		where := fmt.Sprintf("entry #%d", i+1)
		need(where, em, "startedDateTime", "time", "request", "response", "cache", "timings")
		if _, err := time.Parse(time.RFC3339Nano, fmt.Sprint(em["startedDateTime"])); err != nil {
			t.Errorf("%s: startedDateTime: %v", where, err)
		}
		if ref, ok := em["pageref"]; ok && !pages[fmt.Sprint(ref)] {
			t.Errorf("%s: pageref %v names no page", where, ref)
		}
		need(where+" request", obj(em["request"]), "method", "url", "httpVersion", "cookies", "headers", "queryString", "headersSize", "bodySize")
		resp := obj(em["response"])
		need(where+" response", resp, "status", "statusText", "httpVersion", "cookies", "headers", "content", "redirectURL", "headersSize", "bodySize")
		need(where+" content", obj(resp["content"]), "size", "mimeType")
		tm := obj(em["timings"])
		need(where+" timings", tm, "send", "wait", "receive")
		var sum float64
		for _, k := range []string{"blocked", "dns", "connect", "send", "wait", "receive"} {
			v, _ := tm[k].(float64)
			if v < -1 || (v < 0 && (k == "send" || k == "wait" || k == "receive")) {
				t.Errorf("%s: timings.%s = %v", where, k, v)
			}
			if v > 0 {
				sum += v
			}
		}
		if total, _ := em["time"].(float64); math.Abs(total-sum) > 0.01 {
			t.Errorf("%s: time %v is not the sum of its timings %v", where, total, sum)
		}
	}
	var h probes.HAR
	if err := json.Unmarshal(b, &h); err != nil {
		t.Fatal(err)
	}
	return &h
}

// A page whose main thread is stuck in an endless loop cannot be captured:
// the run still ends, with what could be had.
func TestCaptureOfAStuckPageEnds(t *testing.T) {
	t.Parallel()
	site := faultSite(t)
	cfg := parse(t, oneStep(site.URL+"/spin-later", "10s")+`
  [[journey.step]]
  name = "click"
  action = "click"
  selector = "#go"
  timeout = "3s"
`)
	type outcome struct {
		r *probes.Result
		c *kept
	}
	run := prepareRun(t, shared, cfg, "fault", true)
	done := make(chan outcome, 1)
	go func() {
		r, c := run()
		done <- outcome{r, c}
	}()
	select {
	case o := <-done:
		if o.r.Status != probes.StatusFailure || o.r.Reason != probes.ReasonTimeout {
			t.Errorf("want a timeout failure:\n%s", describe(o.r))
		}
		if o.c == nil || len(o.c.HAR) == 0 {
			t.Errorf("no HAR for the stuck page's run")
		}
	case <-time.After(2 * time.Minute):
		t.Fatal("the run of a stuck page did not end: capturing it hung")
	}
}
