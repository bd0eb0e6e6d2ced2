package probes

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/touchprobe/touchprobe/config"
)

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

// requestReason gives a step that waited in vain for an element the
// reason of a request of the same step that failed: the order request that
// answered 502, the widget's document that answered 503, the API whose
// port refused the connection. The message, from withFailedRequest, names
// both the element and the request.
//
// A step whose navigation ended on the browser's error page (a click on a
// link that redirects for ever) gets the reason of its failed request too,
// as a navigate step to the same URL does.
//
// So does a wait that no evaluation ever answered, or a load that never
// ended, when a document of the same step failed: a frame whose document
// answered 503 has no script to be busy in, a link into a redirect loop
// ends on the browser's error page, and on a loaded machine that page may
// not answer or finish loading before the step's time is up.
func (r *run) requestReason(i int, reason Reason, err error) Reason {
	var chatErr *chatTimeoutError
	var errorPage *errorPageError
	var selErr *selectorError
	var loadTimeout *loadTimeoutError
	documentOnly := false // only a failed document explains the failure
	switch {
	case reason == ReasonSelector, reason == ReasonFrame, errors.As(err, &chatErr):
	case reason == ReasonTimeout && (errors.As(err, &selErr) && selErr.unresponsive || errors.As(err, &loadTimeout)):
		documentOnly = true
	case errors.As(err, &errorPage):
		if r.rec == nil {
			return reason
		}
		if f, ok := r.rec.lastFailure(); ok && f.step == i && loadReason(f.errorText) != ReasonNavigation {
			return loadReason(f.errorText)
		}
		return reason
	default:
		return reason
	}
	if r.rec == nil {
		return reason
	}
	f, ok := r.rec.lastFailure()
	if !ok || f.step != i || documentOnly && !f.document {
		return reason
	}
	if f.errorText == "" {
		return ReasonHTTPStatus
	}
	if why := loadReason(f.errorText); why != ReasonNavigation {
		return why
	}
	return reason
}

var errPageCrashed = errors.New("the page's renderer crashed")

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

type chatTimeoutError struct{ reply, frame string }

func (e *chatTimeoutError) Error() string {
	return fmt.Sprintf("no reply %q appeared in the chat widget %q", e.reply, e.frame)
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

// noPageError says that a navigation's answer had no page to show: 204
// No Content, 205 Reset Content. The browser stays on the page it had.
type noPageError struct {
	method, url string
	status      int
	statusText  string
}

func (e *noPageError) Error() string {
	return (&httpStatusError{status: e.status, url: e.url, method: e.method, statusText: e.statusText}).Error() + ", with no page to show"
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

func ctxReason(ctx context.Context) Reason {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return ReasonTimeout
	}
	return ReasonCanceled
}

// failure is what is known of a step that went wrong: the facts classify
// decides on.
type failure struct {
	err         error
	browserDied bool // the browser behind the tab exited
	pageCrashed bool // the page's renderer process died
	canceled    bool // the run was cancelled, not timed out
	timedOut    bool // a deadline, the step's or the journey's, passed
	// journeyLimit says the journey's deadline was the one that passed.
	journeyLimit   bool
	step           *config.Step
	journeyTimeout time.Duration
}

// failure gathers the facts of the step st that ended with err.
func (r *run) failure(parent, stepCtx context.Context, err error, st *config.Step) failure {
	timedOut := errors.Is(err, context.DeadlineExceeded) || stepCtx.Err() != nil
	return failure{
		err:            err,
		browserDied:    r.tab != nil && r.prober.Browser.Died(r.tab) || errors.Is(browserGone(stepCtx, err), ErrBrowserCrashed),
		pageCrashed:    r.nav != nil && r.nav.hasCrashed(),
		canceled:       parent.Err() != nil && !errors.Is(parent.Err(), context.DeadlineExceeded),
		timedOut:       timedOut,
		journeyLimit:   parent.Err() != nil || stepDeadlineAfterJourney(parent, stepCtx) && timedOut,
		step:           st,
		journeyTimeout: r.journey.Timeout.Duration,
	}
}

// classify turns what went wrong into a bounded reason and a message that
// says what to look at.
func classify(f failure) (Reason, string) {
	err, st, timedOut := f.err, f.step, f.timedOut
	if f.browserDied {
		return ReasonBrowserCrash, fmt.Sprintf("the browser died during the step: %v", err)
	}
	if f.pageCrashed {
		return ReasonPageCrash, "the page crashed: its renderer process died (out of memory, or killed); the browser itself is fine"
	}
	if f.canceled {
		return ReasonCanceled, "the run was cancelled: the agent is shutting down or the journey was removed"
	}
	limit := fmt.Sprintf("the step's timeout of %s", st.Timeout.Duration)
	if f.journeyLimit {
		limit = fmt.Sprintf("the journey's timeout of %s", f.journeyTimeout)
	}
	var (
		selErr         *selectorError
		assertErr      *assertionError
		frameErr       *frameError
		statusErr      *httpStatusError
		loadErr        *chromedp.LoadError
		chatErr        *chatTimeoutError
		loadTimeoutErr *loadTimeoutError
		errorPage      *errorPageError
		scriptErr      *chromedp.ExceptionError
		noPage         *noPageError
	)
	switch {
	case errors.As(err, &assertErr):
		return ReasonAssertion, fmt.Sprintf("%s (within %s)", assertErr.Error(), limit)
	case errors.As(err, &statusErr):
		return ReasonHTTPStatus, statusErr.Error()
	case errors.As(err, &noPage):
		return ReasonNavigation, fmt.Sprintf("the page did not load: %s", noPage.Error())
	case errors.As(err, &loadErr):
		return loadReason(loadErr.ErrorText), fmt.Sprintf("the page did not load: %s", loadErr.ErrorText)
	case errors.As(err, &errorPage):
		return ReasonPageError, errorPage.Error()
	case errors.As(err, &chatErr):
		return ReasonTimeout, fmt.Sprintf("%s within %s", chatErr.Error(), limit)
	case errors.As(err, &frameErr) && frameErr.gone:
		return ReasonFrame, frameErr.Error()
	case errors.As(err, &frameErr):
		return ReasonFrame, fmt.Sprintf("%s within %s", frameErr.Error(), limit)
	case errors.As(err, &selErr):
		if selErr.unresponsive && timedOut {
			return ReasonTimeout, fmt.Sprintf("%s; gave up after %s", selErr.Error(), limit)
		}
		if selErr.state.Error != "" {
			return ReasonSelector, selErr.Error()
		}
		return ReasonSelector, fmt.Sprintf("%s within %s", selErr.Error(), limit)
	case errors.As(err, &loadTimeoutErr):
		return ReasonTimeout, fmt.Sprintf("%s within %s", loadTimeoutErr.Error(), limit)
	case errors.As(err, &scriptErr):
		return ReasonPageError, fmt.Sprintf("a script in the page failed: %v", scriptErr)
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
