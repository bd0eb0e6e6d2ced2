package probes_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/touchprobe/touchprobe/config"
	"github.com/touchprobe/touchprobe/internal/browser"
	"github.com/touchprobe/touchprobe/internal/demoshop"
	"github.com/touchprobe/touchprobe/probes"
)

// faultSite serves the pages that break a browser or a journey in the ways
// sites break in production. Every handler that waits ends when the client
// goes away, so that closing the server never hangs.
func faultSite(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<!doctype html><title>ok</title><p id="ok">fine</p>`)
	})
	mux.HandleFunc("/unavailable", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprint(w, `<!doctype html><title>down</title><h1>Service Unavailable</h1>`)
	})
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/loop", http.StatusFound)
	})
	// A document that arrives a byte at a time and never ends.
	mux.HandleFunc("/trickle", func(w http.ResponseWriter, r *http.Request) {
		trickle(w, r, "", "<!doctype html><title>slow</title><p>"+strings.Repeat("slow ", 1000))
	})
	// A page whose image never answers: the document is there, its load
	// event never fires.
	mux.HandleFunc("/hang", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<!doctype html><title>hang</title><p id="text">waiting</p><img src="/never.png">`)
	})
	mux.HandleFunc("/never.png", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(2 * time.Minute):
		}
	})
	// A script in an endless loop while the page loads.
	mux.HandleFunc("/spin-on-load", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<!doctype html><title>spin</title><script>while (true) {}</script><p id="never">never</p>`)
	})
	// A page that loads, then locks its main thread in an endless loop.
	mux.HandleFunc("/spin-later", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<!doctype html><title>spin</title><button id="go">go</button>
<script>addEventListener("load", () => setTimeout(() => { while (true) {} }, 0))</script>`)
	})
	// A page that allocates until its renderer runs out of memory.
	mux.HandleFunc("/hog", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<!doctype html><title>hog</title><p id="text">eating</p>
<script>setTimeout(() => { const a = []; for (;;) a.push(new Array(1 << 20).fill(a.length)); }, 100)</script>`)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// tlsServer serves /ok over TLS with a certificate made by the test:
// self-signed, or issued by a test CA and expired.
func tlsServer(t *testing.T, expired bool) *httptest.Server {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(now.UnixNano()),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:     []string{"localhost"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	if expired {
		tmpl.NotBefore, tmpl.NotAfter = now.Add(-48*time.Hour), now.Add(-24*time.Hour)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<!doctype html><title>ok</title><p id="ok">fine</p>`)
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
	// The browser's failed handshakes are expected; keep them out of the
	// test log.
	srv.Config.ErrorLog = nil
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

func oneStep(url, timeout string) string {
	return fmt.Sprintf(`[[journey]]
name = "fault"
timeout = "30s"
  [[journey.step]]
  name = "open"
  action = "navigate"
  url = %q
  timeout = %q
`, url, timeout)
}

// chromiumProcs counts the processes of the shared browser.
func chromiumProcs() int {
	return len(browser.GroupPIDs(shared.PGID()))
}

