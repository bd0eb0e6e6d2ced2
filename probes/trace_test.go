package probes_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/touchprobe/touchprobe/internal/testutil"
	"github.com/touchprobe/touchprobe/probes"
)

// seen records the trace headers each path of a server received.
type seen struct {
	mu      sync.Mutex
	headers map[string][]http.Header
}

func (s *seen) add(r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.headers == nil {
		s.headers = map[string][]http.Header{}
	}
	s.headers[r.URL.Path] = append(s.headers[r.URL.Path], r.Header.Clone())
}

func (s *seen) get(path string) []http.Header {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.headers[path]
}

// The shop's own requests carry the run's trace context, each with the span
// of the step that made it, through a redirect and with its cookies; the
// chat widget of another origin, an iframe and a fetch of the shop's page
// and the target of a redirect from the shop, never sees it.
func TestTraceContextOnlyToTraceOrigins(t *testing.T) {
	t.Parallel()
	var shopSeen, widgetSeen seen
	widget := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		widgetSeen.add(r)
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.Header().Set("Access-Control-Allow-Headers", "*")
		switch r.URL.Path {
		case "/widget":
			fmt.Fprint(w, `<!doctype html><title>chat</title><p id="hello">hello</p><img src="/widget.png">`)
		default:
			fmt.Fprint(w, "ok")
		}
	}))
	t.Cleanup(widget.Close)
	widgetURL := strings.Replace(widget.URL, "127.0.0.1", "localhost", 1)

	shop := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		shopSeen.add(r)
		switch r.URL.Path {
		case "/":
			http.SetCookie(w, &http.Cookie{Name: "sid", Value: "signed-in", Path: "/"})
			fmt.Fprintf(w, `<!doctype html><title>shop</title>
<p id="api"></p><p id="cors"></p><p id="after"></p>
<iframe id="chat" src="%[1]s/widget"></iframe>
<button id="buy" onclick="fetch('/redirect').then(r => r.text()).then(t => document.getElementById('after').textContent = t)">buy</button>
<script>
fetch("/api").then(r => r.text()).then(t => document.getElementById("api").textContent = t);
fetch("%[1]s/cors").then(r => r.text()).then(t => document.getElementById("cors").textContent = t);
fetch("/away");
</script>`, widgetURL)
		case "/redirect":
			http.Redirect(w, r, "/after", http.StatusFound)
		case "/away":
			http.Redirect(w, r, widgetURL+"/away", http.StatusFound)
		case "/after":
			fmt.Fprint(w, "bought")
		default:
			fmt.Fprint(w, "ok")
		}
	}))
	t.Cleanup(shop.Close)

	cfg := parse(t, fmt.Sprintf(`
[agent]
trace_origins = [%q]
[[journey]]
name = "storefront"
timeout = "60s"
[[journey.step]]
name = "landing"
action = "navigate"
url = %q
wait_for = "#chat"
expect = { selector = "#cors", text = "ok" }
timeout = "30s"
[[journey.step]]
name = "buy"
action = "click"
selector = "#buy"
expect = { selector = "#after", text = "bought" }
timeout = "30s"
`, shop.URL, shop.URL+"/"))
	res := runJourney(t, cfg, "storefront")
	if res.Status != probes.StatusSuccess {
		t.Fatalf("run: %s %s: %s", res.Status, res.Reason, res.Message)
	}
	if !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(res.TraceID) || strings.Trim(res.TraceID, "0") == "" {
		t.Fatalf("trace id %q is not 32 hex digits", res.TraceID)
	}
	for _, s := range res.Steps {
		if !regexp.MustCompile(`^[0-9a-f]{16}$`).MatchString(s.SpanID) || s.SpanID == res.SpanID {
			t.Fatalf("step %q: span id %q is not 16 hex digits of its own", s.Name, s.SpanID)
		}
	}
	// The widget's iframe loaded, its image, the fetch and the shop's
	// redirect to it too: the widget did hear from the run.
	testutil.WaitFor(t, 10*time.Second, "the widget's iframe, image and fetch reach it", func() bool {
		return len(widgetSeen.get("/widget")) > 0 && len(widgetSeen.get("/widget.png")) > 0 && len(widgetSeen.get("/cors")) > 0 && len(widgetSeen.get("/away")) > 0
	})

	for _, tc := range []struct {
		path string
		step int
	}{{"/", 0}, {"/api", 0}, {"/away", 0}, {"/redirect", 1}, {"/after", 1}} {
		hs := shopSeen.get(tc.path)
		if len(hs) == 0 {
			t.Errorf("the shop never saw %s", tc.path)
			continue
		}
		for _, h := range hs {
			if got, want := h.Get("traceparent"), "00-"+res.TraceID+"-"+res.Steps[tc.step].SpanID+"-01"; got != want {
				t.Errorf("%s: traceparent %q, want %q (step %q)", tc.path, got, want, res.Steps[tc.step].Name)
			}
			if got, want := h.Get("tracestate"), "touchprobe=storefront"; got != want {
				t.Errorf("%s: tracestate %q, want %q", tc.path, got, want)
			}
		}
	}
	// The cookie the page was given still goes with its requests.
	for _, h := range append(shopSeen.get("/api"), shopSeen.get("/after")...) {
		if got := h.Get("Cookie"); got != "sid=signed-in" {
			t.Errorf("the shop's request came with cookies %q, want the page's sid=signed-in", got)
		}
	}
	widgetSeen.mu.Lock()
	defer widgetSeen.mu.Unlock()
	for path, hs := range widgetSeen.headers {
		for _, h := range hs {
			if h.Get("traceparent") != "" || h.Get("tracestate") != "" {
				t.Errorf("the widget's %s got trace context: traceparent %q, tracestate %q", path, h.Get("traceparent"), h.Get("tracestate"))
			}
		}
	}
}

