package probes

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/touchprobe/touchprobe/config"
	"github.com/touchprobe/touchprobe/internal/browser"
)

// Browser hands out isolated tabs. *browser.Manager implements it.
type Browser interface {
	// Tab opens a tab in a fresh browser context; cancel closes both.
	Tab(ctx context.Context) (tab context.Context, cancel context.CancelFunc, err error)
	// Died reports whether the browser behind tab has exited.
	Died(tab context.Context) bool
}

// Prober runs journeys. It never sets deadlines of its own beyond each
// step's timeout: the journey's deadline comes with ctx.
type Prober struct {
	Browser Browser
	Logger  *slog.Logger
}

// Run drives one journey through a fresh, isolated browser context and
// measures every step. A slow or broken site gives a Result with status
// failure; a browser that dies gives status error. Run never panics on what
// a site answers.
func (p *Prober) Run(ctx context.Context, j *config.Journey, secrets *config.Secrets) *Result {
	res, _ := p.run(ctx, j, secrets, false)
	return res
}

// RunCapturing is Run, and when the run fails or a step goes over its
// budget it also returns the evidence: a screenshot and the HTML of the
// failing or slowest step, the console messages and a HAR of the run. The
// Capture is nil for a run that passed within budget, or that was
// cancelled. Passing runs cost no more than with Run: only failing and
// slow steps are photographed.
func (p *Prober) RunCapturing(ctx context.Context, j *config.Journey, secrets *config.Secrets) (*Result, *Capture) {
	return p.run(ctx, j, secrets, true)
}

func (p *Prober) run(ctx context.Context, j *config.Journey, secrets *config.Secrets, capturing bool) (*Result, *Capture) {
	res := &Result{Journey: j.Name, RunID: newRunID(), Start: time.Now(), Status: StatusSuccess}
	logger := p.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	logger = logger.With("journey", j.Name, "run_id", res.RunID)
	r := &run{prober: p, journey: j, secrets: secrets, result: res, logger: logger, capturing: capturing}
	r.execute(ctx)
	res.Duration = time.Since(res.Start)
	for _, s := range res.Steps {
		if s.Status == StepFailed {
			res.Reason, res.FailedStep, res.Message = s.Reason, s.Name, s.Message
			if s.Reason == ReasonBrowserCrash || s.Reason == ReasonCanceled || s.Reason == ReasonInternal {
				res.Status = StatusError
			} else {
				res.Status = StatusFailure
			}
			break
		}
	}
	level := slog.LevelInfo
	if res.Status != StatusSuccess {
		level = slog.LevelWarn
	}
	logger.Log(ctx, level, "journey finished", "result", res.Status, "duration_seconds", res.Duration.Seconds(),
		"failed_step", res.FailedStep, "reason", res.Reason, "message", res.Message, "over_budget", res.OverBudget())
	if !capturing || res.Reason == ReasonCanceled || res.Status == StatusSuccess && !res.OverBudget() {
		return res, nil
	}
	return res, r.capture()
}

func newRunID() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// run is the state of one journey run.
type run struct {
	prober  *Prober
	journey *config.Journey
	secrets *config.Secrets
	result  *Result
	logger  *slog.Logger

	tab context.Context
	nav *navTracker
	// rec buffers the run's requests and console messages: for the
	// reasons of failures, and for the evidence.
	rec *recorder

	// capturing says whether to keep evidence; snap is the page kept so
	// far, of the failing step or of the step furthest over budget
	// (snapOver beyond it).
	capturing bool
	snap      *snapshot
	snapOver  time.Duration
}

