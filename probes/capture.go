package probes

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"time"

	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"

	"github.com/touchprobe/touchprobe/config"
)

// Bounds of what one run buffers, so that a page that makes requests or
// logs in a loop cannot grow the agent's memory.
const (
	maxRequests       = 2000
	maxConsoleEntries = 500
	maxConsoleText    = 2000 // characters of one console message
	maxHeaderValue    = 1000 // characters of one header value
	maxHeaders        = 100  // headers of one request or response
	maxPostData       = 4096 // bytes of a request body
	maxHTML           = 8 << 20
	maxScreenshot     = 12 << 20
	maxURLInMessage   = 200 // characters of a URL quoted in a failure's message
)

// request is what the browser told about one request (one hop of a
// redirect chain). The listener stores the event data as it comes and
// does no other work: the HAR is built only for runs that keep evidence.
type request struct {
	id        network.RequestID
	step      int
	frame     bool // made by an out-of-process iframe
	req       *network.Request
	typ       network.ResourceType
	started   time.Time // wall clock at requestWillBeSent
	startedTS float64   // browser's monotonic seconds at requestWillBeSent
	resp      *network.Response
	endTS     float64 // loadingFinished or loadingFailed, or the redirect
	encoded   float64 // bytes received, headers and body
	bodyBytes float64 // body bytes as sent (before decompression)
	dataBytes int64   // body bytes after decompression
	errorText string
	canceled  bool
	// fromCache is set when the browser answered from its memory cache:
	// the response's timing is then that of the original request.
	fromCache bool
	// redirectedTo is set on a hop that answered a redirect.
	redirectedTo string
	// chainStarted is when the first hop of a redirect chain started:
	// the chain is one request for the step that started it;
	// chainStartedTS is the same on the browser's monotonic clock.
	chainStarted   time.Time
	chainStartedTS float64
	frameID        string // the frame that made the request
	// gone closes when the target whose events told of the request
	// detached (an out-of-process iframe that went away, or the step that
	// attached to it ended): its end will never be told. Nil for the tab.
	gone <-chan struct{}
}

// unseen reports whether the request is open and its end will not be
// told: its target detached, or it is the document of a frame that runs
// in a renderer of its own (another site's), whose end only that frame's
// target tells. The caller holds rc.mu.
func (rc *recorder) unseen(r *request) bool {
	if r.endTS != 0 {
		return false
	}
	if r.gone == nil {
		return !r.frame && r.typ == network.ResourceTypeDocument && r.resp != nil && rc.outOfProcess[r.frameID]
	}
	select {
	case <-r.gone:
		return true
	default:
		return false
	}
}

// recorder buffers a run's network activity and console messages.
type recorder struct {
	mu       sync.Mutex
	step     int
	stepName string
	open     map[network.RequestID]*request
	requests []*request
	dropped  int // requests not kept because of maxRequests
	console  []ConsoleEntry
	// stepStarts are the wall-clock starts of the steps that ran.
	stepStarts []time.Time
	// activity is when a request last started or ended.
	activity time.Time
	// outOfProcess holds the IDs of the tab's frames that run in a
	// renderer of their own (another site's iframes): the target
	// attached for each has the frame's ID.
	outOfProcess map[string]bool
}

func newRecorder() *recorder {
	return &recorder{open: map[network.RequestID]*request{}, outOfProcess: map[string]bool{}}
}

// listen subscribes the recorder to a target's events: the tab, or an
// out-of-process iframe attached to (then frame is true).
func (rc *recorder) listen(ctx context.Context, frame bool) error {
	var gone <-chan struct{}
	if frame {
		ch, err := chromedp.Detached(ctx)
		if err != nil {
			return err
		}
		gone = ch
	}
	return chromedp.Listen(ctx, func(ev any) { rc.handleFrom(ev, frame, gone) })
}

// documentTTFB is the time to first byte of the document step i last
// loaded in frame (the tab's main frame), as the network stack saw it:
// from the start of the navigation's first request (before its redirects)
// to the end of the final response's headers. Navigation Timing does not
// see the latency that Network.emulateNetworkConditions adds, which this
// does. It reports false when step i loaded no such document.
func (rc *recorder) documentTTFB(i int, frame string) (time.Duration, bool) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for k := len(rc.requests) - 1; k >= 0; k-- {
		r := rc.requests[k]
		if r.step != i || r.frame || r.frameID != frame || r.typ != network.ResourceTypeDocument || r.redirectedTo != "" {
			continue
		}
		if r.resp == nil || r.resp.Timing == nil || r.resp.Timing.RequestTime <= 0 || r.chainStartedTS <= 0 {
			return 0, false
		}
		t := r.resp.Timing
		end := t.RequestTime + t.ReceiveHeadersEnd/1000
		if end <= r.chainStartedTS {
			return 0, false
		}
		return time.Duration((end - r.chainStartedTS) * float64(time.Second)), true
	}
	return 0, false
}

