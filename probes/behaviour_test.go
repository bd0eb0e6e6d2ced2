package probes_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/touchprobe/touchprobe/config"
	"github.com/touchprobe/touchprobe/internal/browser"
	"github.com/touchprobe/touchprobe/probes"
)

// behaviourSite serves the pages of the behaviour tests: pages that end a
// step in unusual ways (dialogs, downloads, endless bodies) and pages whose
// requests fail while the step waits for an element.
func behaviourSite(t *testing.T) *httptest.Server {
	t.Helper()
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "http://" + closed.Addr().String() + "/api/items"
	closed.Close()
	// The widget is served under another host name, as a chat widget of
	// another site is: Chromium runs it in a renderer of its own.
	widget := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprint(w, `<!doctype html><title>down</title><p>widget unavailable</p>`)
	}))
	t.Cleanup(widget.Close)
	widgetURL := strings.Replace(widget.URL, "127.0.0.1", "localhost", 1) + "/widget"

	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<!doctype html><title>ok</title><p id="ok">fine</p>`)
	})
	// A list filled by an API that answers 502, or whose port is closed.
	list := func(api string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, `<!doctype html><title>list</title><div id="list"></div>
<script>fetch(%q).then(r => { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
  .then(items => { const u = document.createElement("ul"); u.id = "items"; document.getElementById("list").append(u); })
  .catch(e => console.error("could not load the list", String(e)));</script>`, api)
		}
	}
	mux.HandleFunc("/list-502", list("/api/items"))
	mux.HandleFunc("/list-refused", list(refused))
	mux.HandleFunc("/api/items", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadGateway)
		fmt.Fprint(w, `{"error":"bad gateway"}`)
	})
	mux.HandleFunc("/widget-page", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `<!doctype html><title>chat</title><button id="open-chat">chat</button>
<script>document.getElementById("open-chat").onclick = () => {
  const f = document.createElement("iframe"); f.id = "chat"; f.src = %q; f.width = 300; f.height = 200; document.body.append(f);
};</script>`, widgetURL)
	})
	// A document that trickles a byte every 100 ms for longer than any
	// step's timeout here (bounded: it ends after 90 s).
	mux.HandleFunc("/endless", func(w http.ResponseWriter, r *http.Request) {
		trickle(w, r, `<!doctype html><title>endless</title><p id="start">started</p><p>`, strings.Repeat("x", 900))
	})
	mux.HandleFunc("/hog-link", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<!doctype html><title>link</title><a id="go" href="/hog-on-load">more</a>`)
	})
	// A page whose inline script allocates until the renderer dies,
	// before the load event.
	mux.HandleFunc("/hog-on-load", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<!doctype html><title>hog</title><p id="text">eating</p>
<script>const a = []; for (;;) a.push(new Array(1 << 20).fill(a.length));</script><p id="never">never</p>`)
	})
	// Dialogs: the page shows what the dialog answered.
	dialog := func(script string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, `<!doctype html><title>dialog</title><button id="go">go</button><p id="out"></p>
<script>document.getElementById("go").onclick = () => { %s };</script>`, script)
		}
	}
	mux.HandleFunc("/alert", dialog(`alert("Your session ends soon"); document.getElementById("out").textContent = "after alert";`))
	mux.HandleFunc("/confirm", dialog(`const ok = confirm("Empty the basket?"); document.getElementById("out").textContent = ok ? "accepted" : "dismissed";`))
	mux.HandleFunc("/prompt", dialog(`document.getElementById("out").textContent = "name: " + prompt("Your name?", "Ada");`))
	mux.HandleFunc("/leave", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<!doctype html><title>form</title><a id="go" href="/ok">leave</a>
<script>addEventListener("beforeunload", e => { e.preventDefault(); e.returnValue = "unsaved"; });</script>`)
	})
	mux.HandleFunc("/downloads", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<!doctype html><title>downloads</title><a id="go" href="/report-touchprobe-test.csv">report</a><p id="out">list</p>`)
	})
	mux.HandleFunc("/report-touchprobe-test.csv", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/csv")
		w.Header().Set("Content-Disposition", `attachment; filename="report-touchprobe-test.csv"`)
		fmt.Fprint(w, "a,b\n1,2\n")
	})
	// A page that shows what was typed, as text and in an attribute,
	// logs it and sends it to its API in the URL and as JSON.
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<!doctype html><title>echo</title><input id="field"><button id="send">send</button>
<p id="shown"></p><div id="attr"></div><p id="reply"></p>
<script>document.getElementById("send").onclick = () => {
  const v = document.getElementById("field").value;
  document.getElementById("shown").textContent = "you typed " + v;
  document.getElementById("attr").setAttribute("data-typed", v);
  document.getElementById("attr").setAttribute("data-json", JSON.stringify({v}));
  console.log("typed", v, JSON.stringify({v}));
  fetch("/api/echo?q=" + encodeURIComponent(v), {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify({v})})
    .then(r => r.text()).then(t => { document.getElementById("reply").textContent = t; });
};</script>`)
	})
	mux.HandleFunc("/api/echo", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"echo":%q}`, r.URL.Query().Get("q"))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// A journey that ends on its own timeout in the middle of a step keeps
// the evidence of that step, as a step that fails does.
func TestJourneyTimeoutKeepsScreenshot(t *testing.T) {
	t.Parallel()
	site := behaviourSite(t)
	cfg := parse(t, fmt.Sprintf(`[[journey]]
