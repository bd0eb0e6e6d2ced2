package probes

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
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
	return chromedp.Do(sc.ctxFor(ctx), chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, st.X, st.Y))
}

// doubleClick presses the element twice, as a browser sees a double
// click: a click, then a second press whose click count is 2.
func doubleClick(ctx context.Context, sc scope, sel string) error {
	st, err := sc.waitActionable(ctx, sel)
	if err != nil {
		return err
	}
	return chromedp.Do(sc.ctxFor(ctx),
		chromedp.MouseClickXY(st.X, st.Y),
		chromedp.MouseClickXY(st.X, st.Y, chromedp.ClickCount(2)),
	)
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
// elements to compare with count, or for its expression to be true.
func waitStep(ctx context.Context, sc scope, st *config.Step) error {
	if st.Expression != "" {
		return waitExpression(ctx, sc, st.Expression)
	}
	sel := stepSelector(st)
	if st.Operator == "" && st.Count == 0 && len(st.Attributes) == 0 {
		_, err := sc.waitVisible(ctx, sel, false, nil)
		return err
	}
	if st.Operator == "" && st.Count == 0 {
		st = &config.Step{Operator: ">=", Count: 1, Attributes: st.Attributes}
	}
	op := st.Operator
	if op == "" {
		op = ">="
	}
	holds := func(n int) bool {
		switch op {
		case "==":
			return n == st.Count
		case "<=":
			return n <= st.Count
		default:
			return n >= st.Count
		}
	}
	got, attrs := 0, ""
	for {
		s, err := sc.inspect(ctx, sel, false)
		if err == nil && len(st.Attributes) > 0 && s.Error == "" {
			// The attributes every element must have, as the Recorder's
			// waitForElement checks them: "" when all do, else what the
			// first that does not has.
			b, _ := json.Marshal(st.Attributes)
			js := fmt.Sprintf(`((q, want) => { for (const el of q.els) for (const [k, v] of Object.entries(want)) if (el.getAttribute(k) !== v) return k + "=" + JSON.stringify(el.getAttribute(k)); return ""; })((%s)(%s, %s), %s)`,
				queryJS, sc.root, jsString(sel), b)
			attrs, err = chromedp.Run(sc.ctxFor(ctx), chromedp.Evaluate[string](js))
		}
		if err = browserGone(ctx, err); errors.Is(err, ErrBrowserCrashed) {
			return err
		}
		if err == nil {
			if s.Error != "" {
				return &selectorError{sel: sel, frame: sc.name, state: s}
			}
			got = s.Count
			// Every element found counts, shown or not, as in the
			// Recorder's replay.
			if holds(s.Count) && attrs == "" {
				noteMatch(ctx, sel, s.Alt)
				return nil
			}
		}
		if err := sleep(ctx, pollInterval); err != nil {
			what := "number of elements matching " + quoteSelector(sel)
			if sc.name != "" {
				what += fmt.Sprintf(" in frame %q", sc.name)
			}
			if attrs != "" && holds(got) {
				return &assertionError{what: "attributes of " + quoteSelector(sel), want: fmt.Sprint(st.Attributes), got: attrs}
			}
			return &assertionError{what: what, want: fmt.Sprintf("%s %d", op, st.Count), got: strconv.Itoa(got)}
		}
	}
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
