package probes

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"

	"github.com/touchprobe/touchprobe/config"
)

// A selector as the functions of a scope take it is one string: a plain
// selector (CSS, or one with a prefix such as aria/ or text/), or, for a
// step with several alternatives or an ancestor chain, altsMark followed
// by the alternatives as JSON. No selector a file can hold starts with
// altsMark: it is a control character, which no CSS selector, accessible
// name or text of a step begins with.
const altsMark = "\x00"

// selectorOf returns the selector argument for a list of alternatives.
func selectorOf(alts []config.Selector) string {
	if len(alts) == 0 {
		return ""
	}
	if len(alts) == 1 && len(alts[0]) == 1 {
		return alts[0][0]
	}
	b, _ := json.Marshal(alts)
	return altsMark + string(b)
}

// stepSelector is the step's selector or alternatives, as the scope takes
// them.
func stepSelector(st *config.Step) string { return selectorOf(st.Alternatives()) }

// alternativesOf decodes a selector argument into its alternatives.
func alternativesOf(sel string) []config.Selector {
	if rest, ok := strings.CutPrefix(sel, altsMark); ok {
		var alts []config.Selector
		if json.Unmarshal([]byte(rest), &alts) == nil {
			return alts
		}
	}
	return []config.Selector{{sel}}
}

// quoteSelector names a selector argument in a message: the selector
// quoted, or every alternative quoted, in order.
func quoteSelector(sel string) string {
	alts := alternativesOf(sel)
	if len(alts) == 1 {
		return fmt.Sprintf("%q", alts[0].String())
	}
	q := make([]string, len(alts))
	for i, a := range alts {
		q[i] = fmt.Sprintf("%q", a.String())
	}
	return "any of " + strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1]
}

// matchedAlternative names the alternative at index i of a selector
// argument, for the run page; "" when the argument has a single
// alternative, whose match says nothing new.
func matchedAlternative(sel string, i int) string {
	alts := alternativesOf(sel)
	if len(alts) < 2 || i < 0 || i >= len(alts) {
		return ""
	}
	return fmt.Sprintf("%q (alternative %d of %d)", alts[i].String(), i+1, len(alts))
}

// matches collects, for one step, the alternatives that matched when a
// selector had several; the run page shows them beside the step.
type matches struct {
	mu   sync.Mutex
	seen []string
}

type matchesKey struct{}

func withMatches(ctx context.Context, m *matches) context.Context {
	return context.WithValue(ctx, matchesKey{}, m)
}

// noteMatch records that alternative i of sel matched.
func noteMatch(ctx context.Context, sel string, i int) {
	m, _ := ctx.Value(matchesKey{}).(*matches)
	what := matchedAlternative(sel, i)
	if m == nil || what == "" {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, s := range m.seen {
		if s == what {
			return
		}
	}
	m.seen = append(m.seen, what)
}

func (m *matches) String() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return strings.Join(m.seen, "; ")
}

// elementJS is a JS expression for the element a selector argument
// finds in root (an expression for a document), or null.
func elementJS(root, sel string) string {
	return fmt.Sprintf(`(%s)(%s, %s).el`, queryJS, root, jsString(sel))
}

