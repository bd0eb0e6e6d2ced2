package probes

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"

	"github.com/touchprobe/touchprobe/config"
)

// Browser hands out isolated tabs. *browser.Manager implements it.
type Browser interface {
	// Tab opens a tab in a fresh browser context; cancel closes both. The
	// error of a browser that exited wraps ErrBrowserCrashed.
	Tab(ctx context.Context) (tab context.Context, cancel context.CancelFunc, err error)
	// Died reports whether the browser behind tab has exited.
	Died(tab context.Context) bool
}

// ErrBrowserCrashed is the error of a browser that exited, or whose
// connection dropped, while a run needed it: the browser's fault, not the
// site's. Check for it with errors.Is.
var ErrBrowserCrashed = errors.New("the browser exited")

// browserGone turns the error of a call in the tab of ctx into one that
// wraps ErrBrowserCrashed when the call failed because the connection to
// the browser dropped, and returns other errors as they are.
func browserGone(ctx context.Context, err error) error {
	if err == nil || errors.Is(err, ErrBrowserCrashed) {
		return err
	}
	c := chromedp.FromContext(ctx)
	if c == nil || c.Browser == nil {
		return err
	}
	select {
	case <-c.Browser.LostConnection:
		return fmt.Errorf("%w: %w", ErrBrowserCrashed, err)
	default:
		return err
	}
}

// Prober runs journeys. It never sets deadlines of its own beyond each
// step's timeout: the journey's deadline comes with ctx.
type Prober struct {
	Browser Browser
	Logger  *slog.Logger
	// Version is the version of the program, which the HARs it writes name
	// as their creator.
	Version string
}

func (p *Prober) harCreator() HARCreator {
	v := p.Version
	if v == "" {
		v = "unknown"
	}
	return HARCreator{Name: "touchprobe", Version: v}
}

// Keeper keeps the evidence of one run: it writes files (name → content)
// under the run's journey and ID and returns the folder and the names it
// kept. An error with a folder means the files were kept and what came
// after (retention) failed. *evidence.Store is one.
type Keeper interface {
	Write(journey, runID string, files map[string][]byte) (dir string, kept []string, err error)
}

// Run drives one journey through a fresh, isolated browser context and
// measures every step. A slow or broken site gives a Result with status
// failure; a browser that dies gives status error. Run never panics on what
// a site answers.
//
// With a keeper, a run that fails or has a step over its budget also keeps
// its evidence there: a screenshot and the HTML of the failing or slowest
// step, the console messages and a HAR of the run, all masked; the
// Result's Evidence names them. A cancelled run keeps nothing, and a
// passing run costs no more than without a keeper: only failing and slow
// steps are photographed. Evidence that cannot be kept costs the evidence,
// never the run: Run logs why. A nil keeper keeps nothing; pass a nil
// interface, not a nil *evidence.Store.
//
// The run is made under profile, the customer's device and network: it is
// applied to the tab and to every out-of-process iframe the run enters. A
// nil profile runs in the browser as it opened the tab.
//
// A nil journey, or one without steps, is not run: its Result has status
// error, reason internal, and a message that says why.
func (p *Prober) Run(ctx context.Context, j *config.Journey, profile *config.Profile, secrets *config.Secrets, keeper Keeper) *Result {
	res, c := p.run(ctx, j, profile, secrets, keeper != nil)
	if c != nil {
		p.keep(keeper, res, c)
	}
	return res
}

func (p *Prober) logger() *slog.Logger {
	if p.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return p.Logger
}

