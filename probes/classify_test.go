package probes

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/touchprobe/touchprobe/config"
)

func testStep(action string) *config.Step {
	st := &config.Step{Name: "s", Action: action, URL: "http://127.0.0.1:1/shop"}
	st.Timeout.Duration = 3 * time.Second
	return st
}

func TestClassify(t *testing.T) {
	click, nav := testStep("click"), testStep("navigate")
	assertion := &assertionError{what: `text of "#total"`, want: "42", got: "41"}
	cases := []struct {
		name       string
		f          failure
		reason     Reason
		message    string // the message contains it
		notMessage string // and does not contain it
	}{
		{"browser died wins over what the step saw", failure{err: assertion, browserDied: true, pageCrashed: true, step: click},
			ReasonBrowserCrash, "the browser died during the step", ""},
		{"page crash", failure{err: context.Canceled, pageCrashed: true, step: click},
			ReasonPageCrash, "the page crashed", ""},
		{"cancelled run", failure{err: context.Canceled, canceled: true, step: click},
			ReasonCanceled, "the run was cancelled", ""},
		{"assertion within the step's timeout", failure{err: fmt.Errorf("step: %w", assertion), step: click},
			ReasonAssertion, `text of "#total": expected "42", got "41" (within the step's timeout of 3s)`, ""},
		{"assertion within the journey's timeout", failure{err: assertion, journeyLimit: true, journeyTimeout: 30 * time.Second, step: click},
			ReasonAssertion, "(within the journey's timeout of 30s)", "step's"},
		{"http status", failure{err: &httpStatusError{status: 503, url: "http://127.0.0.1:1/shop", method: "GET"}, step: nav},
			ReasonHTTPStatus, "GET http://127.0.0.1:1/shop answered HTTP 503 Service Unavailable", ""},
		{"dns", failure{err: fmt.Errorf("navigate: %w", &chromedp.LoadError{ErrorText: "net::ERR_NAME_NOT_RESOLVED"}), step: nav},
			ReasonDNS, "the page did not load: net::ERR_NAME_NOT_RESOLVED", ""},
		{"connection refused", failure{err: &chromedp.LoadError{ErrorText: "net::ERR_CONNECTION_REFUSED"}, step: nav},
			ReasonConnRefused, "net::ERR_CONNECTION_REFUSED", ""},
		{"browser error page", failure{err: &errorPageError{url: "the requested page"}, step: click},
			ReasonPageError, "the browser showed its own error page instead of the requested page", ""},
		{"chat never replies", failure{err: &chatTimeoutError{reply: ".bot", frame: "#chat"}, timedOut: true, step: testStep("chat")},
			ReasonTimeout, `no reply ".bot" appeared in the chat widget "#chat" within the step's timeout of 3s`, ""},
		{"frame never loads", failure{err: &frameError{frame: "#pay", err: context.DeadlineExceeded}, timedOut: true, step: click},
			ReasonFrame, `iframe "#pay" did not load`, ""},
		{"unresponsive page that ran out of time", failure{err: &selectorError{sel: "#go", unresponsive: true, err: context.DeadlineExceeded}, timedOut: true, step: click},
			ReasonTimeout, "stopped responding", ""},
		{"unresponsive page before the deadline", failure{err: &selectorError{sel: "#go", unresponsive: true}, step: click},
			ReasonSelector, "stopped responding", ""},
		{"invalid selector says so without a timeout", failure{err: &selectorError{sel: "#[", state: elementState{Error: "not a valid selector"}}, step: click},
			ReasonSelector, `selector "#[" is not valid CSS: not a valid selector`, "within"},
		{"element never appears", failure{err: &selectorError{sel: "#go", err: context.DeadlineExceeded}, timedOut: true, step: click},
			ReasonSelector, `no element matches "#go" within the step's timeout of 3s`, ""},
		{"no load event", failure{err: &loadTimeoutError{err: context.DeadlineExceeded}, timedOut: true, step: click},
			ReasonTimeout, "the page did not finish loading (no load event) within", ""},
		{"script exception", failure{err: &chromedp.ExceptionError{ExceptionDetails: &runtime.ExceptionDetails{Text: "Uncaught TypeError"}}, step: click},
			ReasonPageError, `a script in the page failed: exception "Uncaught TypeError"`, ""},
		{"navigation out of time", failure{err: context.DeadlineExceeded, timedOut: true, step: nav},
			ReasonTimeout, "http://127.0.0.1:1/shop did not finish loading within the step's timeout of 3s", ""},
		{"step out of time", failure{err: context.DeadlineExceeded, timedOut: true, step: click},
			ReasonTimeout, "the step did not finish within the step's timeout of 3s", ""},
		{"anything else is ours", failure{err: errors.New("unknown action \"hover\""), step: click},
			ReasonInternal, `unknown action "hover"`, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			reason, msg := classify(c.f)
			if reason != c.reason || !strings.Contains(msg, c.message) || c.notMessage != "" && strings.Contains(msg, c.notMessage) {
				t.Errorf("classify = %s, %q\nwant %s, a message with %q", reason, msg, c.reason, c.message)
			}
		})
	}
}

