package probes

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/chromedp/cdproto/network"

	"github.com/touchprobe/touchprobe/config"
)

// redacted replaces the values of headers that carry credentials, whether
// or not they hold a configured secret.
const redacted = "<redacted>"

var credentialHeaders = []string{"authorization", "proxy-authorization", "cookie", "set-cookie"}

// harTime is the date format HAR uses (ISO 8601 with milliseconds).
const harTime = "2006-01-02T15:04:05.000Z07:00"

// buildHAR turns what the recorder saw into a HAR 1.2 log with one page
// per step, naming creator as the program that wrote it. Every URL, header,
// body and error is masked.
func (rc *recorder) buildHAR(steps []StepResult, secrets *config.Secrets, creator HARCreator) *HAR {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	mask := deepMask(secrets)
	log := HARLog{
		Version: "1.2",
		Creator: creator,
		Pages:   []HARPage{},
		Entries: make([]HAREntry, 0, len(rc.requests)),
	}
	for i, start := range rc.stepStarts {
		if start.IsZero() || i >= len(steps) {
			continue
		}
		p := HARPage{StartedDateTime: start.UTC().Format(harTime), ID: pageID(i), Title: mask(steps[i].Name),
			PageTimings: HARPageTimings{OnContentLoad: -1, OnLoad: -1}}
		if pm := steps[i].Page; pm != nil {
			if pm.DOMContentLoaded > 0 {
				p.PageTimings.OnContentLoad = millis(pm.DOMContentLoaded)
			}
			if pm.Load > 0 {
				p.PageTimings.OnLoad = millis(pm.Load)
			}
			if pm.URL != "" {
				p.Title = fmt.Sprintf("%s: %s", p.Title, pm.URL)
			}
		}
		log.Pages = append(log.Pages, p)
	}
	for _, r := range rc.requests {
		if r.req == nil {
			continue
		}
		log.Entries = append(log.Entries, harEntry(r, mask))
	}
	if rc.dropped > 0 {
		log.Comment = fmt.Sprintf("%d more requests were not recorded: a run keeps at most %d", rc.dropped, maxRequests)
	}
	return &HAR{Log: log}
}

func pageID(step int) string { return fmt.Sprintf("step_%d", step+1) }