func (r *run) execute(ctx context.Context) {
	steps := r.journey.Steps
	r.result.Steps = make([]StepResult, len(steps))
	for i := range steps {
		st := &steps[i]
		r.result.Steps[i] = StepResult{Index: i, Name: st.Name, Touchpoint: st.Touchpoint, Action: st.Action, Budget: st.Budget.Duration, Status: StepNotRun}
	}

	tab, closeTab, err := r.prober.Browser.Tab(ctx)
	if err != nil {
		reason := ReasonBrowserCrash
		if ctx.Err() != nil {
			reason = ctxReason(ctx)
		}
		r.fail(0, reason, fmt.Sprintf("could not open a browser tab: %v", err))
		return
	}
	defer closeTab()
	r.tab = tab
	if r.nav, err = trackNavigation(tab); err != nil {
		r.fail(0, ReasonInternal, fmt.Sprintf("could not follow navigations: %v", err))
		return
	}
	r.rec = newRecorder()
	if err := r.rec.listen(tab, false); err != nil {
		r.fail(0, ReasonInternal, fmt.Sprintf("could not follow the page's requests: %v", err))
		return
	}
	// The journey's deadline applies to everything done in the tab.
	runCtx, cancel := context.WithCancelCause(tab)
	defer cancel(nil)
	// A page whose renderer died never answers again: end the step now
	// rather than at its timeout.
	crashWatch := runCtx
	go func() {
		select {
		case <-r.nav.crashed:
			cancel(errPageCrashed)
		case <-crashWatch.Done():
		}
	}()
	if d, ok := ctx.Deadline(); ok {
		var dcancel context.CancelFunc
		runCtx, dcancel = context.WithDeadline(runCtx, d)
		defer dcancel()
	}

	for i := range steps {
		if ok := r.step(ctx, runCtx, i, &steps[i]); !ok {
			return
		}
	}
}

// fail marks step i failed and leaves the rest not run.
func (r *run) fail(i int, reason Reason, msg string) {
	s := &r.result.Steps[i]
	s.Status, s.Reason, s.Message = StepFailed, reason, deepMask(r.secrets)(msg)
}

// step runs one step and reports whether the journey goes on.
func (r *run) step(parent, runCtx context.Context, i int, st *config.Step) bool {
	out := &r.result.Steps[i]
	ctx, cancel := context.WithTimeout(runCtx, st.Timeout.Duration)
	defer cancel()
	logger := r.logger.With("step", st.Name, "step_index", i+1)
	if r.rec != nil {
		r.rec.startStep(i, st.Name)
	}

	start := time.Now()
	end, landed, err := r.act(ctx, st)
	if end.IsZero() {
		end = time.Now()
	}
	out.Duration = end.Sub(start)

	if errors.Is(err, errSkipped) {
		out.Status = StepSkipped
		logger.Debug("optional step skipped", "duration_seconds", out.Duration.Seconds())
		return true
	}
	if landed && err == nil || landed && isHTTPStatus(err) {
		pageCtx, pcancel := context.WithTimeout(runCtx, 5*time.Second)
		pm, perr := readPage(pageCtx)
		pcancel()
		if perr == nil {
			pm.URL = deepMask(r.secrets)(pm.URL)
			out.Page = pm
			if err == nil {
				err = pageVerdict(pm)
			}
		}
	}
	if err != nil {
		r.describeHTTPStatus(err)
		reason, msg := r.classify(parent, ctx, err, st)
		msg = r.withFailedRequest(i, reason, msg)
		r.fail(i, reason, msg)
		logger.Warn("step failed", "reason", reason, "message", out.Message, "duration_seconds", out.Duration.Seconds())
		if r.capturing && reason != ReasonBrowserCrash && reason != ReasonCanceled {
			if snap := r.takeSnapshot(i); snap != nil {
				r.snap = snap
			}
		}
		return false
	}
	out.Status = StepOK
	if out.OverBudget() {
		logger.Info("step over budget", "duration_seconds", out.Duration.Seconds(), "budget_seconds", out.Budget.Seconds())
		// Keep the page of the step furthest over its budget, taken as
		// the step ends; a later failure replaces it.
		if over := out.Duration - out.Budget; r.capturing && over > r.snapOver {
			if snap := r.takeSnapshot(i); snap != nil {
				r.snap, r.snapOver = snap, over
			}
		}
	}
	return true
}

// describeHTTPStatus adds the method and the server's status text to an
// HTTP status error, from the request the browser made.
func (r *run) describeHTTPStatus(err error) {
	var he *httpStatusError
	if r.rec == nil || !errors.As(err, &he) {
		return
	}
	method, text := r.rec.mainDocument(he.url)
	if he.method == "" {
		he.method = method
	}
	if he.statusText == "" {
		he.statusText = text
	}
}

