package probes

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/css"
	"github.com/chromedp/cdproto/dom"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/inspector"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	cdpruntime "github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"

	"github.com/touchprobe/touchprobe/config"
)

// pollInterval is how often a condition in the page is checked. Small enough
// that it adds little to a measured step, large enough not to load the page.
const pollInterval = 25 * time.Millisecond

// navWindow is how long after an action a navigation may still start, and
// how long after the last request the action started ended (an order
// posted, then the confirmation page opened). The window is not charged to
// the step: it only decides whether to wait for a new page.
const navWindow = 150 * time.Millisecond

// requestWindow is how long after an action a request may start and still
// be the action's: a click handler's fetch starts at once, or a frame or
// two later in an application that renders first. A page's background
// polls that start in it are taken for the action's too: they cost the
// step their own short time, never more than longestRequest.
const requestWindow = 100 * time.Millisecond

// longestRequest is how long a request the action started is waited for
// when no navigation follows it. One that runs longer is an event stream
// or a long poll, which the customer does not wait for.
const longestRequest = 5 * time.Second

// navTracker follows the main frame of a tab: when a navigation starts and
// when its load event fires.
type navTracker struct {
	mainFrame string

	mu       sync.Mutex
	started  int // navigations started in the main frame
	loaded   int // load events of the main frame
	loadedAt time.Time
	// sameDoc counts navigations within the main frame's document (to a
	// #fragment), which end without a load event.
	sameDoc int
	// pending is set while a navigation that started has neither replaced
	// the document (committed) nor stopped; abandoned counts those that
	// stopped without replacing it: a link that downloads a file, a 204.
	pending, committed bool
	abandoned          int
	abandonedAt        time.Time

	// crashed closes when the tab's renderer dies (out of memory, killed)
	// while the browser lives on.
	crashed   chan struct{}
	crashOnce sync.Once
}

func trackNavigation(tabCtx context.Context) (*navTracker, error) {
	c := chromedp.FromContext(tabCtx)
	if c == nil || c.Target == nil {
		return nil, errors.New("tab has no target")
	}
	t := &navTracker{mainFrame: string(c.Target.TargetID), crashed: make(chan struct{})}
	err := chromedp.Listen(tabCtx, func(ev any) {
		switch ev := ev.(type) {
		case *page.EventFrameStartedNavigating:
			if string(ev.FrameID) == t.mainFrame && ev.NavigationType != page.FrameStartedNavigatingNavigationTypeSameDocument {
				t.start()
			}
		case *page.EventFrameRequestedNavigation:
			if string(ev.FrameID) == t.mainFrame {
				t.start()
			}
		case *page.EventFrameNavigated:
			if string(ev.Frame.ID) == t.mainFrame {
				t.mu.Lock()
				t.committed = true
				t.mu.Unlock()
			}
		case *page.EventFrameStoppedLoading:
			if string(ev.FrameID) == t.mainFrame {
				t.mu.Lock()
				if t.pending && !t.committed {
					t.abandoned++
					t.abandonedAt = time.Now()
				}
				t.pending = false
				t.mu.Unlock()
			}
		case *page.EventNavigatedWithinDocument:
			if string(ev.FrameID) == t.mainFrame {
				t.mu.Lock()
				t.sameDoc++
				t.mu.Unlock()
			}
		case *inspector.EventTargetCrashed:
			t.crashOnce.Do(func() { close(t.crashed) })
		case *page.EventLoadEventFired:
			t.mu.Lock()
			t.loaded++
			t.loadedAt = time.Now()
			t.mu.Unlock()
		}
	})
	return t, err
}

func (t *navTracker) start() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.started++
	t.pending, t.committed = true, false
}

// abandonedSince returns when a navigation that started after m stopped
// without replacing the page: the page stays as it was.
func (t *navTracker) abandonedSince(m mark) (time.Time, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.abandonedAt, t.abandoned > m.abandoned
}

// hasCrashed reports whether the tab's renderer died.
func (t *navTracker) hasCrashed() bool {
	select {
	case <-t.crashed:
		return true
	default:
		return false
	}
}

// mark is the tracker's state at one moment.
type mark struct{ started, loaded, sameDoc, abandoned int }

