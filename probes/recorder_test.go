package probes_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/touchprobe/touchprobe/probes"
)

// pressPage logs each press with its button, where it landed in the
// element (left or right half) and whether a touch made it; a spinner
// hides late and a banner goes away later; a field and a box change their
// properties, not their attributes.
const pressPage = `<!doctype html><meta charset="utf-8"><title>press</title>
<p id="log"></p>
<div id="pad" style="width: 200px; height: 60px; background: #eee">pad</div>
<p class="spinner">loading</p><p id="banner">sale</p>
<input id="name"><input id="agree" type="checkbox">
<script>
const log = (s) => { document.getElementById("log").textContent = s; };
const pad = document.getElementById("pad");
let touched = false;
pad.addEventListener("touchstart", () => { touched = true; });
const where = (e) => (e.offsetX < 100 ? "left" : "right") + (touched ? " touch" : "");
pad.addEventListener("click", (e) => log("click " + e.button + " " + where(e)));
pad.addEventListener("auxclick", (e) => { if (e.detail < 2) log("auxclick " + e.button + " " + where(e)); });
pad.addEventListener("contextmenu", (e) => { e.preventDefault(); log("contextmenu " + where(e)); });
pad.addEventListener("dblclick", (e) => log("dblclick " + e.button + " " + where(e)));
pad.addEventListener("mouseup", (e) => { if (e.detail === 2 && e.button !== 0) log("double " + e.button + " " + where(e)); });
setTimeout(() => { document.querySelector(".spinner").style.visibility = "hidden"; }, 300);
setTimeout(() => { document.getElementById("banner").remove(); }, 500);
setTimeout(() => { document.getElementById("name").value = "Ada"; document.getElementById("agree").checked = true; }, 400);
</script>`

// TestRecorderWaitsAndPresses: a wait with visible = false ends when its
// element is hidden or gone; properties are compared as JSON values; a
// click or double click presses the button the step names, at its offset,
// and taps for device_type = "touch".
func TestRecorderWaitsAndPresses(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, pressPage)
	}))
	t.Cleanup(srv.Close)
	press := func(name, action, keys, want string) string {
		return fmt.Sprintf(`  [[journey.step]]
  name = %q
  action = %q
  selector = "#pad"
  %s
  expect = { selector = "#log", text = %q }
`, name, action, keys, want)
	}
	cfg := parse(t, `[[journey]]
name = "recorder"
timeout = "90s"
  [[journey.step]]
  name = "open"
  action = "navigate"
  url = "`+srv.URL+`/"
  [[journey.step]]
  name = "spinner hidden"
  action = "wait"
  selector = ".spinner"
  visible = false
  [[journey.step]]
  name = "banner gone"
  action = "wait"
  selectors = ["#stale", "#banner"]
  visible = false
  [[journey.step]]
  name = "filled in"
  action = "wait"
  selector = "input"
  operator = "=="
  count = 2
  properties = { value = "", checked = false }
  visible = false
  [[journey.step]]
  name = "agreed"
  action = "wait"
  selector = "#agree"
  properties = { checked = true, value = "on" }
`+press("right click", "click", `button = "secondary"`, "contextmenu right")+
		press("left corner", "click", `offset_x = 10
  offset_y = 10`, "click 0 left")+
		press("right edge", "click", `offset_x = 190
  offset_y = 30`, "click 0 right")+
		press("middle double", "double_click", `button = "auxiliary"
  offset_x = 150
  offset_y = 5`, "double 1 right")+
		press("double", "double_click", "", "dblclick 0")+
		press("tap", "click", `device_type = "touch"
  offset_x = 20
  offset_y = 20`, "click 0 left touch")+`

[[journey]]
name = "still there"
timeout = "30s"
  [[journey.step]]
  name = "open"
  action = "navigate"
  url = "`+srv.URL+`/"
  [[journey.step]]
  name = "pad gone"
  action = "wait"
  selector = "#pad"
  visible = false
  timeout = "1s"

[[journey]]
name = "wrong property"
timeout = "30s"
  [[journey.step]]
  name = "open"
  action = "navigate"
  url = "`+srv.URL+`/"
  [[journey.step]]
  name = "named"
  action = "wait"
  selector = "#name"
  properties = { value = "Bob" }
  timeout = "1500ms"
`)
	r := runJourney(t, cfg, "recorder")
	if r.Status != probes.StatusSuccess {
		t.Fatalf("journey failed:\n%s", describe(r))
	}
	r = runJourney(t, cfg, "still there")
	if s := step(t, r, "pad gone"); s.Status != probes.StepFailed || !strings.Contains(s.Message, `number of shown elements matching "#pad"`) {
		t.Errorf("a wait for a shown element to go: status %s, message %q; want failed, naming the shown elements", s.Status, s.Message)
	}
	r = runJourney(t, cfg, "wrong property")
	if s := step(t, r, "named"); s.Status != probes.StepFailed || !strings.Contains(s.Message, `Ada`) {
		t.Errorf("a wrong property: status %s, message %q; want failed, saying the value was \"Ada\"", s.Status, s.Message)
	}
}