// withFailedRequest adds to a failure's message the last request of the
// run that failed, when it may explain the failure: an element that never
// appeared because the API that fills it answered 500 in an earlier step.
func (r *run) withFailedRequest(i int, reason Reason, msg string) string {
	switch reason {
	case ReasonSelector, ReasonTimeout, ReasonAssertion, ReasonFrame, ReasonPageError:
	default:
		return msg
	}
	if r.rec == nil {
		return msg
	}
	f, ok := r.rec.lastFailure()
	if !ok || f.step > i {
		return msg
	}
	if f.step == i {
		return msg + "; a request failed: " + f.String()
	}
	return msg + fmt.Sprintf("; a request failed in step %q: %s", r.result.Steps[f.step].Name, f.String())
}

// watchFrame records the requests and console messages of an
// out-of-process iframe the step attached to (a chat widget of another
// origin), which the tab's own events do not include.
func (r *run) watchFrame(frameCtx context.Context) {
	if r.rec != nil {
		if err := r.rec.listen(frameCtx, true); err != nil {
			r.logger.Debug("not recording the iframe's requests", "err", err)
		}
	}
}

var errSkipped = errors.New("optional step skipped")

var errPageCrashed = errors.New("the page's renderer crashed")

// optionalGrace is how long an optional step waits for its element before
// it is skipped: consent banners and pop-ups appear just after load.
const optionalGrace = time.Second

// presentSoon reports whether the element becomes visible within grace.
// An element is only declared absent after the page has answered several
// times that it is, so that a slow, loaded machine does not skip a step
// whose element is there.
func presentSoon(ctx context.Context, sc scope, sel string, grace time.Duration) (bool, error) {
	const answers = 3
	deadline := time.Now().Add(grace)
	absent := 0
	for {
		st, err := sc.inspect(ctx, sel, false)
		switch {
		case err == nil && st.Visible:
			return true, nil
		case err == nil:
			absent++
		case browser.IsCrash(err):
			return false, err
		}
		if absent >= answers && time.Now().After(deadline) {
			return false, nil
		}
		if err := sleep(ctx, pollInterval); err != nil {
			return false, err
		}
	}
}

// act performs the step's action and waits until it settles. It returns
// when the step ended for the customer, and whether a new page loaded.
func (r *run) act(ctx context.Context, st *config.Step) (time.Time, bool, error) {
	sc := pageScope
	if st.Optional && st.Frame != "" {
		// An optional pop-up often lives in its own iframe: when the frame
		// itself is absent, so is the step.
		present, err := presentSoon(ctx, pageScope, st.Frame, min(optionalGrace, st.Timeout.Duration))
		if err != nil {
			return time.Time{}, false, err
		}
		if !present {
			return time.Time{}, false, errSkipped
		}
	}
	if st.Frame != "" && st.Action != "chat" {
		fs, cleanup, err := enterFrame(ctx, st.Frame, r.watchFrame)
		defer cleanup()
		if err != nil {
			return time.Time{}, false, err
		}
		sc = fs
	}
	if st.Optional {
		sel := st.Selector
		if sel == "" {
			sel = st.Open
		}
		if sel != "" {
			present, err := presentSoon(ctx, sc, sel, min(optionalGrace, st.Timeout.Duration))
			if err != nil {
				return time.Time{}, false, err
			}
			if !present {
				return time.Time{}, false, errSkipped
			}
		}
	}

	before := r.nav.mark()
	var err error
	switch st.Action {
	case "navigate":
		var resp *networkResponse
		resp, err = navigate(ctx, st.URL)
		if err != nil {
			return time.Time{}, resp != nil, err
		}
		end := time.Now()
		if resp.status >= 400 {
			return end, true, &httpStatusError{status: resp.status, url: st.URL, method: http.MethodGet, statusText: resp.text}
		}
		condEnd, err := r.conditions(ctx, sc, st, time.Time{})
		if err != nil {
			return time.Time{}, true, err
		}
		return later(end, condEnd), true, nil
	case "click":
		err = sc.click(ctx, st.Selector)
	case "fill":
		err = r.fill(ctx, sc, st)
	case "select":
		err = selectOption(ctx, sc, st.Selector, st.Value)
	case "press":
		err = press(ctx, sc, st.Selector, st.Key)
	case "wait":
		_, err = sc.waitVisible(ctx, st.Selector, false, nil)
	case "assert":
		err = assert(ctx, sc, st)
	case "chat":
		return r.chat(ctx, st)
	default:
		err = fmt.Errorf("unknown action %q", st.Action)
	}
	if err != nil {
		return time.Time{}, false, err
	}
	return r.settle(ctx, sc, st, before, time.Now())
}

