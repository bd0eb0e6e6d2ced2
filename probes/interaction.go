package probes

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// Interaction metrics of a step: how long the page took to respond to the
// customer's input, and how long its main thread was blocked meanwhile.
//
// timelineJS runs in every document of the tab before the page's own
// scripts (Page.addScriptToEvaluateOnNewDocument). It observes the Event
// Timing API with a durationThreshold of 16 ms (the smallest allowed; the
// performance timeline's own buffer keeps only events of 104 ms and more),
// long tasks, and long animation frames with the scripts that made them,
// and keeps them under a symbol the page does not know. Only the input of
// a trusted event (CDP's Input domain, which is how touchprobe clicks,
// taps and types) produces event timing; el.click() would not.
const timelineFn = `(w) => { try {
  const key = Symbol.for("touchprobe.timeline");
  if (!w || w[key]) return;
  const t = {event: [], longtask: [], loaf: [], observers: []};
  t.add = (type, e) => {
    if (type === "event") t.event.push({start: e.startTime, duration: e.duration, id: e.interactionId || 0});
    else if (type === "longtask") t.longtask.push({start: e.startTime, duration: e.duration});
    else t.loaf.push({start: e.startTime, duration: e.duration, blocking: e.blockingDuration || 0,
      scripts: (e.scripts || []).map((s) => ({url: s.sourceURL || "", fn: s.sourceFunctionName || "", invoker: s.invoker || "", duration: s.duration}))});
  };
  Object.defineProperty(w, key, {value: t});
  for (const type of ["event", "longtask", "long-animation-frame"]) {
    try {
      const po = new w.PerformanceObserver((list) => { for (const e of list.getEntries()) t.add(type, e); });
      const opts = {type, buffered: true};
      if (type === "event") opts.durationThreshold = 16;
      po.observe(opts);
      t.observers.push([po, type]);
    } catch (e) {}
  }
} catch (e) {} }`

// timelineJS is timelineFn in the document it runs in.
const timelineJS = "(" + timelineFn + ")(window)"

// markJS is where a step starts on the clock of the document whose window
// %s is.
const markJS = `((w) => ({origin: w.performance.timeOrigin, now: w.performance.now()}))(%s)`

// readInteractionJS returns what the timeline of the document whose window
// is w saw since the mark (%v, %v: time origin and time of the mark; a new
// document since then counts from its start). It first lets the page present a frame, since an event's
// timing is known only once the frame after it is, and takes what the
// observers hold but have not delivered yet, waiting up to 400 ms for the
// long animation frame of each long task.
const readInteractionJS = `(async (w, origin, since) => {
  const t = w && w[Symbol.for("touchprobe.timeline")];
  if (!t) return {measured: false};
  await new Promise((resolve) => {
    const timer = setTimeout(resolve, 250);
    w.requestAnimationFrame(() => w.requestAnimationFrame(() => { clearTimeout(timer); setTimeout(resolve, 0); }));
  });
  const from = w.performance.timeOrigin === origin ? since : 0;
  // A long animation frame is reported once the frame has ended, after
  // the long task in it: wait, a little, for every long task's frame.
  for (let i = 0; i < 20; i++) {
    for (const [po, type] of t.observers) for (const e of po.takeRecords()) t.add(type, e);
    const framed = t.longtask.filter((l) => l.start >= from).every((l) =>
      t.loaf.some((f) => f.start <= l.start + 1 && f.start + f.duration >= l.start + l.duration - 1));
    if (framed) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const byInteraction = new Map();
  for (const e of t.event) {
    if (e.start < from || !e.id) continue;
    byInteraction.set(e.id, Math.max(byInteraction.get(e.id) || 0, e.duration));
  }
  let tbt = 0;
  for (const e of t.longtask) if (e.start >= from) tbt += Math.max(0, e.duration - 50);
  return {
    measured: true,
    interactions: byInteraction.size,
    inp: Math.max(0, ...byInteraction.values()),
    tbt: tbt,
    frames: t.loaf.filter((f) => f.start >= from).sort((a, b) => b.duration - a.duration).slice(0, %d),
  };
})(%s, %s, %s)`

// maxLongFrames bounds the long animation frames a step keeps: the
// longest, which are the ones to look at.
const maxLongFrames = 5

// interactionActions are the actions whose input the customer waits on.
var interactionActions = []string{"click", "double_click", "fill", "press", "select", "chat"}

// isInteraction reports whether a step of action is measured for INP and
// TBT.
func isInteraction(action string) bool { return slices.Contains(interactionActions, action) }

// installTimeline makes every document the tab loads from now on record
// its interactions, long tasks and long animation frames.
func installTimeline(ctx context.Context) error {
	_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: timelineJS})
	if err != nil {
		return fmt.Errorf("Page.addScriptToEvaluateOnNewDocument: %w", err)
	}
	return nil
}

// timelineMark is where a step started on its document's clock.
type timelineMark struct {
	Origin float64 `json:"origin"`
	Now    float64 `json:"now"`
}

// windowOf is the JavaScript expression of the window of the scope's
// document: the tab's or target's own, or a same-origin iframe's.
func windowOf(sc scope) string { return "(" + sc.root + ").defaultView" }

