package probes

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"

	"github.com/touchprobe/touchprobe/config"
)

// secretsFor loads a one-step journey whose URL holds secret, so that the
// returned Secrets masks it.
func secretsFor(t *testing.T, secret string) *config.Secrets {
	t.Helper()
	t.Setenv("TP_HAR_SECRET", secret)
	cfg, err := config.Parse([]byte(`[[journey]]
name = "j"
  [[journey.step]]
  name = "s"
  action = "navigate"
  url = "https://shop.example/?k=${env:TP_HAR_SECRET}"
`), "har_test.toml")
	if err != nil {
		t.Fatal(err)
	}
	return cfg.Secrets()
}

// The browser's events of one run, as the recorder receives them: a
// redirect, a request whose connection was refused, a POST of a form
// holding a secret, and an image answered from the memory cache.
func TestHARFromEvents(t *testing.T) {
	const secret = "s3cr3t@example.net"
	secrets := secretsFor(t, secret)
	rc := newRecorder()
	rc.startStep(0, "landing")
	wall := float64(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC).Unix())
	send := func(ev any) { rc.handle(ev, false) }
	timing := func(at float64, waitMs float64) *network.ResourceTiming {
		return &network.ResourceTiming{RequestTime: at, ProxyStart: -1, ProxyEnd: -1, DNSStart: 1, DNSEnd: 3, ConnectStart: 3, ConnectEnd: 10,
			SslStart: 5, SslEnd: 10, SendStart: 11, SendEnd: 12, ReceiveHeadersEnd: 12 + waitMs}
	}

	// GET /old → 302 /new → 200 after a 400ms wait.
	send(&network.EventRequestWillBeSent{RequestID: "1", Timestamp: 100, WallTime: cdp.TimeSinceEpoch(wall), Type: network.ResourceTypeDocument,
		Request: &network.Request{Method: "GET", URL: "https://shop.example/old?k=" + secret, Headers: network.Headers{"Authorization": "Basic abc", "Referer": "https://shop.example/?k=" + secret}}})
	send(&network.EventRequestWillBeSent{RequestID: "1", Timestamp: 100.05, WallTime: cdp.TimeSinceEpoch(wall + 0.05), Type: network.ResourceTypeDocument,
		RedirectResponse: &network.Response{URL: "https://shop.example/old", Status: 302, StatusText: "Found", Protocol: "http/1.1", Headers: network.Headers{"Location": "/new", "Set-Cookie": "sid=1"}, EncodedDataLength: 120, Timing: timing(100.001, 20)},
		Request:          &network.Request{Method: "GET", URL: "https://shop.example/new"}})
	send(&network.EventResponseReceived{RequestID: "1", Type: network.ResourceTypeDocument,
		Response: &network.Response{URL: "https://shop.example/new", Status: 200, StatusText: "OK", Protocol: "h2", MimeType: "text/html", RemoteIPAddress: "[::1]", EncodedDataLength: 200, Timing: timing(100.051, 400)}})
	send(&network.EventDataReceived{RequestID: "1", DataLength: 5000})
	send(&network.EventLoadingFinished{RequestID: "1", Timestamp: 100.051 + 0.5, EncodedDataLength: 1400, EncodedBodyLength: 1200})

	rc.startStep(1, "order")
	send(&network.EventRequestWillBeSent{RequestID: "2", Timestamp: 101, WallTime: cdp.TimeSinceEpoch(wall + 1), Type: network.ResourceTypeFetch,
		Request: &network.Request{Method: "GET", URL: "https://api.example/stock"}})
	send(&network.EventLoadingFailed{RequestID: "2", Timestamp: 101.2, ErrorText: "net::ERR_CONNECTION_REFUSED"})
	send(&network.EventRequestWillBeSent{RequestID: "3", Timestamp: 102, WallTime: cdp.TimeSinceEpoch(wall + 2), Type: network.ResourceTypeDocument,
		Request: &network.Request{Method: "POST", URL: "https://shop.example/order", HasPostData: true,
			Headers:         network.Headers{"Content-Type": "application/x-www-form-urlencoded", "Cookie": "sid=1"},
			PostDataEntries: []*network.PostDataEntry{{Bytes: []byte("email=" + strings.ReplaceAll(secret, "@", "%40") + "&qty=1")}}}})
	send(&network.EventResponseReceived{RequestID: "3", Response: &network.Response{Status: 500, StatusText: "Internal Server Error", Protocol: "http/1.1", EncodedDataLength: 100, Timing: timing(102.001, 30)}})
	send(&network.EventLoadingFinished{RequestID: "3", Timestamp: 102.1, EncodedDataLength: 300})
	send(&network.EventRequestWillBeSent{RequestID: "4", Timestamp: 103, WallTime: cdp.TimeSinceEpoch(wall + 3), Type: network.ResourceTypeImage,
		Request: &network.Request{Method: "GET", URL: "https://shop.example/logo.svg"}})
	send(&network.EventRequestServedFromCache{RequestID: "4"})
	send(&network.EventResponseReceived{RequestID: "4", Response: &network.Response{Status: 200, StatusText: "OK", EncodedDataLength: 300, Timing: timing(50, 5)}})
	send(&network.EventLoadingFinished{RequestID: "4", Timestamp: 103.002})

	// A missing image after it cannot explain a failed step.
	send(&network.EventRequestWillBeSent{RequestID: "5", Timestamp: 104, WallTime: cdp.TimeSinceEpoch(wall + 4), Type: network.ResourceTypeImage,
		Request: &network.Request{Method: "GET", URL: "https://shop.example/missing.png"}})
	send(&network.EventResponseReceived{RequestID: "5", Response: &network.Response{Status: 404, StatusText: "Not Found", EncodedDataLength: 100, Timing: timing(104.001, 1)}})
	send(&network.EventLoadingFinished{RequestID: "5", Timestamp: 104.01, EncodedDataLength: 150})

	steps := []StepResult{{Index: 0, Name: "landing"}, {Index: 1, Name: "order"}}
	har := rc.buildHAR(steps, secrets, HARCreator{Name: "touchprobe", Version: "test"})
	b, err := encodeHAR(har)
	if err != nil {
		t.Fatal(err)
	}
	for _, form := range []string{secret, strings.ReplaceAll(secret, "@", "%40"), "Basic abc", "sid=1"} {
		if strings.Contains(string(b), form) {
			t.Errorf("HAR holds %q", form)
		}
	}
	if len(har.Log.Pages) != 2 || har.Log.Pages[1].ID != "step_2" || har.Log.Pages[1].Title != "order" {
		t.Errorf("pages %+v, want one per step", har.Log.Pages)
	}
	e := har.Log.Entries
	if len(e) != 6 {
		t.Fatalf("%d entries, want 6 (a redirect is two)", len(e))
	}
	redirect, doc, refused, post, cached := e[0], e[1], e[2], e[3], e[4]

	if redirect.Response.Status != 302 || redirect.Response.RedirectURL != "https://shop.example/new" || redirect.Request.URL != "https://shop.example/old?k="+config.Masked {
		t.Errorf("redirect entry: %s %d → %q", redirect.Request.URL, redirect.Response.Status, redirect.Response.RedirectURL)
	}
	if got := header(redirect.Request.Headers, "Authorization"); got != redacted {
		t.Errorf("Authorization = %q, want %q", got, redacted)
	}
	if got := header(redirect.Response.Headers, "Set-Cookie"); got != redacted {
		t.Errorf("Set-Cookie = %q", got)
	}
	if len(redirect.Request.QueryString) != 1 || redirect.Request.QueryString[0].Value != config.Masked {
		t.Errorf("query string %+v", redirect.Request.QueryString)
	}

	// Queued 1ms before the request's timing starts, then DNS from 1ms.
	want := struct{ blocked, dns, connect, ssl, send, wait, receive float64 }{2, 2, 7, 5, 1, 400, 500 - 412}
	tm := doc.Timings
	for _, c := range []struct {
		name      string
		got, want float64
	}{{"blocked", tm.Blocked, want.blocked}, {"dns", tm.DNS, want.dns}, {"connect", tm.Connect, want.connect}, {"ssl", tm.SSL, want.ssl},
		{"send", tm.Send, want.send}, {"wait", tm.Wait, want.wait}, {"receive", tm.Receive, want.receive}} {
		if diff := c.got - c.want; diff > 0.01 || diff < -0.01 {
			t.Errorf("document timings.%s = %.3f, want %.3f", c.name, c.got, c.want)
		}
	}
	if doc.Time != tm.Blocked+tm.DNS+tm.Connect+tm.Send+tm.Wait+tm.Receive {
		t.Errorf("time %.3f is not the sum of the phases (ssl is inside connect)", doc.Time)
	}
	if doc.Request.HTTPVersion != "HTTP/2" || doc.ServerIPAddress != "::1" || doc.Response.Content.Size != 5000 ||
		doc.Response.BodySize != 1200 || doc.Response.TransferSize != 1400 || doc.Response.HeadersSize != 200 {
		t.Errorf("document entry: %+v", doc)
	}
	if doc.Pageref != "step_1" || refused.Pageref != "step_2" {
		t.Errorf("pagerefs %q, %q", doc.Pageref, refused.Pageref)
	}

	if refused.Error != "net::ERR_CONNECTION_REFUSED" || refused.Response.Status != 0 || refused.Timings.Blocked < 199 || refused.Time < 199 {
		t.Errorf("refused entry: error %q, status %d, timings %+v", refused.Error, refused.Response.Status, refused.Timings)
	}

	if post.Request.PostData == nil || post.Request.PostData.Text != "email="+url.QueryEscape(config.Masked)+"&qty=1" {
		t.Errorf("post data %+v", post.Request.PostData)
	}
	if got := header(post.Request.Headers, "Cookie"); got != redacted {
		t.Errorf("Cookie = %q", got)
	}

	if cached.Time > 3 || cached.Response.TransferSize != 0 || cached.Response.BodySize != 0 {
		t.Errorf("cached entry: time %.1f, transfer %d, body %d; want a couple of ms and no bytes", cached.Time, cached.Response.TransferSize, cached.Response.BodySize)
	}

	if f, ok := rc.lastFailure(); !ok || f.String() != "POST https://shop.example/order answered HTTP 500 Internal Server Error" {
		t.Errorf("last failure %q", f.String())
	}
	var raw map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
}

func header(h []HARNameValue, name string) string {
	for _, v := range h {
		if v.Name == name {
			return v.Value
		}
	}
	return ""
}