// settle waits for what ends a step after its action: the load of a page the
// action navigated to, then wait_for and expect. A navigation that starts
// within navWindow of the action counts as caused by it. The window itself
// is not charged: a step that did not navigate ends when its action (and
// conditions) did. Waiting and asserting only look at the page and cannot
// start a navigation, so they have no window to wait out; a navigation that
// happened while they looked is still followed to its load.
func (r *run) settle(ctx context.Context, sc scope, st *config.Step, before mark, actionDone time.Time) (time.Time, bool, error) {
	hasCond := st.WaitFor != "" || st.Expect != nil
	var condAt time.Time
	windowEnd := actionDone.Add(navWindow)
	if st.Action == "wait" || st.Action == "assert" {
		windowEnd = actionDone
	}
	for time.Now().Before(windowEnd) {
		if r.nav.navigatedSince(before) {
			return r.afterNavigation(ctx, sc, st, before)
		}
		if hasCond && condAt.IsZero() {
			if ok, _ := r.conditionsHold(ctx, sc, st); ok {
				condAt = time.Now()
			}
		}
		if err := sleep(ctx, 10*time.Millisecond); err != nil {
			return time.Time{}, false, err
		}
	}
	if r.nav.navigatedSince(before) {
		return r.afterNavigation(ctx, sc, st, before)
	}
	if !hasCond {
		return actionDone, false, nil
	}
	if !condAt.IsZero() {
		return condAt, false, nil
	}
	end, err := r.conditions(ctx, sc, st, time.Time{})
	return end, false, err
}

func (r *run) afterNavigation(ctx context.Context, sc scope, st *config.Step, before mark) (time.Time, bool, error) {
	for {
		if at, ok := r.nav.loadedSince(before); ok {
			// An error page will never show what the step waits for: say
			// so now rather than at the timeout.
			if err := landedOK(ctx); err != nil {
				return at, true, err
			}
			// Selectors of a frame scope belonged to the old page.
			end, err := r.conditions(ctx, pageScope, st, at)
			return end, true, err
		}
		if err := sleep(ctx, 10*time.Millisecond); err != nil {
			return time.Time{}, true, &loadTimeoutError{err: err}
		}
	}
}

// conditions waits for wait_for and expect; it returns when both held, or
// floor if there were none.
func (r *run) conditions(ctx context.Context, sc scope, st *config.Step, floor time.Time) (time.Time, error) {
	if st.WaitFor == "" && st.Expect == nil {
		if floor.IsZero() {
			return time.Now(), nil
		}
		return floor, nil
	}
	if st.WaitFor != "" {
		if _, err := sc.waitVisible(ctx, st.WaitFor, false, nil); err != nil {
			return time.Time{}, err
		}
	}
	if st.Expect != nil {
		if err := expectText(ctx, sc, st.Expect.Selector, st.Expect.Text); err != nil {
			return time.Time{}, err
		}
	}
	return time.Now(), nil
}