// startStep says that step i is now running: requests and messages from
// now on belong to it.
func (rc *recorder) startStep(i int, name string) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.step, rc.stepName = i, name
	for len(rc.stepStarts) <= i {
		rc.stepStarts = append(rc.stepStarts, time.Time{})
	}
	rc.stepStarts[i] = time.Now()
}

// handle runs in the loop that reads the target's messages: it must be
// quick and never call the browser.
func (rc *recorder) handle(ev any, frame bool) { rc.handleFrom(ev, frame, nil) }

// handleFrom records the event ev of the tab, or of an iframe (frame)
// whose target's detach closes gone.
func (rc *recorder) handleFrom(ev any, frame bool, gone <-chan struct{}) {
	switch ev := ev.(type) {
	case *target.EventAttachedToTarget:
		if !frame && ev.TargetInfo != nil && ev.TargetInfo.Type == "iframe" {
			rc.mu.Lock()
			defer rc.mu.Unlock()
			rc.outOfProcess[string(ev.TargetInfo.TargetID)] = true
		}
	case *network.EventRequestWillBeSent:
		rc.mu.Lock()
		defer rc.mu.Unlock()
		key := frameKey(ev.RequestID, frame)
		started := wallTime(float64(ev.WallTime))
		chainStarted, chainStartedTS := started, float64(ev.Timestamp)
		if prev := rc.open[key]; prev != nil && ev.RedirectResponse != nil {
			chainStarted, chainStartedTS = prev.chainStarted, prev.chainStartedTS
			prev.resp = ev.RedirectResponse
			prev.endTS = float64(ev.Timestamp)
			prev.encoded = ev.RedirectResponse.EncodedDataLength
			prev.redirectedTo = ev.Request.URL
		}
		delete(rc.open, key)
		rc.activity = time.Now()
		if len(rc.requests) >= maxRequests {
			rc.dropped++
			return
		}
		r := &request{id: ev.RequestID, step: rc.step, frame: frame, req: ev.Request, typ: ev.Type,
			started: started, chainStarted: chainStarted, chainStartedTS: chainStartedTS, startedTS: float64(ev.Timestamp), frameID: string(ev.FrameID), gone: gone}
		rc.open[key] = r
		rc.requests = append(rc.requests, r)
	case *network.EventResponseReceived:
		rc.mu.Lock()
		defer rc.mu.Unlock()
		if r := rc.open[frameKey(ev.RequestID, frame)]; r != nil {
			r.resp = ev.Response
			if ev.Type != "" {
				r.typ = ev.Type
			}
		}
	case *network.EventRequestServedFromCache:
		rc.mu.Lock()
		defer rc.mu.Unlock()
		if r := rc.open[frameKey(ev.RequestID, frame)]; r != nil {
			r.fromCache = true
		}
	case *network.EventDataReceived:
		rc.mu.Lock()
		defer rc.mu.Unlock()
		if r := rc.open[frameKey(ev.RequestID, frame)]; r != nil {
			r.dataBytes += ev.DataLength
		}
	case *network.EventLoadingFinished:
		rc.mu.Lock()
		defer rc.mu.Unlock()
		key := frameKey(ev.RequestID, frame)
		if r := rc.open[key]; r != nil {
			r.endTS = float64(ev.Timestamp)
			r.encoded = ev.EncodedDataLength
			r.bodyBytes = ev.EncodedBodyLength
			delete(rc.open, key)
			rc.activity = time.Now()
		}
	case *network.EventLoadingFailed:
		rc.mu.Lock()
		defer rc.mu.Unlock()
		key := frameKey(ev.RequestID, frame)
		if r := rc.open[key]; r != nil {
			r.endTS = float64(ev.Timestamp)
			r.errorText = ev.ErrorText
			if ev.BlockedReason != "" {
				r.errorText += " (blocked: " + string(ev.BlockedReason) + ")"
			}
			r.canceled = ev.Canceled
			delete(rc.open, key)
			rc.activity = time.Now()
		}
	case *runtime.EventConsoleAPICalled:
		level := string(ev.Type)
		switch ev.Type {
		case runtime.ConsoleAPICalledTypeWarning, runtime.ConsoleAPICalledTypeError,
			runtime.ConsoleAPICalledTypeInfo, runtime.ConsoleAPICalledTypeDebug:
		case runtime.ConsoleAPICalledTypeAssert:
			level = "error"
		default:
			level = "log"
		}
		parts := make([]string, 0, len(ev.Args))
		for _, a := range ev.Args {
			parts = append(parts, remoteText(a))
		}
		e := ConsoleEntry{Time: epochMillis(float64(ev.Timestamp)), Level: level, Text: strings.Join(parts, " ")}
		if ev.StackTrace != nil && len(ev.StackTrace.CallFrames) > 0 {
			e.URL, e.Line = ev.StackTrace.CallFrames[0].URL, int(ev.StackTrace.CallFrames[0].LineNumber)+1
		}
		rc.addConsole(e)
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		if d == nil {
			return
		}
		text := d.Text
		if d.Exception != nil && d.Exception.Description != "" {
			text = d.Exception.Description
		}
		rc.addConsole(ConsoleEntry{Time: epochMillis(float64(ev.Timestamp)), Level: "exception", Text: text, URL: d.URL, Line: int(d.LineNumber) + 1})
	case *cdplog.EventEntryAdded:
		// The browser's own messages ("Failed to load resource: the
		// server responded with a status of 500"), which the console
		// API never sees.
		e := ev.Entry
		if e == nil {
			return
		}
		level := string(e.Level)
		if e.Level == cdplog.EntryLevelVerbose {
			level = "debug"
		}
		entry := ConsoleEntry{Time: epochMillis(float64(e.Timestamp)), Level: level, Text: e.Text, URL: e.URL}
		if e.LineNumber > 0 {
			entry.Line = int(e.LineNumber) + 1
		}
		rc.addConsole(entry)
	}
}

