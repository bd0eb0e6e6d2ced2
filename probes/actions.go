package probes

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/touchprobe/touchprobe/config"
)

// optionalGrace is how long an optional step waits for its element before
// it is skipped: consent banners and pop-ups appear just after load.
const optionalGrace = time.Second

// presentSoon reports whether the element becomes visible within grace.
// An element is only declared absent after the page has answered several
// times that it is, so that a slow, loaded machine does not skip a step
// whose element is there.
func presentSoon(ctx context.Context, sc scope, sel string, grace time.Duration) (bool, error) {
	const answers = 3
	deadline := time.Now().Add(grace)
	absent := 0
	for {
		st, err := sc.inspect(ctx, sel, false)
		err = browserGone(ctx, err)
		switch {
		case err == nil && st.Visible:
			return true, nil
		case err == nil:
			absent++
		case errors.Is(err, ErrBrowserCrashed):
			return false, err
		}
		if absent >= answers && time.Now().After(deadline) {
			return false, nil
		}
		if err := sleep(ctx, pollInterval); err != nil {
			return false, err
		}
	}
}

// act performs the step's action and waits until it settles. It returns
// when the step ended for the customer, and whether a new page loaded.
func (r *run) act(ctx context.Context, st *config.Step) (time.Time, bool, error) {
	sc := pageScope
	if !inPageTarget(st) {
		if st.Optional {
			// An optional step in a popup: when the popup does not
			// open, the step is skipped.
			present, err := targetAppears(ctx, st.Target, min(optionalGrace, st.Timeout.Duration))
			if err != nil {
				return time.Time{}, false, err
			}
			if !present {
				return time.Time{}, false, errSkipped
			}
		}
		ts, cleanup, err := enterTarget(ctx, st.Target, r.watchFrame)
		defer cleanup()
		if err != nil {
			return time.Time{}, false, err
		}
		sc = ts
	}
	if st.Optional && len(st.Frame) > 0 {
		// An optional pop-up often lives in its own iframe: when the frame
		// itself is absent, so is the step. The frame is looked for in the
		// step's target, a popup's frame in the popup.
		present, err := presentSoon(ctx, sc, st.Frame[0], min(optionalGrace, st.Timeout.Duration))
		if err != nil {
			return time.Time{}, false, err
		}
		if !present {
			return time.Time{}, false, errSkipped
		}
	}
	if len(st.Frame) > 0 && st.Action != "chat" {
		// In the target's frames when the step names a target.
		fs, cleanup, err := enterFrameIn(ctx, sc, st.Frame, r.watchFrame)
		defer cleanup()
		if err != nil {
			return time.Time{}, false, err
		}
		sc = fs
	}
	if st.Optional {
		sel := stepSelector(st)
		if sel == "" {
			sel = st.Open
		}
		if sel != "" {
			present, err := presentSoon(ctx, sc, sel, min(optionalGrace, st.Timeout.Duration))
			if err != nil {
				return time.Time{}, false, err
			}
			if !present {
				return time.Time{}, false, errSkipped
			}
		}
	}

	run, ok := actions[st.Action]
	if !ok {
		return time.Time{}, false, fmt.Errorf("unknown action %q", st.Action)
	}
	// The input of a step in an iframe or a popup is measured in that
	// document, while the step is still attached to it (the chat action
	// measures its widget itself).
	var fmark timelineMark
	fmarked := false
	if isInteraction(st.Action) && st.Action != "chat" {
		fmark, fmarked = r.markFrame(ctx, sc)
	}
	end, landed, err := run(r, ctx, sc, st)
	// A frame of the page that went away before the step's input reached
	// it (a payment widget mounted again) is found again by the frame key,
	// as the customer finds the new one, and the step is done there. Input
	// given is never given twice (see conditionsAfter).
	for n := 0; n < maxReentries && goneBeforeInput(err) && len(st.Frame) > 0 && st.Action != "chat" && inPageTarget(st); n++ {
		fs, cleanup, ferr := enterFrame(ctx, st.Frame, r.watchFrame)
		defer cleanup()
		if ferr != nil {
			return time.Time{}, false, ferr
		}
		sc = fs
		if fmarked {
			fmark, fmarked = r.markFrame(ctx, sc)
		}
		end, landed, err = run(r, ctx, sc, st)
	}
	if err == nil && fmarked {
		r.readFrame(ctx, sc, fmark)
	}
	return end, landed, err
}

// inPageTarget reports whether the step runs in the tab's page rather than
// in a popup or a frame its target names.
func inPageTarget(st *config.Step) bool { return st.Target == "" || st.Target == config.MainTarget }

// inPage reports whether the step acts on the tab's own document: no
// target other than the page, and no frame.
func inPage(st *config.Step) bool { return inPageTarget(st) && len(st.Frame) == 0 }

