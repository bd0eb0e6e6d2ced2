package probes

import (
	"context"
	"fmt"
	"time"

	"github.com/chromedp/chromedp"
)

// vitalsJS reads the browser's own measurements of the current document:
// Navigation Timing, Paint Timing, Largest Contentful Paint and Layout
// Instability. LCP and layout shifts are only observable through a
// PerformanceObserver; with buffered: true, observe() puts the entries so
// far into the observer's buffer at once, so takeRecords() returns them
// without waiting for the observer's callback (which never comes when there
// are none: a page without layout shifts cost a timeout on every read).
// A page often paints its largest element just after its load event, when
// the step has ended: then the script waits for that paint, up to
// paintPatience, and returns as soon as it comes rather than at a poll.
// CLS follows web.dev's definition: the largest session window of shifts
// not caused by input (gaps under 1s, windows at most 5s).
const vitalsJS = `(async (patience) => {
  const observed = (type) => {
    try {
      const po = new PerformanceObserver(() => {});
      po.observe({type, buffered: true});
      const entries = po.takeRecords();
      po.disconnect();
      return entries;
    } catch (e) { return []; }
  };
  const painted = () => performance.getEntriesByName("first-contentful-paint").length > 0 &&
    observed("largest-contentful-paint").length > 0;
  // A page with nothing a paint counts as contentful (text, an image)
  // never gets one: waiting for it would only delay the next step.
  // An empty field, a button without text, or a drawing of shapes without
  // text or images counts for nothing. Nor does a canvas, which cannot be
  // told blank without reading it: a page drawn only on a canvas is read
  // without waiting.
  const contentful = () => {
    if (!document.body) return false;
    if (document.body.innerText.trim() !== "") return true;
    // An image still loading will paint; one that failed may not.
    if ([...document.images].some((i) => !i.complete || i.naturalWidth > 0)) return true;
    if (document.querySelector("svg text, svg image, video[poster]")) return true;
    for (const v of document.querySelectorAll("video")) if (v.readyState >= 2) return true;
    for (const e of document.querySelectorAll("input, textarea, select")) {
      if (e.tagName === "SELECT") {
        if (e.selectedIndex >= 0 && e.options[e.selectedIndex].text.trim() !== "") return true;
        continue;
      }
      if (["hidden", "checkbox", "radio", "range", "color"].includes(e.type)) continue;
      // These show text of their own: a label, a file name, a date's pattern.
      if (["submit", "reset", "file", "date", "datetime-local", "month", "week", "time"].includes(e.type)) return true;
      if (e.value !== "" || e.placeholder !== "") return true;
    }
    return false;
  };
  if (!painted() && patience > 0 && contentful()) {
    await new Promise((resolve) => {
      const observers = [];
      let timer = 0;
      const finish = () => { clearTimeout(timer); for (const po of observers) po.disconnect(); resolve(); };
      timer = setTimeout(finish, patience);
      for (const type of ["paint", "largest-contentful-paint"]) {
        try {
          const po = new PerformanceObserver(() => { if (painted()) finish(); });
          po.observe({type});
          observers.push(po);
        } catch (e) {}
      }
    });
  }
  const lcps = observed("largest-contentful-paint"), shifts = observed("layout-shift");
  const nav = performance.getEntriesByType("navigation")[0];
  const paint = performance.getEntriesByName("first-contentful-paint")[0];
  const resources = performance.getEntriesByType("resource");
  let cls = 0, win = 0, first = 0, prev = 0;
  for (const s of shifts) {
    if (s.hadRecentInput) continue;
    if (win > 0 && s.startTime - prev < 1000 && s.startTime - first < 5000) { win += s.value; }
    else { win = s.value; first = s.startTime; }
    prev = s.startTime;
    if (win > cls) cls = win;
  }
  // Total blocking time of the load as Lighthouse counts it: of each long
  // task after the first contentful paint, the part over 50 ms (the tasks
  // come from the timeline every document of the tab records).
  const timeline = window[Symbol.for("touchprobe.timeline")];
  let tbt = -1;
  if (timeline && paint) {
    tbt = 0;
    for (const l of timeline.longtask) if (l.start + l.duration > paint.startTime) tbt += Math.max(0, l.start + l.duration - Math.max(l.start, paint.startTime) - 50);
  }
  let bytes = nav ? nav.transferSize : 0;
  for (const r of resources) bytes += r.transferSize || 0;
  return {
    url: location.href,
    status: nav && nav.responseStatus ? nav.responseStatus : 0,
    ttfb: nav ? nav.responseStart : 0,
    dcl: nav ? nav.domContentLoadedEventEnd : 0,
    load: nav ? nav.loadEventEnd : 0,
    fcp: paint ? paint.startTime : 0,
    lcp: lcps.length ? lcps[lcps.length - 1].startTime : 0,
    cls: cls,
    tbt: tbt,
    bytes: bytes,
    requests: (nav ? 1 : 0) + resources.length,
  };
})(%d)`