func (t *navTracker) mark() mark {
	t.mu.Lock()
	defer t.mu.Unlock()
	return mark{t.started, t.loaded, t.sameDoc, t.abandoned}
}

// awaitLoad waits until the main frame fired its load event (or moved
// within its document) after m, and returns when. A renderer that died
// meanwhile ends the wait with errPageCrashed; a load that never comes
// ends it with ctx.
func (t *navTracker) awaitLoad(ctx context.Context, m mark) (time.Time, error) {
	for {
		if t.hasCrashed() {
			return time.Time{}, errPageCrashed
		}
		if at, ok := t.loadedSince(m); ok {
			return at, nil
		}
		t.mu.Lock()
		moved := t.sameDoc > m.sameDoc
		t.mu.Unlock()
		if moved {
			return time.Now(), nil
		}
		if err := sleep(ctx, 10*time.Millisecond); err != nil {
			return time.Time{}, err
		}
	}
}

// navigatedSince reports whether a main-frame navigation started after m.
func (t *navTracker) navigatedSince(m mark) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.started > m.started
}

// loadedSince returns when the main frame's load event fired after m.
func (t *navTracker) loadedSince(m mark) (time.Time, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.loadedAt, t.loaded > m.loaded
}

// scope is where a step's selectors are looked up: the page, a same-origin
// iframe (reached through its contentDocument), or an out-of-process
// cross-origin iframe (a DevTools target of its own).
type scope struct {
	// target is the chromedp context of an attached iframe target; nil
	// means the tab itself, reached through the step's context.
	target context.Context
	root   string // JS expression for the document to query
	// offsetFrames are the selectors of the iframes, outermost first and
	// each looked up in the one before, whose positions are added to
	// coordinates, for same-origin iframes clicked through the page (or
	// through the out-of-process iframe of target).
	offsetFrames []string
	name         string // the frame selector, for messages
	// byURL says that target is the step's target, found by its URL
	// (name), not a frame.
	byURL bool
}

var pageScope = scope{root: "document"}

// isPage reports whether s is the tab's own document.
func (s scope) isPage() bool { return s.target == nil && s.root == pageScope.root }

// ctxFor returns the context that talks to the scope's target: the step's
// own for the tab, the attached frame's (a child of the step's, so with its
// deadline) for an out-of-process iframe.
func (s scope) ctxFor(ctx context.Context) context.Context {
	if s.target == nil {
		return ctx
	}
	return s.target
}

// elementState is what the page says about a selector.
type elementState struct {
	Found    bool    `json:"found"`
	Visible  bool    `json:"visible"`
	Disabled bool    `json:"disabled"`
	Text     string  `json:"text"`
	X        float64 `json:"x"`
	Y        float64 `json:"y"`
	// W and H are the element's width and height: X and Y are its centre.
	W     float64 `json:"w"`
	H     float64 `json:"h"`
	Count int     `json:"count"`
	Error string  `json:"error"`
	// Alt is the index of the alternative that found the element, -1
	// when none did (see queryJS).
	Alt int `json:"alt"`
	// Covered names the element that would receive a click at the
	// element's centre instead of it (a banner, an overlay); empty when
	// the element itself would.
	Covered string `json:"covered"`
	// Gone is set when the scope's document cannot be reached any more:
	// its frame now shows a document of another origin.
	Gone bool `json:"gone"`
}