// actionFunc performs a step's action in scope sc and waits until it
// settles. It returns when the step ended for the customer, and whether a
// new page loaded.
type actionFunc func(r *run, ctx context.Context, sc scope, st *config.Step) (time.Time, bool, error)

// actions has the runner of each action a step can take, by its name in
// the configuration.
var actions = map[string]actionFunc{
	"navigate": (*run).navigate,
	"click": settled(func(_ *run, ctx context.Context, sc scope, st *config.Step) error {
		return sc.press(ctx, stepSelector(st), pointerOf(st, 1))
	}),
	"fill": settled((*run).fill),
	"select": settled(func(_ *run, ctx context.Context, sc scope, st *config.Step) error {
		return selectOption(ctx, sc, stepSelector(st), st.Value)
	}),
	"press": settled(func(_ *run, ctx context.Context, sc scope, st *config.Step) error {
		return press(ctx, sc, stepSelector(st), st.Key)
	}),
	"wait": settled(func(_ *run, ctx context.Context, sc scope, st *config.Step) error {
		return waitStep(ctx, sc, st)
	}),
	"hover": settled(func(_ *run, ctx context.Context, sc scope, st *config.Step) error {
		return hover(ctx, sc, stepSelector(st))
	}),
	"double_click": settled(func(_ *run, ctx context.Context, sc scope, st *config.Step) error {
		return sc.press(ctx, stepSelector(st), pointerOf(st, 2))
	}),
	"scroll": settled(func(_ *run, ctx context.Context, sc scope, st *config.Step) error {
		return scrollTo(ctx, sc, st)
	}),
	"assert": settled(func(_ *run, ctx context.Context, sc scope, st *config.Step) error {
		return assert(ctx, sc, st)
	}),
	"viewport": setUp((*run).setViewport),
	// A popup the step's target found is closed; the steps after it run
	// in the journey's page, or in a target of their own.
	"close": func(_ *run, ctx context.Context, sc scope, st *config.Step) (time.Time, bool, error) {
		var c *chromedp.Context
		if sc.target != nil {
			c = chromedp.FromContext(sc.target)
		}
		if c == nil || c.Target == nil {
			return time.Time{}, false, fmt.Errorf("no popup at %q to close", st.Target)
		}
		if _, err := chromedp.CallBrowser(ctx, target.CloseTarget, target.CloseTargetParams{TargetID: c.Target.TargetID}); err != nil {
			return time.Time{}, false, fmt.Errorf("close the popup at %q: %w", st.Target, err)
		}
		return time.Now(), false, nil
	},
	"network": setUp((*run).setNetwork),
	// The chat widget's frame is entered after its opener is clicked.
	"chat": func(r *run, ctx context.Context, _ scope, st *config.Step) (time.Time, bool, error) {
		return r.chat(ctx, st)
	},
}

// settled makes an action that ends when what it did settles (see settle).
func settled(do func(r *run, ctx context.Context, sc scope, st *config.Step) error) actionFunc {
	return func(r *run, ctx context.Context, sc scope, st *config.Step) (time.Time, bool, error) {
		before, start := r.nav.mark(), time.Now()
		if err := do(r, ctx, sc, st); err != nil {
			return time.Time{}, false, err
		}
		return r.settle(ctx, sc, st, before, start, time.Now())
	}
}

// setUp makes an action that sets up the page (its screen, its network)
// and then waits for wait_for and expect, as every step does.
func setUp(do func(r *run, ctx context.Context, st *config.Step) error) actionFunc {
	return func(r *run, ctx context.Context, sc scope, st *config.Step) (time.Time, bool, error) {
		if err := do(r, sc.ctxFor(ctx), st); err != nil {
			return time.Time{}, false, err
		}
		end, err := r.conditions(ctx, sc, st, time.Time{})
		return end, false, err
	}
}

// navigate loads the step's URL and waits for its load event and then for
// wait_for and expect.
func (r *run) navigate(ctx context.Context, sc scope, st *config.Step) (time.Time, bool, error) {
	if sc.target != nil {
		return r.navigateTarget(ctx, sc, st)
	}
	before := r.nav.mark()
	resp, err := loadURL(ctx, st.URL)
	if err != nil {
		return time.Time{}, resp != nil, r.noPage(err)
	}
	end := time.Now()
	// Chromium may report a navigation finished without its load event: a
	// body that never ends, a renderer that died while loading. The page
	// has loaded when load fired.
	if resp.status < 400 {
		at, err := r.nav.awaitLoad(ctx, before)
		if err != nil {
			return time.Time{}, !errors.Is(err, errPageCrashed), err
		}
		end = later(end, at)
	}
	if resp.status >= 400 {
		return end, true, &httpStatusError{status: resp.status, url: st.URL, method: http.MethodGet, statusText: resp.text}
	}
	condEnd, err := r.conditions(ctx, sc, st, time.Time{})
	if err != nil {
		return time.Time{}, true, err
	}
	return later(end, condEnd), true, nil
}