// awaitedTypes are the requests whose end a step waits for when its
// action started them: the calls a click makes (an order posted, a basket
// updated) and the documents it loads. Images, fonts, beacons, event
// streams and websockets are not waited for.
func awaitedType(t network.ResourceType) bool {
	switch t {
	case network.ResourceTypeDocument, network.ResourceTypeXHR, network.ResourceTypeFetch:
		return true
	}
	return false
}

// quietSince tells when the network last went quiet: when a request last
// started or ended, if none is open now. Streams, websockets, beacons and
// requests open for longer than longest never end and are left out.
func (rc *recorder) quietSince(longest time.Duration) (time.Time, bool) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	now := time.Now()
	for _, r := range rc.open {
		if rc.unseen(r) {
			continue
		}
		switch r.typ {
		case network.ResourceTypeEventSource, network.ResourceTypeWebSocket, network.ResourceTypePing:
			continue
		}
		if now.Sub(r.started) < longest {
			return time.Time{}, false
		}
	}
	return rc.activity, true
}

// actionRequests tells about the awaited requests (see awaitedType) that
// started between from and until, by the browser's clock: whether one is
// still running and has run for less than longest, and when the last one
// that ended did. One that ran for longer than longest is a stream or a
// long poll, which the customer does not wait for: it is left out.
func (rc *recorder) actionRequests(from, until time.Time, longest time.Duration) (pending bool, lastEnd time.Time) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	now := time.Now()
	for i := len(rc.requests) - 1; i >= 0; i-- {
		r := rc.requests[i]
		if r.started.Before(from.Add(-time.Second)) {
			break // the buffer is in the order the requests started
		}
		if r.chainStarted.Before(from) || r.chainStarted.After(until) || !awaitedType(r.typ) {
			continue
		}
		if r.endTS == 0 {
			// One whose end will not be told is not waited for: the
			// frame that made it went away (a form in a frame of
			// another site sent to the shop's page), or it is the
			// document of a frame now of another site, whose end only
			// that frame's target tells.
			if !rc.unseen(r) && now.Sub(r.chainStarted) < longest {
				pending = true
			}
			continue
		}
		end := r.started.Add(time.Duration((r.endTS - r.startedTS) * float64(time.Second)))
		lastEnd = later(lastEnd, end)
	}
	return pending, lastEnd
}

