package probes_test

import (
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/touchprobe/touchprobe/probes"
)

// quirkSite serves small pages that behave as real sites do, oddly: popups
// that redirect or close themselves, frames that change site, elements a
// framework renders again, pages that reload or replace themselves, and
// dialogs wherever a page may open one. It answers on 127.0.0.1 and, as
// another site, on localhost; other is the localhost base URL.
func quirkSite(t *testing.T) (base, other string) {
	t.Helper()
	mux := http.NewServeMux()
	var srv *httptest.Server
	page := func(path, body string) {
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			body := strings.ReplaceAll(body, "{base}", srv.URL)
			body = strings.ReplaceAll(body, "{other}", strings.Replace(srv.URL, "127.0.0.1", "localhost", 1))
			fmt.Fprint(w, `<!doctype html><meta charset="utf-8">`+body)
		})
	}
	// Popups.
	page("/popups", `<title>popups</title><a id="noopener" href="/pop" target="_blank" rel="noopener">pop</a>
<a id="redirect" href="/go" target="_blank">go</a><a id="replace" href="/replace" target="_blank">replace</a>
<a id="slow" href="/slow" target="_blank">slow</a>
<button id="flash" onclick="const w = window.open('/flash'); setTimeout(() => w.close(), 30)">flash</button>
<button id="chat" onclick="const f = document.createElement('iframe'); f.src = '{other}/f-other'; document.body.append(f)">chat</button>`)
	page("/pop", `<title>pop</title><button id="b" onclick="this.textContent = 'pressed'">b</button>`)
	mux.HandleFunc("/go", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/landed", http.StatusFound) })
	page("/landed", `<title>landed</title><button id="b" onclick="this.textContent = 'pressed'">b</button>`)
	page("/replace", `<title>replace</title><script>location.replace("/replaced")</script>`)
	page("/replaced", `<title>replaced</title><button id="b" onclick="this.textContent = 'pressed'">b</button>`)
	page("/flash", `<title>flash</title><button id="b">b</button>`)
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><title>slow</title>`)
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
			return
		case <-time.After(time.Second):
		}
		fmt.Fprint(w, `<button id="b" onclick="this.textContent = 'pressed'">b</button>`)
	})
	// Frames that change site: #x is another site's frame whose link leads
	// to this site; #y is this site's frame that a button of the page
	// sends to the other site.
	page("/frames", `<title>frames</title><button id="move" onclick="document.getElementById('y').src = '{other}/f-other'">move</button>
<iframe id="x" src="{other}/f-away"></iframe><iframe id="y" src="/f-here"></iframe>`)
	page("/lazy", `<title>lazy</title><div style="height: 3000px"></div><iframe id="here" loading="lazy" src="/f-here"></iframe><iframe id="there" loading="lazy" src="{other}/f-other"></iframe>`)
	page("/login", `<title>login</title><button id="login" onclick="window.open('{other}/sign-in')">log in</button><p id="out"></p>`)
	page("/sign-in", `<title>sign in</title><button id="ok" onclick="location.href = '{base}/signed-in'">ok</button>
<button id="move" onclick="opener.location.href = '{base}/pop'; window.close()">move</button>`)
	page("/signed-in", `<title>signed in</title><script>opener.document.getElementById("out").textContent = "logged in"; window.close();</script>`)
	// A frame mounted again once, a while after load, as a framework
	// renders a payment widget again. The button of the first frame
	// would show after 6 seconds, that of the second at once: the step
	// waits in the first frame when it goes, whenever the step starts.
	page("/remount", `<title>remount</title><p>pay</p><iframe id="w" src="{other}/f-late"></iframe><iframe id="v" src="/f-late"></iframe>
<script>addEventListener("load", () => setTimeout(() => {
  for (const id of ["w", "v"]) { const old = document.getElementById(id); const f = document.createElement("iframe"); f.id = id; f.src = old.src + "?again"; old.replaceWith(f); }
}, 4000));</script>`)
	page("/f-late", `<p id="t">late</p><script>setTimeout(() => { const b = document.createElement("button"); b.id = "b"; b.textContent = "late";
  b.onclick = () => { b.textContent = "pressed"; }; document.body.append(b); }, location.search ? 0 : 6000);</script>`)
	page("/formframe", `<title>form frame</title><p>form</p><iframe id="u" src="{other}/f-form"></iframe>`)
	page("/f-form", `<form action="{base}/typed"><input id="q" name="q" oninput="this.form.submit()"></form>`)
	page("/f-away", `<a id="away" href="{base}/f-here">to the page's site</a>`)
	page("/f-here", `<button id="b" onclick="this.textContent = 'pressed'">here</button><a id="back" href="{other}/f-other">back</a>`)
	page("/f-other", `<button id="b" onclick="this.textContent = 'pressed'">other</button>`)
	// Elements: a button rendered anew as the pointer comes over it,
	// between being found and being pressed, as a framework renders
	// again on hover, and one that a banner pushes down just after load.
	page("/rerender", `<title>rerender</title><div id="app"></div><p id="out"></p>
<script>let n = 0; const render = () => { const b = document.createElement("button"); b.id = "go"; b.textContent = "go " + n++;
  b.onclick = () => { document.getElementById("out").textContent = "clicked " + b.textContent; };
  if (n === 1) b.addEventListener("pointerover", render); document.getElementById("app").replaceChildren(b); };
render();</script>`)
	page("/shift", `<title>shift</title><div id="top"></div><button id="go" onclick="document.getElementById('out').textContent = 'clicked'">go</button><p id="out"></p>
<script>setTimeout(() => { document.getElementById("top").style.height = "300px"; }, 150);</script>`)
	// Navigations: a single-page app's, a reload, a field whose form is
	// sent at every input.
	page("/spa", `<title>spa</title><button id="go" onclick="history.pushState({}, '', '/spa/next'); document.getElementById('view').textContent = 'next'">go</button><p id="view">first</p>`)
	page("/reload", `<title>reload</title><button id="go" onclick="sessionStorage.n = Number(sessionStorage.n || 0) + 1; location.reload()">go</button>
<p id="n"></p><script>document.getElementById("n").textContent = "reloads " + (sessionStorage.n || 0);</script>`)
	page("/typing", `<title>typing</title><form action="/typed"><input id="q" name="q" oninput="this.form.submit()"><input id="r" name="r"></form>`)
	mux.HandleFunc("/typed", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><title>typed</title><p id="q">typed %s</p><input id="more">`, html.EscapeString(r.URL.Query().Get("q")))
	})
	// Dialogs: in the page, in a popup, while a page loads.
	page("/dialogs", `<title>dialogs</title><a id="pop" href="/pop-dialogs" target="_blank">pop</a><a id="load" href="/load-alert">load</a><a id="pop-load" href="/load-alert" target="_blank">pop load</a>
<button id="alert" onclick="alert('hi'); document.getElementById('out').textContent = 'alerted'">alert</button><p id="out"></p>`)
	page("/pop-dialogs", `<title>pop dialogs</title><p id="out"></p><a id="leave" href="/pop">leave</a>
<button id="alert" onclick="alert('hi'); document.getElementById('out').textContent = 'alerted'">alert</button>
<button id="confirm" onclick="document.getElementById('out').textContent = confirm('sure?') ? 'confirmed' : 'not confirmed'">confirm</button>
<button id="prompt" onclick="document.getElementById('out').textContent = 'name ' + prompt('name?', 'Ada')">prompt</button>
<script>addEventListener("beforeunload", (e) => { e.preventDefault(); e.returnValue = "unsaved"; });</script>`)
	page("/frame-dialogs", `<title>frame dialogs</title><iframe id="z" src="{other}/pop-dialogs"></iframe>`)
	page("/leave", `<title>leave</title><p id="here">here</p><script>addEventListener("beforeunload", (e) => { e.preventDefault(); e.returnValue = "unsaved"; });</script>`)
	page("/load-alert", `<title>load alert</title><script>alert("welcome")</script><p id="ok">loaded</p>`)
	// Loads that end oddly: no content, a redirect loop, a body that
	// never ends (bounded: it ends after 90 s).
	page("/links", `<title>links</title><a id="none" href="/none">none</a><a id="loop" href="/loop">loop</a><a id="endless" href="/endless">endless</a><p id="here">here</p>`)
	mux.HandleFunc("/none", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/loop", http.StatusFound) })
	mux.HandleFunc("/endless", func(w http.ResponseWriter, r *http.Request) {
		trickle(w, r, `<!doctype html><title>endless</title><p id="start">started</p><p>`, strings.Repeat("x", 900))
	})
	// Popups that end: on input, on hover, a while after they open.
	page("/ends", `<title>ends</title><button id="pop" onclick="window.open('/ending')">pop</button><a id="dialogs" href="/pop-dialogs" target="_blank">dialogs</a>
<button id="late" onclick="const w = window.open('/ending'); setTimeout(() => w.close(), 2500)">late</button><p id="out"></p>`)
	page("/ending", `<title>ending</title><input id="q" oninput="opener.document.getElementById('out').textContent = this.value; window.close()">
<button id="hover" onmouseover="window.close()">hover</button>
<select id="s" onchange="opener.document.getElementById('out').textContent = this.value; window.close()"><option>a</option><option>b</option></select>`)
	srv = httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL, strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)
}

// quirkJourney is a journey of the given steps, each a TOML table's keys,
// with {base} and {other} in them the site's two base URLs.
func quirkJourney(base, other, name string, steps ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\n[[journey]]\nname = %q\ntimeout = \"60s\"\n", name)
	for _, s := range steps {
		s = strings.ReplaceAll(s, "{base}", base)
		s = strings.ReplaceAll(s, "{other}", other)
		b.WriteString("  [[journey.step]]\n")
		for _, line := range strings.Split(strings.TrimSpace(s), "\n") {
			b.WriteString("  " + strings.TrimSpace(line) + "\n")
		}
	}
	return b.String()
}

// runQuirks runs each journey of cfg in turn, and checks each ends as want
// says: success, or the failure of a step with a reason and a message.
type quirkCase struct {
	journey string
	// failed, reason and msg are the step that fails, its reason and part
	// of its message; failed is empty when the journey succeeds.
	failed string
	reason probes.Reason
	msg    string
	// ranFor is the least time the failed step must be measured for: a
	// step that waited its timeout out took about that long (the step's
	// clock starts a moment after its timeout's).
	ranFor time.Duration
}

func runQuirks(t *testing.T, text string, cases []quirkCase) {
	t.Helper()
	cfg := parse(t, text)
	for _, tc := range cases {
		r := runJourney(t, cfg, tc.journey)
		t.Logf("%s: %s", tc.journey, describe(r))
		if tc.failed == "" {
			if r.Status != probes.StatusSuccess {
				t.Errorf("journey %q failed, want success:\n%s", tc.journey, describe(r))
			}
			continue
		}
		if r.Status != probes.StatusFailure || r.FailedStep != tc.failed || r.Reason != tc.reason || !strings.Contains(r.Message, tc.msg) {
			t.Errorf("journey %q: want step %q failed with reason %s and a message with %q:\n%s", tc.journey, tc.failed, tc.reason, tc.msg, describe(r))
			continue
		}
		if d := step(t, r, tc.failed).Duration; d < tc.ranFor {
			t.Errorf("journey %q: step %q measured %v, want at least %v: it waited that long", tc.journey, tc.failed, d, tc.ranFor)
		}
	}
}

// TestQuirkyPopups: a popup opened without an opener is a target as any;
// one that redirects, by its server or by location.replace, is found at
// the URL it lands on; a step waits for a popup still loading; one that
// closes itself at once fails the step that looks for it, naming it.
func TestQuirkyPopups(t *testing.T) {
	t.Parallel()
	base, other := quirkSite(t)
	open := `name = "open"
action = "navigate"
url = "{base}/popups"`
	clickIn := func(target string) string {
		return `name = "in ` + target + `"
action = "click"
selector = "#b"
target = "{base}/` + target + `"
expect = { selector = "#b", text = "pressed" }
timeout = "15s"`
	}
	click := func(sel string) string {
		return `name = "click ` + sel + `"
action = "click"
selector = "` + sel + `"`
	}
	text := quirkJourney(base, other, "noopener", open, click("#noopener"), clickIn("pop")) +
		quirkJourney(base, other, "redirect", open, click("#redirect"), clickIn("landed")) +
		quirkJourney(base, other, "replace", open, click("#replace"), clickIn("replaced")) +
		quirkJourney(base, other, "slow", open, click("#slow"), clickIn("slow")) +
		quirkJourney(base, other, "flash", open, click("#flash"), `name = "in flash"
action = "click"
selector = "#b"
target = "{base}/flash"
timeout = "3s"`, click("#noopener"))
	runQuirks(t, text, []quirkCase{
		{journey: "noopener"},
		{journey: "redirect"},
		{journey: "replace"},
		{journey: "slow"},
		{journey: "flash", failed: "in flash", reason: probes.ReasonFrame, msg: `no page or frame at "` + base + `/flash" appeared`},
	})
}

// TestQuirkyFramesAndElements: a click that sends a frame to another site
// is followed by steps in the frame's new document, whichever site it is
// in; a button rendered anew while it is pressed, or pushed down before,
// is pressed.
func TestQuirkyFramesAndElements(t *testing.T) {
	t.Parallel()
	base, other := quirkSite(t)
	open := func(path string) string {
		return `name = "open"
action = "navigate"
url = "{base}/` + path + `"`
	}
	text := quirkJourney(base, other, "to the page's site", open("frames"), `name = "away"
action = "click"
selector = "#away"
frame = "#x"
expect = { selector = "#b", text = "here" }
timeout = "10s"`, `name = "here"
action = "click"
selector = "#b"
frame = "#x"
expect = { selector = "#b", text = "pressed" }
timeout = "15s"`, `name = "back"
action = "click"
selector = "#back"
frame = "#x"
expect = { selector = "#b", text = "other" }
timeout = "10s"`, `name = "there again"
action = "click"
selector = "#b"
frame = "#x"
expect = { selector = "#b", text = "pressed" }
timeout = "15s"`) +
		quirkJourney(base, other, "to the other site", open("frames"), `name = "move"
action = "click"
selector = "#move"`, `name = "there"
action = "click"
selector = "#b"
frame = "#y"
expect = { selector = "#b", text = "pressed" }
timeout = "15s"`) +
		quirkJourney(base, other, "frame to the other site", open("frames"), `name = "back"
action = "click"
selector = "#back"
frame = "#y"
expect = { selector = "#b", text = "other" }
timeout = "10s"`) +
		quirkJourney(base, other, "rerender", open("rerender"), `name = "go"
action = "click"
selector = "#go"
expect = { selector = "#out", text = "clicked go 1" }
timeout = "15s"`) +
		quirkJourney(base, other, "shift", open("shift"), `name = "go"
action = "click"
selector = "#go"
expect = { selector = "#out", text = "clicked" }
timeout = "15s"`)
	text += quirkJourney(base, other, "lazy frames", open("lazy"), `name = "here"
action = "click"
selector = "#b"
frame = "#here"
expect = { selector = "#b", text = "pressed" }
timeout = "10s"`, `name = "there"
action = "click"
selector = "#b"
frame = "#there"
expect = { selector = "#b", text = "pressed" }
timeout = "10s"`) + quirkJourney(base, other, "login popup", open("login"), `name = "log in"
action = "click"
selector = "#login"`, `name = "sign in"
action = "click"
selector = "#ok"
target = "{other}/sign-in"
timeout = "10s"`, `name = "logged in"
action = "assert"
selector = "#out"
text = "logged in"
timeout = "10s"`)
	text += quirkJourney(base, other, "login popup moves the page", open("login"), `name = "log in"
action = "click"
selector = "#login"`, `name = "sign in"
action = "click"
selector = "#move"
target = "{other}/sign-in"
wait_for = "#b"
timeout = "10s"`, `name = "moved"
action = "click"
selector = "#b"
expect = { selector = "#b", text = "pressed" }
timeout = "10s"`)
	remount := func(frame string) string {
		return quirkJourney(base, other, "remount "+frame, open("remount"), `name = "press"
action = "click"
selector = "#b"
frame = "#`+frame+`"
expect = { selector = "#b", text = "pressed" }
timeout = "10s"`)
	}
	text += remount("w") + remount("v") + quirkJourney(base, other, "form frame", open("formframe"), `name = "type"
action = "fill"
fields = { "#q" = "hello" }
frame = "#u"
expect = { selector = "#q", text = "typed hello" }
timeout = "10s"`)
	runQuirks(t, text, []quirkCase{
		{journey: "remount w"},
		{journey: "remount v"},
		{journey: "form frame"},
		{journey: "login popup moves the page"},
		{journey: "lazy frames"},
		{journey: "login popup"},
		{journey: "to the page's site"},
		{journey: "to the other site"},
		{journey: "frame to the other site"},
		{journey: "rerender"},
		{journey: "shift"},
	})
}

// TestQuirkyNavigationsAndDialogs: a click that moves a single-page app by
// history.pushState, or reloads the page, ends with the page it led to; a
// field whose form is sent as it is typed into leads to the page sent to.
// Dialogs are answered wherever they open: in the page, in a popup, or
// while a page loads.
func TestQuirkyNavigationsAndDialogs(t *testing.T) {
	t.Parallel()
	base, other := quirkSite(t)
	open := func(path string) string {
		return `name = "open"
action = "navigate"
url = "{base}/` + path + `"`
	}
	popStep := func(sel, want string) string {
		return `name = "` + sel + `"
action = "click"
selector = "` + sel + `"
target = "{base}/pop-dialogs"
expect = { selector = "#out", text = "` + want + `" }
timeout = "10s"`
	}
	text := quirkJourney(base, other, "spa", open("spa"), `name = "go"
action = "click"
selector = "#go"
expect = { selector = "#view", text = "next" }`, `name = "moved"
action = "assert"
url_matches = "/spa/next$"`) +
		quirkJourney(base, other, "reload", open("reload"), `name = "go"
action = "click"
selector = "#go"
expect = { selector = "#n", text = "reloads 1" }`, `name = "again"
action = "click"
selector = "#go"
expect = { selector = "#n", text = "reloads 2" }`) +
		quirkJourney(base, other, "typing", open("typing"), `name = "type"
action = "fill"
fields = { "#q" = "hello" }
expect = { selector = "#q", text = "typed hello" }
timeout = "10s"`, `name = "more"
action = "fill"
fields = { "#more" = "more" }`) +
		quirkJourney(base, other, "page dialogs", open("dialogs"), `name = "alert"
action = "click"
selector = "#alert"
expect = { selector = "#out", text = "alerted" }
timeout = "10s"`, `name = "load"
action = "click"
selector = "#load"
wait_for = "#ok"
timeout = "10s"`, `name = "open with alert"
action = "navigate"
url = "{base}/load-alert"
wait_for = "#ok"
timeout = "10s"`) +
		quirkJourney(base, other, "popup dialogs", open("dialogs"), `name = "pop"
action = "click"
selector = "#pop"`, popStep("#alert", "alerted"), popStep("#confirm", "confirmed"), popStep("#prompt", "name Ada"), `name = "leave"
action = "click"
selector = "#leave"
target = "{base}/pop-dialogs"
timeout = "10s"`, `name = "left"
action = "assert"
selector = "#b"
text = "b"
target = "{base}/pop"
timeout = "10s"`)
	text += quirkJourney(base, other, "popup alerts on load", open("dialogs"), `name = "pop"
action = "click"
selector = "#pop-load"`, `name = "in popup"
action = "assert"
selector = "#ok"
text = "loaded"
target = "{base}/load-alert"
timeout = "10s"`, `name = "in page"
action = "click"
selector = "#alert"
expect = { selector = "#out", text = "alerted" }
timeout = "10s"`) + quirkJourney(base, other, "popup alerts on load, page goes on", open("dialogs"), `name = "pop"
action = "click"
selector = "#pop-load"`, `name = "in page"
action = "click"
selector = "#alert"
expect = { selector = "#out", text = "alerted" }
timeout = "10s"`)
	text += quirkJourney(base, other, "frame dialogs", open("frame-dialogs"), `name = "alert"
action = "click"
selector = "#alert"
frame = "#z"
expect = { selector = "#out", text = "alerted" }
timeout = "10s"`, `name = "confirm"
action = "click"
selector = "#confirm"
frame = "#z"
expect = { selector = "#out", text = "confirmed" }
timeout = "10s"`) + quirkJourney(base, other, "navigate away", open("leave"), `name = "touch"
action = "click"
selector = "#here"`, `name = "away"
action = "navigate"
url = "{base}/dialogs"
timeout = "10s"`)
	runQuirks(t, text, []quirkCase{
		{journey: "frame dialogs"},
		{journey: "navigate away"},
		{journey: "popup alerts on load"},
		{journey: "popup alerts on load, page goes on"},
		{journey: "spa"},
		{journey: "reload"},
		{journey: "typing"},
		{journey: "page dialogs"},
		{journey: "popup dialogs"},
	})
}

// TestQuirkyLoads: a navigation answered with no content, one that
// redirects for ever and one whose body never ends are each a measured
// failure with a clear reason, whether a navigate step or a click on a
// link started it; a link with no content leaves the page as it was. The
// runs after them are as any.
func TestQuirkyLoads(t *testing.T) {
	t.Parallel()
	base, other := quirkSite(t)
	open := func(path, timeout string) string {
		return `name = "open"
action = "navigate"
url = "{base}/` + path + `"
timeout = "` + timeout + `"`
	}
	follow := func(sel string) string {
		return `name = "follow"
action = "click"
selector = "` + sel + `"
timeout = "3s"`
	}
	here := `name = "here"
action = "assert"
selector = "#here"
text = "here"`
	text := quirkJourney(base, other, "open none", open("none", "3s")) +
		quirkJourney(base, other, "open loop", open("loop", "10s")) +
		quirkJourney(base, other, "open endless", open("endless", "3s")) +
		quirkJourney(base, other, "follow none", open("links", "10s"), follow("#none"), here) +
		quirkJourney(base, other, "follow loop", open("links", "10s"), follow("#loop")) +
		quirkJourney(base, other, "follow endless", open("links", "10s"), follow("#endless")) +
		quirkJourney(base, other, "after", open("links", "10s"), here) +
		quirkJourney(base, other, "expect in vain", open("links", "10s"), `name = "click"
action = "click"
selector = "#here"
expect = { selector = "#here", text = "there" }
timeout = "2s"`)
	runQuirks(t, text, []quirkCase{
		{journey: "expect in vain", failed: "click", reason: probes.ReasonAssertion, msg: `expected "there"`, ranFor: time.Second},
		{journey: "open none", failed: "open", reason: probes.ReasonNavigation, msg: "the page did not load: GET " + base + "/none answered HTTP 204 No Content, with no page to show"},
		{journey: "after"},
		{journey: "open loop", failed: "open", reason: probes.ReasonRedirectLoop, msg: "net::ERR_TOO_MANY_REDIRECTS"},
		{journey: "after"},
		{journey: "open endless", failed: "open", reason: probes.ReasonTimeout, msg: "did not finish loading within the step's timeout of 3s", ranFor: 2 * time.Second},
		{journey: "after"},
		{journey: "follow none"},
		{journey: "follow loop", failed: "follow", reason: probes.ReasonRedirectLoop, msg: "ERR_TOO_MANY_REDIRECTS"},
		{journey: "after"},
		{journey: "follow endless", failed: "follow", reason: probes.ReasonTimeout, msg: "the page did not finish loading (no load event) within the step's timeout of 3s", ranFor: 2 * time.Second},
		{journey: "after"},
	})
}

// TestQuirkyPopupEnds: a popup that closes itself when typed into, chosen
// in or hovered over took the input; one closed by a close step with a
// beforeunload handler is gone; one that closes while a step waits in it
// fails that step saying it went.
func TestQuirkyPopupEnds(t *testing.T) {
	t.Parallel()
	base, other := quirkSite(t)
	open := `name = "open"
action = "navigate"
url = "{base}/ends"`
	click := func(sel string) string {
		return `name = "click ` + sel + `"
action = "click"
selector = "` + sel + `"`
	}
	out := func(want string) string {
		return `name = "out"
action = "assert"
selector = "#out"
text = "` + want + `"
timeout = "10s"`
	}
	text := quirkJourney(base, other, "fill", open, click("#pop"), `name = "fill"
action = "fill"
fields = { "#q" = "typed" }
target = "{base}/ending"
timeout = "10s"`, out("typed")) +
		quirkJourney(base, other, "select", open, click("#pop"), `name = "select"
action = "select"
selector = "#s"
value = "b"
target = "{base}/ending"
timeout = "10s"`, out("b")) +
		quirkJourney(base, other, "hover", open, click("#pop"), `name = "hover"
action = "hover"
selector = "#hover"
target = "{base}/ending"
timeout = "10s"`, `name = "gone"
action = "click"
selector = "#hover"
target = "{base}/ending"
optional = true`) +
		quirkJourney(base, other, "close", open, click("#dialogs"), `name = "alert"
action = "click"
selector = "#alert"
target = "{base}/pop-dialogs"
timeout = "10s"`, `name = "close"
action = "close"
target = "{base}/pop-dialogs"
timeout = "10s"`, `name = "gone"
action = "click"
selector = "#alert"
target = "{base}/pop-dialogs"
optional = true`) +
		quirkJourney(base, other, "late", open, click("#late"), `name = "wait in it"
action = "wait"
selector = "#never"
target = "{base}/ending"
timeout = "10s"`)
	runQuirks(t, text, []quirkCase{
		{journey: "fill"},
		{journey: "select"},
		{journey: "hover"},
		{journey: "close"},
		{journey: "late", failed: "wait in it", reason: probes.ReasonFrame, msg: `the page or frame at "` + base + `/ending" closed while the step ran in it`},
	})
}