// noPage returns err, the error of a navigation of the tab, or what the
// server answered when that had no page to show (204 No Content), which
// Chromium reports as net::ERR_ABORTED.
func (r *run) noPage(err error) error {
	var le *chromedp.LoadError
	if r.rec == nil || !errors.As(err, &le) || !strings.Contains(le.ErrorText, "ERR_ABORTED") {
		return err
	}
	if np, ok := r.rec.noContent(); ok {
		return np
	}
	return err
}

func (r *run) fill(ctx context.Context, sc scope, st *config.Step) error {
	for _, sel := range st.FieldOrder {
		if err := fillField(ctx, sc, sel, st.Fields[sel]); err != nil {
			return err
		}
	}
	if st.Submit != "" {
		return sc.click(ctx, st.Submit)
	}
	return nil
}

// fillField types into inputs and text areas and chooses in selects. key
// is the field's key in the step's fields: a selector, or a chain of them
// into shadow roots (config.FieldSelector).
func fillField(ctx context.Context, sc scope, key, value string) error {
	sel := selectorOf([]config.Selector{config.FieldSelector(key)})
	c := sc.ctxFor(ctx)
	tag, err := chromedp.Run(c, chromedp.Evaluate[string](fmt.Sprintf(
		`(() => { const el = %s; return el ? el.tagName : ""; })()`, elementJS(sc.root, sel))))
	if err == nil && tag == "SELECT" {
		return selectOption(ctx, sc, sel, value)
	}
	return sc.typeText(ctx, sel, value)
}

// expectText waits until the element shows text; at the deadline it says
// what the element showed instead.
func expectText(ctx context.Context, sc scope, sel, text string) error {
	st, err := sc.waitVisible(ctx, sel, false, func(s elementState) bool { return strings.Contains(s.Text, text) })
	if err != nil && st.Visible {
		return &assertionError{what: "text of " + quoteSelector(sel), want: text, got: st.Text}
	}
	return err
}

func assert(ctx context.Context, sc scope, st *config.Step) error {
	if sel := stepSelector(st); sel != "" {
		if err := expectText(ctx, sc, sel, st.Text); err != nil {
			return err
		}
	}
	if re := st.URLPattern(); re != nil {
		var last string
		for {
			c := sc.ctxFor(ctx)
			u, err := chromedp.Run(c, chromedp.Evaluate[string](`location.href`))
			if err == nil {
				last = u
				if re.MatchString(u) {
					return nil
				}
			}
			if err := sleep(ctx, pollInterval); err != nil {
				return &assertionError{what: "page URL", want: "match " + re.String(), got: last}
			}
		}
	}
	return nil
}

func selectOption(ctx context.Context, sc scope, sel, value string) error {
	if _, err := sc.waitVisible(ctx, sel, true, nil); err != nil {
		return err
	}
	c := sc.ctxFor(ctx)
	// Match by value first, then by visible label, as a person reading the
	// page would name the option.
	js := fmt.Sprintf(`((el, want) => {
	  const opts = Array.from(el.options || []);
	  const o = opts.find(o => o.value === want) || opts.find(o => o.text.trim() === want);
	  if (!o) return opts.map(o => o.value).join(", ");
	  el.value = o.value;
	  el.dispatchEvent(new Event("input", {bubbles: true}));
	  el.dispatchEvent(new Event("change", {bubbles: true}));
	  return "";
	})(%s, %s)`, elementJS(sc.root, sel), jsString(value))
	missing, err := chromedp.Run(c, chromedp.Evaluate[string](js))
	if err != nil {
		return err
	}
	if missing != "" {
		return &assertionError{what: "options of " + quoteSelector(sel), want: value, got: missing}
	}
	return nil
}

// keyNames maps the key names a config uses ("Enter", "ArrowDown") to the
// runes chromedp types.
var keyNames = func() map[string]string {
	m := make(map[string]string)
	for r, k := range kb.Keys {
		if len(k.Key) > 1 {
			m[strings.ToLower(k.Key)] = string(r)
		}
	}
	return m
}()

// keyModifiers are chromedp's modifiers by config.KeyModifiers' names.
var keyModifiers = map[string]chromedp.Modifier{
	"Alt": chromedp.ModifierAlt, "Control": chromedp.ModifierCtrl, "Meta": chromedp.ModifierMeta, "Shift": chromedp.ModifierShift,
}