// frameKey keeps request IDs of an iframe target apart from the tab's:
// each target numbers its own requests.
func frameKey(id network.RequestID, frame bool) network.RequestID {
	if frame {
		return "frame:" + id
	}
	return id
}

func (rc *recorder) addConsole(e ConsoleEntry) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.console) >= maxConsoleEntries {
		return
	}
	e.Text = config.TruncateRunes(e.Text, maxConsoleText)
	e.Step = rc.stepName
	rc.console = append(rc.console, e)
}

// remoteText is how the console shows one argument.
func remoteText(o *runtime.RemoteObject) string {
	if o == nil {
		return ""
	}
	if len(o.Value) > 0 {
		var s string
		if json.Unmarshal(o.Value, &s) == nil {
			return s
		}
		return string(o.Value)
	}
	if o.UnserializableValue != "" {
		return string(o.UnserializableValue)
	}
	if o.Description != "" {
		return o.Description
	}
	return string(o.Type)
}

func wallTime(sec float64) time.Time {
	if sec <= 0 {
		return time.Now()
	}
	return time.Unix(0, int64(sec*float64(time.Second)))
}

func epochMillis(ms float64) time.Time {
	if ms <= 0 {
		return time.Now()
	}
	return time.Unix(0, int64(ms*float64(time.Millisecond)))
}

// failedRequest is a request that did not succeed: a network error or an
// HTTP error status.
type failedRequest struct {
	method, url string
	status      int
	statusText  string
	errorText   string
	step        int
	document    bool // a page's or a frame's document
}

func (f failedRequest) String() string {
	u := tail(f.url, maxURLInMessage)
	if f.errorText != "" {
		return f.method + " " + u + " failed: " + f.errorText
	}
	return (&httpStatusError{status: f.status, url: u, method: f.method, statusText: f.statusText}).Error()
}

// canBreakAStep says whether a request of this type failing can explain a
// step that failed: pages, their scripts and the API calls that fill them.
// A missing image or font, the favicon or a tracking beacon cannot.
func canBreakAStep(t network.ResourceType) bool {
	switch t {
	case network.ResourceTypeDocument, network.ResourceTypeScript, network.ResourceTypeXHR, network.ResourceTypeFetch, "":
		return true
	}
	return false
}

// lastFailure returns the last request of the run so far that failed or
// answered 4xx/5xx, leaving out cancellations (a navigation away cancels
// what the old page still loaded) and requests that cannot break a step.
func (rc *recorder) lastFailure() (failedRequest, bool) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for i := len(rc.requests) - 1; i >= 0; i-- {
		r := rc.requests[i]
		if r.req == nil || !canBreakAStep(r.typ) {
			continue
		}
		switch {
		case r.errorText != "" && !r.canceled:
			return failedRequest{method: r.req.Method, url: r.req.URL, errorText: r.errorText, step: r.step, document: r.typ == network.ResourceTypeDocument}, true
		case r.resp != nil && r.resp.Status >= 400:
			return failedRequest{method: r.req.Method, url: r.req.URL, status: int(r.resp.Status), statusText: r.resp.StatusText, step: r.step, document: r.typ == network.ResourceTypeDocument}, true
		}
	}
	return failedRequest{}, false
}

// mainDocument returns the method and status text of the last document
// request to url, for messages about a page's HTTP status.
func (rc *recorder) mainDocument(url string) (method, statusText string) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for i := len(rc.requests) - 1; i >= 0; i-- {
		r := rc.requests[i]
		if r.req != nil && r.typ == network.ResourceTypeDocument && !r.frame && r.resp != nil && (r.resp.URL == url || r.req.URL == url) {
			return r.req.Method, r.resp.StatusText
		}
	}
	return "", ""
}

// noContent returns the last document request of the tab, when it
// answered 204 No Content or 205 Reset Content: a status that leaves the
// page as it was, which Chromium reports as an aborted navigation.
func (rc *recorder) noContent() (*noPageError, bool) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for i := len(rc.requests) - 1; i >= 0; i-- {
		r := rc.requests[i]
		if r.req == nil || r.typ != network.ResourceTypeDocument || r.frame {
			continue
		}
		if r.resp == nil || r.resp.Status != http.StatusNoContent && r.resp.Status != http.StatusResetContent {
			return nil, false
		}
		return &noPageError{method: r.req.Method, url: tail(r.resp.URL, maxURLInMessage), status: int(r.resp.Status), statusText: r.resp.StatusText}, true
	}
	return nil, false
}