// settleProcs waits until the shared browser has at most want processes:
// Chromium ends the renderers of closed tabs a moment after they close.
func settleProcs(t *testing.T, want int) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for chromiumProcs() > want {
		if time.Now().After(deadline) {
			t.Errorf("Chromium has %d processes, want at most %d as before the fault: %v", chromiumProcs(), want, browser.GroupPIDs(shared.PGID()))
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// runBeside runs journey name of cfg while a healthy journey runs against
// the demo shop at the same time, and fails the test if the healthy one did
// not succeed: a fault of one site must not stop other journeys.
func runBeside(t *testing.T, shop *demoshop.Shop, cfg *config.Config, name string) *probes.Result {
	t.Helper()
	good := parse(t, fmt.Sprintf(`[[journey]]
name = "neighbour"
timeout = "60s"
  [[journey.step]]
  name = "landing"
  action = "navigate"
  url = %q
  wait_for = "a.product-link"
`, shop.URL()))
	faulty := &tabSignal{Browser: shared, opened: make(chan struct{})}
	fault := prepareRun(t, faulty, cfg, name, false)
	neighbour := prepareRun(t, shared, good, "neighbour", false)
	faultDone := make(chan struct{})
	var wg sync.WaitGroup
	var other *probes.Result
	wg.Go(func() {
		// Start the neighbour while the fault is under way: once its run
		// has its tab (or has ended without one).
		select {
		case <-faulty.opened:
		case <-faultDone:
		}
		other, _ = neighbour()
	})
	r, _ := fault()
	close(faultDone)
	wg.Wait()
	if other.Status != probes.StatusSuccess {
		t.Errorf("a journey running beside the fault did not succeed:\n%s", describe(other))
	}
	return r
}

// tabSignal is a browser that closes opened when it has opened a tab.
type tabSignal struct {
	probes.Browser
	once   sync.Once
	opened chan struct{}
}

func (b *tabSignal) Tab(ctx context.Context) (context.Context, context.CancelFunc, error) {
	tab, cancel, err := b.Browser.Tab(ctx)
	if err == nil {
		b.once.Do(func() { close(b.opened) })
	}
	return tab, cancel, err
}

// baselineProcs runs one healthy journey and returns the browser's process
// count once it has settled.
func baselineProcs(t *testing.T, shop *demoshop.Shop) int {
	t.Helper()
	if err := shared.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	cfg := parse(t, oneStep(shop.URL(), "20s"))
	if r := runJourney(t, cfg, "fault"); r.Status != probes.StatusSuccess {
		t.Fatalf("warm-up run failed:\n%s", describe(r))
	}
	prev := -1
	for range 40 {
		n := chromiumProcs()
		if n == prev {
			return n
		}
		prev = n
		time.Sleep(250 * time.Millisecond)
	}
	return prev
}

// TestSiteFaults: every way a site fails is a failure with its own bounded
// reason and a message that says what happened; none is a success, none
// stops a journey beside it, none leaves processes behind.
func TestSiteFaults(t *testing.T) {
	t.Parallel()
	shop := startShop(t, demoshop.Options{})
	site := faultSite(t)
	selfSigned := tlsServer(t, false)
	expired := tlsServer(t, true)
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refusedURL := "http://" + closed.Addr().String() + "/"
	closed.Close()
	base := baselineProcs(t, shop)

	cases := []struct {
		name    string
		journey string
		reason  probes.Reason
		msg     string
	}{
		{"connection refused", oneStep(refusedURL, "10s"), probes.ReasonConnRefused, "the page did not load: net::ERR_CONNECTION_REFUSED"},
		{"dns failure", oneStep("http://shop.touchprobe-test.invalid/", "10s"), probes.ReasonDNS, "the page did not load: net::ERR_NAME_NOT_RESOLVED"},
		{"tls self-signed", oneStep(selfSigned.URL+"/", "10s"), probes.ReasonTLS, "the page did not load: net::ERR_CERT_AUTHORITY_INVALID"},
		{"tls expired", oneStep(expired.URL+"/", "10s"), probes.ReasonTLS, "the page did not load: net::ERR_CERT_"},
		{"http 503", oneStep(site.URL+"/unavailable", "10s"), probes.ReasonHTTPStatus, "answered HTTP 503 Service Unavailable"},
		{"redirect loop", oneStep(site.URL+"/loop", "10s"), probes.ReasonRedirectLoop, "the page did not load: net::ERR_TOO_MANY_REDIRECTS"},
		{"byte by byte", oneStep(site.URL+"/trickle", "3s"), probes.ReasonTimeout, "did not finish loading within the step's timeout of 3s"},
		{"never finishes loading", oneStep(site.URL+"/hang", "3s"), probes.ReasonTimeout, "did not finish loading within the step's timeout of 3s"},
		{"endless script while loading", oneStep(site.URL+"/spin-on-load", "3s"), probes.ReasonTimeout, "did not finish loading within the step's timeout of 3s"},
		{"endless script after load", oneStep(site.URL+"/spin-later", "10s") + `
  [[journey.step]]
  name = "click"
  action = "click"
  selector = "#go"
  wait_for = "#done"
  timeout = "3s"
`, probes.ReasonTimeout, `the page stopped responding (a script busy in an endless loop?) while waiting for "#go"; gave up after the step's timeout of 3s`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := parse(t, tc.journey)
			r := runBeside(t, shop, cfg, "fault")
			t.Logf("recorded: %s", describe(r))
			if r.Status != probes.StatusFailure || r.Reason != tc.reason {
				t.Errorf("want status failure with reason %s:\n%s", tc.reason, describe(r))
			}
			if !strings.Contains(r.Message, tc.msg) {
				t.Errorf("message %q does not contain %q", r.Message, tc.msg)
			}
			settleProcs(t, base+1)
		})
	}
	// The browser that lived through every fault still works.
	if r := runJourney(t, parse(t, oneStep(site.URL+"/ok", "10s")), "fault"); r.Status != probes.StatusSuccess {
		t.Errorf("a run after the faults failed:\n%s", describe(r))
	}
}

// A chat widget that never replies is a timeout of the chat step, while
// everything before it is measured as usual.
func TestChatNeverReplies(t *testing.T) {
	shop := startShop(t, demoshop.Options{Fail: map[string]bool{"chat": true}})
	base := baselineProcs(t, shop)
	cfg := parse(t, strings.Replace(shop.Journey("@every 1m"), `reply = "p.reply"`, `reply = "p.reply"
  timeout = "4s"`, 1))
	r := runBeside(t, shop, cfg, "checkout")
	t.Logf("recorded: %s", describe(r))
	if r.Status != probes.StatusFailure || r.Reason != probes.ReasonTimeout || r.FailedStep != "chat reply" {
		t.Fatalf("want failure at chat reply with reason timeout:\n%s", describe(r))
	}
	if want := `no reply "p.reply" appeared in the chat widget "iframe#chat-frame" within the step's timeout of 4s`; r.Message != want {
		t.Errorf("message %q, want %q", r.Message, want)
	}
	settleProcs(t, base+1)
}

// TestRendererOutOfMemory: a page that eats memory until its renderer dies
// ends the run with page_crash, not browser_crash: the browser lives on and
// the next run in it succeeds. The renderer's heap is capped so that the
// crash comes in seconds and costs this machine little.
func TestRendererOutOfMemory(t *testing.T) {
	dir := t.TempDir()
	m, err := browser.New(browser.Options{Dir: dir, ExtraFlags: []string{"--js-flags=--max-old-space-size=64"}, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	pgid := m.PGID()
	t.Cleanup(func() {
		m.Close()
		if left := browser.GroupPIDs(pgid); len(left) > 0 {
			t.Errorf("Chromium processes left after Close: %v", left)
		}
	})
	site := faultSite(t)
	p := &probes.Prober{Browser: m, Logger: testLogger(t)}
	var captured *kept
	run := func(text string) *probes.Result {
		cfg := parse(t, text)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		var r *probes.Result
		r, captured = runKeeping(ctx, p, cfg.Journey("fault"), cfg.Secrets(), true)
		return r
	}
	// The processes of a browser that has run a journey: Chromium starts
	// its GPU, network and storage helpers with the first tab, not before.
	if warm := run(oneStep(site.URL+"/ok", "10s")); warm.Status != probes.StatusSuccess {
		t.Fatalf("a run before the crash failed:\n%s", describe(warm))
	}
	base := len(browser.GroupPIDs(pgid))
	r := run(oneStep(site.URL+"/hog", "20s") + `
  [[journey.step]]
  name = "wait"
  action = "wait"
  selector = "#never"
  timeout = "20s"
`)
	t.Logf("recorded: %s", describe(r))
	if r.Status != probes.StatusFailure || r.Reason != probes.ReasonPageCrash {
		t.Errorf("want failure with reason page_crash:\n%s", describe(r))
	}
	if !strings.Contains(r.Message, "crashed") {
		t.Errorf("message %q does not say the page crashed", r.Message)
	}
	// A dead page shows nothing; what the run saw before is kept.
	if captured == nil || captured.Screenshot != nil || captured.HTML != nil || len(captured.HAR) == 0 {
		t.Errorf("evidence of a crashed page: want a HAR and no screenshot or HTML, got %+v", captured)
	}
	if m.PGID() != pgid {
		t.Errorf("the browser was restarted for a crash of one page")
	}
	if next := run(oneStep(site.URL+"/ok", "10s")); next.Status != probes.StatusSuccess {
		t.Errorf("the run after a page crash failed:\n%s", describe(next))
	}
	deadline := time.Now().Add(15 * time.Second)
	for len(browser.GroupPIDs(pgid)) > base+1 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if n := len(browser.GroupPIDs(pgid)); n > base+1 {
		t.Errorf("Chromium has %d processes after the crash, %d before", n, base)
	}
}

// trickle answers an HTML page that sends head at once and then rest a
// byte every 100 ms, until it is all sent or the client goes away.
func trickle(w http.ResponseWriter, r *http.Request, head, rest string) {
	w.Header().Set("Content-Type", "text/html")
	fl := w.(http.Flusher)
	if head != "" {
		fmt.Fprint(w, head)
		fl.Flush()
	}
	for i := 0; i < len(rest); i++ {
		if _, err := w.Write([]byte{rest[i]}); err != nil {
			return
		}
		fl.Flush()
		select {
		case <-r.Context().Done():
			return
		case <-time.After(100 * time.Millisecond):
		}
	}
}
