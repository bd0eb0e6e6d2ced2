// Package demoshop serves a small web shop on loopback for demos and tests, with pages that can be slowed down or broken on demand.
//
// The shop is "Nordlys Outdoor". It listens on two loopback ports: the shop
// itself, at http://127.0.0.1:PORT/, and the origin of its chat widget, at
// http://localhost:PORT/. The two host names make the widget a different
// site, so Chromium runs it in an out-of-process iframe, as it would the
// widget of a third-party chat vendor.
//
// Each page name of Pages covers these routes:
//
//	landing       GET  /                      (shop)
//	products      GET  /api/products          (shop; the landing page's product list)
//	product       GET  /product/{id}          (shop)
//	basket        POST /api/basket, GET /basket (shop)
//	checkout      GET  /checkout, POST /checkout/delivery (shop)
//	payment       GET  /checkout/payment      (shop)
//	confirmation  GET  /confirmation          (shop)
//	chat          POST /api/reply             (chat origin)
//
// Besides the pages, the shop serves a lab page at BlockingPath whose
// button's click handler blocks the main thread for a known time, to check
// what touchprobe reports as INP and blocking time.
//
// A slow page sleeps for its delay before it answers; the sleep ends early
// when the client goes away or the shop closes. A broken page answers 500
// after that delay: an error page for HTML routes and a JSON error for the
// API routes. A broken chat never answers: /api/reply holds the request
// until the client gives up or the shop closes.
//
// The shop keeps no state of its own: the basket, the consent, the delivery
// details and the order number live in cookies, so that two browser
// contexts never share a basket. Nothing is written to disk.
package demoshop

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Pages lists the page names accepted by Slow/Fail and by the command-line flags
// (`--demo.slow product=4s`, `--demo.fail checkout`):
// "landing", "products", "product", "basket", "checkout", "payment", "confirmation", "chat".
var Pages = []string{"landing", "products", "product", "basket", "checkout", "payment", "confirmation", "chat"}

// validPages is a copy of Pages that a caller cannot change.
var validPages = func() map[string]bool {
	m := make(map[string]bool, len(Pages))
	for _, p := range Pages {
		m[p] = true
	}
	return m
}()

// DefaultChatDelay is how long the chat agent takes to reply when
// Options.ChatDelay is 0.
const DefaultChatDelay = 800 * time.Millisecond

// defaultSchedule is used by Journey when it is given no schedule.
const defaultSchedule = "@every 1m"

// shutdownGrace bounds how long Close waits for handlers. Every handler
// that can wait honours its request context, which Close cancels first, so
// this is only a safety net.
const shutdownGrace = 5 * time.Second

//go:embed example.toml
var exampleTOML string

//go:embed journey.toml
var journeyTOML string

// exampleURL is the shop address written in example.toml.
const exampleURL = "https://shop.example.com/"

// Options configures a Shop.
type Options struct {
	Slow      map[string]time.Duration // page name -> extra delay before the response
	Fail      map[string]bool          // page name -> broken
	ChatDelay time.Duration            // how long the chat agent takes to reply; 0 means 800ms
}

// Shop is a running demo shop.
type Shop struct {
	url       string
	chatURL   string
	chatDelay time.Duration

	shopSrv *http.Server
	chatSrv *http.Server
	cancel  context.CancelFunc // cancels every request context
	serving sync.WaitGroup     // the two Serve goroutines

	closeOnce sync.Once
	closeErr  error

	mu       sync.RWMutex
	slow     map[string]time.Duration
	fail     map[string]bool
	failNext map[string]int
	requests map[string]int
}

// BlockingPath is the lab page whose button (#block, shown once its worker
// is ready) runs a click handler that keeps the main thread busy with the
// work an unthrottled thread does in 300 ms (or the milliseconds in ?ms=):
// from the click on, a worker, which CPU throttling does not slow, runs the
// same loop for that long, and the handler does as many rounds of it, so
// that the load of the machine at that moment slows both alike. Under a CPU
// slowdown of 4x the handler takes about 4 times as long. #done shows when
// it has run.
const BlockingPath = "/lab/blocking"

