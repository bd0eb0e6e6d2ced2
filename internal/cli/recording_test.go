package cli

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/touchprobe/touchprobe/internal/testutil/chromiumtest"
)

// widgetOrigin is the chat widget's address in the fixture recording.
const widgetOrigin = "http://localhost:8081"

// fixtureShop serves the pages of testdata/recordings/fixture-shop.json:
// a consent overlay that appears late, an "Add to basket" button whose id
// changed since the recording (its first selector is stale), a newsletter
// form in a same-origin iframe with a confirmation in a frame of its own,
// a gift wrap box, a menu opened with the right button, a wish list
// button pressed twice, a help window opened as a popup, a chat widget of
// another site (an out-of-process iframe, served by widget under the name
// localhost) and a checkout button inside a shadow root. It counts the
// orders placed with every one of those done.
func fixtureShop(t *testing.T) (srv, widget *httptest.Server, orders *atomic.Int32) {
	t.Helper()
	orders = &atomic.Int32{}
	widget = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<!doctype html><meta charset="utf-8"><title>chat</title><button id="send" onclick="setTimeout(() => { const p = document.createElement('p'); p.id = 'reply'; p.textContent = 'Hi!'; document.body.append(p); }, 200)">Send</button>`)
	}))
	t.Cleanup(widget.Close)
	widgetURL := strings.Replace(widget.URL, "127.0.0.1", "localhost", 1)
	mux := http.NewServeMux()
	mux.HandleFunc("/newsletter", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<!doctype html><meta charset="utf-8"><title>newsletter</title><button id="subscribe" onclick="parent.document.getElementById('subscribed').textContent = 'yes'">Subscribe</button><iframe src="/newsletter/confirm" width="200" height="40"></iframe>`)
	})
	mux.HandleFunc("/newsletter/confirm", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<!doctype html><meta charset="utf-8"><title>confirm</title><button id="confirm" onclick="top.document.body.dataset.confirmed = '1'">Confirm</button>`)
	})
	// The help window closes itself a moment after Ask. Closed at once,
	// it can be gone before the browser answers the click: the referee's
	// replay then waits for the click until it times out, while
	// touchprobe takes it for a click made
	// (TestPopupClosingItselfWhenPressed in probes).
	mux.HandleFunc("/help", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<!doctype html><meta charset="utf-8"><title>help</title><button id="ask" onclick="opener.document.body.dataset.help = '1'; setTimeout(() => window.close(), 200)">Ask</button>`)
	})
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<!doctype html><meta charset="utf-8"><title>Fixture shop</title>
<div id="consent" hidden style="position: fixed; inset: 0; background: #fff; z-index: 10"><button id="consent-accept" onclick="this.parentElement.remove()">Accept all</button></div>
<h1>Fixture shop</h1>
<button class="add" onclick="document.getElementById('basket-count').textContent = '1'">Add to basket</button>
<p>In the basket: <span id="basket-count">0</span></p>
<iframe src="/newsletter" width="300" height="80"></iframe><p>Subscribed: <span id="subscribed">no</span></p>
<label><input type="checkbox" id="gift"> Gift wrap</label>
<button id="menu" oncontextmenu="event.preventDefault(); document.body.dataset.menu = '1'">More</button>
<button id="wish" ondblclick="document.body.dataset.wish = '1'">Add to wish list</button>
<button id="help" onclick="window.open('/help')">Help</button>
<button id="open-chat" data-widget="`+widgetURL+`/widget">Chat with us</button><div id="chat-body"></div>
<shop-cart></shop-cart>
<script>
document.getElementById("open-chat").onclick = e => {
  const f = document.createElement("iframe"); f.src = e.target.dataset.widget; f.width = 300; f.height = 120;
  document.getElementById("chat-body").append(f);
};
customElements.define("shop-cart", class extends HTMLElement {
  constructor() {
    super();
    const root = this.attachShadow({mode: "open"});
    root.innerHTML = '<button id="checkout">Checkout</button>';
    root.querySelector("button").onclick = () => {
      const gift = document.getElementById("gift").checked ? "1" : "";
      location.href = "/done?" + new URLSearchParams({...document.body.dataset, gift});
    };
  }
});
setTimeout(() => { document.getElementById("consent").hidden = false; }, 600);
</script>`)
	})
	mux.HandleFunc("/done", func(w http.ResponseWriter, r *http.Request) {
		// The order counts only when every step before it did its part.
		var missing []string
		for _, k := range []string{"confirmed", "gift", "menu", "wish", "help"} {
			if r.URL.Query().Get(k) != "1" {
				missing = append(missing, k)
			}
		}
		if len(missing) > 0 {
			fmt.Fprintf(w, `<!doctype html><meta charset="utf-8"><title>Order placed</title><p>Not done: <output id="order-number" aria-label="Order number">missing %s</output></p>`, strings.Join(missing, " "))
			return
		}
		n := orders.Add(1)
		fmt.Fprintf(w, `<!doctype html><meta charset="utf-8"><title>Order placed</title><p>Thanks! <output id="order-number" aria-label="Order number">TP-%d</output></p>`, n)
	})
	srv = httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, widget, orders
}

// fixtureRecording writes the fixture recording, pointed at srv, and
// returns its path.
func fixtureRecording(t *testing.T, srv, widget *httptest.Server) string {
	t.Helper()
	data, err := os.ReadFile("../../testdata/recordings/fixture-shop.json")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(string(data), recordedOrigin, srv.URL)
	text = strings.ReplaceAll(text, widgetOrigin, strings.Replace(widget.URL, "127.0.0.1", "localhost", 1))
	return writeFile(t, "selectors.json", text)
}

// TestRecordingRunsAsItIs: a journey naming a recording (a stale first
// selector, a consent overlay that appears late, a same-origin iframe by
// its position, a chat widget's out-of-process iframe by its URL, a
// button in a shadow root) runs to the order in touchprobe, with the budget and touchpoint
// the journey gives a step.
func TestRecordingRunsAsItIs(t *testing.T) {
	chromiumtest.RequireChromium(t)
	srv, widget, orders := fixtureShop(t)
	rec := fixtureRecording(t, srv, widget)
	path := filepath.Join(filepath.Dir(rec), "touchprobe.toml")
	if err := os.WriteFile(path, []byte(`[[journey]]
