// Package record is the line every tool of the benchmark reports one journey as: the floor prints it, the comparison reads it.
package record

// Journey is one journey as a tool reported it, printed as one JSON line.
// The k6 and Playwright scripts print the same fields; touchprobe's and
// blackbox_exporter's own output is turned into one.
type Journey struct {
	Tool      string  `json:"tool"`
	StartMS   int64   `json:"start_unix_ms"`
	JourneyMS float64 `json:"journey_ms"`
	Steps     []Step  `json:"steps"`
	// Pages are the browser's own timings of the pages steps landed on,
	// read after the step's time was taken, so that reading them does not
	// count in the step.
	Pages []Page `json:"pages,omitempty"`
	Error string `json:"error,omitempty"`
}

// Step is one step's name and reported duration in milliseconds.
type Step struct {
	Name string  `json:"name"`
	MS   float64 `json:"ms"`
}

// Page is the Navigation Timing (PerformanceNavigationTiming) of the
// document a step landed on, in milliseconds from the start of its
// navigation, as the browser that loaded it measured. A field the browser
// had not filled in yet is 0.
type Page struct {
	Step string `json:"step"`
	// ResponseStartMS is responseStart: the first byte of the document.
	ResponseStartMS float64 `json:"response_start_ms"`
	// DOMContentLoadedMS is domContentLoadedEventEnd.
	DOMContentLoadedMS float64 `json:"dom_content_loaded_ms"`
	// LoadMS is loadEventEnd.
	LoadMS float64 `json:"load_ms"`
}

// FirstByteToDOMContentLoaded is the time from the document's first byte
// until its DOMContentLoaded handlers had run: parsing and the scripts that
// block it, the part of a page's time its own browser decides. ok is false
// when the browser had not reported both.
func (p Page) FirstByteToDOMContentLoaded() (ms float64, ok bool) {
	return span(p.ResponseStartMS, p.DOMContentLoadedMS)
}

// FirstByteToLoad is the time from the document's first byte until its
// load handlers had run.
func (p Page) FirstByteToLoad() (ms float64, ok bool) {
	return span(p.ResponseStartMS, p.LoadMS)
}

func span(from, to float64) (float64, bool) {
	if from <= 0 || to < from {
		return 0, false
	}
	return to - from, true
}

// NavigationTimingJS is a JavaScript expression that evaluates, in a page,
// to a promise of the Page fields of its document (without the step's
// name), or of null when the browser has no navigation entry. It waits up to
// a second for loadEventEnd, which the browser fills in only once the load
// handlers have run. The k6 and Playwright scripts carry a copy of it.
const NavigationTimingJS = `(async () => {
  for (let i = 0; ; i++) {
    const n = performance.getEntriesByType("navigation")[0];
    if (!n) return null;
    if (n.loadEventEnd > 0 || i >= 40) {
      return {response_start_ms: n.responseStart, dom_content_loaded_ms: n.domContentLoadedEventEnd, load_ms: n.loadEventEnd};
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
})()`