// queryJS finds the elements of a selector argument in root. It tries the
// alternatives in order and takes the first whose first element is
// visible, else the first that finds any: {els, el, alt, error}, alt being
// the index of the alternative taken (-1 when none finds anything).
//
// aria/ parts are matched against a name and role computed in the page
// by a compact form of the accessible name computation, rather than by
// asking the browser's accessibility tree (Accessibility.queryAXTree):
// that needs the DOM and Accessibility domains enabled in the measured
// page (which a run keeps off, see lighten), one round trip per part and
// node, and cannot see into a same-origin iframe reached through its
// contentDocument, where a step's scope may be. One evaluation answers
// every alternative, with the visibility of what it found, at each poll.
const queryJS = `((root, sel) => {
  const out = {els: [], el: null, alt: -1, error: ""};
  if (!root) return out;
  let alts = [[sel]];
  if (sel.charCodeAt(0) === 0) { try { alts = JSON.parse(sel.slice(1)); } catch (e) { out.error = "bad selector list"; return out; } }
  const norm = s => String(s || "").replace(/\s+/g, " ").trim();
  const skip = new Set(["HEAD", "SCRIPT", "STYLE", "NOSCRIPT", "TEMPLATE"]);
  // Every element under r, through every shadow root, in document order.
  const deep = r => {
    const all = [];
    const walk = n => {
      for (const c of n.children || []) {
        if (skip.has(c.tagName)) continue;
        all.push(c);
        if (c.shadowRoot) walk(c.shadowRoot);
        walk(c);
      }
    };
    walk(r);
    return all;
  };
  const implicitRole = el => {
    const t = el.tagName, type = (el.getAttribute("type") || "text").toLowerCase();
    switch (t) {
      case "A": case "AREA": return el.hasAttribute("href") ? "link" : "";
      case "BUTTON": case "SUMMARY": return "button";
      case "SELECT": return el.multiple || el.size > 1 ? "listbox" : "combobox";
      case "TEXTAREA": return "textbox";
      case "OPTION": return "option";
      case "IMG": return el.getAttribute("alt") === "" ? "presentation" : "img";
      case "H1": case "H2": case "H3": case "H4": case "H5": case "H6": return "heading";
      case "NAV": return "navigation";
      case "MAIN": return "main";
      case "DIALOG": return "dialog";
      case "LI": return "listitem";
      case "UL": case "OL": return "list";
      case "FORM": return "form";
      case "INPUT":
        if (["button", "submit", "reset", "image"].includes(type)) return "button";
        if (type === "checkbox" || type === "radio") return type;
        if (type === "search") return "searchbox";
        if (type === "number") return "spinbutton";
        if (type === "range") return "slider";
        if (type === "hidden") return "";
        return "textbox";
    }
    return "";
  };
  const roleOf = el => norm(el.getAttribute("role")).split(" ")[0] || implicitRole(el);
  const fromContent = new Set(["button", "link", "heading", "checkbox", "radio", "option", "menuitem", "menuitemcheckbox", "menuitemradio", "tab", "cell", "columnheader", "rowheader", "switch", "tooltip", "treeitem"]);
  const nameOf = el => {
    const by = el.getAttribute("aria-labelledby");
    if (by) {
      const r = el.getRootNode();
      const n = norm(by.split(/\s+/).map(id => { const e = r.getElementById ? r.getElementById(id) : null; return e ? e.textContent : ""; }).join(" "));
      if (n) return n;
    }
    const label = norm(el.getAttribute("aria-label"));
    if (label) return label;
    const t = el.tagName, type = (el.getAttribute("type") || "").toLowerCase();
    if (t === "INPUT" && ["button", "submit", "reset"].includes(type)) return norm(el.value) || (type === "reset" ? "Reset" : type === "submit" ? "Submit" : "");
    if (t === "INPUT" && type === "image" || t === "IMG" || t === "AREA") { const a = norm(el.getAttribute("alt")); if (a) return a; }
    if (el.labels && el.labels.length) { const n = norm(Array.from(el.labels).map(l => l.textContent).join(" ")); if (n) return n; }
    if (fromContent.has(roleOf(el))) { const n = norm(el.textContent); if (n) return n; }
    const title = norm(el.getAttribute("title"));
    if (title) return title;
    if (t === "INPUT" || t === "TEXTAREA") return norm(el.getAttribute("placeholder"));
    return "";
  };
  const hidden = el => {
    for (let e = el; e; e = e.parentElement || (e.getRootNode() && e.getRootNode().host)) {
      if (e.getAttribute && e.getAttribute("aria-hidden") === "true") return true;
    }
    const s = el.ownerDocument.defaultView.getComputedStyle(el);
    return s.display === "none" || s.visibility === "hidden";
  };
  const ariaQuery = (r, body) => {
    const m = body.match(/^([\s\S]*?)(?:\[role="([^"]*)"\])?$/);
    const want = norm(m[1]), role = m[2] || "";
    return deep(r).filter(el => (!role || roleOf(el) === role) && (!want || nameOf(el) === want) && !hidden(el));
  };
  const textQuery = (r, body) => {
    const want = norm(body);
    const textOf = el => norm(el.tagName === "INPUT" || el.tagName === "TEXTAREA" ? el.value : el.textContent);
    const hits = new Set(deep(r).filter(el => textOf(el).includes(want)));
    // The deepest elements with the text: none of whose children has it.
    return Array.from(hits).filter(el => {
      const kids = Array.from(el.children).concat(el.shadowRoot ? Array.from(el.shadowRoot.children) : []);
      return !kids.some(k => hits.has(k));
    });
  };
  const xpathQuery = (r, expr) => {
    const doc = r.nodeType === 9 ? r : r.ownerDocument;
    const res = doc.evaluate(expr, r, null, XPathResult.ORDERED_NODE_SNAPSHOT_TYPE, null);
    const els = [];
    for (let i = 0; i < res.snapshotLength; i++) { const n = res.snapshotItem(i); els.push(n.nodeType === 1 ? n : n.parentElement); }
    return els.filter(Boolean);
  };
  const pierceQuery = (r, css) => {
    const els = Array.from(r.querySelectorAll(css));
    for (const el of deep(r)) if (el.shadowRoot) els.push(...el.shadowRoot.querySelectorAll(css));
    return els;
  };
  const query = (r, part) => {
    const p = /^(aria|text|xpath|pierce)\//.exec(part);
    const body = p ? part.slice(p[0].length) : part;
    switch (p ? p[1] : "css") {
      case "aria": return ariaQuery(r, body);
      case "text": return textQuery(r, body);
      case "xpath": return xpathQuery(r, body);
      case "pierce": return pierceQuery(r, body);
      default: return Array.from(r.querySelectorAll(body));
    }
  };
  const shown = el => {
    const s = el.ownerDocument.defaultView.getComputedStyle(el), b = el.getBoundingClientRect();
    return s.visibility !== "hidden" && s.display !== "none" && Number(s.opacity) !== 0 && b.width > 0 && b.height > 0;
  };
  let firstFound = null, errors = [];
  for (let i = 0; i < alts.length; i++) {
    const chain = alts[i];
    let roots = [root], els = [];
    try {
      for (let k = 0; k < chain.length; k++) {
        const found = [];
        for (const r of roots) found.push(...query(r, chain[k]));
        els = Array.from(new Set(found));
        if (k < chain.length - 1) roots = els.map(e => e.shadowRoot || e);
      }
    } catch (e) {
      errors.push(String(e.message || e));
      continue;
    }
    if (!els.length) continue;
    if (shown(els[0])) return Object.assign(out, {els, el: els[0], alt: i});
    if (!firstFound) firstFound = {els, el: els[0], alt: i};
  }
  if (firstFound) return Object.assign(out, firstFound);
  if (errors.length) out.error = errors.join("; ");
  return out;
})`

// waitActionable waits, as a customer does before pressing, until the
// element is visible, not covered, enabled and stable: at the same place
// at two polls in a row (not sliding in, not pushed down by content
// loading above it). It returns the element's last state.
func (s scope) waitActionable(ctx context.Context, sel string) (elementState, error) {
	var prev elementState
	polled, moved := false, false
	st, err := s.waitVisible(ctx, sel, true, func(st elementState) bool {
		still := polled && prev.Alt == st.Alt && math.Abs(prev.X-st.X) < 1 && math.Abs(prev.Y-st.Y) < 1
		moved = moved || polled && !still
		prev, polled = st, true
		return st.Covered == "" && !st.Disabled && still
	})
	// Only an element seen at two places moved: one the step's time ran
	// out on after a single look is a timeout like any other.
	var se *selectorError
	if errors.As(err, &se) && moved && se.state.Visible && se.state.Covered == "" && !se.state.Disabled {
		se.moving = true
	}
	return st, err
}
