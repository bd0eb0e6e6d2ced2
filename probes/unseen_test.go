package probes

import (
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/target"
)

// TestRequestOfAFrameThatWentAway: a request told of by an iframe's target
// that detached before its end was told (a form in a frame of another
// site sent to the shop's page, which the frame then shows in the page's
// own renderer) keeps neither the step open nor the network busy.
func TestRequestOfAFrameThatWentAway(t *testing.T) {
	now := time.Now()
	wall := cdp.TimeSinceEpoch(float64(now.UnixNano()) / float64(time.Second))
	for _, detach := range []bool{false, true} {
		rc := newRecorder()
		gone := make(chan struct{})
		rc.handleFrom(&network.EventRequestWillBeSent{RequestID: "1", Type: network.ResourceTypeDocument,
			Request: &network.Request{Method: "GET", URL: "http://127.0.0.1:1/typed"}, WallTime: wall}, true, gone)
		if detach {
			close(gone)
		}
		pending, _ := rc.actionRequests(now.Add(-time.Second), now.Add(time.Second), time.Minute)
		_, quiet := rc.quietSince(time.Minute)
		if pending == detach || quiet != detach {
			t.Errorf("frame detached %t: pending %t, quiet %t; want pending %t, quiet %t", detach, pending, quiet, !detach, detach)
		}
	}
}

// TestDocumentOfAFrameOfAnotherSite: the document of an iframe that the
// tab's own events tell of (a frame of the shop sent to another site) but
// whose end only the iframe's target tells, once it runs in a renderer of
// its own, keeps neither the step open nor the network busy once answered.
func TestDocumentOfAFrameOfAnotherSite(t *testing.T) {
	now := time.Now()
	wall := cdp.TimeSinceEpoch(float64(now.UnixNano()) / float64(time.Second))
	for _, outOfProcess := range []bool{false, true} {
		rc := newRecorder()
		rc.handle(&network.EventRequestWillBeSent{RequestID: "1", Type: network.ResourceTypeDocument, FrameID: "F",
			Request: &network.Request{Method: "GET", URL: "http://localhost:1/pay"}, WallTime: wall}, false)
		rc.handle(&network.EventResponseReceived{RequestID: "1", Type: network.ResourceTypeDocument, Response: &network.Response{URL: "http://localhost:1/pay", Status: 200}}, false)
		if outOfProcess {
			rc.handle(&target.EventAttachedToTarget{SessionID: "S", TargetInfo: &target.Info{TargetID: "F", Type: "iframe"}}, false)
		}
		pending, _ := rc.actionRequests(now.Add(-time.Second), now.Add(time.Second), time.Minute)
		_, quiet := rc.quietSince(time.Minute)
		if pending == outOfProcess || quiet != outOfProcess {
			t.Errorf("frame out of process %t: pending %t, quiet %t; want pending %t, quiet %t", outOfProcess, pending, quiet, !outOfProcess, outOfProcess)
		}
	}
}
