package probes_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/touchprobe/touchprobe/config"
	"github.com/touchprobe/touchprobe/probes"
)

// profileSite serves a shop page and, under another host name so that
// Chromium runs it out of process as a chat widget of another site is, an
// iframe. Each page says whether the requests it timed itself were slower
// than ?min= milliseconds ("slow") or not ("fast"), and how the last
// press on a button came (pointerType "touch" or "mouse").
func profileSite(t *testing.T) (shop, widget string) {
	t.Helper()
	w := http.NewServeMux()
	w.HandleFunc("/ping", func(rw http.ResponseWriter, r *http.Request) { fmt.Fprint(rw, "pong") })
	// The frame times a request at its load, before any step enters it,
	// and one when its button is pressed, after a step entered it.
	w.HandleFunc("/frame", func(rw http.ResponseWriter, r *http.Request) {
		fmt.Fprint(rw, `<!doctype html><title>widget</title><button id="ask">ask</button><p id="answer"></p>
<script>
const min = Number(new URLSearchParams(location.search).get("min"));
const timed = async () => { const t = performance.now(); await (await fetch("/ping", {cache: "no-store"})).text(); return performance.now() - t; };
timed().then(ms => parent.postMessage({ms}, "*"));
document.getElementById("ask").onclick = async () => {
  const ms = await timed();
  document.getElementById("answer").textContent = (ms >= min ? "slow " : "fast ") + Math.round(ms);
};
</script>`)
	})
	ws := httptest.NewServer(w)
	t.Cleanup(ws.Close)
	widget = strings.Replace(ws.URL, "127.0.0.1", "localhost", 1)

	s := http.NewServeMux()
	s.HandleFunc("/landing", func(rw http.ResponseWriter, r *http.Request) {
		fmt.Fprint(rw, `<!doctype html><title>shop</title><h1 id="hello">welcome</h1>`)
	})
	s.HandleFunc("/chat", func(rw http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(rw, `<!doctype html><title>chat</title><button id="open">chat</button><p id="verdict"></p>
<script>
const min = Number(new URLSearchParams(location.search).get("min"));
addEventListener("message", e => { document.getElementById("verdict").textContent = (e.data.ms >= min ? "slow " : "fast ") + Math.round(e.data.ms); });
document.getElementById("open").onclick = () => {
  const f = document.createElement("iframe"); f.id = "chat"; f.src = %q + "/frame?min=" + min; f.width = 300; f.height = 200; document.body.append(f);
};
</script>`, widget)
	})
	s.HandleFunc("/touch", func(rw http.ResponseWriter, r *http.Request) {
		fmt.Fprint(rw, `<!doctype html><title>touch</title><button id="press" style="width:200px;height:80px">press</button><p id="how"></p>
<script>
const how = [];
const b = document.getElementById("press");
b.addEventListener("pointerdown", e => how.push("pointer:" + e.pointerType));
b.addEventListener("touchstart", () => how.push("touchstart"));
b.addEventListener("mousedown", () => how.push("mousedown"));
b.addEventListener("click", () => { how.push("click"); document.getElementById("how").textContent = how.join(" "); });
</script>`)
	})
	ss := httptest.NewServer(s)
	t.Cleanup(ss.Close)
	return ss.URL, widget
}