// inspectJS returns an elementState for a selector argument, found by
// query (queryJS). With scroll, the element
// is first scrolled to the middle of the viewport, as a customer would, and
// its centre is given in the coordinates of the scope's target.
const inspectJS = `((root, sel, scroll, frames, query) => {
  const out = {found: false, visible: false, disabled: false, text: "", x: 0, y: 0, w: 0, h: 0, count: 0, error: "", covered: "", alt: -1, gone: false};
  if (!root) { out.gone = true; return out; }
  const q = query(root, sel);
  if (q.error) { out.error = q.error; return out; }
  const all = q.els;
  out.count = all.length;
  out.alt = q.alt;
  const el = all[0];
  if (!el) return out;
  out.found = true;
  // "instant" overrides a page's smooth scrolling, which would move the
  // element after we measured it.
  if (scroll && el.scrollIntoView) el.scrollIntoView({block: "center", inline: "center", behavior: "instant"});
  const view = el.ownerDocument.defaultView;
  const style = view.getComputedStyle(el);
  const r = el.getBoundingClientRect();
  out.visible = style.visibility !== "hidden" && style.display !== "none" && Number(style.opacity) !== 0 && r.width > 0 && r.height > 0;
  out.disabled = !!el.disabled;
  const tag = el.tagName;
  if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT") out.text = String(el.value);
  else out.text = (el.innerText !== undefined ? el.innerText : (el.textContent || "")).trim();
  out.x = r.left + r.width / 2;
  out.y = r.top + r.height / 2;
  out.w = r.width;
  out.h = r.height;
  if (scroll && out.visible) {
    // Asked of the element's own tree, a hit inside a shadow root is not
    // reported as its host.
    const tree = el.getRootNode();
    const hit = (tree.elementFromPoint ? tree : el.ownerDocument).elementFromPoint(out.x, out.y);
    if (hit && hit !== el && !el.contains(hit)) {
      out.covered = hit.tagName.toLowerCase() + (hit.id ? "#" + hit.id : "") + (typeof hit.className === "string" && hit.className ? "." + hit.className.trim().split(/\s+/).join(".") : "");
    }
  }
  let doc = document;
  for (const frameSel of frames) {
    const f = doc && query(doc, frameSel).el;
    if (!f) break;
    const fr = f.getBoundingClientRect();
    out.x += fr.left + f.clientLeft; out.y += fr.top + f.clientTop;
    doc = f.contentDocument;
  }
  return out;
})`

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func (s scope) inspect(ctx context.Context, sel string, scroll bool) (elementState, error) {
	ctx = s.ctxFor(ctx)
	frames, _ := json.Marshal(append([]string{}, s.offsetFrames...))
	if scroll && len(s.offsetFrames) > 0 {
		// Bring the iframes themselves into view first, so the element's
		// centre is inside the viewport of the page.
		_, _ = chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](fmt.Sprintf(
			`((frames, query) => { let doc = document; for (const sel of frames) { const f = doc && query(doc, sel).el; if (!f) return; f.scrollIntoView({block: "center", inline: "center", behavior: "instant"}); doc = f.contentDocument; } })(%s, %s)`, frames, queryJS)))
	}
	expr := fmt.Sprintf("%s(%s, %s, %t, %s, %s)", inspectJS, s.root, jsString(sel), scroll, frames, queryJS)
	return chromedp.Run(ctx, chromedp.Evaluate[elementState](expr))
}

// selectorError says which selector was not found or not visible.
type selectorError struct {
	sel   string
	frame string
	state elementState
	err   error
	// unresponsive is set when the page never answered while we waited:
	// its main thread is busy (a script in an endless loop), so whether
	// the element is there is unknown.
	unresponsive bool
	// moving is set when the element was there to press but never
	// stayed in one place.
	moving bool
}

func (e *selectorError) Error() string {
	where := ""
	if e.frame != "" {
		where = fmt.Sprintf(" in frame %q", e.frame)
	}
	switch {
	case e.unresponsive:
		return fmt.Sprintf("the page%s stopped responding (a script busy in an endless loop?) while waiting for %s", where, quoteSelector(e.sel))
	case e.state.Error != "":
		what := "valid"
		if alts := alternativesOf(e.sel); len(alts) == 1 && len(alts[0]) == 1 {
			if k, _ := config.SelectorKindOf(alts[0][0]); k == config.SelectorCSS {
				what = "valid CSS"
			}
		}
		return fmt.Sprintf("selector %s%s is not %s: %s", quoteSelector(e.sel), where, what, e.state.Error)
	case e.state.Covered != "":
		return fmt.Sprintf("element %s%s is covered by %s and cannot be clicked", e.found(), where, e.state.Covered)
	case e.state.Visible && e.state.Disabled:
		return fmt.Sprintf("element %s%s stayed disabled", e.found(), where)
	case e.moving:
		return fmt.Sprintf("element %s%s kept moving and could not be pressed", e.found(), where)
	case e.state.Visible:
		// Visible, enabled and uncovered at the last look, but the time
		// ran out before a second look could tell it stood still.
		return fmt.Sprintf("element %s%s was found but not yet ready to be pressed", e.found(), where)
	case e.state.Found:
		return fmt.Sprintf("element %s%s is present but not visible", e.found(), where)
	default:
		return fmt.Sprintf("no element matches %s%s", quoteSelector(e.sel), where)
	}
}