// conditionsHold checks wait_for and expect once, without waiting.
func (r *run) conditionsHold(ctx context.Context, sc scope, st *config.Step) (bool, error) {
	if st.WaitFor != "" {
		s, err := sc.inspect(ctx, st.WaitFor, false)
		if err != nil || !s.Visible {
			return false, err
		}
	}
	if st.Expect != nil {
		s, err := sc.inspect(ctx, st.Expect.Selector, false)
		if err != nil || !s.Visible || !strings.Contains(s.Text, st.Expect.Text) {
			return false, err
		}
	}
	return true, nil
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func (r *run) fill(ctx context.Context, sc scope, st *config.Step) error {
	for _, sel := range st.FieldOrder {
		if err := fillField(ctx, sc, sel, st.Fields[sel]); err != nil {
			return err
		}
	}
	if st.Submit != "" {
		return sc.click(ctx, st.Submit)
	}
	return nil
}

// fillField types into inputs and text areas and chooses in selects.
func fillField(ctx context.Context, sc scope, sel, value string) error {
	c := sc.ctxFor(ctx)
	tag, err := chromedp.Run(c, chromedp.Evaluate[string](fmt.Sprintf(
		`(() => { const el = %s.querySelector(%s); return el ? el.tagName : ""; })()`, sc.root, jsString(sel))))
	if err == nil && tag == "SELECT" {
		return selectOption(ctx, sc, sel, value)
	}
	return sc.typeText(ctx, sel, value)
}

// assertionError says what text was expected and what the page showed.
type assertionError struct {
	what, want, got string
}

// maxGot bounds how much of what the page showed an assertion message
// quotes: enough to see the difference, not the whole page.
const maxGot = 200

func (e *assertionError) Error() string {
	return fmt.Sprintf("%s: expected %q, got %q", e.what, e.want, tail(e.got, maxGot))
}

// expectText waits until the element shows text; at the deadline it says
// what the element showed instead.
func expectText(ctx context.Context, sc scope, sel, text string) error {
	st, err := sc.waitVisible(ctx, sel, false, func(s elementState) bool { return strings.Contains(s.Text, text) })
	if err != nil && st.Visible {
		return &assertionError{what: fmt.Sprintf("text of %q", sel), want: text, got: st.Text}
	}
	return err
}

func assert(ctx context.Context, sc scope, st *config.Step) error {
	if st.Selector != "" {
		if err := expectText(ctx, sc, st.Selector, st.Text); err != nil {
			return err
		}
	}
	if re := st.URLPattern(); re != nil {
		var last string
		for {
			c := sc.ctxFor(ctx)
			u, err := chromedp.Run(c, chromedp.Evaluate[string](`location.href`))
			if err == nil {
				last = u
				if re.MatchString(u) {
					return nil
				}
			}
			if err := sleep(ctx, pollInterval); err != nil {
				return &assertionError{what: "page URL", want: "match " + re.String(), got: last}
			}
		}
	}
	return nil
}

func selectOption(ctx context.Context, sc scope, sel, value string) error {
	if _, err := sc.waitVisible(ctx, sel, true, nil); err != nil {
		return err
	}
	c := sc.ctxFor(ctx)
	// Match by value first, then by visible label, as a person reading the
	// page would name the option.
	js := fmt.Sprintf(`((el, want) => {
	  const opts = Array.from(el.options || []);
	  const o = opts.find(o => o.value === want) || opts.find(o => o.text.trim() === want);
	  if (!o) return opts.map(o => o.value).join(", ");
	  el.value = o.value;
	  el.dispatchEvent(new Event("input", {bubbles: true}));
	  el.dispatchEvent(new Event("change", {bubbles: true}));
	  return "";
	})(%s.querySelector(%s), %s)`, sc.root, jsString(sel), jsString(value))
	missing, err := chromedp.Run(c, chromedp.Evaluate[string](js))
	if err != nil {
		return err
	}
	if missing != "" {
		return &assertionError{what: fmt.Sprintf("options of %q", sel), want: value, got: missing}
	}
	return nil
}

// keyNames maps the key names a config uses ("Enter", "ArrowDown") to the
// runes chromedp types.
var keyNames = func() map[string]string {
	m := make(map[string]string)
	for r, k := range kb.Keys {
		if len(k.Key) > 1 {
			m[strings.ToLower(k.Key)] = string(r)
		}
	}
	return m
}()

func press(ctx context.Context, sc scope, sel, key string) error {
	keys := key
	if k, ok := keyNames[strings.ToLower(key)]; ok {
		keys = k
	}
	c := sc.ctxFor(ctx)
	if sel != "" {
		if _, err := sc.waitVisible(ctx, sel, true, nil); err != nil {
			return err
		}
		focus := fmt.Sprintf(`%s.querySelector(%s).focus()`, sc.root, jsString(sel))
		if err := chromedp.Do(c, chromedp.Evaluate[chromedp.Void](focus)); err != nil {
			return err
		}
	}
	return chromedp.Do(c, chromedp.KeyEvent(keys))
}

// chat opens the widget, sends the message and ends when a new reply shows.
func (r *run) chat(ctx context.Context, st *config.Step) (time.Time, bool, error) {
	if st.Open != "" {
		if err := pageScope.click(ctx, st.Open); err != nil {
			return time.Time{}, false, err
		}
	}
	sc := pageScope
	if st.Frame != "" {
		fs, cleanup, err := enterFrame(ctx, st.Frame, r.watchFrame)
		defer cleanup()
		if err != nil {
			return time.Time{}, false, err
		}
		sc = fs
	}
	if _, err := sc.waitVisible(ctx, st.Input, false, nil); err != nil {
		return time.Time{}, false, err
	}
	prior, err := sc.inspect(ctx, st.Reply, false)
	if err != nil {
		return time.Time{}, false, err
	}
	if err := sc.typeText(ctx, st.Input, st.Message); err != nil {
		return time.Time{}, false, err
	}
	c := sc.ctxFor(ctx)
	err = chromedp.Do(c, chromedp.KeyEvent(kb.Enter))
	if err != nil {
		return time.Time{}, false, err
	}
	_, err = sc.waitVisible(ctx, st.Reply, false, func(s elementState) bool { return s.Count > prior.Count })
	if err != nil {
		var se *selectorError
		if errors.As(err, &se) && errors.Is(err, context.DeadlineExceeded) {
			return time.Time{}, false, &chatTimeoutError{reply: st.Reply, frame: st.Frame}
		}
		return time.Time{}, false, err
	}
	end := time.Now()
	condEnd, err := r.conditions(ctx, sc, st, end)
	return later(end, condEnd), false, err
}

type chatTimeoutError struct{ reply, frame string }

func (e *chatTimeoutError) Error() string {
	return fmt.Sprintf("no reply %q appeared in the chat widget %q", e.reply, e.frame)
}

type networkResponse struct {
	status int
	text   string
}

// navigate loads url and waits for its load event.
func navigate(ctx context.Context, url string) (*networkResponse, error) {
	resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(url))
	if err != nil {
		return nil, err
	}
	if resp == nil {
		return &networkResponse{}, nil
	}
	return &networkResponse{status: int(resp.Status), text: resp.StatusText}, nil
}

