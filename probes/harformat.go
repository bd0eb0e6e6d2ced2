package probes

// HAR is an HTTP Archive, version 1.2
// (http://www.softwareishard.com/blog/har-12-spec/), as Chrome DevTools and
// HAR viewers read it. Fields that start with an underscore are custom
// fields, which the format allows; Chrome writes the same ones.
type HAR struct {
	Log HARLog `json:"log"`
}

// HARLog is the root of a HAR.
type HARLog struct {
	Version string     `json:"version"`
	Creator HARCreator `json:"creator"`
	Pages   []HARPage  `json:"pages"`
	Entries []HAREntry `json:"entries"`
	Comment string     `json:"comment,omitempty"`
}

// HARCreator names the program that wrote the HAR.
type HARCreator struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// HARPage is one page of the run: touchprobe writes one per step, so that
// a viewer groups the requests by the step that made them.
type HARPage struct {
	StartedDateTime string         `json:"startedDateTime"`
	ID              string         `json:"id"`
	Title           string         `json:"title"`
	PageTimings     HARPageTimings `json:"pageTimings"`
}

// HARPageTimings are the page's own timings in milliseconds, -1 when not
// known.
type HARPageTimings struct {
	OnContentLoad float64 `json:"onContentLoad"`
	OnLoad        float64 `json:"onLoad"`
}

// HAREntry is one request and its response.
type HAREntry struct {
	Pageref         string `json:"pageref,omitempty"`
	StartedDateTime string `json:"startedDateTime"`
	// Time is the sum of the timings that apply, in milliseconds.
	Time            float64     `json:"time"`
	Request         HARRequest  `json:"request"`
	Response        HARResponse `json:"response"`
	Cache           struct{}    `json:"cache"`
	Timings         HARTimings  `json:"timings"`
	ServerIPAddress string      `json:"serverIPAddress,omitempty"`
	Connection      string      `json:"connection,omitempty"`
	// ResourceType is Chrome's name for what the request was for
	// ("document", "script", "xhr"...).
	ResourceType string `json:"_resourceType,omitempty"`
	// Error is the network error of a request that failed
	// ("net::ERR_CONNECTION_REFUSED"); its response has status 0.
	Error string `json:"_error,omitempty"`
}

// HARRequest is the request of an entry.
type HARRequest struct {
	Method      string         `json:"method"`
	URL         string         `json:"url"`
	HTTPVersion string         `json:"httpVersion"`
	Cookies     []HARCookie    `json:"cookies"`
	Headers     []HARNameValue `json:"headers"`
	QueryString []HARNameValue `json:"queryString"`
	PostData    *HARPostData   `json:"postData,omitempty"`
	HeadersSize int64          `json:"headersSize"`
	BodySize    int64          `json:"bodySize"`
}

// HARResponse is the response of an entry.
type HARResponse struct {
	Status      int            `json:"status"`
	StatusText  string         `json:"statusText"`
	HTTPVersion string         `json:"httpVersion"`
	Cookies     []HARCookie    `json:"cookies"`
	Headers     []HARNameValue `json:"headers"`
	Content     HARContent     `json:"content"`
	RedirectURL string         `json:"redirectURL"`
	HeadersSize int64          `json:"headersSize"`
	BodySize    int64          `json:"bodySize"`
	// TransferSize is the bytes received for the response, headers and
	// body, as Chrome writes it.
	TransferSize int64 `json:"_transferSize"`
}

// HARNameValue is a header or a query parameter.
type HARNameValue struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// HARCookie is a cookie of a request or response. touchprobe writes none:
// cookie values are credentials, and the Cookie headers are redacted too.
type HARCookie struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// HARPostData is the body of a request.
type HARPostData struct {
	MimeType string `json:"mimeType"`
	Text     string `json:"text"`
}

// HARContent describes the body of a response; touchprobe keeps its size
// and type, not the body.
type HARContent struct {
	Size     int64  `json:"size"`
	MimeType string `json:"mimeType"`
}

// HARTimings are the phases of a request in milliseconds; -1 when a phase
// does not apply (no DNS lookup for a reused connection). SSL time is
// also part of Connect.
type HARTimings struct {
	Blocked float64 `json:"blocked"`
	DNS     float64 `json:"dns"`
	Connect float64 `json:"connect"`
	SSL     float64 `json:"ssl"`
	Send    float64 `json:"send"`
	Wait    float64 `json:"wait"`
	Receive float64 `json:"receive"`
}

// Total is the entry's time: the sum of the phases that apply. SSL is left
// out because it is already part of Connect.
func (t HARTimings) Total() float64 {
	var sum float64
	for _, v := range []float64{t.Blocked, t.DNS, t.Connect, t.Send, t.Wait, t.Receive} {
		if v > 0 {
			sum += v
		}
	}
	return sum
}