func (e *selectorError) Unwrap() error { return e.err }

// found names the selector that found the element: the alternative that
// did, when there were several.
func (e *selectorError) found() string {
	alts := alternativesOf(e.sel)
	if len(alts) > 1 && e.state.Alt >= 0 && e.state.Alt < len(alts) {
		return fmt.Sprintf("%q (alternative %d of %d)", alts[e.state.Alt].String(), e.state.Alt+1, len(alts))
	}
	return quoteSelector(e.sel)
}

// waitVisible polls until the selector matches a visible element (and cond,
// if set, holds for it) or ctx ends. Evaluation errors are retried: they
// happen while a document is being replaced, and the next poll runs in the
// new one. A dead browser ends the wait at once.
func (s scope) waitVisible(ctx context.Context, sel string, scroll bool, cond func(elementState) bool) (elementState, error) {
	var last elementState
	answered := false
	var lastErr error
	for {
		st, err := s.inspect(ctx, sel, scroll)
		err = browserGone(ctx, err)
		lastErr = err
		if gone := s.goneError(err, st.Gone); gone != nil {
			// What the document that went away showed says nothing
			// of the one the frame shows now: an expect must not take
			// it for the frame's answer.
			return elementState{}, gone
		}
		switch {
		case err == nil:
			last, answered = st, true
			if st.Error != "" {
				return st, &selectorError{sel: sel, frame: s.name, state: st}
			}
			if st.Visible && (cond == nil || cond(st)) {
				noteMatch(ctx, sel, st.Alt)
				return st, nil
			}
		case errors.Is(err, ErrBrowserCrashed):
			return last, err
		}
		if err := sleep(ctx, pollInterval); err != nil {
			// Unresponsive: no evaluation ever answered, and the last one
			// was still waiting when time ran out (rather than failing
			// at once, as it does while a document is replaced).
			unresponsive := !answered && errors.Is(lastErr, context.DeadlineExceeded)
			return last, &selectorError{sel: sel, frame: s.name, state: last, err: err, unresponsive: unresponsive}
		}
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// click presses the left mouse button on the element's centre: a real click,
// as a customer makes, not element.click(). Under a touch profile it taps
// there instead, as a phone's customer does.
func (s scope) click(ctx context.Context, sel string) error {
	return s.press(ctx, sel, pointer{button: input.MouseButtonLeft, buttons: 1, count: 1})
}

// typeText clicks into the field, clears it and enters text.
func (s scope) typeText(ctx context.Context, sel, text string) error {
	if err := s.click(ctx, sel); err != nil {
		return err
	}
	ctx = s.ctxFor(ctx)
	clear := fmt.Sprintf(`(() => { const el = %s; if (el) { el.focus(); if ("value" in el) el.value = ""; } })()`, elementJS(s.root, sel))
	// The text goes in as one insertion, as a paste or an input method
	// would put it, with the input events a page listens to. Typed key by
	// key it cost a round trip to the renderer per key: seconds of a step
	// measuring the browser's typing, not the site.
	if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](clear)); err != nil {
		if gone := s.goneError(err, false); gone != nil {
			return gone
		}
		return err
	}
	_, err := chromedp.Call(ctx, input.InsertText, input.InsertTextParams{Text: text})
	return s.inputError(err)
}

// frameError says that an iframe named by a step never became usable, or
// that the frame or page the step was in went away.
type frameError struct {
	frame string
	err   error
	// target is set when frame is the URL of a step's target.
	target bool
	// gone is set when the frame or page went away while the step ran in
	// it; afterInput when that was after the step gave its input.
	gone, afterInput bool
}

// errScopeGone is the error of a frameError for a frame or page that went
// away.
var errScopeGone = errors.New("went away")