// TestProfileThrottlesEveryTarget runs one journey under mobile-4g and
// under desktop. Under mobile-4g the landing page cannot arrive before the
// added latency, requests of the chat widget's out-of-process
// iframe wait for it too (the one the frame makes as it loads, before any
// step enters it, and the one a step makes inside it), and a click is a
// tap. Under desktop nothing of this is slowed down.
func TestProfileThrottlesEveryTarget(t *testing.T) {
	shop, _ := profileSite(t)
	mobile := config.BuiltinProfile("mobile-4g")
	latency := mobile.Latency.Duration
	min := latency.Milliseconds()

	journey := func(speed, input string) string {
		return fmt.Sprintf(`
[[journey]]
name = "customer"
timeout = "3m"

  [[journey.step]]
  name = "landing"
  action = "navigate"
  url = "%[1]s/landing"
  wait_for = "#hello"
  timeout = "30s"

  [[journey.step]]
  name = "chat page"
  action = "navigate"
  url = "%[1]s/chat?min=%[2]d"
  timeout = "30s"

  [[journey.step]]
  name = "open chat"
  action = "click"
  selector = "#open"
  expect = { selector = "#verdict", text = %[3]q }
  timeout = "30s"

  [[journey.step]]
  name = "ask"
  action = "click"
  frame = "#chat"
  selector = "#ask"
  expect = { selector = "#answer", text = %[3]q }
  timeout = "30s"

  [[journey.step]]
  name = "touch page"
  action = "navigate"
  url = "%[1]s/touch"
  timeout = "30s"

  [[journey.step]]
  name = "press"
  action = "click"
  selector = "#press"
  expect = { selector = "#how", text = %[4]q }
  timeout = "30s"
`, shop, min, speed, input)
	}

	tests := []struct {
		profile     string
		speed       string
		input       string
		slowLanding bool
	}{
		{"mobile-4g", "slow", "pointer:touch", true},
		{"desktop", "fast", "pointer:mouse", false},
	}
	for _, tt := range tests {
		t.Run(tt.profile, func(t *testing.T) {
			cfg := parse(t, journey(tt.speed, tt.input))
			j := cfg.Journey("customer")
			p := cfg.Profile(tt.profile)
			ctx, cancel := context.WithTimeout(context.Background(), j.Timeout.Duration)
			defer cancel()
			r := (&probes.Prober{Browser: shared, Logger: testLogger(t)}).Run(ctx, j, p, cfg.Secrets(), nil)
			if r.Status != probes.StatusSuccess {
				t.Fatalf("run %s: %s", r.Status, describe(r))
			}
			if r.Profile != tt.profile {
				t.Errorf("Result.Profile = %q, want %q", r.Profile, tt.profile)
			}
			landing := step(t, r, "landing")
			if landing.Page == nil {
				t.Fatal("no page timings for the landing step")
			}
			t.Logf("landing: step %v, page %+v", landing.Duration, *landing.Page)
			if tt.slowLanding {
				// The document arrives after the added latency, and so does
				// its first byte. (Navigation Timing's responseStart is
				// taken in the network stack before the emulated latency
				// and does not show it; under a throttled profile the TTFB
				// is the network stack's own timing of the document.)
				if landing.Page.TTFB < latency {
					t.Errorf("landing TTFB %v under mobile-4g's added latency %v", landing.Page.TTFB, latency)
				}
				if landing.Page.TTFB > landing.Page.DOMContentLoaded {
					t.Errorf("landing TTFB %v after its DOMContentLoaded %v", landing.Page.TTFB, landing.Page.DOMContentLoaded)
				}
				if landing.Page.DOMContentLoaded < latency {
					t.Errorf("landing DOMContentLoaded %v under mobile-4g's added latency %v", landing.Page.DOMContentLoaded, latency)
				}
				if landing.Duration < latency {
					t.Errorf("landing step %v under mobile-4g's added latency %v", landing.Duration, latency)
				}
				// The iframe's document and its own request each wait.
				if d := step(t, r, "open chat").Duration; d < 2*latency {
					t.Errorf("open chat took %v, want at least two added latencies (%v)", d, 2*latency)
				}
			} else if landing.Page.DOMContentLoaded >= latency || landing.Page.TTFB >= latency {
				t.Errorf("desktop landing TTFB %v, DOMContentLoaded %v: desktop must not add latency", landing.Page.TTFB, landing.Page.DOMContentLoaded)
			}
		})
	}
}

// A profile the run cannot apply fails the run at its first step, with a
// message naming the profile, rather than measuring an unthrottled page.
func TestProfileThatCannotBeAppliedFailsTheRun(t *testing.T) {
	shop, _ := profileSite(t)
	cfg := parse(t, fmt.Sprintf(`
[[journey]]
name = "customer"

  [[journey.step]]
  name = "landing"
  action = "navigate"
  url = "%s/landing"
`, shop))
	bad := &config.Profile{Name: "broken", Width: 100, Height: 100, DeviceScaleFactor: -1, CPUSlowdown: 1}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r := (&probes.Prober{Browser: shared, Logger: testLogger(t)}).Run(ctx, cfg.Journey("customer"), bad, cfg.Secrets(), nil)
	if r.Status != probes.StatusError || !strings.Contains(r.Message, `profile "broken"`) {
		t.Errorf("run %s, %q; want an error naming the profile", r.Status, r.Message)
	}
}
