package probes

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"

	"github.com/touchprobe/touchprobe/config"
)

// hover moves the pointer onto the element's centre, once it can be
// pressed, as a customer opening a menu does.
func hover(ctx context.Context, sc scope, sel string) error {
	st, err := sc.waitActionable(ctx, sel)
	if err != nil {
		return err
	}
	// A popup that closes itself as the pointer comes over it is the
	// press's case: see inputError.
	return sc.inputError(chromedp.Do(sc.ctxFor(ctx), chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, st.X, st.Y)))
}

// pointer is how a click or double click presses its element: which
// button, where, how often, and whether it taps.
type pointer struct {
	button           input.MouseButton
	buttons          int64 // the button as the pressed-buttons bit mask
	offsetX, offsetY *float64
	touch            bool
	count            int
	modifiers        int64 // the modifier keys held, as the protocol's bit mask
}

// mouseButtons maps the Recorder's button names (config.MouseButtons) to
// the protocol's buttons and their bits in a pressed-buttons mask.
var mouseButtons = map[string]struct {
	button input.MouseButton
	bit    int64
}{
	"":          {input.MouseButtonLeft, 1},
	"primary":   {input.MouseButtonLeft, 1},
	"secondary": {input.MouseButtonRight, 2},
	"auxiliary": {input.MouseButtonMiddle, 4},
	"back":      {input.MouseButtonBack, 8},
	"forward":   {input.MouseButtonForward, 16},
}

// pointerOf reads how the step presses its element, count times.
func pointerOf(st *config.Step, count int) pointer {
	b := mouseButtons[st.Button]
	var mods int64
	for _, m := range st.Modifiers {
		mods |= int64(keyModifiers[m])
	}
	return pointer{button: b.button, buttons: b.bit, offsetX: st.OffsetX, offsetY: st.OffsetY, touch: st.DeviceType == "touch", count: count, modifiers: mods}
}

// press presses the element as p says, once it can be pressed: at its
// centre, or at the offset from its top-left corner; with the mouse, or
// under a touch profile or for a touch step, with a tap. A double click
// is a click, then a second press whose click count is 2, as a browser
// sees one.
func (s scope) press(ctx context.Context, sel string, p pointer) error {
	st, err := s.waitActionable(ctx, sel)
	if err != nil {
		return err
	}
	x, y := st.X, st.Y
	if p.offsetX != nil && p.offsetY != nil {
		x, y = st.X-st.W/2+*p.offsetX, st.Y-st.H/2+*p.offsetY
	}
	tap := p.touch || p.count <= 1 && p.button == input.MouseButtonLeft && p.modifiers == 0 && touchInput(ctx)
	return s.inputError(dispatchPress(s.ctxFor(ctx), x, y, p, tap))
}

// inputError returns err, the error of input sent to the scope's target,
// or nil when that target is a popup or a frame of its own that went away
// before the browser answered. A popup that closes itself when pressed
// (window.close() in its handler), or a frame that navigates away, can be
// gone before the answer comes: the element took input a moment ago, so
// the input was given.
func (s scope) inputError(err error) error {
	if s.target != nil && errors.Is(err, chromedp.ErrTargetDetached) {
		return nil
	}
	return err
}

// dispatchPress sends the press's input events to the target of ctx. The
// mouse first comes over the element, as a customer's does before pressing
// (and Puppeteer's, which replays the Recorder's steps): a page that
// renders the element again as the pointer comes over it (a hover state)
// then has the new one under the pointer when the button goes down, as it
// does for the customer.
func dispatchPress(ctx context.Context, x, y float64, p pointer, tap bool) error {
	if !tap {
		move := input.DispatchMouseEventParams{Type: input.DispatchMouseEventTypeMouseMoved, X: x, Y: y, Modifiers: p.modifiers}
		if _, err := chromedp.Call(ctx, input.DispatchMouseEvent, move); err != nil {
			return err
		}
	}
	for n := 1; n <= max(p.count, 1); n++ {
		if tap {
			if err := chromedp.Do(ctx, chromedp.TapXY(x, y)); err != nil {
				return err
			}
			continue
		}
		down := input.DispatchMouseEventParams{Type: input.DispatchMouseEventTypeMousePressed, X: x, Y: y, Button: p.button, Buttons: p.buttons, ClickCount: int64(n), Modifiers: p.modifiers}
		up := down
		up.Type, up.Buttons = input.DispatchMouseEventTypeMouseReleased, 0
		for _, ev := range []input.DispatchMouseEventParams{down, up} {
			if _, err := chromedp.Call(ctx, input.DispatchMouseEvent, ev); err != nil {
				return err
			}
		}
	}
	return nil
}