type httpStatusError struct {
	status     int
	url        string
	method     string // empty when not known
	statusText string // the server's; empty means the standard text
}

func (e *httpStatusError) Error() string {
	text := e.statusText
	if text == "" {
		text = http.StatusText(e.status)
	}
	target := e.url
	if e.method != "" {
		target = e.method + " " + e.url
	}
	return strings.TrimSpace(fmt.Sprintf("%s answered HTTP %d %s", target, e.status, text))
}

func isHTTPStatus(err error) bool {
	var h *httpStatusError
	return errors.As(err, &h)
}

type loadTimeoutError struct{ err error }

func (e *loadTimeoutError) Error() string {
	return "the page did not finish loading (no load event)"
}
func (e *loadTimeoutError) Unwrap() error { return e.err }

type errorPageError struct{ url string }

func (e *errorPageError) Error() string {
	return "the browser showed its own error page instead of " + e.url
}

// landedOK checks the document a navigation landed on.
func landedOK(ctx context.Context) error {
	type doc struct {
		URL    string `json:"url"`
		Status int    `json:"status"`
	}
	d, err := chromedp.Run(ctx, chromedp.Evaluate[doc](`(() => { const n = performance.getEntriesByType("navigation")[0];
	  return {url: location.href, status: n && n.responseStatus ? n.responseStatus : 0}; })()`))
	if err != nil {
		return nil // the conditions that follow will say what is wrong
	}
	return pageVerdict(&PageMetrics{URL: d.URL, Status: d.Status})
}

// pageVerdict fails a step whose navigation landed on an error status or on
// Chromium's error page.
func pageVerdict(pm *PageMetrics) error {
	if strings.HasPrefix(pm.URL, "chrome-error://") {
		return &errorPageError{url: "the requested page"}
	}
	if pm.Status >= 400 {
		return &httpStatusError{status: pm.Status, url: pm.URL}
	}
	return nil
}

func ctxReason(ctx context.Context) Reason {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return ReasonTimeout
	}
	return ReasonCanceled
}