// Without trace origins nothing is intercepted and no request carries a
// trace context, but the run still has its ids.
func TestNoTraceOriginsNoTraceContext(t *testing.T) {
	t.Parallel()
	var shopSeen seen
	shop := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		shopSeen.add(r)
		fmt.Fprint(w, `<!doctype html><title>shop</title><p id="x">x</p>`)
	}))
	t.Cleanup(shop.Close)
	cfg := parse(t, fmt.Sprintf(`
[[journey]]
name = "storefront"
[[journey.step]]
name = "landing"
action = "navigate"
url = %q
timeout = "30s"
`, shop.URL+"/"))
	res := runJourney(t, cfg, "storefront")
	if res.Status != probes.StatusSuccess || len(res.TraceID) != 32 || len(res.Steps[0].SpanID) != 16 {
		t.Fatalf("run: %s %s: %s; trace %q span %q", res.Status, res.Reason, res.Message, res.TraceID, res.Steps[0].SpanID)
	}
	for _, h := range shopSeen.get("/") {
		if h.Get("traceparent") != "" {
			t.Errorf("traceparent %q sent without trace origins", h.Get("traceparent"))
		}
	}
}

func TestTracestateValue(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"storefront", "storefront"},
		{"checkout, guest=1", "checkout%2C guest%3D1"},
		{"50% off", "50%25 off"},
		{"café", "caf%C3%A9"},
		{"trailing ", "trailing"},
		{strings.Repeat("a", 300), strings.Repeat("a", 256)},
		{strings.Repeat("a", 255) + "é", strings.Repeat("a", 255)},
	} {
		if got := probes.TracestateValue(tc.in); got != tc.want {
			t.Errorf("TracestateValue(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// run.json names the run's trace and each step's span.
func TestSummaryCarriesTrace(t *testing.T) {
	r := &probes.Result{Journey: "storefront", RunID: "a1b2c3d4e5f6", TraceID: "4bf92f3577b34da6a3ce929d0e0e4736", SpanID: "00f067aa0ba902b7",
		Steps: []probes.StepResult{{Name: "landing", SpanID: "b7ad6b7169203331"}}}
	b, err := json.Marshal(r.Summary())
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736"`, `"span_id":"00f067aa0ba902b7"`, `"span_id":"b7ad6b7169203331"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("run.json lacks %s:\n%s", want, b)
		}
	}
}
