package probes

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/dom"
	cdpruntime "github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"

	"github.com/touchprobe/touchprobe/config"
)

// snapshotTimeout bounds taking a screenshot and the HTML of a page: a page
// that no longer answers (a script in an endless loop) gives none, rather
// than holding up the run.
const snapshotTimeout = 8 * time.Second

// snapshot is what the customer saw at one step.
type snapshot struct {
	step int
	png  []byte
	html []byte
	// note says why there is no screenshot, when it was left out on
	// purpose.
	note string
}

// noScreenshotNote is the evidence's note for a screenshot left out
// because a field holding a secret could not be hidden in it, or a frame
// did not draw it hidden.
const noScreenshotNote = "no screenshot kept: a field holding a secret could not be hidden in the page or in one of its frames, or a frame did not draw it hidden in time"

// capture is the evidence of one run that failed or went over budget,
// ready to be kept. Secrets are masked in all of it.
type capture struct {
	// step is the index of the step the screenshot and HTML show, or of
	// the step that failed or was slowest when there are none.
	step       int
	screenshot []byte // PNG; nil if the page could not be captured
	html       []byte
	console    []byte // JSON []ConsoleEntry
	har        []byte // HAR 1.2 JSON
	notes      []string
}

// files returns the capture as file name → content, leaving out what was
// not captured.
func (c *capture) files() map[string][]byte {
	out := map[string][]byte{}
	for name, b := range map[string][]byte{
		ScreenshotFile: c.screenshot,
		HTMLFile:       c.html,
		ConsoleFile:    c.console,
		HARFile:        c.har,
	} {
		if len(b) > 0 {
			out[name] = b
		}
	}
	return out
}

// keep writes the capture with keeper as the evidence of res and names it
// in res.Evidence. A capture with nothing in it keeps nothing.
func (p *Prober) keep(keeper Keeper, res *Result, c *capture) {
	files := c.files()
	if len(files) == 0 {
		return
	}
	// What the folder is the evidence of, and what each step's
	// interactions did, for whoever opens it later.
	summary := res.Summary()
	summary.Notes = c.notes
	if b, err := json.MarshalIndent(summary, "", "  "); err == nil {
		files[RunFile] = b
	}
	logger := p.logger().With("journey", res.Journey, "run_id", res.RunID)
	dir, names, err := keeper.Write(res.Journey, res.RunID, files)
	if dir != "" {
		res.Evidence = &Evidence{Dir: dir, Step: c.step, Files: names}
	}
	switch {
	case err != nil && dir == "":
		logger.Error("could not keep the run's evidence", "err", err)
		return
	case err != nil:
		logger.Error("could not apply evidence retention", "err", err)
	}
	if dir != "" {
		logger.Info("evidence kept", "dir", dir, "files", names)
	}
}

// walkFieldsJS calls visit(el) for each text field under root (a document
// or a shadow root) in document order: in root, in every open shadow root
// (nested ones too) and in every same-origin iframe, wherever it sits.
// Password and hidden fields are left out: they show no text.
// fieldValuesJS and hideFieldsJS walk the same way, so that positions
// agree. A closed shadow root, and the document of an iframe of another
// origin, are not walked into: the page's scripts cannot see them (see
// unseenRoots).
const walkFieldsJS = `const walkFields = (root, visit) => {
  const walk = (root) => {
    for (const el of root.querySelectorAll("*")) {
      if ((el.tagName === "INPUT" || el.tagName === "TEXTAREA") && el.type !== "password" && el.type !== "hidden") visit(el);
      if (el.shadowRoot) walk(el.shadowRoot);
      if (el.tagName === "IFRAME" || el.tagName === "FRAME") {
        let d = null; try { d = el.contentDocument; } catch (e) {}
        if (d) walk(d);
      }
    }
  };
  walk(root);
};`

// fieldValuesJS lists the values of the text fields under root (see
// walkFieldsJS).
const fieldValuesJS = `((root) => {
  ` + walkFieldsJS + `
  const out = [];
  walkFields(root, (el) => out.push(String(el.value || "")));
  return out;
})`