// The facts classify decides on come from the run's contexts.
func TestFailureFacts(t *testing.T) {
	journey := &config.Journey{Name: "j"}
	journey.Timeout.Duration = time.Minute
	r := &run{journey: journey}
	expired := func() context.Context {
		ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
		t.Cleanup(cancel)
		return ctx
	}
	inAnHour := func(parent context.Context) context.Context {
		ctx, cancel := context.WithTimeout(parent, time.Hour)
		t.Cleanup(cancel)
		return ctx
	}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	cases := []struct {
		name                             string
		parent, step                     context.Context
		err                              error
		canceled, timedOut, journeyLimit bool
	}{
		{"the step failed in time", inAnHour(context.Background()), inAnHour(context.Background()), errors.New("x"), false, false, false},
		{"the step's deadline passed", inAnHour(context.Background()), expired(), context.DeadlineExceeded, false, true, false},
		{"the journey's deadline passed", expired(), expired(), context.DeadlineExceeded, false, true, true},
		{"the run was cancelled", cancelled, inAnHour(cancelled), context.Canceled, true, true, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := r.failure(c.parent, c.step, c.err, testStep("click"))
			if f.canceled != c.canceled || f.timedOut != c.timedOut || f.journeyLimit != c.journeyLimit || f.browserDied || f.pageCrashed {
				t.Errorf("facts = %+v, want canceled %v, timedOut %v, journeyLimit %v", f, c.canceled, c.timedOut, c.journeyLimit)
			}
			if f.journeyTimeout != time.Minute || f.err != c.err {
				t.Errorf("facts = %+v, want the journey's timeout and the step's error", f)
			}
		})
	}
}

func TestLoadReason(t *testing.T) {
	cases := []struct {
		text string
		want Reason
	}{
		{"net::ERR_NAME_NOT_RESOLVED", ReasonDNS},
		{"net::ERR_NAME_RESOLUTION_FAILED", ReasonDNS},
		{"net::ERR_CONNECTION_REFUSED", ReasonConnRefused},
		{"net::ERR_CERT_AUTHORITY_INVALID", ReasonTLS},
		{"net::ERR_CERT_DATE_INVALID", ReasonTLS},
		{"net::ERR_SSL_PROTOCOL_ERROR", ReasonTLS},
		{"net::ERR_TOO_MANY_REDIRECTS", ReasonRedirectLoop},
		{"net::ERR_TIMED_OUT", ReasonTimeout},
		{"net::ERR_CONNECTION_TIMED_OUT", ReasonTimeout},
		{"net::ERR_ABORTED", ReasonNavigation},
		{"net::ERR_CONNECTION_RESET", ReasonNavigation},
		{"", ReasonNavigation},
	}
	for _, c := range cases {
		if got := loadReason(c.text); got != c.want {
			t.Errorf("loadReason(%q) = %s, want %s", c.text, got, c.want)
		}
	}
}

// recorded is a recorder that saw the given requests, each made in the
// step given with it.
type recordedRequest struct {
	step      int
	typ       network.ResourceType
	method    string
	url       string
	status    int64  // 0: no response
	errorText string // the request failed
	canceled  bool
}

