package probes

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/touchprobe/touchprobe/config"
)

// A run is one W3C trace: Result.TraceID is its trace id, Result.SpanID
// the span of the whole journey, and each StepResult.SpanID the span of a
// step, a child of the journey's. Requests to the journey's trace origins
// carry the trace context of the step that is running, so that the site's
// own tracing shows the synthetic request under the step that made it.

// Header names of the W3C trace context.
const (
	TraceparentHeader = "traceparent"
	TracestateHeader  = "tracestate"
	// TracestateKey is touchprobe's key in tracestate; its value is the
	// journey's name (see TracestateValue).
	TracestateKey = "touchprobe"
)

// newTraceID returns a random 16-byte trace id as 32 lower-case hex
// digits. It is never all zeros, which W3C reserves for "invalid".
func newTraceID() string { return randomHex(16) }

// newSpanID returns a random 8-byte span id as 16 lower-case hex digits,
// never all zeros.
func newSpanID() string { return randomHex(8) }

func randomHex(n int) string {
	b := make([]byte, n)
	for {
		_, _ = rand.Read(b)
		if slices.ContainsFunc(b, func(c byte) bool { return c != 0 }) {
			return hex.EncodeToString(b)
		}
	}
}

// Traceparent returns the traceparent header of a sampled span: version
// 00, the trace id, the span id as the parent of what the request starts,
// and flags 01.
func Traceparent(traceID, spanID string) string {
	return "00-" + traceID + "-" + spanID + "-01"
}

// maxTracestateValue is the longest value a tracestate list member may
// have.
const maxTracestateValue = 256

// TracestateValue makes a journey name a valid tracestate value: printable
// ASCII without "," and "=", not ending in a space, at most 256
// characters. Other bytes, and "%", are percent-encoded, so that the name
// can be read back.
func TracestateValue(journey string) string {
	var b strings.Builder
	for i := 0; i < len(journey); i++ {
		c := journey[i]
		if c < 0x20 || c > 0x7e || c == ',' || c == '=' || c == '%' {
			fmt.Fprintf(&b, "%%%02X", c)
			continue
		}
		b.WriteByte(c)
	}
	v := b.String()
	if len(v) > maxTracestateValue {
		v = v[:maxTracestateValue]
		// Never cut an escape in half.
		if i := strings.LastIndexByte(v, '%'); i >= len(v)-2 {
			v = v[:i]
		}
	}
	if strings.HasSuffix(v, " ") {
		v = strings.TrimRight(v, " ")
	}
	return v
}

// resumeTimeout bounds the call that continues a paused request: a browser
// that does not answer must not hold the end of the run.
const resumeTimeout = 5 * time.Second

// tracer adds the run's trace context to the requests of the tab that go
// to the journey's trace origins. Only those requests are intercepted
// (Fetch patterns of the origins): every other request goes out as it
// would without it, never paused. Requests of out-of-process iframes (a
// chat widget of another site) belong to their own targets and are not
// intercepted at all.
type tracer struct {
	traceID string
	spans   []string // per step
	state   string   // tracestate header
	origins []string // canonical, see config.Origin
	step    atomic.Int64
	logger  *slog.Logger

	// requests lets the paused requests go: the tab's Fetch domain.
	requests pausedRequests

	mu      sync.Mutex
	stopped bool
	pending sync.WaitGroup // requests being continued
}

// pausedRequests lets a request paused by the Fetch domain go on, or fail.
type pausedRequests interface {
	continueRequest(ctx context.Context, p fetch.ContinueRequestParams) error
	failRequest(ctx context.Context, id fetch.RequestID) error
}

// fetchDomain is pausedRequests of the tab of the context.
type fetchDomain struct{}

func (fetchDomain) continueRequest(ctx context.Context, p fetch.ContinueRequestParams) error {
	_, err := chromedp.Call(ctx, fetch.ContinueRequest, p)
	return err
}

func (fetchDomain) failRequest(ctx context.Context, id fetch.RequestID) error {
	_, err := chromedp.Call(ctx, fetch.FailRequest, fetch.FailRequestParams{RequestID: id, ErrorReason: network.ErrorReasonFailed})
	return err
}

func newTracer(res *Result, origins []string, logger *slog.Logger) *tracer {
	t := &tracer{
		requests: fetchDomain{},
		traceID:  res.TraceID,
		state:    TracestateKey + "=" + TracestateValue(res.Journey),
		origins:  origins,
		logger:   logger,
	}
	for _, s := range res.Steps {
		t.spans = append(t.spans, s.SpanID)
	}
	return t
}