// hideFieldsJS shows the fields under root at the given positions (in the
// order of fieldValuesJS) as dots, as a password field shows its value.
const hideFieldsJS = `((root, hide) => {
  ` + walkFieldsJS + `
  let i = 0, n = 0;
  walkFields(root, (el) => {
    if (hide.includes(i)) {
      el.style.setProperty("-webkit-text-security", "disc", "important");
      el.setAttribute("data-touchprobe-masked", "secret");
      n++;
    }
    i++;
  });
  return n;
})`

// takeSnapshot captures the page of step i: a full-page PNG and the HTML.
// Fields showing a secret are turned into dots first. It gives up after
// snapshotTimeout, and returns nil when the page is gone.
func (r *run) takeSnapshot(i int) *snapshot {
	if r.tab == nil || r.tab.Err() != nil || r.nav == nil || r.nav.hasCrashed() {
		return nil
	}
	ctx, cancel := context.WithTimeout(r.tab, snapshotTimeout)
	defer cancel()
	snap := &snapshot{step: i}
	if r.secrets.Values() > 0 {
		if err := r.hideSecretFields(ctx); err != nil {
			// Without the fields hidden, a screenshot could show a
			// secret: keep none, and say so.
			// The error may quote the page (an exception it threw).
			r.logger.Warn("could not hide the fields holding a secret; no screenshot kept", "err", r.secrets.Mask(err.Error()))
			snap.note = noScreenshotNote
			return r.snapshotHTML(ctx, snap)
		}
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err == nil && len(png) > maxScreenshot {
		// A very long page: what the customer saw first is what matters.
		png, err = chromedp.Run(ctx, chromedp.CaptureScreenshot())
	}
	if err == nil && len(png) <= maxScreenshot {
		snap.png = png
	} else if err != nil {
		r.logger.Debug("no screenshot", "err", err)
	}
	return r.snapshotHTML(ctx, snap)
}

func (r *run) snapshotHTML(ctx context.Context, snap *snapshot) *snapshot {
	html, err := chromedp.Run(ctx, chromedp.Evaluate[string](
		`(document.doctype ? "<!DOCTYPE " + document.doctype.name + ">\n" : "") + document.documentElement.outerHTML`))
	if err != nil {
		r.logger.Debug("no page HTML", "err", err)
	} else {
		// Mask before cutting, so that no part of a secret is left at
		// the cut.
		html = deepMask(r.secrets)(html)
		if len(html) > maxHTML {
			html = html[:maxHTML]
		}
		snap.html = []byte(html)
	}
	if snap.png == nil && snap.html == nil && snap.note == "" {
		return nil
	}
	return snap
}

// hideSecretFields shows as dots every field holding a secret in the
// page and in its out-of-process iframes: a frame of another site is a
// target of its own, which the page's scripts cannot reach into, yet the
// screenshot shows it. Those are the iframes the run attached to (see
// watchFrame), where a step may have typed a secret, and every other
// iframe of the tab's browser context, where the page may have posted one.
// A frame that is gone shows nothing; one that is still there but whose
// fields cannot be hidden is an error.
func (r *run) hideSecretFields(ctx context.Context) error {
	if _, err := hideFieldsIn(ctx, r.secrets); err != nil {
		return err
	}
	var browserContext cdp.BrowserContextID
	if c := chromedp.FromContext(ctx); c != nil {
		browserContext = c.BrowserContextID
	}
	ids := r.attachedTargets()
	if len(ids) == 0 && browserContext == "" {
		return nil
	}
	infos, err := chromedp.Targets(ctx)
	if err != nil {
		return fmt.Errorf("listing the frames: %w", err)
	}
	live := map[target.ID]bool{}
	for _, info := range infos {
		if info.Type != "iframe" {
			continue
		}
		live[info.TargetID] = true
		if browserContext != "" && info.BrowserContextID == browserContext && !slices.Contains(ids, info.TargetID) {
			ids = append(ids, info.TargetID)
		}
	}
	for _, id := range ids {
		if !live[id] {
			continue
		}
		if err := hideInTarget(ctx, id, r.secrets); err != nil {
			return fmt.Errorf("in frame %s: %w", id, err)
		}
	}
	return nil
}

// hideInTarget hides the fields holding a secret in the target id, an
// out-of-process iframe, attached to for as long as it takes.
func hideInTarget(ctx context.Context, id target.ID, secrets *config.Secrets) error {
	// A frame that does not answer leaves the rest of the snapshot's time
	// for the page's HTML.
	ctx, stop := context.WithTimeout(ctx, frameHideTimeout)
	defer stop()
	tctx, cancel := chromedp.NewContext(ctx, chromedp.WithTargetID(id), chromedp.WithDetachOnCancel())
	defer cancel()
	hidden, err := hideFieldsIn(tctx, secrets)
	if err != nil || hidden == 0 {
		return err
	}
	// The frame runs in a renderer of its own, which draws the dots in a
	// frame of its own: the page's screenshot shows the frame's last one,
	// which may still show the secret. Wait until it has drawn the next;
	// a frame that does not say so within framePaintWait (throttled,
	// hidden, or busy) may show it still, so there is no screenshot.
	drawn, err := chromedp.Run(tctx, chromedp.Evaluate[bool](framePaintedJS, chromedp.EvalAwaitPromise))
	var thrown *chromedp.ExceptionError
	switch {
	case err != nil && tctx.Err() == nil && !errors.As(err, &thrown):
		return nil // the frame is gone: it shows nothing
	case err != nil:
		return fmt.Errorf("its fields hidden, the frame did not draw within %v: %w", frameHideTimeout, err)
	case !drawn:
		return fmt.Errorf("its fields hidden, the frame did not draw within %v", framePaintWait)
	}
	return nil
}

// frameHideTimeout bounds hiding the secret fields of one frame of
// another site, and its drawing them hidden.
const frameHideTimeout = snapshotTimeout / 4

// framePaintWait bounds framePaintedJS. A loaded machine can take longer
// than 250 ms for the frames, and the screenshot then showed the secret
// the frame had not yet drawn as dots.
const framePaintWait = time.Second

// framePaintedJS resolves true once the document has begun its fourth
// animation frame after the present one, or false after framePaintWait.
// The dots are painted in the first; the second begins once that one is
// committed, but its pixels reach the screen only once the frame's
// compositor has drawn it, which a loaded machine delays: a frame is not
// committed before the one before it is drawn, so by the fourth the
// first has reached the screenshot. Two were too few under load.
var framePaintedJS = fmt.Sprintf(`new Promise((resolve) => {
  const timer = setTimeout(() => resolve(false), %d);
  let frames = 0;
  const next = () => { if (++frames < 4) { requestAnimationFrame(next); return; } clearTimeout(timer); resolve(true); };
  requestAnimationFrame(next);
})`, framePaintWait.Milliseconds())

// hideFieldsIn finds the fields of the document of ctx whose value holds
// a secret and shows them as dots: those the page's scripts can reach, and
// those they cannot (see hideInUnseenRoots). It returns how many it hid.
// The values come to the agent to be checked; no secret is sent to the
// page.
func hideFieldsIn(ctx context.Context, secrets *config.Secrets) (int, error) {
	values := func() ([]string, error) {
		return chromedp.Run(ctx, chromedp.Evaluate[[]string](fieldValuesJS+"(document)"))
	}
	hide := func(at []int) (int, error) {
		arg, _ := json.Marshal(at)
		return chromedp.Run(ctx, chromedp.Evaluate[int](fmt.Sprintf("%s(document, %s)", hideFieldsJS, arg)))
	}
	hidden, err := hideSecretValues(secrets, values, hide)
	if err != nil {
		return 0, err
	}
	unseen, err := hideInUnseenRoots(ctx, secrets)
	if err != nil {
		return 0, fmt.Errorf("in a closed shadow root or a frame of another origin: %w", err)
	}
	return hidden + unseen, nil
}

// hideSecretValues asks values for the values of a set of fields, in the
// order of fieldValuesJS, and hide to show those at the positions at as
// dots, if any holds a secret. It returns how many it hid.
func hideSecretValues(secrets *config.Secrets, values func() ([]string, error), hide func(at []int) (int, error)) (int, error) {
	vs, err := values()
	if err != nil {
		return 0, err
	}
	at := []int{}
	for i, v := range vs {
		if secrets.Mask(v) != v {
			at = append(at, i)
		}
	}
	if len(at) == 0 {
		return 0, nil
	}
	n, err := hide(at)
	if err != nil {
		return 0, err
	}
	if n != len(at) {
		return 0, fmt.Errorf("hid %d of %d fields holding a secret", n, len(at))
	}
	return n, nil
}

// unseenRootsGroup is the object group of the objects hideInUnseenRoots
// asks for, released when it is done.
const unseenRootsGroup = "touchprobe-unseen-roots"

// hideInUnseenRoots hides the fields holding a secret where the scripts
// of the document of ctx cannot look (see unseenRoots), yet the screenshot
// shows them: a closed shadow root (el.shadowRoot is null), where a secret
// gets typed into a field a custom element passes focus on to, or copied
// by the page; and an iframe of another origin that runs in the page's
// renderer, so is no target of its own (another port of the same site, a
// sandboxed frame), where the page may post it. The DevTools protocol sees
// both: DOM.describeNode of the whole document with pierce lists every
// shadow root, closed ones too, and the documents of the frames in the
// renderer; DOM.resolveNode hands each to a function that walks it as
// fieldValuesJS walks the document. Neither needs the DOM domain, which a
// run keeps off (see lighten), nor switches it on, as DOM.getDocument
// would. A root gone between the two (a frame that navigated) makes it
// look again, once.
func hideInUnseenRoots(ctx context.Context, secrets *config.Secrets) (int, error) {
	n, err := hideInUnseenRootsOnce(ctx, secrets)
	if errors.Is(err, errRootGone) {
		n, err = hideInUnseenRootsOnce(ctx, secrets)
	}
	return n, err
}

// errRootGone is the error of a root that DOM.resolveNode no longer finds.
var errRootGone = errors.New("a root changed while its fields were looked up")

func hideInUnseenRootsOnce(ctx context.Context, secrets *config.Secrets) (int, error) {
	defer chromedp.Call(ctx, cdpruntime.ReleaseObjectGroup, cdpruntime.ReleaseObjectGroupParams{ObjectGroup: unseenRootsGroup}) //nolint:errcheck // the page may be gone
	doc, err := chromedp.Call(ctx, cdpruntime.Evaluate, cdpruntime.EvaluateParams{Expression: "document", ObjectGroup: unseenRootsGroup})
	switch {
	case err != nil:
		return 0, fmt.Errorf("the document: %w", err)
	case doc.ExceptionDetails != nil || doc.Result == nil || doc.Result.ObjectID == "":
		return 0, errors.New("the document: no object for it")
	}
	depth, pierce := int64(-1), true
	tree, err := chromedp.Call(ctx, dom.DescribeNode, dom.DescribeNodeParams{ObjectID: doc.Result.ObjectID, Depth: &depth, Pierce: &pierce})
	if err != nil {
		return 0, fmt.Errorf("describing the document: %w", err)
	}
	if tree.Node == nil {
		return 0, errors.New("describing the document: no node")
	}
	hidden := 0
	for _, root := range unseenRoots(tree.Node) {
		obj, err := chromedp.Call(ctx, dom.ResolveNode, dom.ResolveNodeParams{BackendNodeID: root, ObjectGroup: unseenRootsGroup})
		if err == nil && (obj.Object == nil || obj.Object.ObjectID == "") {
			err = errors.New("no object for it")
		}
		if err != nil {
			return 0, fmt.Errorf("%w: %w", errRootGone, err)
		}
		on := func(p *cdpruntime.CallFunctionOnParams) { p.ObjectID = obj.Object.ObjectID }
		values := func() ([]string, error) {
			return chromedp.Run(ctx, chromedp.CallFunctionOn[[]string](`function() { return `+fieldValuesJS+`(this); }`, on))
		}
		hide := func(at []int) (int, error) {
			return chromedp.Run(ctx, chromedp.CallFunctionOn[int](`function(hide) { return `+hideFieldsJS+`(this, hide); }`, on, at))
		}
		n, err := hideSecretValues(secrets, values, hide)
		if err != nil {
			return 0, err
		}
		hidden += n
	}
	return hidden, nil
}

// unseenRoots returns the backend node IDs of the roots under n (a tree as
// DOM.describeNode gives it with pierce) that a walk of fieldValuesJS from
// n may not enter: every closed shadow root, and the document of every
// iframe in n's renderer. The walks from n and from these roots between
// them visit every field: no walk enters a closed root, each of which is
// listed, wherever it sits. The fields of an iframe of the same origin are
// visited twice, from its parent and from its own document: hiding a field
// twice does no harm, and telling such frames from the others would cost
// a question to the page per frame.
func unseenRoots(n *cdp.Node) []cdp.BackendNodeID {
	var out []cdp.BackendNodeID
	var walk func(n *cdp.Node)
	walk = func(n *cdp.Node) {
		if n == nil {
			return
		}
		if n.ShadowRootType == cdp.ShadowRootTypeClosed {
			out = append(out, n.BackendNodeID)
		}
		for _, c := range n.ShadowRoots {
			walk(c)
		}
		for _, c := range n.Children {
			walk(c)
		}
		if d := n.ContentDocument; d != nil {
			out = append(out, d.BackendNodeID)
			walk(d)
		}
	}
	walk(n)
	return out
}

// capture assembles the evidence of a finished run.
func (r *run) capture() *capture {
	res := r.result
	c := &capture{step: -1}
	if r.snap != nil {
		c.step, c.screenshot, c.html = r.snap.step, r.snap.png, r.snap.html
		if r.snap.note != "" {
			c.notes = append(c.notes, r.snap.note)
		}
	}
	if c.step < 0 {
		c.step = evidenceStep(res)
	}
	if r.rec == nil {
		return c
	}
	mask := deepMask(r.secrets)
	r.rec.mu.Lock()
	console := make([]ConsoleEntry, len(r.rec.console))
	copy(console, r.rec.console)
	r.rec.mu.Unlock()
	for k := range console {
		console[k].Text = mask(console[k].Text)
		console[k].URL = mask(console[k].URL)
		console[k].Step = mask(console[k].Step)
	}
	if b, err := json.MarshalIndent(console, "", "  "); err == nil {
		c.console = b
	}
	if b, err := encodeHAR(r.rec.buildHAR(res.Steps, r.secrets, r.prober.harCreator())); err == nil {
		c.har = b
	} else {
		r.logger.Error("could not encode the HAR", "err", err)
	}
	return c
}

// evidenceStep is the step a run's evidence is about: the one that failed,
// else the one furthest over its budget, else the last that ran.
func evidenceStep(res *Result) int {
	best, over := -1, time.Duration(0)
	for _, s := range res.Steps {
		if s.Status == StepFailed {
			return s.Index
		}
		if s.OverBudget() && s.Duration-s.Budget > over {
			best, over = s.Index, s.Duration-s.Budget
		}
	}
	if best >= 0 {
		return best
	}
	for k := len(res.Steps) - 1; k >= 0; k-- {
		if res.Steps[k].Status != StepNotRun {
			return k
		}
	}
	return 0
}

// tail returns s shortened to n characters for a message, saying so.
func tail(s string, n int) string {
	return config.TruncateRunes(strings.TrimSpace(s), n)
}