func recorded(reqs ...recordedRequest) *recorder {
	rc := newRecorder()
	for i, q := range reqs {
		rc.startStep(q.step, fmt.Sprintf("step %d", q.step))
		id := network.RequestID(fmt.Sprint(i))
		rc.handle(&network.EventRequestWillBeSent{RequestID: id, Type: q.typ, Request: &network.Request{Method: q.method, URL: q.url}}, false)
		if q.status != 0 {
			rc.handle(&network.EventResponseReceived{RequestID: id, Response: &network.Response{URL: q.url, Status: q.status}}, false)
		}
		if q.errorText != "" {
			rc.handle(&network.EventLoadingFailed{RequestID: id, ErrorText: q.errorText, Canceled: q.canceled}, false)
		} else {
			rc.handle(&network.EventLoadingFinished{RequestID: id}, false)
		}
	}
	return rc
}

func TestWithFailedRequest(t *testing.T) {
	const msg = `no element matches "#stock"`
	api500 := recordedRequest{step: 0, typ: network.ResourceTypeFetch, method: "GET", url: "http://127.0.0.1:1/api/stock", status: 500}
	cases := []struct {
		name   string
		rec    *recorder
		step   int
		reason Reason
		want   string
	}{
		{"no recorder", nil, 1, ReasonSelector, msg},
		{"nothing failed", recorded(recordedRequest{step: 0, typ: network.ResourceTypeDocument, method: "GET", url: "http://127.0.0.1:1/", status: 200}), 1, ReasonSelector, msg},
		{"an API call of an earlier step answered 500", recorded(api500), 1, ReasonSelector,
			msg + `; a request failed in step "first": GET http://127.0.0.1:1/api/stock answered HTTP 500 Internal Server Error`},
		{"a request of the failing step could not connect",
			recorded(recordedRequest{step: 1, typ: network.ResourceTypeXHR, method: "POST", url: "http://127.0.0.1:1/api/cart", errorText: "net::ERR_CONNECTION_REFUSED"}), 1, ReasonTimeout,
			msg + "; a request failed: POST http://127.0.0.1:1/api/cart failed: net::ERR_CONNECTION_REFUSED"},
		{"the last failure is the one named", recorded(api500,
			recordedRequest{step: 1, typ: network.ResourceTypeScript, method: "GET", url: "http://127.0.0.1:1/app.js", status: 404}), 1, ReasonAssertion,
			msg + "; a request failed: GET http://127.0.0.1:1/app.js answered HTTP 404 Not Found"},
		{"a missing image explains nothing",
			recorded(recordedRequest{step: 1, typ: network.ResourceTypeImage, method: "GET", url: "http://127.0.0.1:1/logo.png", status: 404}), 1, ReasonSelector, msg},
		{"a cancelled request explains nothing",
			recorded(recordedRequest{step: 1, typ: network.ResourceTypeFetch, method: "GET", url: "http://127.0.0.1:1/api", errorText: "net::ERR_ABORTED", canceled: true}), 1, ReasonSelector, msg},
		{"a request of a later step is not the cause", recorded(recordedRequest{step: 1, typ: network.ResourceTypeFetch, method: "GET", url: "http://127.0.0.1:1/api", status: 500}), 0, ReasonSelector, msg},
		{"an HTTP status failure says it already", recorded(api500), 1, ReasonHTTPStatus, msg},
		{"a browser crash is not the site's", recorded(api500), 1, ReasonBrowserCrash, msg},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := &run{rec: c.rec, result: &Result{Steps: []StepResult{{Index: 0, Name: "first"}, {Index: 1, Name: "second"}}}}
			if got := r.withFailedRequest(c.step, c.reason, msg); got != c.want {
				t.Errorf("withFailedRequest =\n  %q\nwant\n  %q", got, c.want)
			}
		})
	}
}

func TestEvidenceStep(t *testing.T) {
	step := func(i int, status StepStatus, d, budget time.Duration) StepResult {
		return StepResult{Index: i, Status: status, Duration: d, Budget: budget}
	}
	const s = time.Second
	cases := []struct {
		name  string
		steps []StepResult
		want  int
	}{
		{"the failed step", []StepResult{step(0, StepOK, 5*s, s), step(1, StepFailed, s, 3*s), step(2, StepNotRun, 0, 3*s)}, 1},
		{"the step furthest over its budget", []StepResult{step(0, StepOK, 2*s, s), step(1, StepOK, 5*s, 3*s), step(2, StepOK, 4*s, 3*s)}, 1},
		{"the first of two equally over", []StepResult{step(0, StepOK, 2*s, s), step(1, StepOK, 4*s, 3*s)}, 0},
		{"else the last step that ran", []StepResult{step(0, StepOK, s, 3*s), step(1, StepSkipped, 0, 3*s), step(2, StepNotRun, 0, 3*s)}, 1},
		{"no step ran", []StepResult{step(0, StepNotRun, 0, 3*s)}, 0},
		{"no steps", nil, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := evidenceStep(&Result{Steps: c.steps}); got != c.want {
				t.Errorf("evidenceStep = %d, want %d", got, c.want)
			}
		})
	}
}

