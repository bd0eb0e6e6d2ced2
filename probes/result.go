// Package probes runs a journey in Chromium and measures every step as a customer would feel it.
package probes

import (
	"time"
)

// Status is the outcome of one journey run. A failure is the site's fault and
// is what touchprobe exists to measure; an error means the agent could not
// measure (its browser died), which is a different page for on-call.
type Status string

const (
	StatusSuccess Status = "success"
	StatusFailure Status = "failure"
	StatusError   Status = "error"
	// StatusFlaky is a run that failed and then passed when retried: the
	// site works, but not every time. The prober never reports it; the
	// agent that retries does.
	StatusFlaky Status = "flaky"
)

// Reason says why a step failed. The set is closed so that it can be a
// Prometheus label.
type Reason string

const (
	ReasonNone         Reason = ""
	ReasonTimeout      Reason = "timeout"     // the step or journey ran out of time
	ReasonSelector     Reason = "selector"    // an element was not found or not visible
	ReasonAssertion    Reason = "assertion"   // text or URL differed from what was expected
	ReasonHTTPStatus   Reason = "http_status" // a navigation answered 4xx or 5xx
	ReasonNavigation   Reason = "navigation"  // the page did not load, for another network reason
	ReasonConnRefused  Reason = "connection_refused"
	ReasonDNS          Reason = "dns"           // the host name did not resolve
	ReasonTLS          Reason = "tls"           // certificate or TLS handshake error
	ReasonRedirectLoop Reason = "redirect_loop" // too many redirects
	ReasonFrame        Reason = "frame"         // the iframe named by frame never appeared
	ReasonPageError    Reason = "page_error"    // the browser showed its own error page
	ReasonPageCrash    Reason = "page_crash"    // the page's renderer died (out of memory, crashed); the browser lives on
	ReasonBrowserCrash Reason = "browser_crash" // Chromium died or could not start
	ReasonCanceled     Reason = "canceled"      // the agent was shutting down
	ReasonInternal     Reason = "internal"      // a bug in touchprobe
)

// Reasons lists every Reason a failure can carry, for documentation and for
// initialising counters.
var Reasons = []Reason{
	ReasonTimeout, ReasonSelector, ReasonAssertion, ReasonHTTPStatus, ReasonNavigation,
	ReasonConnRefused, ReasonDNS, ReasonTLS, ReasonRedirectLoop,
	ReasonFrame, ReasonPageError, ReasonPageCrash, ReasonBrowserCrash, ReasonCanceled, ReasonInternal,
}

// StepStatus is what happened to one step.
type StepStatus string

const (
	StepOK      StepStatus = "ok"
	StepFailed  StepStatus = "failed"
	StepSkipped StepStatus = "skipped" // optional, and its element was absent
	StepNotRun  StepStatus = "not_run" // an earlier step failed
)

// StepResult is the measurement of one step.
type StepResult struct {
	Index      int // 0-based position in the journey
	Name       string
	Touchpoint string
	Action     string
	// SpanID is the step's span in the run's trace: 16 hex digits, the
	// parent id of the traceparent its requests to the trace origins
	// carry.
	SpanID string
	Status StepStatus
	// Start is when the step started; zero when it did not run.
	Start    time.Time
	Duration time.Duration
	Budget   time.Duration
	Reason   Reason
	// Message explains a failure in words a person can act on; secrets are
	// already masked.
	Message string
	// Matched names the alternative that found the element, for each of
	// the step's selectors that has several (see config.Step.Selectors).
	Matched string
	// Page holds the browser's timings when the step landed on a new page.
	Page *PageMetrics
	// Interaction holds how the page responded to the step's input (INP,
	// blocking time) for the actions a customer waits on: click, fill,
	// press, select and chat; nil for other steps or when the browser
	// could not say.
	Interaction *InteractionMetrics
}