// TestNestedFrames: a step in a frame of a frame of the page, as the
// Recorder's frame path [0, 1] names it, finds its element there and
// presses it where it shows. A frame named by an accessible name that
// holds " >> " is one frame, whether the key is that one string or an
// array whose first entry it is.
func TestNestedFrames(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	page := func(path, body string) {
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, `<!doctype html><meta charset="utf-8">`+body)
		})
	}
	page("/{$}", `<title>outer</title><div style="height: 40px"></div><iframe title="Chat >> support" src="/middle" width="400" height="200"></iframe>`)
	page("/middle", `<button id="hello" onclick="this.textContent = 'hi'">hello</button><iframe src="/other" width="100" height="40"></iframe><iframe src="/inner" width="300" height="120" style="margin-left: 50px"></iframe>`)
	page("/other", `<p>other</p>`)
	page("/inner", `<button id="deep" style="margin: 20px" onclick="this.textContent += '!'">deep</button>`)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	cfg := parse(t, `[[journey]]
name = "nested"
timeout = "60s"
  [[journey.step]]
  name = "open"
  action = "navigate"
  url = "`+srv.URL+`/"
  [[journey.step]]
  name = "deep"
  action = "click"
  selector = "#deep"
  frame = "xpath/(//iframe | //frame)[1] >> xpath/(//iframe | //frame)[2]"
  expect = { selector = "#deep", text = "deep!" }
  [[journey.step]]
  name = "in the frame named by text"
  action = "click"
  selector = "#hello"
  frame = "aria/Chat >> support"
  expect = { selector = "#hello", text = "hi" }
  [[journey.step]]
  name = "deep below it"
  action = "click"
  selector = "#deep"
  frame = ["aria/Chat >> support", "xpath/(//iframe | //frame)[2]"]
  expect = { selector = "#deep", text = "deep!!" }
`)
	r := runJourney(t, cfg, "nested")
	if r.Status != probes.StatusSuccess {
		t.Fatalf("journey failed:\n%s", describe(r))
	}
}