// TestRequestReason: a step that waited in vain, or whose navigation ended
// on the browser's error page, gets the network reason of the request of
// the step that failed; other failures keep theirs.
func TestRequestReason(t *testing.T) {
	loop := recordedRequest{step: 1, typ: network.ResourceTypeDocument, method: "GET", url: "http://127.0.0.1:1/loop", errorText: "net::ERR_TOO_MANY_REDIRECTS"}
	errorPage := &errorPageError{url: "the requested page"}
	frame503 := recordedRequest{step: 1, typ: network.ResourceTypeDocument, method: "GET", url: "http://localhost:1/widget", status: 503}
	api500 := recordedRequest{step: 1, typ: network.ResourceTypeXHR, method: "POST", url: "http://127.0.0.1:1/api", status: 500}
	cases := []struct {
		name   string
		rec    *recorder
		reason Reason
		err    error
		want   Reason
	}{
		{"no recorder", nil, ReasonPageError, errorPage, ReasonPageError},
		{"error page of a redirect loop", recorded(loop), ReasonPageError, errorPage, ReasonRedirectLoop},
		{"error page of a refused connection", recorded(recordedRequest{step: 1, typ: network.ResourceTypeDocument, method: "GET", url: "http://127.0.0.1:1/", errorText: "net::ERR_CONNECTION_REFUSED"}), ReasonPageError, errorPage, ReasonConnRefused},
		{"error page of an earlier step's failure", recorded(recordedRequest{step: 0, typ: network.ResourceTypeDocument, method: "GET", url: "http://127.0.0.1:1/loop", errorText: "net::ERR_TOO_MANY_REDIRECTS"}), ReasonPageError, errorPage, ReasonPageError},
		{"error page with no network reason", recorded(recordedRequest{step: 1, typ: network.ResourceTypeDocument, method: "GET", url: "http://127.0.0.1:1/", errorText: "net::ERR_FAILED"}), ReasonPageError, errorPage, ReasonPageError},
		{"a script that failed keeps its reason", recorded(loop), ReasonPageError, errors.New("a script in the page failed"), ReasonPageError},
		{"an element waited for in vain", recorded(loop), ReasonSelector, &selectorError{sel: "#x"}, ReasonRedirectLoop},
		{"a frame whose document answered 503 never answered", recorded(frame503), ReasonTimeout, &selectorError{sel: "#x", frame: "iframe", unresponsive: true}, ReasonHTTPStatus},
		{"an unresponsive page keeps its reason when only an API failed", recorded(api500), ReasonTimeout, &selectorError{sel: "#x", unresponsive: true}, ReasonTimeout},
		{"an unresponsive page keeps its reason when an earlier step's document failed", recorded(recordedRequest{step: 0, typ: network.ResourceTypeDocument, method: "GET", url: "http://127.0.0.1:1/w", status: 503}), ReasonTimeout, &selectorError{sel: "#x", unresponsive: true}, ReasonTimeout},
		{"a step out of time keeps its reason", recorded(frame503), ReasonTimeout, context.DeadlineExceeded, ReasonTimeout},
		{"a load that never ended after a redirect loop", recorded(loop), ReasonTimeout, &loadTimeoutError{}, ReasonRedirectLoop},
		{"a load that never ended keeps its reason when only an API failed", recorded(api500), ReasonTimeout, &loadTimeoutError{}, ReasonTimeout},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := &run{rec: c.rec, result: &Result{Steps: []StepResult{{Index: 0, Name: "first"}, {Index: 1, Name: "second"}}}}
			if got := r.requestReason(1, c.reason, c.err); got != c.want {
				t.Errorf("requestReason = %s, want %s", got, c.want)
			}
		})
	}
}