type vitals struct {
	URL      string  `json:"url"`
	Status   int     `json:"status"`
	TTFB     float64 `json:"ttfb"`
	DCL      float64 `json:"dcl"`
	Load     float64 `json:"load"`
	FCP      float64 `json:"fcp"`
	LCP      float64 `json:"lcp"`
	CLS      float64 `json:"cls"`
	TBT      float64 `json:"tbt"`
	Bytes    int64   `json:"bytes"`
	Requests int     `json:"requests"`
}

// paintPatience bounds how long a read waits for a first paint and an LCP
// entry that the browser has not reported yet: on a loaded machine the
// first paint can come seconds after the load event. Pages with nothing to
// paint are not waited for. The wait is not charged to the step.
const paintPatience = 5 * time.Second

// Before the page's timings are read, the network is given up to
// lcpPatience to go quiet for networkQuiet: the largest paint often comes
// after the load event, an image that a script fetched the list of, and
// an LCP read at the load event would be the heading's. Lighthouse waits
// for the same reason (for longer). The wait is not charged to the step.
const (
	networkQuiet = 300 * time.Millisecond
	lcpPatience  = 3 * time.Second
)

// awaitNetworkQuiet waits until no request has started or ended for
// networkQuiet, up to lcpPatience.
func (r *run) awaitNetworkQuiet(ctx context.Context) {
	if r.rec == nil {
		return
	}
	deadline := time.Now().Add(lcpPatience)
	for time.Now().Before(deadline) {
		if at, ok := r.rec.quietSince(longestRequest); ok && time.Since(at) >= networkQuiet {
			return
		}
		if sleep(ctx, 25*time.Millisecond) != nil {
			return
		}
	}
}

// readVitalsJS is vitalsJS with its patience filled in.
var readVitalsJS = vitalsWaiting(paintPatience)

// vitalsWaiting is vitalsJS waiting up to patience for a paint to come.
func vitalsWaiting(patience time.Duration) string {
	return fmt.Sprintf(vitalsJS, patience.Milliseconds())
}

// readPage returns the browser's timings of the current document.
func readPage(ctx context.Context) (*PageMetrics, error) {
	v, err := chromedp.Run(ctx, chromedp.Evaluate[vitals](readVitalsJS, chromedp.EvalAwaitPromise))
	if err != nil {
		return nil, err
	}
	return v.metrics(), nil
}

func ms(v float64) time.Duration { return time.Duration(v * float64(time.Millisecond)) }

func (v vitals) metrics() *PageMetrics {
	return &PageMetrics{
		URL:              v.URL,
		Status:           v.Status,
		TTFB:             ms(v.TTFB),
		DOMContentLoaded: ms(v.DCL),
		Load:             ms(v.Load),
		FCP:              ms(v.FCP),
		LCP:              ms(v.LCP),
		CLS:              v.CLS,
		TBT:              ms(v.TBT),
		TransferBytes:    v.Bytes,
		Requests:         v.Requests,
	}
}
