package probes_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/touchprobe/touchprobe/probes"
)

// shiftingPage inserts a tall block above its text once it has painted, a
// layout shift no input caused, as a late banner does. A slow image holds
// its load event back until after the shift.
const shiftingPage = `<!doctype html><html><head><title>shift</title></head><body style="margin:0">
<p id="text" style="font-size:40px">Gear for the northern light</p>
<img src="/slow.svg" width="10" height="10" alt="">
<script>
requestAnimationFrame(() => setTimeout(() => {
  const b = document.createElement("div");
  b.style.height = "300px";
  b.textContent = "late banner";
  document.body.insertBefore(b, document.body.firstChild);
  document.title = "shifted";
}, 50));
</script></body></html>`

// lateHeroPage paints its heading, then, after its load event, fetches
// what to show and shows it large: its largest paint comes well after the
// load, as a shop's product grid does. (The late content is text: Chromium
// leaves images of little detail, such as a plain rectangle, out of LCP.)
const lateHeroPage = `<!doctype html><html><head><title>hero</title></head><body>
<h1 style="font-size:16px">Nordlys</h1>
<script>
addEventListener("load", () => fetch("/api/hero").then((r) => r.text()).then((text) => {
  const p = document.createElement("p");
  p.style.fontSize = "64px";
  p.textContent = text;
  document.body.appendChild(p);
}));
</script></body></html>`

const stillPage = `<!doctype html><html><head><title>still</title></head><body>
<p style="font-size:40px">Nothing moves here</p></body></html>`

// TestPageVitalsFromBufferedEntries checks that the layout shifts and the
// LCP that the browser buffered are read, and that a page with no shift
// reports none.
func TestPageVitalsFromBufferedEntries(t *testing.T) {
	const heroDelay = 600 * time.Millisecond
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		switch r.URL.Path {
		case "/still":
			fmt.Fprint(w, stillPage)
			return
		case "/hero":
			fmt.Fprint(w, lateHeroPage)
			return
		case "/api/hero":
			time.Sleep(heroDelay)
			fmt.Fprint(w, "Gear for the northern light, packed for the long winter ahead")
			return
		case "/slow.svg":
			time.Sleep(500 * time.Millisecond)
			w.Header().Set("Content-Type", "image/svg+xml")
			fmt.Fprint(w, `<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>`)
			return
		}
		fmt.Fprint(w, shiftingPage)
	}))
	defer site.Close()
	cfg := parse(t, fmt.Sprintf(`
[[journey]]
name = "vitals"
timeout = "60s"
  [[journey.step]]
  name = "still"
  action = "navigate"
  url = "%s/still"
  [[journey.step]]
  name = "shifting"
  action = "navigate"
  url = "%s/"
  [[journey.step]]
  name = "late hero"
  action = "navigate"
  url = "%s/hero"
`, site.URL, site.URL, site.URL))
	r := runJourney(t, cfg, "vitals")
	if r.Status != probes.StatusSuccess {
		t.Fatalf("journey failed:\n%s", describe(r))
	}
	still := step(t, r, "still").Page
	if still == nil {
		t.Fatal("the still page has no timings")
	}
	if still.CLS != 0 {
		t.Errorf("still page: CLS %v, want 0", still.CLS)
	}
	if still.LCP <= 0 {
		t.Errorf("still page: LCP %v, want > 0: the buffered LCP entry was not read", still.LCP)
	}
	shifting := step(t, r, "shifting").Page
	if shifting == nil {
		t.Fatal("the shifting page has no timings")
	}
	if shifting.CLS <= 0 {
		t.Errorf("shifting page: CLS %v, want > 0: the buffered layout shift was not read", shifting.CLS)
	}
	// The late text is painted after the load event and the server's
	// delay: an LCP read at the load event is the heading's, the FCP's
	// own paint.
	hero := step(t, r, "late hero").Page
	if hero == nil {
		t.Fatal("the late hero page has no timings")
	}
	// (Half the delay: the load event's end, the time Load holds, comes
	// after the handler that started the fetch.)
	if hero.LCP < hero.Load+heroDelay/2 || hero.LCP <= hero.FCP {
		t.Errorf("late hero page: LCP %v, FCP %v, load %v; want the LCP at least %v after the load, the text painted after it", hero.LCP, hero.FCP, hero.Load, heroDelay/2)
	}
}