// ValidPage reports whether name is one of Pages.
func ValidPage(name string) bool {
	return validPages[name]
}

func pageList() string {
	return strings.Join(Pages, ", ")
}

func unknownPage(name string) error {
	return fmt.Errorf("unknown demo page %q (valid pages: %s)", name, pageList())
}

// ParseSlow parses a slow-page flag value such as "product=4s".
func ParseSlow(spec string) (page string, d time.Duration, err error) {
	name, value, ok := strings.Cut(spec, "=")
	if !ok {
		return "", 0, fmt.Errorf("demo slow %q: want PAGE=DURATION, e.g. product=4s (valid pages: %s)", spec, pageList())
	}
	name = strings.TrimSpace(name)
	value = strings.TrimSpace(value)
	if name == "" {
		return "", 0, fmt.Errorf("demo slow %q: missing page name before '=' (valid pages: %s)", spec, pageList())
	}
	if !ValidPage(name) {
		return "", 0, fmt.Errorf("demo slow %q: %w", spec, unknownPage(name))
	}
	d, err = time.ParseDuration(value)
	if err != nil {
		return "", 0, fmt.Errorf("demo slow %q: %q is not a duration; write it like 4s, 1500ms or 1m", spec, value)
	}
	if d < 0 {
		return "", 0, fmt.Errorf("demo slow %q: the delay must not be negative", spec)
	}
	return name, d, nil
}

// Start starts the shop and its chat origin on two loopback ports. It
// returns once both listen.
func Start(opts Options) (*Shop, error) {
	s := &Shop{
		chatDelay: opts.ChatDelay,
		slow:      make(map[string]time.Duration),
		fail:      make(map[string]bool),
		failNext:  make(map[string]int),
		requests:  make(map[string]int),
	}
	if s.chatDelay < 0 {
		return nil, fmt.Errorf("demo shop: negative chat delay %v", opts.ChatDelay)
	}
	if s.chatDelay == 0 {
		s.chatDelay = DefaultChatDelay
	}
	for page, d := range opts.Slow {
		if err := s.SetSlow(page, d); err != nil {
			return nil, err
		}
	}
	for page, broken := range opts.Fail {
		if err := s.SetFail(page, broken); err != nil {
			return nil, err
		}
	}

	shopLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("demo shop: %w", err)
	}
	chatLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		shopLn.Close()
		return nil, fmt.Errorf("demo shop chat: %w", err)
	}
	s.url = fmt.Sprintf("http://127.0.0.1:%d/", shopLn.Addr().(*net.TCPAddr).Port)
	s.chatURL = fmt.Sprintf("http://localhost:%d/", chatLn.Addr().(*net.TCPAddr).Port)

	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	s.shopSrv = newServer(ctx, s.shopHandler())
	s.chatSrv = newServer(ctx, s.chatHandler())
	for _, run := range []struct {
		srv *http.Server
		ln  net.Listener
	}{{s.shopSrv, shopLn}, {s.chatSrv, chatLn}} {
		s.serving.Go(func() {
			// Serve returns ErrServerClosed after Close; any other error
			// means the listener broke, which Close reports no better.
			_ = run.srv.Serve(run.ln)
		})
	}
	return s, nil
}

func newServer(ctx context.Context, h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    64 << 10,
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
}

// URL returns the address of the landing page, such as
// "http://127.0.0.1:41234/".
func (s *Shop) URL() string { return s.url }

// ChatURL returns the address of the chat widget's origin, such as
// "http://localhost:38111/". The widget is at ChatURL()+"widget".
func (s *Shop) ChatURL() string { return s.chatURL }

