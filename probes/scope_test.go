package probes_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/touchprobe/touchprobe/probes"
)

// scopeBlock is how long the click handler of the framed button blocks
// the frame's main thread.
const scopeBlock = 350 * time.Millisecond

// scopeSite has a page with two same-origin iframes, #f with a button
// whose handler blocks for scopeBlock, #g with one that removes its own
// frame, #x like #f from another site (localhost), in a renderer of its
// own, and a link that opens a popup holding a frame like #f.
func scopeSite(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	page := func(path, body string) {
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, `<!doctype html><meta charset="utf-8">`+body)
		})
	}
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		other := "http://" + strings.Replace(r.Host, "127.0.0.1", "localhost", 1) + "/block"
		fmt.Fprintf(w, `<!doctype html><meta charset="utf-8"><title>main</title><a id="help" href="/help" target="_blank">Help</a>
<iframe id="f" src="/block"></iframe><iframe id="g" src="/gone"></iframe><iframe id="x" src=%q></iframe>`, other)
	})
	page("/help", `<title>help</title><iframe id="pf" src="/block"></iframe>`)
	page("/block", fmt.Sprintf(`<button id="block" onclick="const u = performance.now() + %d; while (performance.now() < u) {} this.textContent = 'done'">block</button>`, scopeBlock.Milliseconds()))
	page("/gone", `<button id="gone" onclick="parent.document.getElementById('g').remove()">gone</button>`)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// TestStepsInFramesAndPopups: a step in a same-origin iframe, in a
// cross-origin one, or in a frame of a popup, measures the input in the document it acted on; an
// optional step naming a popup and a frame in it runs when both are
// there; a step whose document is gone before it is read has no
// interaction metrics rather than an INP of 0.
func TestStepsInFramesAndPopups(t *testing.T) {
	t.Parallel()
	srv := scopeSite(t)
	cfg := parse(t, `[[journey]]
name = "frames"
timeout = "90s"
  [[journey.step]]
  name = "open"
  action = "navigate"
  url = "`+srv.URL+`/"
  [[journey.step]]
  name = "block in frame"
  action = "click"
  selector = "#block"
  frame = "#f"
  expect = { selector = "#block", text = "done" }
  timeout = "30s"
  [[journey.step]]
  name = "block in other site's frame"
  action = "click"
  selector = "#block"
  frame = "#x"
  expect = { selector = "#block", text = "done" }
  timeout = "30s"
  [[journey.step]]
  name = "frame removes itself"
  action = "click"
  selector = "#gone"
  frame = "#g"
  timeout = "30s"
  [[journey.step]]
  name = "help"
  action = "click"
  selector = "#help"
  [[journey.step]]
  name = "help opened"
  action = "wait"
  selector = "#pf"
  target = "`+srv.URL+`/help"
  timeout = "30s"
  [[journey.step]]
  name = "maybe block in popup frame"
  action = "click"
  selector = "#block"
  target = "`+srv.URL+`/help"
  frame = "#pf"
  optional = true
  timeout = "30s"
`)
	r := runJourney(t, cfg, "frames")
	if r.Status != probes.StatusSuccess {
		t.Fatalf("journey failed:\n%s", describe(r))
	}
	// The browser rounds an event's duration to 8 ms.
	least := scopeBlock - 8*time.Millisecond
	if im := step(t, r, "block in frame").Interaction; im == nil || im.INP < least || im.Interactions < 1 {
		t.Errorf("click in a same-origin iframe: interactions %+v, want an INP of at least %v", im, least)
	}
	if im := step(t, r, "block in other site's frame").Interaction; im == nil || im.INP < least || im.Interactions < 1 {
		t.Errorf("click in a cross-origin iframe: interactions %+v, want an INP of at least %v", im, least)
	}
	if im := step(t, r, "frame removes itself").Interaction; im != nil {
		t.Errorf("click whose frame is gone before it is read: interactions %+v, want none", im)
	}
	s := step(t, r, "maybe block in popup frame")
	if s.Status != probes.StepOK {
		t.Fatalf("optional step in a popup's frame: status %s, want ok", s.Status)
	}
	if im := s.Interaction; im == nil || im.INP < least || im.Interactions < 1 {
		t.Errorf("click in a popup's frame: interactions %+v, want an INP of at least %v", im, least)
	}
}
