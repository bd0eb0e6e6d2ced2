package probes_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/touchprobe/touchprobe/probes"
)

// attribSite serves a checkout whose button first posts the order, which
// the server answers after orderDelay, and only then moves to the
// confirmation page; a button that starts nothing; and a page that polls
// the server in the background every 100 ms, some polls held open.
func attribSite(t *testing.T, orderDelay time.Duration) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/order":
			time.Sleep(orderDelay)
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"order":"TP-1"}`)
			return
		case "/poll":
			// Every other poll is held open, as a long poll is.
			if r.URL.Query().Get("n") == "long" {
				select {
				case <-time.After(30 * time.Second):
				case <-r.Context().Done():
				}
			}
			fmt.Fprint(w, `{}`)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		switch r.URL.Path {
		case "/confirmation":
			fmt.Fprint(w, `<!doctype html><title>thanks</title><p id="done">Order TP-1</p>`)
		case "/polling":
			fmt.Fprint(w, `<!doctype html><title>polling</title><button id="nothing">nothing</button>
<script>
let n = 0;
setInterval(() => { n++; fetch("/poll?n=" + (n % 2 ? "long" : "short")).catch(() => {}); }, 100);
</script>`)
		default:
			fmt.Fprint(w, `<!doctype html><title>checkout</title>
<button id="place">place order</button> <button id="nothing">nothing</button>
<script>
document.getElementById("place").addEventListener("click", async () => {
  await fetch("/order", {method: "POST", body: "{}"});
  location.href = "/confirmation";
});
</script>`)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestClickOwnsTheNavigationItsRequestStarts: a button that posts the
// order for 300 ms and then moves to the confirmation page is one step:
// the step holds the post and the new page's load, and the step after it
// does not.
func TestClickOwnsTheNavigationItsRequestStarts(t *testing.T) {
	const orderDelay = 300 * time.Millisecond
	srv := attribSite(t, orderDelay)
	cfg := parse(t, fmt.Sprintf(`[[journey]]
name = "order"
timeout = "60s"
  [[journey.step]]
  name = "checkout"
  action = "navigate"
  url = "%s/"
  [[journey.step]]
  name = "place order"
  action = "click"
  selector = "#place"
  [[journey.step]]
  name = "confirmation"
  action = "assert"
  selector = "#done"
  text = "TP-1"
`, srv.URL))
	r := runJourney(t, cfg, "order")
	if r.Status != probes.StatusSuccess {
		t.Fatalf("journey failed:\n%s", describe(r))
	}
	place, confirm := step(t, r, "place order"), step(t, r, "confirmation")
	if place.Duration < orderDelay {
		t.Errorf("place order took %v, less than the %v the order's post took: the post was not charged to the click\n%s", place.Duration, orderDelay, describe(r))
	}
	if place.Page == nil || place.Page.URL != srv.URL+"/confirmation" {
		t.Errorf("place order did not follow the navigation its post started: page %+v", place.Page)
	} else if place.Duration < orderDelay+place.Page.Load {
		t.Errorf("place order took %v, less than the post's %v and the confirmation's load %v", place.Duration, orderDelay, place.Page.Load)
	}
	if confirm.Page != nil || confirm.Duration >= orderDelay {
		t.Errorf("confirmation took %v (page %+v): the order's time was charged to the step after the click\n%s", confirm.Duration, confirm.Page, describe(r))
	}
}

// TestClickThatStartsNothingEndsPromptly: a click that starts no request
// nor navigation ends when the click did, on a quiet page and on a page
// that polls in the background (whose polls, some held open for long,
// are not the click's).
func TestClickThatStartsNothingEndsPromptly(t *testing.T) {
	srv := attribSite(t, 0)
	for _, path := range []string{"/", "/polling"} {
		t.Run(path, func(t *testing.T) {
			cfg := parse(t, fmt.Sprintf(`[[journey]]
name = "nothing"
timeout = "90s"
  [[journey.step]]
  name = "open"
  action = "navigate"
  url = "%s%s"
  [[journey.step]]
  name = "click 1"
  action = "click"
  selector = "#nothing"
  timeout = "20s"
  [[journey.step]]
  name = "click 2"
  action = "click"
  selector = "#nothing"
  timeout = "20s"
  [[journey.step]]
  name = "click 3"
  action = "click"
  selector = "#nothing"
  timeout = "20s"
`, srv.URL, path))
			r := runJourney(t, cfg, "nothing")
			if r.Status != probes.StatusSuccess {
				t.Fatalf("journey failed:\n%s", describe(r))
			}
			// Far below the step timeout, far above a click on a loaded
			// machine: a click that waited for the page's own requests
			// would take seconds.
			const limit = 2 * time.Second
			for _, s := range r.Steps[1:] {
				if s.Duration > limit {
					t.Errorf("step %q took %v: it waited for what the click did not start\n%s", s.Name, s.Duration, describe(r))
				}
			}
		})
	}
}
