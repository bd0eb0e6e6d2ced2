package probes_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/touchprobe/touchprobe/probes"
)

// consentPage shows a consent banner, in the page or in an iframe, only
// when the query asks for it, as a shop shows it only to new visitors.
const consentPage = `<!doctype html><meta charset="utf-8"><title>shop</title>
<h1 id="title">Shop</h1>
<p id="consent-state">undecided</p>
<script>
const q = new URLSearchParams(location.search);
if (q.has("banner")) {
  const b = document.createElement("button");
  b.id = "accept"; b.textContent = "Accept";
  b.onclick = () => { document.getElementById("consent-state").textContent = "accepted"; b.remove(); };
  document.body.appendChild(b);
}
if (q.has("framed")) {
  const f = document.createElement("iframe");
  f.id = "consent-frame"; f.src = "/frame";
  document.body.appendChild(f);
}
</script>`

const consentFrame = `<!doctype html><meta charset="utf-8">
<button id="accept" onclick="parent.document.getElementById('consent-state').textContent = 'accepted in frame'">Accept</button>`

// TestOptionalSteps: an optional step whose element, or whose frame, is
// absent is skipped and the journey goes on; when it is there, it runs.
func TestOptionalSteps(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if r.URL.Path == "/frame" {
			fmt.Fprint(w, consentFrame)
			return
		}
		fmt.Fprint(w, consentPage)
	}))
	t.Cleanup(srv.Close)

	tests := []struct {
		name     string
		query    string
		frame    string
		want     probes.StepStatus
		wantText string
	}{
		{name: "banner absent", query: "", want: probes.StepSkipped, wantText: "undecided"},
		{name: "banner present", query: "banner", want: probes.StepOK, wantText: "accepted"},
		{name: "frame absent", query: "", frame: "#consent-frame", want: probes.StepSkipped, wantText: "undecided"},
		{name: "frame present", query: "framed", frame: "#consent-frame", want: probes.StepOK, wantText: "accepted in frame"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			frame := ""
			if tt.frame != "" {
				frame = fmt.Sprintf("frame = %q", tt.frame)
			}
			cfg := parse(t, fmt.Sprintf(`[[journey]]
name = "consent"
timeout = "60s"
  [[journey.step]]
  name = "open"
  action = "navigate"
  url = "%s/?%s"
  [[journey.step]]
  name = "accept cookies"
  action = "click"
  selector = "#accept"
  optional = true
  %s
  [[journey.step]]
  name = "after"
  action = "assert"
  selector = "#consent-state"
  text = %q
`, srv.URL, tt.query, frame, tt.wantText))
			r := runJourney(t, cfg, "consent")
			if r.Status != probes.StatusSuccess {
				t.Fatalf("journey failed:\n%s", describe(r))
			}
			if got := r.Steps[1].Status; got != tt.want {
				t.Errorf("optional step: status %s, want %s", got, tt.want)
			}
		})
	}
}