name = "late"
timeout = "15s"
  [[journey.step]]
  name = "open"
  action = "navigate"
  url = %q
  [[journey.step]]
  name = "wait"
  action = "wait"
  selector = "#never"
  timeout = "60s"
`, site.URL+"/ok"))
	r, c := runProbe(t, cfg, "late", true)
	t.Logf("recorded: %s", describe(r))
	if r.Status != probes.StatusFailure || r.FailedStep != "wait" {
		t.Fatalf("want a failure of step wait:\n%s", describe(r))
	}
	if !strings.Contains(r.Message, "journey's timeout") {
		t.Errorf("message %q does not name the journey's timeout", r.Message)
	}
	if c == nil {
		t.Fatal("no evidence")
	}
	if c.Step != 1 || len(c.Screenshot) == 0 || !strings.Contains(string(c.HTML), `id="ok"`) {
		t.Errorf("evidence: want the screenshot and HTML of step 1, got step %d, %d bytes of PNG, HTML %q", c.Step, len(c.Screenshot), c.HTML)
	}
}

// A renderer that runs out of memory while the page loads is a page
// crash of that step, not a slow success.
func TestRendererOutOfMemoryWhileLoading(t *testing.T) {
	m, err := browser.New(browser.Options{Dir: t.TempDir(), ExtraFlags: []string{"--js-flags=--max-old-space-size=64"}, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	site := behaviourSite(t)
	journey := func(open, step string) string {
		return fmt.Sprintf(`[[journey]]
name = "hog"
timeout = "60s"
  [[journey.step]]
  name = "open"
  action = "navigate"
  url = %q
  [[journey.step]]
  name = "hog"
  timeout = "40s"
%s`, site.URL+open, step)
	}
	for _, tc := range []struct{ name, journey string }{
		{"navigate", journey("/ok", fmt.Sprintf("  action = \"navigate\"\n  url = %q\n", site.URL+"/hog-on-load"))},
		{"click on a link", journey("/hog-link", "  action = \"click\"\n  selector = \"#go\"\n")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := parse(t, tc.journey)
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			p := &probes.Prober{Browser: m, Logger: testLogger(t)}
			r := p.Run(ctx, cfg.Journey("hog"), nil, cfg.Secrets(), nil)
			t.Logf("recorded: %s", describe(r))
			if r.Status != probes.StatusFailure || r.Reason != probes.ReasonPageCrash || r.FailedStep != "hog" {
				t.Errorf("want failure of step hog with reason page_crash:\n%s", describe(r))
			}
		})
	}
}

// A document whose body never ends never fires load: the step is a
// timeout, not a success.
func TestEndlessBodyIsTimeout(t *testing.T) {
	t.Parallel()
	site := behaviourSite(t)
	cfg := parse(t, fmt.Sprintf(`[[journey]]
