package agent_test

import (
	"os"
	"strings"
	"testing"

	"github.com/touchprobe/touchprobe/internal/demoshop"
	"github.com/touchprobe/touchprobe/probes"
)

// A journey with a retry, in real Chromium: a product page that fails once
// makes the run flaky, with the failed attempt's evidence kept and linked;
// one that fails every time makes it a failure after two attempts.
func TestRetriedRunIsFlakyOrFailure(t *testing.T) {
	root := t.TempDir()
	h := start(t, func(shop *demoshop.Shop) string {
		text := withArtifacts(root)(shop)
		return strings.Replace(text, `timeout = "90s"`, `timeout = "90s"`+"\nretries = 1\nretry_delay = \"200ms\"", 1)
	})
	if r := h.next("checkout"); r.Status != probes.StatusSuccess || len(r.Retried) != 0 {
		t.Fatalf("first run: %s after %d retries: %s %s %s", r.Status, len(r.Retried), r.FailedStep, r.Reason, r.Message)
	}

	// Flaky: the first attempt fails at the product page, the retry passes.
	if err := h.shop.FailNext("product", 1); err != nil {
		t.Fatal(err)
	}
	h.runNow("checkout")
	r := h.next("checkout")
	if r.Status != probes.StatusFlaky || r.Attempt != 2 || len(r.Retried) != 1 {
		t.Fatalf("want a flaky run of 2 attempts, got %s, attempt %d, %d earlier; log:\n%s", r.Status, r.Attempt, len(r.Retried), h.logs.String())
	}
	first := r.Retried[0]
	if first.Status != probes.StatusFailure || first.FailedStep != "product page" || first.Evidence == nil {
		t.Fatalf("first attempt: %s at %q, evidence %v", first.Status, first.FailedStep, first.Evidence)
	}
	if _, err := os.Stat(first.Evidence.Dir); err != nil {
		t.Errorf("the failed attempt's evidence folder: %v", err)
	}
	page := "/journeys/checkout/runs/" + r.RunID
	if code, body := h.get(page); code != 200 || !strings.Contains(body, "flaky") || !strings.Contains(body, "runs/"+first.RunID) {
		t.Errorf("run page %s: %d, does not show flaky with a link to attempt %s", page, code, first.RunID)
	}
	if code, body := h.get("/journeys/checkout/runs/" + first.RunID + "/screenshot.png"); code != 200 || len(body) == 0 {
		t.Errorf("the failed attempt's screenshot: HTTP %d, %d bytes", code, len(body))
	}

	// No page: the run that passed on retry ends no run of failures in a
	// row, which TouchprobeJourneyFailing counts.
	if _, body := h.get("/metrics"); !strings.Contains(body, `touchprobe_step_consecutive_failed_runs{brand="nordlys",journey="checkout",location="demo",profile="desktop",step="product page",touchpoint="product"} 0`) {
		t.Errorf("a flaky run counts as a failed run in a row:\n%s", grepLines(body, "consecutive_failed"))
	}

	// Failure: both attempts fail; the run is the last attempt's.
	if err := h.shop.SetFail("product", true); err != nil {
		t.Fatal(err)
	}
	h.runNow("checkout")
	r = h.next("checkout")
	if r.Status != probes.StatusFailure || r.Attempt != 2 || len(r.Retried) != 1 || r.Retried[0].Status != probes.StatusFailure {
		t.Fatalf("want a failure after 2 failed attempts, got %s, attempt %d, %d earlier", r.Status, r.Attempt, len(r.Retried))
	}

	_, body := h.get("/metrics")
	for _, want := range []string{
		`touchprobe_journey_runs_total{brand="nordlys",journey="checkout",location="demo",profile="desktop",result="flaky"} 1`,
		`touchprobe_journey_runs_total{brand="nordlys",journey="checkout",location="demo",profile="desktop",result="failure"} 1`,
		`touchprobe_journey_runs_total{brand="nordlys",journey="checkout",location="demo",profile="desktop",result="success"} 1`,
		`touchprobe_journey_attempts_total{brand="nordlys",journey="checkout",location="demo",profile="desktop",result="failure"} 3`,
		`touchprobe_journey_attempts_total{brand="nordlys",journey="checkout",location="demo",profile="desktop",result="success"} 2`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s:\n%s", want, grepLines(body, "touchprobe_journey_"))
		}
	}
}