// markTimeline returns where the step starts on the clock of the document
// whose window is win.
func markTimeline(ctx context.Context, win string) (timelineMark, error) {
	return chromedp.Run(ctx, chromedp.Evaluate[timelineMark](fmt.Sprintf(markJS, win)))
}

type interactionRead struct {
	Measured     bool        `json:"measured"`
	Interactions int         `json:"interactions"`
	INP          float64     `json:"inp"`
	TBT          float64     `json:"tbt"`
	Frames       []longFrame `json:"frames"`
}

type longFrame struct {
	Start    float64 `json:"start"`
	Duration float64 `json:"duration"`
	Blocking float64 `json:"blocking"`
	Scripts  []struct {
		URL      string  `json:"url"`
		Function string  `json:"fn"`
		Invoker  string  `json:"invoker"`
		Duration float64 `json:"duration"`
	} `json:"scripts"`
}

// readInteraction returns the step's interaction metrics since mark in the
// document whose window is win, or nil when the document has no timeline
// (a page the tab did not load, an error page).
func readInteraction(ctx context.Context, win string, mark timelineMark, mask func(string) string) (*InteractionMetrics, error) {
	js := fmt.Sprintf(readInteractionJS, maxLongFrames, win, jsNumber(mark.Origin), jsNumber(mark.Now))
	v, err := chromedp.Run(ctx, chromedp.Evaluate[interactionRead](js, chromedp.EvalAwaitPromise))
	if err != nil {
		return nil, err
	}
	if !v.Measured {
		return nil, nil
	}
	m := &InteractionMetrics{Interactions: v.Interactions, INP: ms(v.INP), TBT: ms(v.TBT)}
	for _, f := range v.Frames {
		lf := LongFrame{Duration: ms(f.Duration), Blocking: ms(f.Blocking)}
		for _, s := range f.Scripts {
			lf.Scripts = append(lf.Scripts, FrameScript{URL: mask(s.URL), Function: s.Function, Invoker: mask(s.Invoker), Duration: ms(s.Duration)})
		}
		m.LongFrames = append(m.LongFrames, lf)
	}
	return m, nil
}

// jsNumber writes f as a JavaScript number literal.
func jsNumber(f float64) string { return fmt.Sprintf("%.6f", f) }

// measureTimeline is how long reading a step's interactions may take: a
// frame or two, and the evaluation.
const measureTimeline = 3 * time.Second

// markFrame starts measuring the input of a step in the document of scope
// sc other than the tab's own: an iframe or a popup, whose timeline the
// tab's does not include. A same-origin iframe of the tab has its
// timeline from its start; an out-of-process iframe's or a popup's
// document loaded before the step without one, so its timeline starts
// now, before the step's own input. It reports false for the tab's own
// document, which the step measures itself (see step).
func (r *run) markFrame(ctx context.Context, sc scope) (timelineMark, bool) {
	if !r.timeline || sc.isPage() {
		return timelineMark{}, false
	}
	fctx, cancel := context.WithTimeout(sc.ctxFor(ctx), measureTimeline)
	defer cancel()
	install := "(" + timelineFn + ")(" + windowOf(sc) + ")"
	if err := chromedp.Do(fctx, chromedp.Evaluate[chromedp.Void](install)); err != nil {
		r.logger.Debug("iframe interactions not measured", "err", err)
		return timelineMark{}, false
	}
	m, err := markTimeline(fctx, windowOf(sc))
	if err != nil {
		r.logger.Debug("iframe interactions not measured", "err", err)
		return timelineMark{}, false
	}
	return m, true
}

// readFrame reads what the step's input did in the document of sc since
// mark, for the step to merge with the tab's. When it cannot be read (the
// frame is gone), the step has none rather than an INP of 0.
func (r *run) readFrame(ctx context.Context, sc scope, mark timelineMark) {
	fctx, cancel := context.WithTimeout(sc.ctxFor(ctx), measureTimeline)
	defer cancel()
	im, err := readInteraction(fctx, windowOf(sc), mark, deepMask(r.secrets))
	if err != nil {
		r.logger.Debug("iframe interactions not read", "err", err)
		r.frameInteraction = nil
		return
	}
	r.frameInteraction = im
}

// mergeInteractions is a step's interactions in two documents: its INP is
// the slowest of either's, its blocking time both main threads', and its
// long frames the longest of both.
func mergeInteractions(a, b *InteractionMetrics) *InteractionMetrics {
	if a == nil {
		return b
	}
	if b == nil {
		return a
	}
	m := &InteractionMetrics{
		Interactions: a.Interactions + b.Interactions,
		INP:          max(a.INP, b.INP),
		TBT:          a.TBT + b.TBT,
		LongFrames:   slices.Concat(a.LongFrames, b.LongFrames),
	}
	slices.SortStableFunc(m.LongFrames, func(x, y LongFrame) int { return cmp.Compare(y.Duration, x.Duration) })
	if len(m.LongFrames) > maxLongFrames {
		m.LongFrames = m.LongFrames[:maxLongFrames]
	}
	return m
}