func (e *frameError) Error() string {
	switch {
	case e.gone && e.target:
		return fmt.Sprintf("the page or frame at %q closed while the step ran in it", e.frame)
	case e.gone:
		return fmt.Sprintf("iframe %q went away while the step ran in it: it was removed, or it now shows a page of another site", e.frame)
	case e.target:
		return fmt.Sprintf("no page or frame at %q appeared: %v", e.frame, e.err)
	default:
		return fmt.Sprintf("iframe %q did not load: %v", e.frame, e.err)
	}
}

// goneError returns a frameError when the scope's document went away: its
// target detached (a popup that closed, an out-of-process iframe that now
// shows a page of the tab's site), err being the error of a call to it,
// or, unreachable says, its frame now shows a document of another origin.
// It returns nil while the document is there.
func (s scope) goneError(err error, unreachable bool) error {
	if s.target != nil && errors.Is(err, chromedp.ErrTargetDetached) || err == nil && unreachable && !s.isPage() {
		return &frameError{frame: s.name, err: errScopeGone, target: s.byURL, gone: true}
	}
	return nil
}
func (e *frameError) Unwrap() error { return e.err }

// enterFrame enters the frames the step's frame key names in turn (see
// config.Frames) and returns a scope inside the innermost. A
// same-origin iframe is reached through contentDocument; a cross-origin
// one, at the first level, runs in its own renderer and is attached to as
// a target of its own. The returned cleanup detaches from that target.
func enterFrame(ctx context.Context, frame config.Frames, onAttach func(context.Context)) (scope, func(), error) {
	return enterFrameIn(ctx, pageScope, frame, onAttach)
}

// enterFrameIn is enterFrame from the scope in: the page, or another target
// (a popup) whose same-origin frames the step names. Only the tab's own
// cross-origin frames are attached to.
func enterFrameIn(ctx context.Context, in scope, frame config.Frames, onAttach func(context.Context)) (scope, func(), error) {
	sc, cleanup := in, func() {}
	for i, sel := range frame {
		next, done, err := enterOne(ctx, sc, sel, frame.String(), i == 0 && in.target == nil, onAttach)
		if done != nil {
			cleanup = done
		}
		if err != nil {
			return scope{}, cleanup, err
		}
		sc = next
	}
	return sc, cleanup, nil
}

// enterOne enters the frame sel of scope in; attach says whether a
// cross-origin frame may be attached to as a target of its own.
func enterOne(ctx context.Context, in scope, sel, frame string, attach bool, onAttach func(context.Context)) (scope, func(), error) {
	if _, err := in.waitVisible(ctx, sel, false, nil); err != nil {
		return scope{}, nil, &frameError{frame: frame, err: err}
	}
	type frameInfo struct {
		SameOrigin bool `json:"sameOrigin"`
		Ready      bool `json:"ready"`
	}
	probe := fmt.Sprintf(`(() => { const f = %s; let d = null; try { d = f && f.contentDocument; } catch (e) {}
	  const loaded = !!d && d.URL !== "about:blank";
	  return {sameOrigin: loaded, ready: loaded && d.readyState === "complete"}; })()`, elementJS(in.root, sel))
	for {
		fi, err := chromedp.Run(in.ctxFor(ctx), chromedp.Evaluate[frameInfo](probe))
		if err == nil && fi.Ready {
			root := fmt.Sprintf("(%s).contentDocument", elementJS(in.root, sel))
			return scope{target: in.target, root: root, offsetFrames: append(slices.Clip(in.offsetFrames), sel), name: frame}, nil, nil
		}
		if err == nil && !fi.SameOrigin && attach {
			if sc, cleanup, ok := attachFrameTarget(ctx, sel); ok {
				sc.name = frame
				if onAttach != nil {
					onAttach(sc.target)
				}
				return sc, cleanup, nil
			}
		}
		if err = browserGone(ctx, err); errors.Is(err, ErrBrowserCrashed) {
			return scope{}, nil, err
		}
		if err := sleep(ctx, pollInterval); err != nil {
			return scope{}, nil, &frameError{frame: frame, err: err}
		}
	}
}

