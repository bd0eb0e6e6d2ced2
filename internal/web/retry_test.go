package web

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/touchprobe/touchprobe/internal/evidence"
	"github.com/touchprobe/touchprobe/probes"
)

// A run that failed and then passed when retried shows as flaky, and links
// to its failed attempt, whose page shows its evidence and links back.
func TestRetriedRunPages(t *testing.T) {
	fx := newFixture(t)
	const flakyRun, firstAttempt = "ffaa00ffaa00", "aa00ffaa00ff"
	start := time.Now().Add(-time.Minute)
	fx.store.Add(&probes.Result{Journey: spacedJourney, Profile: "desktop", RunID: flakyRun, Start: start.Add(12 * time.Second), Duration: time.Second, Status: probes.StatusFlaky, Attempt: 2,
		Steps: []probes.StepResult{{Name: "landing", Status: probes.StepOK, Duration: time.Second, Budget: 3 * time.Second}},
		Retried: []*probes.Result{{Journey: spacedJourney, Profile: "desktop", RunID: firstAttempt, Start: start, Duration: 2 * time.Second, Status: probes.StatusFailure, Attempt: 1,
			Reason: probes.ReasonHTTPStatus, FailedStep: "landing",
			Steps:    []probes.StepResult{{Name: "landing", Status: probes.StepFailed, Duration: 2 * time.Second, Budget: 3 * time.Second, Reason: probes.ReasonHTTPStatus}},
			Evidence: &probes.Evidence{Dir: fx.runDir, Files: []string{evidence.ScreenshotFile}}}},
	})
	h := New(fx.deps)
	journey := "/journeys/" + url.PathEscape(spacedJourney)
	tests := []struct {
		target string
		want   []string
	}{
		{"/", []string{`badge flaky`}},
		{journey + "/runs/" + flakyRun, []string{`badge flaky">flaky`, `id="attempts"`, `href="../../../journeys/Checkout%20EU%2FNO%20&amp;%20more/runs/` + firstAttempt + `"`, "http_status", "attempt 2"}},
		{journey + "/runs/" + firstAttempt, []string{`id="retried-as"`, `flaky (run ` + flakyRun + `)`, firstAttempt + `/screenshot.png`}},
	}
	for _, tt := range tests {
		resp := get(t, h, tt.target)
		page := body(t, resp)
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d\n%s", tt.target, resp.StatusCode, page)
		}
		for _, w := range tt.want {
			if !strings.Contains(page, w) {
				t.Errorf("GET %s: page lacks %q", tt.target, w)
			}
		}
	}
	if resp := get(t, h, journey+"/runs/"+firstAttempt+"/"+evidence.ScreenshotFile); resp.StatusCode != 200 {
		t.Errorf("the failed attempt's screenshot: %d, want 200", resp.StatusCode)
	}
}