func millis(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func harEntry(r *request, mask func(string) string) HAREntry {
	u := mask(r.req.URL + r.req.URLFragment)
	e := HAREntry{
		Pageref:         pageID(r.step),
		StartedDateTime: r.started.UTC().Format(harTime),
		ResourceType:    strings.ToLower(string(r.typ)),
		Request: HARRequest{
			Method:      r.req.Method,
			URL:         u,
			HTTPVersion: "",
			Cookies:     []HARCookie{},
			Headers:     harHeaders(r.req.Headers, mask),
			QueryString: queryString(u),
			HeadersSize: -1,
			BodySize:    0,
		},
		Response: HARResponse{
			Cookies:     []HARCookie{},
			Headers:     []HARNameValue{},
			HeadersSize: -1,
			BodySize:    -1,
		},
		Timings: HARTimings{Blocked: -1, DNS: -1, Connect: -1, SSL: -1, Send: 0, Wait: 0, Receive: 0},
	}
	if r.req.HasPostData {
		e.Request.PostData = postData(r.req, mask)
		e.Request.BodySize = int64(len(e.Request.PostData.Text))
	}
	if resp := r.resp; resp != nil {
		proto := httpVersion(resp.Protocol)
		e.Request.HTTPVersion = proto
		if len(resp.RequestHeaders) > 0 {
			e.Request.Headers = harHeaders(resp.RequestHeaders, mask)
		}
		e.Response.Status = int(resp.Status)
		e.Response.StatusText = resp.StatusText
		e.Response.HTTPVersion = proto
		e.Response.Headers = harHeaders(resp.Headers, mask)
		e.Response.Content = HARContent{Size: r.dataBytes, MimeType: resp.MimeType}
		e.Response.RedirectURL = mask(r.redirectedTo)
		if r.redirectedTo == "" {
			e.Response.RedirectURL = ""
		}
		// The bytes received before the body are the status line and
		// headers.
		headers := int64(resp.EncodedDataLength)
		if headers > 0 {
			e.Response.HeadersSize = headers
		}
		e.Response.TransferSize = int64(r.encoded)
		switch {
		case r.bodyBytes > 0:
			e.Response.BodySize = int64(r.bodyBytes)
		case r.encoded > 0 && headers >= 0 && int64(r.encoded) >= headers:
			e.Response.BodySize = int64(r.encoded) - headers
		}
		cached := r.fromCache || resp.FromDiskCache || resp.FromPrefetchCache
		if cached || r.encoded == 0 && r.errorText == "" && r.endTS > 0 {
			// Nothing came over the network.
			e.Response.BodySize = 0
			e.Response.TransferSize = 0
		}
		if cached {
			e.Response.HeadersSize = -1
		}
		if resp.RemoteIPAddress != "" {
			e.ServerIPAddress = strings.Trim(resp.RemoteIPAddress, "[]")
		}
		if resp.ConnectionID > 0 {
			e.Connection = fmt.Sprintf("%.0f", resp.ConnectionID)
		}
		if cached {
			// The timing the browser gives is the original request's:
			// the entry's own time is all spent reading the cache.
			e.Timings.Send, e.Timings.Wait = 0, 0
			if r.endTS > r.startedTS {
				e.Timings.Receive = (r.endTS - r.startedTS) * 1000
			}
		} else {
			e.Timings = timings(r, resp.Timing)
		}
	} else if r.endTS > r.startedTS {
		// No response: the time until the browser gave up is all
		// waiting for a connection or an answer.
		e.Timings.Blocked = (r.endTS - r.startedTS) * 1000
	}
	if r.errorText != "" {
		e.Error = mask(r.errorText)
	}
	if e.Response.HTTPVersion == "" {
		e.Response.HTTPVersion = e.Request.HTTPVersion
	}
	e.Time = e.Timings.Total()
	return e
}

// timings converts the browser's ResourceTiming, the same way DevTools
// does when it exports a HAR: phases are offsets in milliseconds from
// timing.requestTime; blocked includes the time queued before it.
func timings(r *request, t *network.ResourceTiming) HARTimings {
	out := HARTimings{Blocked: -1, DNS: -1, Connect: -1, SSL: -1, Send: 0, Wait: 0, Receive: 0}
	if t == nil || t.RequestTime <= 0 {
		if r.endTS > r.startedTS {
			out.Wait = (r.endTS - r.startedTS) * 1000
		}
		return out
	}
	queued := (t.RequestTime - r.startedTS) * 1000
	if queued < 0 {
		queued = 0
	}
	// Blocked ends where the first network phase starts.
	firstPhase := -1.0
	for _, v := range []float64{t.DNSStart, t.ConnectStart, t.SendStart} {
		if v >= 0 {
			firstPhase = v
			break
		}
	}
	if firstPhase >= 0 {
		out.Blocked = queued + firstPhase
	} else {
		out.Blocked = queued
	}
	if t.DNSStart >= 0 && t.DNSEnd >= t.DNSStart {
		out.DNS = t.DNSEnd - t.DNSStart
	}
	if t.ConnectStart >= 0 && t.ConnectEnd >= t.ConnectStart {
		out.Connect = t.ConnectEnd - t.ConnectStart
	}
	if t.SslStart >= 0 && t.SslEnd >= t.SslStart {
		out.SSL = t.SslEnd - t.SslStart
	}
	if t.SendStart >= 0 && t.SendEnd >= t.SendStart {
		out.Send = t.SendEnd - t.SendStart
	}
	headersEnd := t.ReceiveHeadersEnd
	if t.SendEnd >= 0 && headersEnd >= t.SendEnd {
		out.Wait = headersEnd - t.SendEnd
	}
	if r.endTS > 0 {
		end := (r.endTS - t.RequestTime) * 1000
		if end >= headersEnd {
			out.Receive = end - headersEnd
		}
	}
	return out
}

func httpVersion(protocol string) string {
	switch strings.ToLower(protocol) {
	case "http/1.0":
		return "HTTP/1.0"
	case "http/1.1", "":
		return "HTTP/1.1"
	case "h2":
		return "HTTP/2"
	case "h3", "http/3":
		return "HTTP/3"
	}
	return protocol
}

func harHeaders(h network.Headers, mask func(string) string) []HARNameValue {
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	slices.Sort(names)
	out := make([]HARNameValue, 0, min(len(names), maxHeaders))
	for _, name := range names {
		if len(out) >= maxHeaders {
			break
		}
		value := fmt.Sprint(h[name])
		if slices.Contains(credentialHeaders, strings.ToLower(name)) {
			value = redacted
		}
		out = append(out, HARNameValue{Name: name, Value: mask(config.TruncateRunes(value, maxHeaderValue))})
	}
	return out
}

func queryString(masked string) []HARNameValue {
	out := []HARNameValue{}
	u, err := url.Parse(masked)
	if err != nil || u.RawQuery == "" {
		return out
	}
	for _, kv := range strings.Split(u.RawQuery, "&") {
		k, v, _ := strings.Cut(kv, "=")
		if dk, err := url.QueryUnescape(k); err == nil {
			k = dk
		}
		if dv, err := url.QueryUnescape(v); err == nil {
			v = dv
		}
		out = append(out, HARNameValue{Name: k, Value: v})
	}
	return out
}

// postData returns the request body, masked. A form body is also masked
// after URL-decoding, so that a secret sent URL-encoded ("a%40b.se") is
// masked too.
func postData(req *network.Request, mask func(string) string) *HARPostData {
	var b strings.Builder
	for _, e := range req.PostDataEntries {
		if b.Len()+len(e.Bytes) > maxPostData {
			b.Write(e.Bytes[:max(0, maxPostData-b.Len())])
			break
		}
		b.Write(e.Bytes)
	}
	mime := ""
	for k, v := range req.Headers {
		if strings.EqualFold(k, "content-type") {
			mime = fmt.Sprint(v)
		}
	}
	text := b.String()
	if strings.HasPrefix(mime, "application/x-www-form-urlencoded") {
		text = maskForm(text, mask)
	}
	return &HARPostData{MimeType: mime, Text: mask(text)}
}

// maskForm masks each value of a URL-encoded form after decoding it.
func maskForm(body string, mask func(string) string) string {
	parts := strings.Split(body, "&")
	for i, kv := range parts {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			continue
		}
		dv, err := url.QueryUnescape(v)
		if err != nil {
			continue
		}
		if m := mask(dv); m != dv {
			parts[i] = k + "=" + url.QueryEscape(m)
		}
	}
	return strings.Join(parts, "&")
}

// deepMask masks secrets in text, and also those written encoded
// ("a%40b.se" for "a@b.se", "&quot;" for a quote; see maskEncoded), which
// a plain search would miss.
func deepMask(secrets *config.Secrets) func(string) string {
	return func(s string) string { return maskEncoded(secrets, s) }
}

// encodeHAR writes the HAR as indented JSON.
func encodeHAR(h *HAR) ([]byte, error) {
	return json.MarshalIndent(h, "", "  ")
}
