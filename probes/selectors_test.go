package probes_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/touchprobe/touchprobe/probes"
)

// selectorsPage has one element for each kind of selector: each click
// writes what it pressed into #log. The button enabled late must be
// waited for; the shadow DOM holds two buttons.
const selectorsPage = `<!doctype html><meta charset="utf-8"><title>selectors</title>
<p id="log"></p>
<button aria-label="Add to basket" onclick="say('basket')">+</button>
<a href="#" onclick="say('checkout'); return false">Go to <b>checkout</b></a>
<button data-x="1" onclick="say('xpath')">x</button>
<div id="host"></div>
<label for="email">E-mail address</label><input id="email" oninput="say('typed ' + this.value)">
<button id="late" disabled onclick="say('late')">late</button>
<div aria-hidden="true"><button aria-label="Hidden twin">h</button></div>
<div id="menu" onmouseenter="say('hover')">menu</div>
<div id="dbl" ondblclick="say('double'); setTimeout(() => { job.dataset.state = 'ready'; window.readyAt = 1; }, 1000)" onclick="say('single')">twice</div>
<p id="job" data-state="loading">job</p>
<ul id="list"><li>1</li><li>2</li></ul><p class="spinner">loading</p>
<div style="height: 3000px"></div>
<script>
function say(s) { document.getElementById("log").textContent = s; }
const root = document.getElementById("host").attachShadow({mode: "open"});
root.innerHTML = '<button id="inner">in</button><span><button class="deep">deep</button></span><input id="q">';
root.getElementById("q").oninput = (e) => say("searched " + e.target.value);
root.getElementById("inner").onclick = () => say("pierce");
root.querySelector(".deep").onclick = () => say("chain");
setTimeout(() => { document.getElementById("late").disabled = false; }, 400);
setTimeout(() => {
  document.getElementById("list").append(document.createElement("li")); document.querySelector(".spinner").remove();
}, 300);
</script>`

// TestSelectorAlternatives: a stale first alternative gives way to the
// next; aria/, text/, xpath/, pierce/ and ancestor chains through a shadow
// root each find their element; a click waits for a button enabled late;
// hover, double click, scroll, waits for a count and for an expression
// each do what the Recorder's steps of those names do;
// the run names the alternative that matched, and a failure every one
// that was tried; a step's title is checked when it ends.
func TestSelectorAlternatives(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, selectorsPage)
	}))
	t.Cleanup(srv.Close)
	click := func(name, selectors, want string) string {
		return fmt.Sprintf(`  [[journey.step]]
  name = %q
  action = "click"
  selectors = %s
  expect = { selector = "#log", text = %q }
`, name, selectors, want)
	}
	cfg := parse(t, `[[journey]]
name = "alternatives"
timeout = "90s"
  [[journey.step]]
  name = "open"
  action = "navigate"
  url = "`+srv.URL+`/"
  title = "selectors"
`+click("aria", `["#stale", "aria/Hidden twin", "aria/Add to basket[role=\"button\"]"]`, "basket")+
		click("text", `["text/Go to checkout"]`, "checkout")+
		click("xpath", `["xpath///button[@data-x=\"1\"]"]`, "xpath")+
		click("pierce", `["pierce/#inner"]`, "pierce")+
		click("chain", `[["#host", "span", "button.deep"]]`, "chain")+
		click("late", `["#late"]`, "late")+`
  [[journey.step]]
  name = "fill by label"
  action = "fill"
  fields = { "aria/E-mail address[role=\"textbox\"]" = "a@b.c" }
  expect = { selector = "#log", text = "typed a@b.c" }
  [[journey.step]]
  name = "fill in the shadow root"
  action = "fill"
  fields = { "#host >> #q" = "boots" }
  expect = { selector = "#log", text = "searched boots" }
  [[journey.step]]
  name = "fill by label again"
  action = "fill"
  fields = { "aria/E-mail address[role=\"textbox\"]" = "a@b.c" }
  [[journey.step]]
  name = "wait by text"
  action = "wait"
  selector = "text/typed a@b"
  [[journey.step]]
  name = "hover"
  action = "hover"
  selector = "#menu"
  expect = { selector = "#log", text = "hover" }
  [[journey.step]]
  name = "double click"
  action = "double_click"
  selectors = ["#dbl"]
  expect = { selector = "#log", text = "double" }
  [[journey.step]]
  name = "job ready"
  action = "wait"
  selector = "#job"
  attributes = { "data-state" = "ready" }
  [[journey.step]]
  name = "it was ready"
  action = "wait"
  expression = "window.readyAt !== undefined"
  timeout = "300ms"
  [[journey.step]]
  name = "three items"
  action = "wait"
  selector = "#list li"
  operator = "=="
  count = 3
  [[journey.step]]
  name = "spinner gone"
  action = "wait"
  selector = ".spinner"
  operator = "=="
  count = 0
  [[journey.step]]
  name = "scroll"
  action = "scroll"
  top = 500
  [[journey.step]]
  name = "scrolled"
  action = "wait"
  expression = "window.scrollY >= 500"

[[journey]]
name = "stale"
timeout = "30s"
  [[journey.step]]
  name = "open"
  action = "navigate"
  url = "`+srv.URL+`/"
  [[journey.step]]
  name = "gone"
  action = "click"
  selectors = ["#gone", "aria/Remove", ["#host", "#missing"]]
  timeout = "2s"

[[journey]]
name = "title"
timeout = "30s"
  [[journey.step]]
  name = "open"
  action = "navigate"
  url = "`+srv.URL+`/"
  title = "Another page"
  timeout = "2s"
`)
	r := runJourney(t, cfg, "alternatives")
	if r.Status != probes.StatusSuccess {
		t.Fatalf("journey failed:\n%s", describe(r))
	}
	if got, want := step(t, r, "aria").Matched, `"aria/Add to basket[role=\"button\"]" (alternative 3 of 3)`; got != want {
		t.Errorf("aria step matched %q, want %q", got, want)
	}
	if got := step(t, r, "text").Matched; got != "" {
		t.Errorf("a step with one selector names what matched: %q", got)
	}

	if r.Steps[len(r.Steps)-1].Name != "scrolled" {
		t.Errorf("the journey's last step is %q", r.Steps[len(r.Steps)-1].Name)
	}

	r = runJourney(t, cfg, "stale")
	gone := step(t, r, "gone")
	if gone.Status != probes.StepFailed || gone.Reason != probes.ReasonSelector {
		t.Fatalf("stale selectors: status %s, reason %s, want failed, selector\n%s", gone.Status, gone.Reason, describe(r))
	}
	if want := `no element matches any of "#gone", "aria/Remove" or "#host >> #missing"`; !strings.Contains(gone.Message, want) {
		t.Errorf("message %q does not name every alternative tried: want %q", gone.Message, want)
	}

	r = runJourney(t, cfg, "title")
	open := step(t, r, "open")
	if want := `page title: expected "Another page", got "selectors"`; open.Reason != probes.ReasonAssertion || !strings.Contains(open.Message, want) {
		t.Errorf("a wrong title: reason %s, message %q; want assertion, %q", open.Reason, open.Message, want)
	}
}