// TestPopupClosingItselfWhenPressed: a popup whose button closes the
// window in its handler can be gone before the browser answers the press.
// The press was made: the step succeeds, and the journey goes on in its
// page. A window that closes on mousedown is gone before the release is
// answered in most runs, so the journey presses such a window three times.
func TestPopupClosingItselfWhenPressed(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<!doctype html><meta charset="utf-8"><title>main</title><button id="help" onclick="window.open('/help?' + document.getElementById('asked').textContent.length)">Help</button><p id="asked"></p>`)
	})
	mux.HandleFunc("/help", func(w http.ResponseWriter, r *http.Request) {
		answer := `opener.document.getElementById('asked').textContent += '+'; window.close()`
		fmt.Fprintf(w, `<!doctype html><meta charset="utf-8"><title>help</title>
<button id="down" onmousedown="%[1]s">Ask on press</button>
<button id="click" onclick="%[1]s">Ask on click</button>
<button id="twice" ondblclick="%[1]s">Ask on double click</button>
<input id="key" onkeydown="if (event.key === 'Enter') { %[1]s }">`, answer)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	var b strings.Builder
	fmt.Fprintf(&b, `[[journey]]
name = "popup"
timeout = "60s"
  [[journey.step]]
  name = "open"
  action = "navigate"
  url = "%s/"
`, srv.URL)
	for i, press := range []struct{ action, selector, key string }{
		{"click", "#down", ""}, {"click", "#down", ""}, {"click", "#down", ""}, {"click", "#click", ""},
		{"double_click", "#twice", ""}, {"press", "#key", "\n  key = \"Enter\""},
	} {
		fmt.Fprintf(&b, `  [[journey.step]]
  name = "help %[1]d"
  action = "click"
  selector = "#help"
  [[journey.step]]
  name = "ask %[1]d"
  action = %[2]q
  selector = %[3]q
  target = "%[4]s/help?%[1]d"%[6]s
  [[journey.step]]
  name = "asked %[1]d"
  action = "assert"
  selector = "#asked"
  text = %[5]q
`, i, press.action, press.selector, srv.URL, strings.Repeat("+", i+1), press.key)
	}
	r := runJourney(t, parse(t, b.String()), "popup")
	if r.Status != probes.StatusSuccess {
		t.Fatalf("journey failed:\n%s", describe(r))
	}
}

// TestPopupTarget: a step whose target is the URL of a window the journey
// opened runs in that window; target "main" runs in the journey's page
// again; a target that never appears fails the step, naming its URL.
func TestPopupTarget(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<!doctype html><meta charset="utf-8"><title>main</title><a id="help" href="/help" target="_blank">Help</a><p id="where">main</p>`)
	})
	mux.HandleFunc("/help", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<!doctype html><meta charset="utf-8"><title>help</title><button id="ask" onclick="this.textContent = 'asked'">Ask</button><iframe id="form" src="/help-form"></iframe>`)
	})
	// A same-origin frame inside the popup.
	mux.HandleFunc("/help-form", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<!doctype html><meta charset="utf-8"><title>form</title><button id="send" onclick="this.textContent = 'sent'">Send</button>`)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	cfg := parse(t, `[[journey]]
name = "popup"
timeout = "60s"
  [[journey.step]]
  name = "open"
  action = "navigate"
  url = "`+srv.URL+`/"
  [[journey.step]]
  name = "help"
  action = "click"
  selector = "#help"
  [[journey.step]]
  name = "ask"
  action = "click"
  selector = "#ask"
  target = "`+srv.URL+`/help"
  expect = { selector = "#ask", text = "asked" }
  [[journey.step]]
  name = "send in the popup's frame"
  action = "click"
  selector = "#send"
  target = "`+srv.URL+`/help"
  frame = "xpath/(//iframe | //frame)[1]"
  expect = { selector = "#send", text = "sent" }
  [[journey.step]]
  name = "help moves on"
  action = "navigate"
  url = "`+srv.URL+`/help-form"
  target = "`+srv.URL+`/help"
  wait_for = "#send"
  [[journey.step]]
  name = "help moved on"
  action = "assert"
  url_matches = "/help-form$"
  target = "`+srv.URL+`/help-form"
  [[journey.step]]
  name = "close help"
  action = "close"
  target = "`+srv.URL+`/help-form"
  [[journey.step]]
  name = "back"
  action = "assert"
  selector = "#where"
  text = "main"
  target = "main"
  [[journey.step]]
  name = "help is gone"
  action = "click"
  selector = "#send"
  target = "`+srv.URL+`/help-form"
  optional = true

[[journey]]
name = "no popup"
timeout = "30s"
  [[journey.step]]
  name = "open"
  action = "navigate"
  url = "`+srv.URL+`/"
  [[journey.step]]
  name = "maybe ask"
  action = "click"
  selector = "#ask"
  target = "`+srv.URL+`/help"
  optional = true
  [[journey.step]]
  name = "ask"
  action = "click"
  selector = "#ask"
  target = "`+srv.URL+`/help"
  timeout = "1500ms"
`)
	r := runJourney(t, cfg, "popup")
	if r.Status != probes.StatusSuccess {
		t.Fatalf("journey failed:\n%s", describe(r))
	}
	if s := step(t, r, "help is gone"); s.Status != probes.StepSkipped {
		t.Errorf("a step in the popup after it was closed: status %s, want skipped", s.Status)
	}
	r = runJourney(t, cfg, "no popup")
	want := fmt.Sprintf("no page or frame at %q appeared", srv.URL+"/help")
	if s := step(t, r, "maybe ask"); s.Status != probes.StepSkipped {
		t.Errorf("an optional step in a popup that never opens: status %s, want skipped", s.Status)
	}
	if s := step(t, r, "ask"); s.Status != probes.StepFailed || s.Reason != probes.ReasonFrame || !strings.Contains(s.Message, want) {
		t.Errorf("a target that never appears: status %s, reason %s, message %q; want failed, frame, %q", s.Status, s.Reason, s.Message, want)
	}
}