// scrollTo scrolls the page, or the element the step names, to left and
// top, as the Recorder's scroll step does.
func scrollTo(ctx context.Context, sc scope, st *config.Step) error {
	target := "window"
	if sel := stepSelector(st); sel != "" {
		if _, err := sc.waitVisible(ctx, sel, false, nil); err != nil {
			return err
		}
		target = elementJS(sc.root, sel)
	} else if sc.root != "document" {
		target = sc.root + ".defaultView"
	}
	js := fmt.Sprintf(`(() => { const t = %s; if (t) t.scrollTo({left: %d, top: %d, behavior: "instant"}); })()`, target, st.Left, st.Top)
	return chromedp.Do(sc.ctxFor(ctx), chromedp.Evaluate[chromedp.Void](js))
}

// waitStep waits for the step's element to show, for the number of its
// elements to compare with count, or for its expression to be true. With
// visible = false it waits until that no longer holds of the elements
// that show, as the Recorder's waitForElement with visible: false does.
func waitStep(ctx context.Context, sc scope, st *config.Step) error {
	if st.Expression != "" {
		return waitExpression(ctx, sc, st.Expression)
	}
	sel := stepSelector(st)
	shown := st.Visible == nil || *st.Visible
	if shown && st.Operator == "" && st.Count == 0 && len(st.Attributes) == 0 && len(st.Properties) == 0 {
		_, err := sc.waitVisible(ctx, sel, false, nil)
		return err
	}
	op, count := st.Operator, st.Count
	if op == "" && count == 0 {
		op, count = ">=", 1
	}
	if op == "" {
		op = ">="
	}
	holds := func(n int) bool {
		switch op {
		case "==":
			return n == count
		case "<=":
			return n <= count
		default:
			return n >= count
		}
	}
	want := map[string]any{"attributes": st.Attributes, "properties": st.Properties, "shown": !shown}
	b, err := json.Marshal(want)
	if err != nil {
		return fmt.Errorf("properties of the wait: %w", err)
	}
	// count is the number of elements found (only those that show, for
	// visible = false), mismatch what the first that lacks an attribute
	// or a property has instead ("" when all have them).
	js := fmt.Sprintf(`((q, want) => {
	  if (q.error) return {count: 0, mismatch: "", error: q.error};
	  const shows = (el) => { const s = el.ownerDocument.defaultView.getComputedStyle(el); const r = el.getBoundingClientRect();
	    return s.visibility !== "hidden" && s.display !== "none" && Number(s.opacity) !== 0 && r.width > 0 && r.height > 0; };
	  const els = want.shown ? q.els.filter(shows) : q.els;
	  const match = (a, b) => {
	    if (a === b) return true;
	    if ((a && !b) || (!a && b)) return false;
	    if (!(a instanceof Object) || !(b instanceof Object)) return false;
	    for (const [k, v] of Object.entries(a)) if (!match(v, b[k])) return false;
	    return true;
	  };
	  const show = (v) => { try { return JSON.stringify(v) === undefined ? String(v) : JSON.stringify(v); } catch (e) { return String(v); } };
	  for (const el of els) {
	    for (const [k, v] of Object.entries(want.attributes || {})) if (el.getAttribute(k) !== v) return {count: els.length, mismatch: k + "=" + JSON.stringify(el.getAttribute(k))};
	    for (const [k, v] of Object.entries(want.properties || {})) if (!match(v, el[k])) return {count: els.length, mismatch: k + "=" + show(el[k])};
	  }
	  return {count: els.length, mismatch: "", alt: q.alt};
	})((%s)(%s, %s), %s)`, queryJS, sc.root, jsString(sel), b)
	type found struct {
		Count    int    `json:"count"`
		Mismatch string `json:"mismatch"`
		Error    string `json:"error"`
		Alt      int    `json:"alt"`
	}
	var last found
	for {
		f, err := chromedp.Run(sc.ctxFor(ctx), chromedp.Evaluate[found](js))
		if err = browserGone(ctx, err); errors.Is(err, ErrBrowserCrashed) {
			return err
		}
		if gone := sc.goneError(err, false); gone != nil {
			return gone
		}
		if err == nil {
			if f.Error != "" {
				return &selectorError{sel: sel, frame: sc.name, state: elementState{Error: f.Error}}
			}
			last = f
			// Every element found counts, shown or not, as in the
			// Recorder's replay; visible = false counts those that show.
			if (holds(f.Count) && f.Mismatch == "") == shown {
				if shown {
					noteMatch(ctx, sel, f.Alt)
				}
				return nil
			}
		}
		if err := sleep(ctx, pollInterval); err != nil {
			what := "number of elements matching " + quoteSelector(sel)
			if !shown {
				what = "number of shown elements matching " + quoteSelector(sel)
			}
			if sc.name != "" {
				what += fmt.Sprintf(" in frame %q", sc.name)
			}
			switch {
			case !shown && op == ">=" && count == 1 && len(st.Attributes) == 0 && len(st.Properties) == 0:
				return &assertionError{what: what, want: "0 (visible = false)", got: strconv.Itoa(last.Count)}
			case !shown:
				return &assertionError{what: what + " with its attributes and properties", want: fmt.Sprintf("not %s %d (visible = false)", op, count), got: strconv.Itoa(last.Count)}
			case last.Mismatch != "" && holds(last.Count):
				return &assertionError{what: "attributes and properties of " + quoteSelector(sel), want: wantText(st), got: last.Mismatch}
			}
			return &assertionError{what: what, want: fmt.Sprintf("%s %d", op, count), got: strconv.Itoa(last.Count)}
		}
	}
}