// enterTarget returns a scope in the step's target: the page (a popup the
// journey opened) or out-of-process iframe of the tab's browser context
// whose URL is url, attached to as its own target, as the Recorder's
// replay finds a step's target; else the same-origin iframe of the page
// whose src it is. It waits for one within the step's time. The returned
// cleanup detaches.
func enterTarget(ctx context.Context, url string, onAttach func(context.Context)) (scope, func(), error) {
	c := chromedp.FromContext(ctx)
	if c == nil || c.Target == nil {
		return scope{}, func() {}, errors.New("tab has no target")
	}
	inPage := `iframe[src=` + jsString(url) + `]`
	for {
		infos, err := chromedp.Targets(ctx)
		if err = browserGone(ctx, err); errors.Is(err, ErrBrowserCrashed) {
			return scope{}, func() {}, err
		}
		for _, info := range infos {
			if info.URL != url || info.TargetID == c.Target.TargetID || info.BrowserContextID != c.BrowserContextID ||
				info.Type != "page" && info.Type != "iframe" {
				continue
			}
			// Detach rather than close on cancel: a popup stays open for
			// the steps after this one, as in the customer's browser.
			tctx, cancel := chromedp.NewContext(ctx, chromedp.WithTargetID(info.TargetID), chromedp.WithDetachOnCancel())
			if _, err := chromedp.Run(tctx, chromedp.Evaluate[bool](`document.readyState !== "loading"`)); err != nil {
				cancel()
				continue
			}
			if onAttach != nil {
				onAttach(tctx)
			}
			return scope{target: tctx, root: "document", name: url, byURL: true}, cancel, nil
		}
		if st, err := pageScope.inspect(ctx, inPage, false); err == nil && st.Found {
			return enterFrame(ctx, config.Frames{inPage}, onAttach)
		}
		if err := sleep(ctx, pollInterval); err != nil {
			return scope{}, func() {}, &frameError{frame: url, err: err, target: true}
		}
	}
}

// targetAppears reports whether a page or frame at url (see enterTarget)
// appears within grace.
func targetAppears(ctx context.Context, url string, grace time.Duration) (bool, error) {
	gctx, cancel := context.WithTimeout(ctx, grace)
	defer cancel()
	_, cleanup, err := enterTarget(gctx, url, nil)
	cleanup()
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, ErrBrowserCrashed), ctx.Err() != nil:
		return false, err
	}
	return false, nil
}

// attachFrameTarget attaches to the out-of-process iframe that the selector
// names. Chromium gives such a frame a target whose ID is the frame's ID.
func attachFrameTarget(ctx context.Context, frameSel string) (scope, func(), bool) {
	fid, ok := frameIDOf(ctx, frameSel)
	if !ok {
		return scope{}, nil, false
	}
	frameID := target.ID(fid)
	infos, err := chromedp.Targets(ctx)
	if err != nil {
		return scope{}, nil, false
	}
	found := false
	for _, info := range infos {
		if info.TargetID == frameID && info.Type == "iframe" {
			found = true
			break
		}
	}
	if !found {
		return scope{}, nil, false
	}
	// Detach rather than close on cancel: the iframe belongs to the page.
	// The frame's context is a child of the step's, so it carries the
	// step's deadline and detaches when the step ends.
	frameCtx, cancel := chromedp.NewContext(ctx, chromedp.WithTargetID(frameID), chromedp.WithDetachOnCancel())
	sc := scope{target: frameCtx, root: "document", name: frameSel}
	ready, err := chromedp.Run(frameCtx, chromedp.Evaluate[bool](`document.readyState === "complete"`))
	if err != nil || !ready {
		cancel()
		return scope{}, nil, false
	}
	return sc, cancel, true
}