// press presses key in the element sel, or wherever the focus is, with the
// modifiers the key names held ("Shift+Tab"; see config.SplitKey).
func press(ctx context.Context, sc scope, sel, key string) error {
	mods, key := config.SplitKey(key)
	keys := key
	if k, ok := keyNames[strings.ToLower(key)]; ok {
		keys = k
	}
	var held []chromedp.Modifier
	for _, m := range mods {
		held = append(held, keyModifiers[m])
	}
	c := sc.ctxFor(ctx)
	if sel != "" {
		if _, err := sc.waitVisible(ctx, sel, true, nil); err != nil {
			return err
		}
		focus := fmt.Sprintf(`%s.focus()`, elementJS(sc.root, sel))
		if err := chromedp.Do(c, chromedp.Evaluate[chromedp.Void](focus)); err != nil {
			return err
		}
	}
	return sc.inputError(chromedp.Do(c, chromedp.KeyEvent(keys, chromedp.KeyModifiers(held...))))
}

// chat opens the widget, sends the message and ends when a new reply shows.
func (r *run) chat(ctx context.Context, st *config.Step) (time.Time, bool, error) {
	if st.Open != "" {
		if err := pageScope.click(ctx, st.Open); err != nil {
			return time.Time{}, false, err
		}
	}
	sc := pageScope
	if len(st.Frame) > 0 {
		fs, cleanup, err := enterFrame(ctx, st.Frame, r.watchFrame)
		defer cleanup()
		if err != nil {
			return time.Time{}, false, err
		}
		sc = fs
	}
	if _, err := sc.waitVisible(ctx, st.Input, false, nil); err != nil {
		return time.Time{}, false, err
	}
	fmark, fmarked := r.markFrame(ctx, sc)
	prior, err := sc.inspect(ctx, st.Reply, false)
	if err != nil {
		return time.Time{}, false, err
	}
	if err := sc.typeText(ctx, st.Input, st.Message); err != nil {
		return time.Time{}, false, err
	}
	c := sc.ctxFor(ctx)
	err = chromedp.Do(c, chromedp.KeyEvent(kb.Enter))
	if err != nil {
		return time.Time{}, false, err
	}
	_, err = sc.waitVisible(ctx, st.Reply, false, func(s elementState) bool { return s.Count > prior.Count })
	if err != nil {
		var se *selectorError
		if errors.As(err, &se) && errors.Is(err, context.DeadlineExceeded) {
			return time.Time{}, false, &chatTimeoutError{reply: st.Reply, frame: st.Frame.String()}
		}
		return time.Time{}, false, err
	}
	end := time.Now()
	condEnd, err := r.conditions(ctx, sc, st, end)
	if err != nil {
		return time.Time{}, false, err
	}
	if fmarked {
		r.readFrame(ctx, sc, fmark)
	}
	return later(end, condEnd), false, nil
}

type networkResponse struct {
	status int
	text   string
}

// loadURL loads url and waits for its load event.
func loadURL(ctx context.Context, url string) (*networkResponse, error) {
	resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(url))
	if err != nil {
		return nil, err
	}
	if resp == nil {
		return &networkResponse{}, nil
	}
	return &networkResponse{status: int(resp.Status), text: resp.StatusText}, nil
}

// navigateTarget loads the step's URL in its target, a popup, and waits
// for its load and then for wait_for and expect there. The journey's own
// page stays as it was: the step has no page timings of its own.
func (r *run) navigateTarget(ctx context.Context, sc scope, st *config.Step) (time.Time, bool, error) {
	tctx := sc.ctxFor(ctx)
	resp, err := loadURL(tctx, st.URL)
	if err != nil {
		return time.Time{}, false, err
	}
	end := time.Now()
	if resp.status >= 400 {
		return end, false, &httpStatusError{status: resp.status, url: st.URL, method: http.MethodGet, statusText: resp.text}
	}
	if err := landedOK(tctx); err != nil {
		return end, false, err
	}
	condEnd, err := r.conditions(ctx, sc, st, time.Time{})
	if err != nil {
		return time.Time{}, false, err
	}
	return later(end, condEnd), false, nil
}

// landedOK checks the document a navigation landed on.
func landedOK(ctx context.Context) error {
	type doc struct {
		URL    string `json:"url"`
		Status int    `json:"status"`
	}
	d, err := chromedp.Run(ctx, chromedp.Evaluate[doc](`(() => { const n = performance.getEntriesByType("navigation")[0];
	  return {url: location.href, status: n && n.responseStatus ? n.responseStatus : 0}; })()`))
	if err != nil {
		return nil // the conditions that follow will say what is wrong
	}
	return pageVerdict(&PageMetrics{URL: d.URL, Status: d.Status})
}

// pageVerdict fails a step whose navigation landed on an error status or on
// Chromium's error page.
func pageVerdict(pm *PageMetrics) error {
	if strings.HasPrefix(pm.URL, "chrome-error://") {
		return &errorPageError{url: "the requested page"}
	}
	if pm.Status >= 400 {
		return &httpStatusError{status: pm.Status, url: pm.URL}
	}
	return nil
}