name = "endless"
timeout = "60s"
  [[journey.step]]
  name = "open"
  action = "navigate"
  url = %q
  timeout = "5s"
`, site.URL+"/endless"))
	r := runJourney(t, cfg, "endless")
	t.Logf("recorded: %s", describe(r))
	if r.Status != probes.StatusFailure || r.Reason != probes.ReasonTimeout {
		t.Fatalf("want a timeout failure:\n%s", describe(r))
	}
	if want := "did not finish loading within the step's timeout of 5s"; !strings.Contains(r.Message, want) {
		t.Errorf("message %q does not contain %q", r.Message, want)
	}
}

// A step that waits in vain for an element because a request of the page
// failed gets that request's reason; the message still names the element.
func TestFailedRequestGivesReason(t *testing.T) {
	site := behaviourSite(t)
	// The request fails in the step that waits, as the checkout's order
	// request fails in the step that places the order.
	open := func(url string) string {
		return fmt.Sprintf(`[[journey]]
name = "req"
timeout = "30s"
  [[journey.step]]
  name = "wait"
  action = "navigate"
  url = %q
  wait_for = "#items"
  timeout = "3s"
`, url)
	}
	chat := fmt.Sprintf(`[[journey]]
name = "req"
timeout = "30s"
  [[journey.step]]
  name = "open"
  action = "navigate"
  url = %q
  [[journey.step]]
  name = "wait"
  action = "chat"
  open = "#open-chat"
  frame = "iframe#chat"
  input = "#input"
  message = "hello"
  reply = "p.reply"
  timeout = "3s"
`, site.URL+"/widget-page")
	cases := []struct {
		name    string
		journey string
		reason  probes.Reason
		msg     []string
	}{
		{"api answers 502", open(site.URL + "/list-502"), probes.ReasonHTTPStatus, []string{`"#items"`, "answered HTTP 502"}},
		{"api port refused", open(site.URL + "/list-refused"), probes.ReasonConnRefused, []string{`"#items"`, "ERR_CONNECTION_REFUSED"}},
		{"iframe answers 503", chat, probes.ReasonHTTPStatus, []string{`"#input"`, "answered HTTP 503"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := runJourney(t, parse(t, tc.journey), "req")
			t.Logf("recorded: %s", describe(r))
			if r.Status != probes.StatusFailure || r.Reason != tc.reason || r.FailedStep != "wait" {
				t.Errorf("want failure of step wait with reason %s:\n%s", tc.reason, describe(r))
			}
			for _, m := range tc.msg {
				if !strings.Contains(r.Message, m) {
					t.Errorf("message %q does not contain %q", r.Message, m)
				}
			}
		})
	}
}

// Dialogs are answered as a script answers for a customer: alert and
// prompt accepted (prompt with its default), confirm as the journey says,
// beforeunload accepted so that the navigation goes on. A link that
// downloads a file ends its step; the file is not kept.
func TestDialogsAndDownloads(t *testing.T) {
	t.Parallel()
	site := behaviourSite(t)
	click := func(page, confirm, want string) string {
		j := "[[journey]]\nname = \"dialog\"\ntimeout = \"40s\"\n"
		if confirm != "" {
			j += fmt.Sprintf("confirm = %q\n", confirm)
		}
		return j + fmt.Sprintf(`  [[journey.step]]
  name = "open"
  action = "navigate"
  url = %q
  [[journey.step]]
  name = "click"
  action = "click"
  selector = "#go"
  timeout = "8s"
  budget = "1ms"
  [journey.step.expect]
  selector = %q
  text = %q