// frameIDOf returns the frame ID of the iframe the selector names. It asks
// the page for the element and DOM.describeNode about it, which works with
// the DOM domain switched off (see lighten).
func frameIDOf(ctx context.Context, frameSel string) (cdp.FrameID, bool) {
	res, err := chromedp.Call(ctx, cdpruntime.Evaluate, cdpruntime.EvaluateParams{
		Expression: elementJS("document", frameSel), ObjectGroup: "touchprobe-frame"})
	if err != nil || res.Result == nil || res.Result.ObjectID == "" {
		return "", false
	}
	defer chromedp.Call(ctx, cdpruntime.ReleaseObjectGroup, cdpruntime.ReleaseObjectGroupParams{ObjectGroup: "touchprobe-frame"}) //nolint:errcheck // the page may be gone
	d, err := chromedp.Call(ctx, dom.DescribeNode, dom.DescribeNodeParams{ObjectID: res.Result.ObjectID})
	if err != nil || d.Node == nil || d.Node.FrameID == "" {
		return "", false
	}
	return d.Node.FrameID, true
}

// lighten switches off what chromedp enables in every target and a run
// never uses: the DOM domain, whose agent chromedp asks for the whole
// document at every navigation and which then reports the page's changes
// as it builds them, and the CSS domain, which tracks every style sheet.
// Both slow the page being measured. Selectors are looked up by scripts
// (Runtime), which need neither. Response bodies are never read (the HAR
// records sizes and timings, not content), so the network domain keeps
// no copy of them.
func lighten(ctx context.Context) error {
	zero := int64(0)
	if _, err := chromedp.Call(ctx, css.Disable, cdp.Empty{}); err != nil {
		return fmt.Errorf("CSS.disable: %w", err)
	}
	if _, err := chromedp.Call(ctx, dom.Disable, cdp.Empty{}); err != nil {
		return fmt.Errorf("DOM.disable: %w", err)
	}
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{MaxTotalBufferSize: &zero, MaxResourceBufferSize: &zero}); err != nil {
		return fmt.Errorf("Network.enable: %w", err)
	}
	return nil
}

// dialogAnswerTimeout bounds answering one dialog.
const dialogAnswerTimeout = 5 * time.Second

// answerDialogs answers the page's dialogs as a person would for the
// journey to go on: alert and prompt (with its default text) accepted,
// confirm as the journey says, beforeunload accepted so that the
// navigation goes on. Each is recorded in the console evidence. The
// returned stop ends the answering and waits for it.
func (r *run) answerDialogs(tab context.Context) (stop func(), err error) {
	ctx, cancel := context.WithCancel(tab)
	opened := make(chan *page.EventJavascriptDialogOpening, 16)
	err = chromedp.Listen(ctx, func(ev any) {
		if d, ok := ev.(*page.EventJavascriptDialogOpening); ok {
			select {
			case opened <- d:
			default: // a page opens one dialog at a time; never block the event loop
			}
		}
	})
	if err != nil {
		cancel()
		return func() {}, err
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-ctx.Done():
				return
			case d := <-opened:
				r.answerDialog(ctx, d)
			}
		}
	}()
	return func() { cancel(); <-done }, nil
}

func (r *run) answerDialog(ctx context.Context, d *page.EventJavascriptDialogOpening) {
	cctx, cancel := context.WithTimeout(ctx, dialogAnswerTimeout)
	defer cancel()
	if _, err := chromedp.Call(cctx, page.HandleJavaScriptDialog, r.dialogAnswer(d)); err != nil {
		r.logger.Debug("could not answer a dialog", "dialog", string(d.Type), "err", err)
	}
}

// dialogAnswer is the answer to the dialog d (see answerDialogs), which it
// records in the console evidence.
func (r *run) dialogAnswer(d *page.EventJavascriptDialogOpening) page.HandleJavaScriptDialogParams {
	accept := d.Type != page.DialogTypeConfirm || r.journey.Confirm != config.ConfirmDismiss
	answer := "accepted"
	if !accept {
		answer = "dismissed"
	}
	text := string(d.Type) + " dialog"
	if d.Message != "" {
		text += ": " + d.Message
	}
	text += " (" + answer + ")"
	if r.rec != nil {
		r.rec.addConsole(ConsoleEntry{Time: time.Now(), Level: "info", Text: text, URL: d.URL})
	}
	return page.HandleJavaScriptDialogParams{Accept: accept, PromptText: d.DefaultPrompt}
}