// patterns are the Fetch patterns of the origins: everything under each.
func (t *tracer) patterns() []*fetch.RequestPattern {
	out := make([]*fetch.RequestPattern, 0, len(t.origins))
	for _, o := range t.origins {
		// An origin has no wildcard characters (config.Origin refuses
		// them); escape the backslash anyway, the patterns' escape.
		out = append(out, &fetch.RequestPattern{URLPattern: strings.ReplaceAll(o, `\`, `\\`) + "/*", RequestStage: fetch.RequestStageRequest})
	}
	return out
}

// setStep says step i is running: requests from now on carry its span.
func (t *tracer) setStep(i int) { t.step.Store(int64(i)) }

// traceparent is the header of the running step.
func (t *tracer) traceparent() string {
	i := int(t.step.Load())
	if i < 0 || i >= len(t.spans) {
		i = 0
	}
	return Traceparent(t.traceID, t.spans[i])
}

// allowed reports whether a request URL is of one of the origins, which
// the patterns already ensure; it is checked again so that a pattern that
// matched more than meant never sends the headers elsewhere.
func (t *tracer) allowed(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	o, problem := config.OriginOf(u)
	return problem == "" && slices.Contains(t.origins, o)
}

// install starts intercepting the requests to the origins of the tab; stop
// ends it and waits for the requests it is continuing.
func (t *tracer) install(tab context.Context) (stop func(), err error) {
	stop = func() {
		t.mu.Lock()
		t.stopped = true
		t.mu.Unlock()
		t.pending.Wait()
	}
	if len(t.origins) == 0 || len(t.spans) == 0 {
		return stop, nil
	}
	if err := chromedp.Listen(tab, func(ev any) {
		e, ok := ev.(*fetch.EventRequestPaused)
		if !ok {
			return
		}
		t.mu.Lock()
		defer t.mu.Unlock()
		if t.stopped {
			// The tab is closing; its requests go with it.
			return
		}
		// A listener must not call the browser: the request is continued
		// from a goroutine of its own, which stop waits for.
		t.pending.Add(1)
		go func() {
			defer t.pending.Done()
			t.resume(tab, e)
		}()
	}); err != nil {
		return stop, err
	}
	if _, err := chromedp.Call(tab, fetch.Enable, fetch.EnableParams{Patterns: t.patterns()}); err != nil {
		return stop, fmt.Errorf("intercept requests to %s: %w", strings.Join(t.origins, ", "), err)
	}
	return stop, nil
}

// resume continues a paused request, with the trace context when it goes
// to one of the origins.
func (t *tracer) resume(tab context.Context, e *fetch.EventRequestPaused) {
	p := fetch.ContinueRequestParams{RequestID: e.RequestID}
	if e.Request != nil && t.allowed(e.Request.URL) {
		p.Headers = make([]*fetch.HeaderEntry, 0, len(e.Request.Headers)+2)
		for name, v := range e.Request.Headers {
			switch strings.ToLower(name) {
			case TraceparentHeader, TracestateHeader:
				// The run's trace context replaces the page's own.
				continue
			case "cookie":
				// The network stack adds the cookies of its store; a
				// value sent back from here would replace them with
				// what they were when the request was paused.
				continue
			}
			p.Headers = append(p.Headers, &fetch.HeaderEntry{Name: name, Value: fmt.Sprint(v)})
		}
		p.Headers = append(p.Headers,
			&fetch.HeaderEntry{Name: TraceparentHeader, Value: t.traceparent()},
			&fetch.HeaderEntry{Name: TracestateHeader, Value: t.state})
	}
	t.release(tab, p)
}

// release lets the paused request of p go, whatever the browser answers: a
// request left paused stalls the page until the step times out. When it
// cannot be continued as p says, it is continued as the page sent it, and
// when that fails too, failed. A request of a tab that is closing goes
// with the tab.
func (t *tracer) release(tab context.Context, p fetch.ContinueRequestParams) {
	type attempt struct {
		how string
		do  func(ctx context.Context) error
	}
	attempts := []attempt{{"continued", func(ctx context.Context) error { return t.requests.continueRequest(ctx, p) }}}
	if p.Headers != nil {
		attempts = append(attempts, attempt{"continued without trace context", func(ctx context.Context) error {
			return t.requests.continueRequest(ctx, fetch.ContinueRequestParams{RequestID: p.RequestID})
		}})
	}
	attempts = append(attempts, attempt{"failed", func(ctx context.Context) error { return t.requests.failRequest(ctx, p.RequestID) }})
	var errs []error
	for _, a := range attempts {
		ctx, cancel := context.WithTimeout(tab, resumeTimeout)
		err := a.do(ctx)
		cancel()
		if err == nil {
			if len(errs) > 0 {
				t.logger.Warn("paused request not continued as intended", "request_id", p.RequestID, "outcome", a.how, "err", errors.Join(errs...))
			}
			return
		}
		if tab.Err() != nil {
			return
		}
		errs = append(errs, err)
	}
	t.logger.Warn("paused request not let go", "request_id", p.RequestID, "err", errors.Join(errs...))
}
