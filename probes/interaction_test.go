package probes_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/touchprobe/touchprobe/internal/demoshop"
	"github.com/touchprobe/touchprobe/probes"
)

// The click of a button whose handler blocks the main thread for 300 ms
// (the demo shop's lab page) is an interaction of 300 ms and a bit, with a
// long task; under mobile-4g, whose CPU is 4 times slower, about 4 times
// that. The click is trusted CDP input: el.click() would report nothing.
func TestINPAndBlockingTimeOfABlockingClick(t *testing.T) {
	shop := startShop(t, demoshop.Options{})
	text := func(name, profile string) string {
		return fmt.Sprintf(`
[[journey]]
name = %[1]q
profiles = [%[2]q]
timeout = "2m"

  [[journey.step]]
  name = "lab"
  action = "navigate"
  url = "%[3]s"
  wait_for = "#block"
  timeout = "40s"

  [[journey.step]]
  name = "block"
  action = "click"
  selector = "#block"
  wait_for = "#done"
  timeout = "40s"
`, name, profile, strings.TrimSuffix(shop.URL(), "/")+demoshop.BlockingPath)
	}
	tests := []struct {
		profile  string
		min, max time.Duration
	}{
		{"desktop", 300 * time.Millisecond, 400 * time.Millisecond},
		// 4x on an idle machine; CPU taken by other work makes the
		// throttling lag (see below) and has measured 2.1x to 2.9x: at
		// least twice the handler still tells a throttled CPU from an
		// unthrottled one.
		{"mobile-4g", 600 * time.Millisecond, 1600 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.profile, func(t *testing.T) {
			// Chromium's CPU throttling is a thread of its own that stops
			// the page's main thread in 200 µs quanta: on a machine busy
			// with other work it falls behind and slows the page less
			// than it should. An attempt whose INP is out of range is
			// therefore tried again, up to three in all; what is measured
			// must agree with the page in every attempt.
			var inps []time.Duration
			for attempt := 1; attempt <= 3; attempt++ {
				inp := blockingClick(t, text("lab", tt.profile), tt.profile)
				inps = append(inps, inp)
				if inp >= tt.min && inp <= tt.max {
					return
				}
			}
			t.Errorf("INP %v in three attempts, want within %v-%v", inps, tt.min, tt.max)
		})
	}
}

// blockingClick runs the lab journey once under profile and checks that its
// interaction metrics agree with what the page did: the browser's own
// account of the handler (its long animation frame's script) is within the
// INP, which adds the input delay and the next frame; the handler is one
// long task, all of it but 50 ms blocking. It returns the INP.
func blockingClick(t *testing.T, text, profile string) time.Duration {
	t.Helper()
	r := runJourney(t, parse(t, text), "lab")
	if r.Status != probes.StatusSuccess {
		t.Fatalf("run: %s at %s: %s", r.Reason, r.FailedStep, r.Message)
	}
	if r.Steps[0].Interaction != nil {
		t.Errorf("a navigate step has interaction metrics: %+v", r.Steps[0].Interaction)
	}
	im := r.Steps[1].Interaction
	if im == nil {
		t.Fatal("the click step has no interaction metrics")
	}
	t.Logf("%s: INP %v, TBT %v over %d interactions; step %v", profile, im.INP, im.TBT, im.Interactions, r.Steps[1].Duration)
	if im.Interactions != 1 {
		t.Errorf("%d interactions, want the one click", im.Interactions)
	}
	var handler time.Duration
	for _, f := range im.LongFrames {
		for _, s := range f.Scripts {
			if strings.Contains(s.Invoker, "BUTTON#block") {
				handler = max(handler, s.Duration)
			}
		}
	}
	if handler == 0 {
		t.Fatalf("no long animation frame names the button's handler: %+v", im.LongFrames)
	}
	// The browser rounds an event's duration to 8 ms.
	if im.INP < handler-8*time.Millisecond {
		t.Errorf("INP %v, less than the handler's %v", im.INP, handler)
	}
	if low := handler - 50*time.Millisecond - 10*time.Millisecond; im.TBT < low {
		t.Errorf("TBT %v, want at least the handler's %v less 50ms", im.TBT, handler)
	}
	if r.Steps[1].Duration < handler {
		t.Errorf("the click step took %v, less than its handler's %v", r.Steps[1].Duration, handler)
	}
	return im.INP
}

// A chat widget of another site runs in a renderer of its own, which the
// tab's timeline does not see: the chat step's INP must still be that of
// the message sent in the widget, whose handler blocks for 300 ms.
func TestINPOfAChatInAnOutOfProcessIframe(t *testing.T) {
	t.Parallel()
	const block = 300 * time.Millisecond
	widget := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `<!doctype html><title>widget</title>
<form id="f"><input id="m" autocomplete="off"><button>send</button></form><div id="log"></div>
<script>document.getElementById("f").onsubmit = (e) => {
  e.preventDefault();
  const until = performance.now() + %d;
  while (performance.now() < until) {}
  const p = document.createElement("p"); p.className = "reply"; p.textContent = "yes";
  document.getElementById("log").append(p);
};</script>`, block.Milliseconds())
	}))
	t.Cleanup(widget.Close)
	widgetURL := strings.Replace(widget.URL, "127.0.0.1", "localhost", 1)
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `<!doctype html><title>shop</title><button id="open">chat</button>
<script>document.getElementById("open").onclick = () => {
  const f = document.createElement("iframe"); f.id = "chat"; f.src = %q; f.width = 300; f.height = 200; document.body.append(f);
};</script>`, widgetURL)
	}))
	t.Cleanup(site.Close)
	r := runJourney(t, parse(t, fmt.Sprintf(`
[[journey]]
name = "chat"
timeout = "60s"
  [[journey.step]]
  name = "shop"
  action = "navigate"
  url = %q
  [[journey.step]]
  name = "ask"
  action = "chat"
  open = "#open"
  frame = "iframe#chat"
  input = "#m"
  message = "in stock?"
  reply = "p.reply"
  timeout = "30s"
`, site.URL)), "chat")
	if r.Status != probes.StatusSuccess {
		t.Fatalf("journey failed:\n%s", describe(r))
	}
	im := step(t, r, "ask").Interaction
	if im == nil || im.INP < block {
		t.Fatalf("chat step interactions %+v, want an INP of at least %v: the message sent in the widget", im, block)
	}
}