`, site.URL+page, want[:strings.Index(want, " ")], want[strings.Index(want, " ")+1:])
	}
	cases := []struct {
		name, journey string
		console       string // what the console evidence says of the dialog
	}{
		{"alert", click("/alert", "", "#out after alert"), "alert dialog: Your session ends soon (accepted)"},
		{"confirm accepted by default", click("/confirm", "", "#out accepted"), "confirm dialog: Empty the basket? (accepted)"},
		{"confirm accepted", click("/confirm", "accept", "#out accepted"), "confirm dialog: Empty the basket? (accepted)"},
		{"confirm dismissed", click("/confirm", "dismiss", "#out dismissed"), "confirm dialog: Empty the basket? (dismissed)"},
		{"prompt", click("/prompt", "", "#out name: Ada"), "prompt dialog: Your name? (accepted)"},
		{"beforeunload", click("/leave", "", "#ok fine"), "beforeunload dialog"},
		{"download", click("/downloads", "", "#out list"), ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := parse(t, tc.journey)
			r, c := runProbe(t, cfg, "dialog", true)
			t.Logf("recorded: %s", describe(r))
			if r.Status != probes.StatusSuccess {
				t.Fatalf("want success:\n%s", describe(r))
			}
			// The click's budget of 1ms is always exceeded: the run keeps
			// its evidence.
			if c == nil {
				t.Fatal("no evidence of a run over budget")
			}
			if tc.console != "" && !strings.Contains(string(c.Console), tc.console) {
				t.Errorf("console evidence does not record the dialog %q:\n%s", tc.console, c.Console)
			}
		})
	}
	if home, err := os.UserHomeDir(); err == nil {
		if _, err := os.Stat(filepath.Join(home, "Downloads", "report-touchprobe-test.csv")); err == nil {
			t.Errorf("the download was written to disk")
		}
	}
}

// A secret made of the characters HTML, JSON and URLs escape, typed into
// a field that the page echoes as text, in attributes, in the console and
// to its API, appears in no file of the evidence in any encoding.
func TestEvidenceMasksEncodedSecrets(t *testing.T) {
	const secret = `Pa"ss<&'wd`
	t.Setenv("TP_TEST_SECRET", secret)
	site := behaviourSite(t)
	cfg := parse(t, fmt.Sprintf(`[[journey]]
name = "echo"
timeout = "40s"
  [[journey.step]]
  name = "open"
  action = "navigate"
  url = %q
  [[journey.step]]
  name = "type"
  action = "fill"
  fields = { "#field" = "${env:TP_TEST_SECRET}" }
  submit = "#send"
  [[journey.step]]
  name = "never"
  action = "wait"
  selector = "#never"
  timeout = "3s"
`, site.URL+"/echo"))
	r, c := runProbe(t, cfg, "echo", true)
	t.Logf("recorded: %s", describe(r))
	if r.FailedStep != "never" {
		t.Fatalf("want a failure at the step after typing:\n%s", describe(r))
	}
	if c == nil || len(c.HTML) == 0 || len(c.HAR) == 0 || len(c.Console) == 0 {
		t.Fatalf("evidence incomplete: %+v", c)
	}
	if !strings.Contains(string(c.HTML), "you typed "+config.Masked) && !strings.Contains(string(c.HTML), "you typed &lt;secret&gt;") {
		t.Errorf("page.html does not show the echoed secret masked:\n%s", c.HTML)
	}
	forms := map[string]string{
		"raw":                      secret,
		"html text":                `Pa"ss&lt;&amp;'wd`,
		"html attribute":           `Pa&quot;ss<&amp;'wd`,
		"html attribute, angles":   `Pa&quot;ss&lt;&amp;'wd`,
		"html.EscapeString":        `Pa&#34;ss&lt;&amp;&#39;wd`,
		"json, Go":                 `Pa\"ss\u003c\u0026'wd`,
		"json, JavaScript":         `Pa\"ss<&'wd`,
		"json in an attribute":     `Pa\&quot;ss<&amp;'wd`,
		"json in json":             `Pa\\\"ss<&'wd`,
		"query":                    `Pa%22ss%3C%26%27wd`,
		"encodeURIComponent":       `Pa%22ss%3C%26'wd`,
		"path":                     `Pa%22ss%3C&%27wd`,
		"secret without its quote": `ss<&'wd`,
	}
	for name, b := range c.Files() {
		for form, f := range forms {
			if strings.Contains(string(b), f) {
				t.Errorf("%s holds the secret %s: %q", name, form, f)
			}
		}
	}
}