// SetSlow sets the delay injected before the responses of page; 0 removes
// it. It is safe for concurrent use.
func (s *Shop) SetSlow(page string, d time.Duration) error {
	if !ValidPage(page) {
		return unknownPage(page)
	}
	if d < 0 {
		return fmt.Errorf("demo page %q: negative delay %v", page, d)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if d == 0 {
		delete(s.slow, page)
	} else {
		s.slow[page] = d
	}
	return nil
}

// SetFail breaks page, or mends it. It is safe for concurrent use.
func (s *Shop) SetFail(page string, broken bool) error {
	if !ValidPage(page) {
		return unknownPage(page)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if broken {
		s.fail[page] = true
	} else {
		delete(s.fail, page)
	}
	return nil
}

// FailNext breaks the next n requests of page, which then works again: a
// flaky page, whose first attempt fails and whose retry passes. 0 ends it.
// It is safe for concurrent use.
func (s *Shop) FailNext(page string, n int) error {
	if !ValidPage(page) {
		return unknownPage(page)
	}
	if n < 0 {
		return fmt.Errorf("demo page %q: negative count %d", page, n)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if n == 0 {
		delete(s.failNext, page)
	} else {
		s.failNext[page] = n
	}
	return nil
}

// Delay returns the delay currently injected into page; 0 for a page that
// is not slow or not known. For "chat" it does not include the agent's own
// reply time (Options.ChatDelay).
func (s *Shop) Delay(page string) time.Duration {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.slow[page]
}

// Requests returns how many requests the routes of page have received, so
// that a test can act while a run waits on a slowed page.
func (s *Shop) Requests(page string) int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.requests[page]
}

func (s *Shop) countRequest(page string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests[page]++
}

// state returns the delay of a request of page and whether it fails,
// counting it against FailNext.
func (s *Shop) state(page string) (time.Duration, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n := s.failNext[page]; n > 0 {
		if n == 1 {
			delete(s.failNext, page)
		} else {
			s.failNext[page] = n - 1
		}
		return s.slow[page], true
	}
	return s.slow[page], s.fail[page]
}

// Close stops both servers. It ends every waiting handler (slow pages, the
// broken chat) at once and waits for the handlers to return.
func (s *Shop) Close() error {
	s.closeOnce.Do(func() {
		s.cancel()
		ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
		defer cancel()
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, srv := range []*http.Server{s.shopSrv, s.chatSrv} {
			wg.Go(func() {
				if err := srv.Shutdown(ctx); err != nil {
					errs[i] = fmt.Errorf("demo shop: %w", err)
					srv.Close()
				}
			})
		}
		wg.Wait()
		s.serving.Wait()
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}

// Journey returns the embedded demo configuration (TOML text) pointed at this shop,
// with the given schedule, e.g. "@every 15s". An empty schedule means "@every 1m".
// With profiles the journey runs under each of them, as many at once (the
// demo shows desktop and mobile-4g side by side); without, under the
// agent's default profile.
func (s *Shop) Journey(schedule string, profiles ...string) string {
	if schedule == "" {
		schedule = defaultSchedule
	}
	text := strings.NewReplacer(
		"{{url}}", tomlEscape(s.url),
		"{{schedule}}", tomlEscape(schedule),
	).Replace(journeyTOML)
	if len(profiles) == 0 {
		return text
	}
	// Each profile is a run of its own; the agent runs them side by side.
	quoted := make([]string, len(profiles))
	for i, p := range profiles {
		quoted[i] = `"` + tomlEscape(p) + `"`
	}
	return strings.NewReplacer(
		"\nconcurrency = 1\n", fmt.Sprintf("\nconcurrency = %d\n", len(profiles)),
		"\nlabels = { brand = \"nordlys\" }\n", "\nlabels = { brand = \"nordlys\" }\nprofiles = ["+strings.Join(quoted, ", ")+"]\n",
	).Replace(text)
}

// ExampleConfig returns the text of the reference configuration pointed at this shop.
func (s *Shop) ExampleConfig() string {
	return strings.ReplaceAll(exampleTOML, exampleURL, s.url)
}

// tomlEscape escapes s for use inside a TOML basic string.
func tomlEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