// run runs the journey and, when capturing and the run failed or was slow,
// assembles its evidence.
func (p *Prober) run(ctx context.Context, j *config.Journey, profile *config.Profile, secrets *config.Secrets, capturing bool) (*Result, *capture) {
	res := &Result{RunID: newRunID(), TraceID: newTraceID(), SpanID: newSpanID(), Start: time.Now(), Status: StatusSuccess}
	if j != nil {
		res.Journey = j.Name
	}
	if profile != nil {
		res.Profile = profile.Name
	}
	logger := p.logger().With("journey", res.Journey, "profile", res.Profile, "run_id", res.RunID, "trace_id", res.TraceID)
	if msg := unrunnable(j); msg != "" {
		res.Status, res.Reason, res.Message = StatusError, ReasonInternal, msg
		logger.Warn("journey not run", "message", msg)
		return res, nil
	}
	r := &run{prober: p, journey: j, profile: profile, secrets: secrets, result: res, logger: logger, capturing: capturing}
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

// unrunnable says why Run cannot run j, or "": a run measures its steps,
// and reports a failure at one of them.
func unrunnable(j *config.Journey) string {
	switch {
	case j == nil:
		return "no journey to run: pass the journey of a loaded configuration"
	case len(j.Steps) == 0:
		return fmt.Sprintf("journey %q has no steps: give it at least one [[journey.step]]", j.Name)
	}
	return ""
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
	profile *config.Profile
	secrets *config.Secrets
	result  *Result
	logger  *slog.Logger

	tab context.Context
	nav *navTracker
	// rec buffers the run's requests and console messages: for the
	// reasons of failures, and for the evidence.
	rec *recorder
	// trace adds the run's trace context to requests to the journey's
	// trace origins; nil when it has none.
	trace *tracer

	// capturing says whether to keep evidence; snap is the page kept so
	// far, of the failing step or of the step furthest over budget
	// (snapOver beyond it).
	capturing bool
	// timeline says whether every document of the tab records its
	// interactions (installTimeline).
	timeline bool
	// frameInteraction is what the step's input did in an out-of-process
	// iframe (a chat widget), which the tab's timeline does not see.
	frameInteraction *InteractionMetrics
	snap             *snapshot
	snapOver         time.Duration

	// stepNetwork is the network a network step set, which out-of-process
	// iframes attached later get too (see childCommands); nil before one.
	netMu       sync.Mutex
	stepNetwork *network.Conditions

	// frameTargets are the out-of-process iframes and pages the run
	// attached to, where a step may have typed a secret (see
	// hideSecretFields).
	targetsMu    sync.Mutex
	frameTargets []target.ID
}

// attachedTargets returns the targets the run attached to so far.
func (r *run) attachedTargets() []target.ID {
	r.targetsMu.Lock()
	defer r.targetsMu.Unlock()
	return slices.Clone(r.frameTargets)
}

func (r *run) execute(ctx context.Context) {
	steps := r.journey.Steps
	r.result.Steps = make([]StepResult, len(steps))
	for i := range steps {
		st := &steps[i]
		r.result.Steps[i] = StepResult{Index: i, Name: st.Name, Touchpoint: st.Touchpoint, Action: st.Action, SpanID: newSpanID(), Budget: st.Budget.For(r.result.Profile), Status: StepNotRun}
	}

	// The tab outlives the journey's deadline by as long as a snapshot
	// may take, so that a journey that ran out of time keeps the evidence
	// of the step it ended in. Cancelling ctx still closes it at once.
	tabParent, stopTab := tabContext(ctx)
	defer stopTab()
	tab, closeTab, err := r.prober.Browser.Tab(tabParent)
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
	// The customer's device and network hold from the first request on.
	if err := emulate(tab, r.profile); err != nil {
		r.fail(0, ReasonInternal, fmt.Sprintf("could not apply profile %q: %v", r.result.Profile, browserGone(tab, err)))
		return
	}
	// Every document records its interactions and long tasks, before any
	// of its own scripts run.
	if err := installTimeline(tab); err != nil {
		r.logger.Debug("interactions not measured", "err", err)
	} else {
		r.timeline = true
	}
	// A network step's conditions reach the frames attached after it.
	netSteps := slices.ContainsFunc(steps, func(s config.Step) bool { return s.Action == "network" }) && !r.profile.SetsNetwork()
	stopChildren, err := followChildren(tab, r.childCommands, len(childCommands(r.profile, "iframe")) > 0 || netSteps, r.logger)
	defer stopChildren()
	if err != nil {
		r.fail(0, ReasonInternal, fmt.Sprintf("could not apply profile %q to the page's frames: %v", r.result.Profile, browserGone(tab, err)))
		return
	}
	if r.nav, err = trackNavigation(tab); err != nil {
		r.fail(0, ReasonInternal, fmt.Sprintf("could not follow navigations: %v", err))
		return
	}
	r.rec = newRecorder()
	if err := r.rec.listen(tab, false); err != nil {
		r.fail(0, ReasonInternal, fmt.Sprintf("could not follow the page's requests: %v", err))
		return
	}
	// Requests to the trace origins carry the run's trace context from
	// the first request on; with no origins nothing is intercepted.
	if len(r.journey.TraceOrigins) > 0 {
		r.trace = newTracer(r.result, r.journey.TraceOrigins, r.logger)
		stopTrace, err := r.trace.install(tab)
		defer stopTrace()
		if err != nil {
			r.fail(0, ReasonInternal, fmt.Sprintf("could not add trace context to the page's requests: %v", browserGone(tab, err)))
			return
		}
	}
	stopDialogs, err := r.answerDialogs(tab)
	defer stopDialogs()
	if err != nil {
		r.fail(0, ReasonInternal, fmt.Sprintf("could not answer the page's dialogs: %v", err))
		return
	}
	stopPopupDialogs, err := r.answerPopupDialogs(tab)
	defer stopPopupDialogs()
	if err != nil {
		r.fail(0, ReasonInternal, fmt.Sprintf("could not answer the dialogs of the page's popups: %v", err))
		return
	}
	if err := denyDownloads(tab); err != nil {
		r.logger.Debug("downloads not refused", "err", err)
	}
	if err := lighten(tab); err != nil {
		r.logger.Debug("tab not lightened", "err", err)
	}
	// The journey's deadline applies to everything done in the tab.
	runCtx, cancel := context.WithCancelCause(withTouch(tab, r.profile != nil && r.profile.Touch))
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

// tabContext returns the context a run's tab lives in: ctx without its
// deadline, ended snapshotTimeout after it, and at once when ctx is
// cancelled rather than timed out.
func tabContext(ctx context.Context) (context.Context, context.CancelFunc) {
	parent, cancel := context.WithCancel(context.WithoutCancel(ctx))
	if d, ok := ctx.Deadline(); ok {
		var dcancel context.CancelFunc
		parent, dcancel = context.WithDeadline(parent, d.Add(snapshotTimeout))
		prev := cancel
		cancel = func() { dcancel(); prev() }
	}
	stop := context.AfterFunc(ctx, func() {
		if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
			cancel()
		}
	})
	return parent, func() { stop(); cancel() }
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
	if r.trace != nil {
		r.trace.setStep(i)
	}

	// Where the step starts on the page's clock, taken before it starts.
	// A step in an iframe or a popup is measured there (see act), not in
	// the page, which does not see its input.
	var mark timelineMark
	marked := false
	if r.timeline && isInteraction(st.Action) && (st.Action == "chat" || inPage(st)) {
		mctx, mcancel := context.WithTimeout(runCtx, measureTimeline)
		var merr error
		mark, merr = markTimeline(mctx, windowOf(pageScope))
		mcancel()
		marked = merr == nil
	}

	found := &matches{}
	start := time.Now()
	out.Start = start
	end, landed, err := r.act(withMatches(ctx, found), st)
	if err == nil && st.Title != "" {
		err = expectTitle(ctx, st.Title)
	}
	out.Matched = found.String()
	if end.IsZero() {
		end = time.Now()
	}
	out.Duration = end.Sub(start)

	if err == nil && r.nav.hasCrashed() {
		// Whatever the step saw, a page whose renderer died is gone.
		err = errPageCrashed
	}
	if errors.Is(err, errSkipped) {
		out.Status = StepSkipped
		logger.Debug("optional step skipped", "duration_seconds", out.Duration.Seconds())
		return true
	}
	if landed && err == nil || landed && isHTTPStatus(err) {
		r.awaitNetworkQuiet(runCtx)
		pageCtx, pcancel := context.WithTimeout(runCtx, paintPatience+5*time.Second)
		pm, perr := readPage(pageCtx)
		pcancel()
		if perr == nil {
			pm.URL = deepMask(r.secrets)(pm.URL)
			// Under a throttled network the document's first byte comes
			// after the added latency, which Navigation Timing does not
			// see: the network stack's own timing does.
			if r.profile != nil && r.profile.Throttled() && r.rec != nil {
				if d, ok := r.rec.documentTTFB(i, r.nav.mainFrame); ok {
					pm.TTFB = d
				}
			}
			out.Page = pm
			if err == nil {
				err = pageVerdict(pm)
			}
		}
	}
	if marked && err == nil {
		ictx, icancel := context.WithTimeout(runCtx, measureTimeline)
		im, ierr := readInteraction(ictx, windowOf(pageScope), mark, deepMask(r.secrets))
		icancel()
		if ierr != nil {
			logger.Debug("interactions not read", "err", ierr)
		}
		out.Interaction = im
	}
	if err == nil && r.frameInteraction != nil {
		out.Interaction = mergeInteractions(out.Interaction, r.frameInteraction)
	}
	r.frameInteraction = nil
	if err != nil {
		r.describeHTTPStatus(err)
		reason, msg := classify(r.failure(parent, ctx, err, st))
		msg = r.withFailedRequest(i, reason, msg)
		reason = r.requestReason(i, reason, err)
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

// watchFrame records the requests and console messages of an
// out-of-process iframe the step attached to (a chat widget of another
// origin), which the tab's own events do not include, and switches off
// there what a run does not need (see lighten).
func (r *run) watchFrame(frameCtx context.Context) {
	if c := chromedp.FromContext(frameCtx); c != nil && c.Target != nil {
		r.targetsMu.Lock()
		if !slices.Contains(r.frameTargets, c.Target.TargetID) {
			r.frameTargets = append(r.frameTargets, c.Target.TargetID)
		}
		r.targetsMu.Unlock()
	}
	if err := lighten(frameCtx); err != nil {
		r.logger.Debug("iframe not lightened", "err", err)
	}
	if r.rec != nil {
		if err := r.rec.listen(frameCtx, true); err != nil {
			r.logger.Debug("not recording the iframe's requests", "err", err)
		}
	}
}

var errSkipped = errors.New("optional step skipped")

// settle waits for what ends a step after its action: the requests the
// action started (see requestWindow), the load of a page the action, or a
// request it started, navigated to, then wait_for and expect. A navigation
// that starts within navWindow of the action, or of the end of the last
// request it started, counts as caused by it. The windows themselves are
// not charged: a step that did not navigate ends when its action, its
// requests and its conditions did. Waiting and asserting only look at the
// page and cannot start a request or a navigation, so they have no window
// to wait out; a navigation that happened while they looked is still
// followed to its load.
func (r *run) settle(ctx context.Context, sc scope, st *config.Step, before mark, actionStart, actionDone time.Time) (time.Time, bool, error) {
	hasCond := st.WaitFor != "" || st.Expect != nil
	var condAt time.Time
	windowEnd := actionDone.Add(navWindow)
	looking := st.Action == "wait" || st.Action == "assert"
	if looking {
		windowEnd = actionDone
	}
	end := actionDone
	for {
		if r.nav.navigatedSince(before) {
			return r.afterNavigation(ctx, sc, st, before)
		}
		quietAt := windowEnd
		if !looking && r.rec != nil {
			pending, last := r.rec.actionRequests(actionStart, actionDone.Add(requestWindow), longestRequest)
			end = later(end, last)
			if !last.IsZero() {
				quietAt = later(quietAt, last.Add(navWindow))
			}
			// A request still running keeps the step open, up to its
			// timeout: a request alone never fails a step.
			if d, ok := ctx.Deadline(); pending && (!ok || time.Until(d) > 2*pollInterval) {
				quietAt = time.Now().Add(time.Millisecond)
			}
		}
		if !time.Now().Before(quietAt) {
			break
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
		return end, false, nil
	}
	if !condAt.IsZero() {
		return later(end, condAt), false, nil
	}
	condEnd, err := r.conditionsAfter(ctx, sc, st, time.Time{})
	if err != nil {
		// The step ran until its conditions failed, not until its action
		// ended: it is measured until now.
		return time.Time{}, false, err
	}
	return later(end, condEnd), false, nil
}

func (r *run) afterNavigation(ctx context.Context, sc scope, st *config.Step, before mark) (time.Time, bool, error) {
	for {
		if at, ok := r.nav.abandonedSince(before); ok {
			// The navigation became a download (or answered 204): the
			// page stays, and the step ended when it stopped.
			end, err := r.conditionsAfter(ctx, sc, st, at)
			return end, false, err
		}
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

// maxReentries bounds how often a step enters its frame again when the
// frame went away (see act and conditionsAfter).
const maxReentries = 3

// conditionsAfter is conditions after the step's action, in sc. An action
// may send the step's frame to another site (a link in a payment frame
// back to the shop): the frame's document sc reached is gone, and the
// conditions hold, if at all, in the frame's new document, which the
// step's frame key finds as it found the old one.
func (r *run) conditionsAfter(ctx context.Context, sc scope, st *config.Step, floor time.Time) (time.Time, error) {
	for range maxReentries {
		end, err := r.conditions(ctx, sc, st, floor)
		var fe *frameError
		if !errors.As(err, &fe) || !fe.gone || len(st.Frame) == 0 || !inPageTarget(st) {
			return end, afterInput(err)
		}
		next, cleanup, err := enterFrame(ctx, st.Frame, r.watchFrame)
		defer cleanup()
		if err != nil {
			return time.Time{}, err
		}
		sc = next
	}
	end, err := r.conditions(ctx, sc, st, floor)
	return end, afterInput(err)
}

// afterInput marks err, when it says the step's frame or page went away,
// as coming after the step's input was given, which is never given again.
func afterInput(err error) error {
	var fe *frameError
	if errors.As(err, &fe) && fe.gone {
		fe.afterInput = true
	}
	return err
}

// goneBeforeInput reports whether err says that the step's frame or page
// went away before the step's input was given.
func goneBeforeInput(err error) bool {
	var fe *frameError
	return errors.As(err, &fe) && fe.gone && !fe.afterInput
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