name = "fixture"
recording = "selectors.json"
budgets = { "Checkout" = "60s" }
touchpoints = { "Checkout" = "checkout", "6" = "basket" }
`), 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCLI(t, "check", "--config", path)
	if code != 0 {
		t.Fatalf("check: exit %d\n%s\n%s", code, stdout, stderr)
	}
	code, stdout, stderr = runCLI(t, "once", "--config", path, "--browser.dir", t.TempDir())
	if code != 0 || !strings.Contains(stdout, "SUCCESS") {
		t.Fatalf("once: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if orders.Load() != 1 {
		t.Errorf("%d orders placed, want 1\n%s", orders.Load(), stdout)
	}
	for _, want := range []string{"Checkout", "checkout", "Add to basket", "basket", "Subscribe", "Send"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("the run's report does not mention %q:\n%s", want, stdout)
		}
	}
}

// TestCheckNotesWhereAProfileWins: a recording's viewport and network
// steps hold under the desktop profile; check says that a profile that
// sets the screen or the network wins over them.
func TestCheckNotesWhereAProfileWins(t *testing.T) {
	srv, widget, _ := fixtureShop(t)
	rec := fixtureRecording(t, srv, widget)
	path := filepath.Join(filepath.Dir(rec), "touchprobe.toml")
	if err := os.WriteFile(path, []byte("[[journey]]\nname = \"fixture\"\nrecording = \"selectors.json\"\nprofiles = [\"desktop\", \"mobile-4g\"]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCLI(t, "check", "--config", path)
	if code != 0 {
		t.Fatalf("check: exit %d\n%s\n%s", code, stdout, stderr)
	}
	for _, want := range []string{
		`note: journey "fixture", step "viewport 1280x800" (#1): under profile "mobile-4g" the profile's screen holds`,
		`note: journey "fixture", step "network 8Mbps down, 4Mbps up, 10ms latency" (#3): under profile "mobile-4g" the profile's network holds`,
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("check does not say %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, `under profile "desktop"`) {
		t.Errorf("check says the desktop profile wins over a recording's step:\n%s", stdout)
	}
}