// answerPopupDialogs answers the dialogs of the pages the tab opens
// (popups, links to a new tab) as answerDialogs does the tab's. Chromium
// tells of a dialog only a session that listened for dialogs when it
// opened, and a popup's dialog left unanswered stops its page for good:
// a popup that alerts as it loads never became a step's target. So each
// page of the tab's browser context gets a session of its own as soon as
// it is created, before its document loads. The session is not flat (as
// followChildren's), since chromedp routes only the sessions it made. The
// returned stop ends the answering, waits for it and detaches.
func (r *run) answerPopupDialogs(tab context.Context) (stop func(), err error) {
	c := chromedp.FromContext(tab)
	if c == nil || c.Target == nil {
		return func() {}, errors.New("tab has no target")
	}
	tabID, browserContext := c.Target.TargetID, c.BrowserContextID
	ctx, cancel := context.WithCancel(tab)
	created := newChildQueue[target.ID]()
	type opening struct {
		session target.SessionID
		message string
	}
	opened := newChildQueue[opening]()
	// Listeners must not call the browser: they hand what they saw to the
	// goroutine below.
	err = chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*target.EventTargetCreated); ok && e.TargetInfo != nil && e.TargetInfo.Type == "page" &&
			e.TargetInfo.TargetID != tabID && e.TargetInfo.BrowserContextID == browserContext {
			created.push(e.TargetInfo.TargetID)
		}
	})
	if err == nil {
		err = chromedp.ListenBrowser(ctx, func(ev any) {
			if e, ok := ev.(*target.EventReceivedMessageFromTarget); ok && strings.Contains(e.Message, `"Page.javascriptDialogOpening"`) {
				opened.push(opening{e.SessionID, e.Message})
			}
		})
	}
	if err != nil {
		cancel()
		return func() {}, err
	}
	var sessions []target.SessionID
	var next int64
	send := func(session target.SessionID, method string, params any) error {
		p, err := json.Marshal(params)
		if err != nil {
			return err
		}
		next++
		cctx, ccancel := context.WithTimeout(ctx, dialogAnswerTimeout)
		defer ccancel()
		return sendRaw(cctx, session, rawMessage{ID: next, Method: method, Params: p})
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-ctx.Done():
				return
			case <-created.ready:
			case <-opened.ready:
			}
			for _, id := range created.take() {
				actx, acancel := context.WithTimeout(ctx, dialogAnswerTimeout)
				res, err := chromedp.CallBrowser(actx, target.AttachToTarget, target.AttachToTargetParams{TargetID: id, Flatten: ptrTo(false)})
				acancel()
				if err != nil {
					// A popup that closed itself at once is gone already.
					r.logger.Debug("not answering a popup's dialogs", "err", err)
					continue
				}
				sessions = append(sessions, res.SessionID)
				if err := send(res.SessionID, page.CommandEnable, page.EnableParams{}); err != nil {
					r.logger.Debug("not answering a popup's dialogs", "err", err)
				}
			}
			for _, o := range opened.take() {
				var m rawMessage
				var d page.EventJavascriptDialogOpening
				if !slices.Contains(sessions, o.session) || json.Unmarshal([]byte(o.message), &m) != nil || json.Unmarshal(m.Params, &d) != nil {
					continue
				}
				if err := send(o.session, page.CommandHandleJavaScriptDialog, r.dialogAnswer(&d)); err != nil {
					r.logger.Debug("could not answer a popup's dialog", "dialog", string(d.Type), "err", err)
				}
			}
		}
	}()
	return func() {
		cancel()
		<-done
		// The popups may be gone already; then so are their sessions.
		dctx, dcancel := context.WithTimeout(context.WithoutCancel(tab), 2*time.Second)
		defer dcancel()
		for _, s := range sessions {
			_, _ = chromedp.CallBrowser(dctx, target.DetachFromTarget, target.DetachFromTargetParams{SessionID: s})
		}
	}, nil
}

// denyDownloads makes the tab's browser context refuse downloads: a link
// that downloads a file ends its step, and nothing is written to disk.
func denyDownloads(tab context.Context) error {
	c := chromedp.FromContext(tab)
	if c == nil {
		return errors.New("tab has no browser context")
	}
	_, err := chromedp.CallBrowser(tab, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
		Behavior: cdpbrowser.SetDownloadBehaviorBehaviorDeny, BrowserContextID: c.BrowserContextID})
	return err
}