// wantText writes the attributes and properties a wait expects.
func wantText(st *config.Step) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(st.Attributes)) {
		parts = append(parts, k+"="+strconv.Quote(st.Attributes[k]))
	}
	for _, k := range slices.Sorted(maps.Keys(st.Properties)) {
		b, _ := json.Marshal(st.Properties[k])
		parts = append(parts, k+"="+string(b))
	}
	return strings.Join(parts, " ")
}

// waitExpression polls a JavaScript expression in the scope's document
// until it is true (a promise is awaited).
func waitExpression(ctx context.Context, sc scope, expr string) error {
	c := sc.ctxFor(ctx)
	js := fmt.Sprintf(`(async () => !!(await (0, eval)(%s)))()`, jsString(expr))
	if sc.root != "document" {
		js = fmt.Sprintf(`(async () => !!(await %s.defaultView.eval(%s)))()`, sc.root, jsString(expr))
	}
	var last string
	for {
		ok, err := chromedp.Run(c, chromedp.Evaluate[bool](js, chromedp.EvalAwaitPromise))
		if err = browserGone(ctx, err); errors.Is(err, ErrBrowserCrashed) {
			return err
		}
		if gone := sc.goneError(err, false); gone != nil {
			return gone
		}
		var exc *chromedp.ExceptionError
		if errors.As(err, &exc) {
			last = exc.Error()
		}
		if err == nil && ok {
			return nil
		}
		if err := sleep(ctx, pollInterval); err != nil {
			if last == "" {
				last = "false"
			}
			return &assertionError{what: fmt.Sprintf("the expression %q", config.TruncateRunes(expr, 120)), want: "true", got: last}
		}
	}
}

// expectTitle waits, within the step's time, until the page's title is
// title, as a recorded navigation asserts; at the deadline it says what
// the title was instead.
func expectTitle(ctx context.Context, title string) error {
	var last string
	for {
		got, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.title`))
		if err = browserGone(ctx, err); errors.Is(err, ErrBrowserCrashed) {
			return err
		}
		if err == nil {
			if last = got; strings.TrimSpace(got) == strings.TrimSpace(title) {
				return nil
			}
		}
		if err := sleep(ctx, pollInterval); err != nil {
			return &assertionError{what: "page title", want: title, got: last}
		}
	}
}