// InteractionMetrics are how the page responded to a step's input, in the
// document the step acted on (the page, or the iframe or popup its frame
// and target name; a chat step adds its widget's to the page's): what the
// Event Timing and Long Tasks APIs reported between the step's start and
// its end. A step whose document could not be read (an iframe its own
// input removed) has none rather than zeros.
type InteractionMetrics struct {
	// Interactions is how many distinct interactions (a click, a tap, a
	// key press) of 16 ms or more the page reported.
	Interactions int
	// INP is the longest of them, from the input to the next frame shown
	// (input delay, processing and presentation): the step's Interaction
	// to Next Paint. Zero when every interaction took under 16 ms.
	INP time.Duration
	// TBT is the total blocking time: of every long task, the part over
	// 50 ms.
	TBT time.Duration
	// LongFrames are the longest animation frames of the step, over 50 ms
	// each, with the scripts that ran in them: which script made the
	// page slow to respond.
	LongFrames []LongFrame
}

// LongFrame is a long animation frame (Long Animation Frames API).
type LongFrame struct {
	Duration time.Duration
	// Blocking is the part of the frame's long tasks over 50 ms each.
	Blocking time.Duration
	Scripts  []FrameScript
}

// FrameScript is a script that ran in a long animation frame.
type FrameScript struct {
	// URL is the script's source; empty for an inline one.
	URL string
	// Function is the function that was called, when the browser knows.
	Function string
	// Invoker is what called it, such as "BUTTON#block.onclick".
	Invoker  string
	Duration time.Duration
}

// OverBudget reports whether a completed step took longer than its budget.
func (s StepResult) OverBudget() bool {
	return s.Status == StepOK && s.Budget > 0 && s.Duration > s.Budget
}

// PageMetrics are what the browser itself measured for a page. A zero
// duration means the browser did not report that timing.
type PageMetrics struct {
	URL              string // masked
	Status           int    // HTTP status of the main document, 0 if unknown
	TTFB             time.Duration
	DOMContentLoaded time.Duration
	Load             time.Duration
	FCP              time.Duration
	LCP              time.Duration
	CLS              float64
	// TBT is the load's total blocking time as Lighthouse counts it: of
	// every long task after the first contentful paint until the page's
	// timings were read, the part over 50 ms. Negative when unknown (no
	// first paint).
	TBT           time.Duration
	TransferBytes int64
	Requests      int
}

// Result is one run of one journey.
type Result struct {
	Journey string
	// Profile names the device and network the run was made under; empty
	// when it was made without one.
	Profile string
	RunID   string
	// TraceID is the run's W3C trace id (32 hex digits, random per run);
	// SpanID is the span of the whole journey, the parent of the steps'.
	TraceID  string
	SpanID   string
	Start    time.Time
	Duration time.Duration
	Status   Status
	// Reason, FailedStep and Message repeat the failing step's, for callers
	// that only want the headline.
	Reason     Reason
	FailedStep string
	Message    string
	Steps      []StepResult
	// Evidence lists what was kept of a run that failed or went over
	// budget; nil when the run passed or nothing could be kept.
	Evidence *Evidence
	// Attempt is the 1-based attempt of its run this result is; 0 or 1
	// for a run that was not retried.
	Attempt int
	// Retried holds the earlier, failed attempts of a retried run, oldest
	// first, each with its own RunID and Evidence; the result itself is
	// the last attempt's.
	Retried []*Result
}

// Evidence is what a run kept in its folder, through the Keeper given to
// Prober.Run.
type Evidence struct {
	// Dir is the run's folder.
	Dir string
	// Step is the index of the step the screenshot and HTML show: the one
	// that failed, else the one furthest over its budget.
	Step int
	// Files are the names kept in Dir.
	Files []string
}

// OverBudget reports whether any step of the run went over its budget.
func (r *Result) OverBudget() bool {
	for _, s := range r.Steps {
		if s.OverBudget() {
			return true
		}
	}
	return false
}
