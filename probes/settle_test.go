package probes_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
)

// leavingPage shows its text, then moves on to the next page by itself, as
// a "thank you, redirecting…" page does. So that the move comes just after
// the step has looked at the text, whatever the machine's speed, it is
// started by the first look at the element's box.
const leavingPage = `<!doctype html><meta charset="utf-8"><title>thanks</title>
<p id="thanks">Thank you</p>
<script>
const thanks = document.getElementById("thanks");
const box = thanks.getBoundingClientRect.bind(thanks);
let leaving = false;
thanks.getBoundingClientRect = () => {
  if (!leaving) { leaving = true; setTimeout(() => { location.href = "/next"; }, 100); }
  return box();
};
</script>`

const nextPage = `<!doctype html><meta charset="utf-8"><title>next</title><p id="next">Next</p>`

// TestLookingDoesNotNavigate: an assert step only looks at the page, so a
// navigation the page starts on its own just after is not the step's: the
// step ends when the text is there, and the next step meets the new page.
// A click, which can start a navigation, is still followed to its load.
func TestLookingDoesNotNavigate(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		switch r.URL.Path {
		case "/next":
			fmt.Fprint(w, nextPage)
		case "/leaving":
			fmt.Fprint(w, leavingPage)
		default:
			fmt.Fprint(w, `<!doctype html><title>start</title><a id="go" href="/leaving">go</a>`)
		}
	}))
	t.Cleanup(srv.Close)
	cfg := parse(t, fmt.Sprintf(`[[journey]]
name = "looking"
timeout = "60s"
  [[journey.step]]
  name = "start"
  action = "navigate"
  url = "%s/"
  [[journey.step]]
  name = "go"
  action = "click"
  selector = "#go"
  [[journey.step]]
  name = "thanks"
  action = "assert"
  selector = "#thanks"
  text = "Thank you"
  [[journey.step]]
  name = "next"
  action = "wait"
  selector = "#next"
`, srv.URL))
	r := runJourney(t, cfg, "looking")
	if r.Status != "success" {
		t.Fatalf("journey failed:\n%s", describe(r))
	}
	if p := r.Steps[1].Page; p == nil || p.URL != srv.URL+"/leaving" {
		t.Errorf("the click's step did not follow its navigation to /leaving: page %+v", p)
	}
	if p := r.Steps[2].Page; p != nil {
		t.Errorf("the assert step took the page's own later navigation as its own: page %s", p.URL)
	}
}