// classify turns what went wrong into a bounded reason and a message that
// says what to look at.
func (r *run) classify(parent, stepCtx context.Context, err error, st *config.Step) (Reason, string) {
	if r.tab != nil && r.prober.Browser.Died(r.tab) || browser.IsCrash(err) {
		return ReasonBrowserCrash, fmt.Sprintf("the browser died during the step: %v", err)
	}
	if r.nav != nil && r.nav.hasCrashed() {
		return ReasonPageCrash, "the page crashed: its renderer process died (out of memory, or killed); the browser itself is fine"
	}
	if parent.Err() != nil && !errors.Is(parent.Err(), context.DeadlineExceeded) {
		return ReasonCanceled, "the run was cancelled: the agent is shutting down or the journey was removed"
	}
	timedOut := errors.Is(err, context.DeadlineExceeded) || stepCtx.Err() != nil
	limit := fmt.Sprintf("the step's timeout of %s", st.Timeout.Duration)
	if parent.Err() != nil || stepDeadlineAfterJourney(parent, stepCtx) && timedOut {
		limit = fmt.Sprintf("the journey's timeout of %s", r.journey.Timeout.Duration)
	}
	var (
		se   *selectorError
		ae   *assertionError
		fe   *frameError
		he   *httpStatusError
		le   *chromedp.LoadError
		ce   *chatTimeoutError
		lte  *loadTimeoutError
		epe  *errorPageError
		exce *chromedp.ExceptionError
	)
	switch {
	case errors.As(err, &ae):
		return ReasonAssertion, fmt.Sprintf("%s (within %s)", ae.Error(), limit)
	case errors.As(err, &he):
		return ReasonHTTPStatus, he.Error()
	case errors.As(err, &le):
		return loadReason(le.ErrorText), fmt.Sprintf("the page did not load: %s", le.ErrorText)
	case errors.As(err, &epe):
		return ReasonPageError, epe.Error()
	case errors.As(err, &ce):
		return ReasonTimeout, fmt.Sprintf("%s within %s", ce.Error(), limit)
	case errors.As(err, &fe):
		return ReasonFrame, fmt.Sprintf("%s within %s", fe.Error(), limit)
	case errors.As(err, &se):
		if se.unresponsive && timedOut {
			return ReasonTimeout, fmt.Sprintf("%s; gave up after %s", se.Error(), limit)
		}
		if se.state.Error != "" {
			return ReasonSelector, se.Error()
		}
		return ReasonSelector, fmt.Sprintf("%s within %s", se.Error(), limit)
	case errors.As(err, &lte):
		return ReasonTimeout, fmt.Sprintf("%s within %s", lte.Error(), limit)
	case errors.As(err, &exce):
		return ReasonPageError, fmt.Sprintf("a script in the page failed: %v", exce)
	case timedOut:
		if st.Action == "navigate" {
			return ReasonTimeout, fmt.Sprintf("%s did not finish loading within %s", st.URL, limit)
		}
		return ReasonTimeout, fmt.Sprintf("the step did not finish within %s", limit)
	}
	return ReasonInternal, err.Error()
}

// stepDeadlineAfterJourney reports whether the journey's deadline, not the
// step's, was the one that ran out.
func stepDeadlineAfterJourney(parent, step context.Context) bool {
	pd, ok := parent.Deadline()
	if !ok {
		return false
	}
	sd, _ := step.Deadline()
	return !pd.After(sd)
}

// loadReason maps Chromium's network error texts to bounded reasons.
func loadReason(text string) Reason {
	switch {
	case strings.Contains(text, "ERR_NAME_NOT_RESOLVED"), strings.Contains(text, "ERR_NAME_RESOLUTION_FAILED"):
		return ReasonDNS
	case strings.Contains(text, "ERR_CONNECTION_REFUSED"):
		return ReasonConnRefused
	case strings.Contains(text, "ERR_CERT_"), strings.Contains(text, "ERR_SSL_"):
		return ReasonTLS
	case strings.Contains(text, "ERR_TOO_MANY_REDIRECTS"):
		return ReasonRedirectLoop
	case strings.Contains(text, "ERR_TIMED_OUT"), strings.Contains(text, "ERR_CONNECTION_TIMED_OUT"):
		return ReasonTimeout
	case strings.Contains(text, "ERR_ABORTED"):
		return ReasonNavigation
	}
	return ReasonNavigation
}