// TestViewportAndNetworkSteps: a viewport step sets the page's screen and
// a network step its network from that step on, as a recording's
// setViewport and emulateNetworkConditions do; under a profile that sets
// the screen or throttles the network, the profile's holds.
func TestViewportAndNetworkSteps(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<!doctype html><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>screen</title><style>@media (min-width: 500px) { #narrow { display: none } }</style><p id="narrow">narrow</p>`)
	}))
	t.Cleanup(srv.Close)
	journey := func(name, profile, screen, online string) string {
		return fmt.Sprintf(`
[[journey]]
name = %q
profiles = [%q]
timeout = "60s"
  [[journey.step]]
  name = "open"
  action = "navigate"
  url = "%s/"
  [[journey.step]]
  name = "set viewport"
  action = "viewport"
  width = 400
  height = 300
  device_scale_factor = 2
  mobile = true
  touch = true
  wait_for = "#narrow"
  timeout = "5s"
  [[journey.step]]
  name = "screen"
  action = "wait"
  expression = %q
  timeout = "5s"
  [[journey.step]]
  name = "go offline"
  action = "network"
  offline = true
  [[journey.step]]
  name = "network"
  action = "wait"
  expression = %q
  timeout = "5s"
`, name, profile, srv.URL, screen, online)
	}
	const fetchFails = `fetch("/x?" + Math.random()).then(() => false, () => true)`
	const fetchWorks = `fetch("/x?" + Math.random()).then(() => true, () => false)`
	cfg := parse(t, journey("recorded", "desktop", "innerWidth === 400 && devicePixelRatio === 2 && navigator.maxTouchPoints > 0", fetchFails)+
		journey("profile wins", "mobile-4g", "innerWidth === 412 && devicePixelRatio === 1.75", fetchWorks))
	for _, name := range []string{"recorded", "profile wins"} {
		if r := runJourney(t, cfg, name); r.Status != probes.StatusSuccess {
			t.Errorf("journey %q failed:\n%s", name, describe(r))
		}
	}
	// A viewport step waits for its wait_for, as every step does.
	wide := parse(t, `[[journey]]
name = "wide"
timeout = "30s"
  [[journey.step]]
  name = "open"
  action = "navigate"
  url = "`+srv.URL+`/"
  [[journey.step]]
  name = "wide"
  action = "viewport"
  width = 800
  height = 600
  wait_for = "#narrow"
  timeout = "1s"
`)
	if s := step(t, runJourney(t, wide, "wide"), "wide"); s.Status != probes.StepFailed || s.Reason != probes.ReasonSelector {
		t.Errorf("a viewport step whose wait_for never shows: status %s, reason %s; want failed, selector", s.Status, s.Reason)
	}
}

// TestNetworkStepReachesLaterFrames: a network step throttles the page and
// also another site's iframe that the page creates after the step, whose
// own request at its load waits for the added latency.
func TestNetworkStepReachesLaterFrames(t *testing.T) {
	t.Parallel()
	shop, _ := profileSite(t)
	const latency = 700
	cfg := parse(t, fmt.Sprintf(`[[journey]]
name = "network"
timeout = "60s"
  [[journey.step]]
  name = "chat page"
  action = "navigate"
  url = "%[1]s/chat?min=%[2]d"
  [[journey.step]]
  name = "slow"
  action = "network"
  latency = "%[2]dms"
  [[journey.step]]
  name = "open chat"
  action = "click"
  selector = "#open"
  expect = { selector = "#verdict", text = "slow" }
  timeout = "30s"
  [[journey.step]]
  name = "ask"
  action = "click"
  frame = "#chat"
  selector = "#ask"
  expect = { selector = "#answer", text = "slow" }
  timeout = "30s"
`, shop, latency))
	if r := runJourney(t, cfg, "network"); r.Status != probes.StatusSuccess {
		t.Fatalf("journey failed:\n%s", describe(r))
	}
}

// A press may hold modifiers ("Shift+Tab", "Control+b"), as a recorded
// shortcut does: the page sees the key with its modifier flags, not the
// text "Shift+Tab" typed. A click may hold them too.
func TestPressWithModifiers(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<!doctype html><title>keys</title><input id="a"><input id="b"><button id="c">c</button><p id="log"></p>
<script>const log = (e, what) => {
  document.getElementById("log").textContent = what + (e.shiftKey ? " shift" : "") + (e.ctrlKey ? " ctrl" : "");
};
document.addEventListener("keydown", (e) => { if (!["Shift", "Control"].includes(e.key)) log(e, e.key); });
document.getElementById("c").addEventListener("click", (e) => log(e, "click"));</script>`)
	}))
	t.Cleanup(srv.Close)
	r := runJourney(t, parse(t, `
[[journey]]
name = "keys"
timeout = "60s"
  [[journey.step]]
  name = "open"
  action = "navigate"
  url = "`+srv.URL+`/"
  [[journey.step]]
  name = "back a field"
  action = "press"
  selector = "#b"
  key = "Shift+Tab"
  expect = { selector = "#log", text = "Tab shift" }
  timeout = "10s"
  [[journey.step]]
  name = "shortcut"
  action = "press"
  key = "Control+b"
  expect = { selector = "#log", text = "b ctrl" }
  timeout = "10s"
  [[journey.step]]
  name = "control-click"
  action = "click"
  selector = "#c"
  modifiers = ["Control", "Shift"]
  expect = { selector = "#log", text = "click shift ctrl" }
  timeout = "10s"
`), "keys")
	if r.Status != probes.StatusSuccess {
		t.Fatalf("journey failed:\n%s", describe(r))
	}
}
