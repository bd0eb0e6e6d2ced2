package recorder

import (
	"regexp"
	"strings"

	"github.com/touchprobe/touchprobe/config"
)

// Selector is one alternative of a step's selectors: a chain of one or
// more parts, the last selecting the element and each earlier one an
// ancestor (whose shadow root the next part searches, when it has one).
// A selector written as a plain string is a chain of one part.
type Selector []string

// SelectorKind says how a selector part is read, from its prefix; the
// rule is config's, which runs the selectors.
type SelectorKind = config.SelectorKind

// The kinds of selector part: plain CSS has no prefix.
const (
	CSS    = config.SelectorCSS
	ARIA   = config.SelectorARIA   // aria/Name or aria/Name[role="button"]
	Text   = config.SelectorText   // text/Visible text
	XPath  = config.SelectorXPath  // xpath///*[@id="x"]
	Pierce = config.SelectorPierce // pierce/CSS through every shadow root
)

// KindOf returns the kind of one selector part and the part without its
// prefix.
func KindOf(part string) (SelectorKind, string) { return config.SelectorKindOf(part) }

// CSS returns the selector as one plain CSS selector, when it is one: a
// chain of a single part without a prefix.
func (s Selector) CSS() (string, bool) {
	if len(s) != 1 {
		return "", false
	}
	if k, css := KindOf(s[0]); k == CSS && strings.TrimSpace(css) != "" {
		return css, true
	}
	return "", false
}

// String writes the selector as a person reads it: the parts of a chain
// joined by " >> ".
func (s Selector) String() string { return strings.Join(s, " >> ") }

// FirstSingle returns the first alternative that is plain CSS, else the
// first of a single part: what a key holding one selector (a field of a
// fill step, wait_for) can take.
func FirstSingle(alts []Selector) (string, bool) {
	if css, ok := FirstCSS(alts); ok {
		return css, true
	}
	for _, a := range alts {
		if len(a) == 1 && config.SelectorProblem(a[0]) == "" {
			return a[0], true
		}
	}
	return "", false
}

// FirstCSS returns the first alternative that is plain CSS.
func FirstCSS(alts []Selector) (string, bool) {
	for _, a := range alts {
		if css, ok := a.CSS(); ok {
			return css, true
		}
	}
	return "", false
}

var ariaRole = regexp.MustCompile(`\[role="[^"]*"\]$`)

// Label returns the name a person would give the element: the accessible
// name of the first aria/ alternative, else the text of the first text/
// one, else "".
func Label(alts []Selector) string {
	for _, want := range []SelectorKind{ARIA, Text} {
		for _, a := range alts {
			if len(a) == 0 {
				continue
			}
			if k, rest := KindOf(a[len(a)-1]); k == want {
				if want == ARIA {
					rest = ariaRole.ReplaceAllString(rest, "")
				}
				if rest = strings.Join(strings.Fields(rest), " "); rest != "" {
					return rest
				}
			}
		}
	}
	return ""
}

// sameElement reports whether two lists of alternatives share one, as the
// click on a field and the change of its value do.
func sameElement(a, b []Selector) bool {
	for _, x := range a {
		for _, y := range b {
			if x.String() == y.String() {
				return true
			}
		}
	}
	return false
}
