package config

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Selector is one way to find an element: a chain of one or more parts,
// the last selecting the element and each earlier one an ancestor whose
// shadow root (or, without one, whose subtree) the next part searches. A
// selector written as a plain string is a chain of one part. This is the
// shape of one entry of a Chrome Recorder step's selectors.
type Selector []string

// SelectorKind says how a selector part is read, from its prefix.
type SelectorKind string

// The kinds of selector part. Plain CSS has no prefix.
const (
	SelectorCSS    SelectorKind = "css"
	SelectorARIA   SelectorKind = "aria"   // aria/Name or aria/Name[role="button"]
	SelectorText   SelectorKind = "text"   // text/Visible text
	SelectorXPath  SelectorKind = "xpath"  // xpath///*[@id="x"]
	SelectorPierce SelectorKind = "pierce" // pierce/CSS through every shadow root
)

var selectorPrefixes = []SelectorKind{SelectorARIA, SelectorText, SelectorXPath, SelectorPierce}

// SelectorKindOf returns the kind of one selector part and the part
// without its prefix. No CSS selector starts with one of the prefixes (a
// "/" cannot follow a type selector), so plain CSS is never misread.
func SelectorKindOf(part string) (SelectorKind, string) {
	for _, k := range selectorPrefixes {
		if rest, ok := strings.CutPrefix(part, string(k)+"/"); ok {
			return k, rest
		}
	}
	return SelectorCSS, part
}

// ariaSelector is the body of an aria/ part: an accessible name, then
// optionally the role in the form the Recorder writes it.
var ariaSelector = regexp.MustCompile(`^(.*?)(?:\[role="([^"]*)"\])?$`)

// ARIAParts splits the body of an aria/ part into the accessible name and
// the role ("" when none is given).
func ARIAParts(body string) (name, role string) {
	m := ariaSelector.FindStringSubmatch(body)
	if m == nil {
		return body, ""
	}
	return m[1], m[2]
}

// SelectorProblem says what is wrong with one selector part, or "". It is
// the one rule for every key that holds a selector, and for every part of
// every alternative of selectors.
func SelectorProblem(part string) string {
	if strings.TrimSpace(part) == "" {
		return `must not be empty or only whitespace: write a CSS selector such as "#basket-count"`
	}
	kind, rest := SelectorKindOf(part)
	if kind == SelectorCSS {
		return ""
	}
	if strings.TrimSpace(rest) == "" {
		return fmt.Sprintf("%q says nothing after %s/: write %s", part, kind, selectorExample[kind])
	}
	if kind == SelectorARIA {
		if name, role := ARIAParts(rest); strings.TrimSpace(name) == "" && role == "" {
			return fmt.Sprintf("%q names no accessible name: write %s", part, selectorExample[kind])
		}
	}
	return ""
}

var selectorExample = map[SelectorKind]string{
	SelectorARIA:   `the accessible name, such as "aria/Add to basket" or "aria/Add to basket[role=\"button\"]"`,
	SelectorText:   `the text the element shows, such as "text/Add to basket"`,
	SelectorXPath:  `an XPath expression, such as "xpath///button[@id=\"buy\"]"`,
	SelectorPierce: `a CSS selector, such as "pierce/#buy"`,
}

// MainTarget is the target of a step in the journey's own page.
const MainTarget = "main"

// Frames is a step's frame key: the selectors of the frames the step runs
// in, outermost first, as the Recorder's frame path [i, j] enters frame
// i, then frame j inside it; nil for a step in the page. The key is
// written as one string, split by FramePath ("#outer >> #inner") once its
// references are filled in, or as an array of strings, each one frame's
// selector taken as is.
type Frames []string

// FramePath reads a frame key written as one string by the rule of
// splitChain, which fields keys follow too: "#outer >> #inner" is two
// frames, "aria/Chat >> support" one. nil for "".
func FramePath(frame string) []string {
	if frame == "" {
		return nil
	}
	return splitChain(frame)
}

// String writes the frames as a person reads them, joined by " >> ".
func (f Frames) String() string { return strings.Join(f, chainSeparator) }

// OneString returns the frames written as one string, and whether that
// string reads back to the same frames (see FramePath): when it does not
// (an aria/ or text/ frame with a frame inside it, a selector holding
// " >> "), the key must be written as an array.
func (f Frames) OneString() (string, bool) {
	s := f.String()
	return s, len(f) > 0 && slices.Equal(FramePath(s), f)
}

// String writes the selector as a person reads it: the parts of a chain
// joined by " >> ".
func (s Selector) String() string { return strings.Join(s, chainSeparator) }

// chainSeparator joins the parts of a selector chain, or the frames of a
// frame path, written as one string: no CSS selector has ">>" in it
// outside a quoted attribute value.
const chainSeparator = " >> "

// FieldSelector reads a key of a fill step's fields: a selector, or a
// chain of them written as Selector.String writes it ("my-app >> #q": the
// field #q inside my-app's shadow root), as a field known only that way is
// imported. It is split by splitChain.
func FieldSelector(key string) Selector { return splitChain(key) }

// splitChain is the one rule for a key that holds several selectors
// written as one string, a chain of them (a fields key) or a path of
// frames (a frame key): they are split at " >> " and trimmed. An aria/ or
// text/ part names its element by text, which may hold " >> "
// ("aria/Next >> page"): the rest of the key is that part's (see
// textPart).
func splitChain(key string) []string {
	var parts []string
	rest := key
	for {
		part, after, found := strings.Cut(rest, chainSeparator)
		if !found || textPart(strings.TrimSpace(part)) {
			return append(parts, strings.TrimSpace(rest))
		}
		parts = append(parts, strings.TrimSpace(part))
		rest = after
	}
}

// textPart reports whether a selector part names its element by free
// text, " >> " included: an aria/ or text/ part. In a chain written as
// one string, it is the last part.
func textPart(part string) bool {
	kind, _ := SelectorKindOf(part)
	return kind == SelectorARIA || kind == SelectorText
}

// Alternatives returns the step's selectors tried in order: those of
// selectors, or the one selector. It is nil when the step has neither.
func (s *Step) Alternatives() []Selector {
	if len(s.Selectors) > 0 {
		return s.Selectors
	}
	if s.Selector != "" {
		return []Selector{{s.Selector}}
	}
	return nil
}

// selectorsProblems checks the alternatives of selectors, each part by
// SelectorProblem.
func selectorsProblems(alts []Selector) []string {
	var out []string
	if len(alts) == 0 {
		return []string{`no alternatives: write at least one selector, such as selectors = ["#buy", "aria/Buy now"]`}
	}
	for i, a := range alts {
		if len(a) == 0 {
			out = append(out, fmt.Sprintf(`alternative #%d is an empty array: write a selector, or an array of the selectors of an element's ancestors, such as ["#widget", "button.send"]`, i+1))
			continue
		}
		for _, part := range a {
			if p := SelectorProblem(part); p != "" {
				out = append(out, fmt.Sprintf("alternative #%d: %s", i+1, p))
			}
			if strings.Contains(part, "${") {
				out = append(out, fmt.Sprintf("alternative #%d: references such as ${env:NAME} are not filled in selectors: write the selector itself", i+1))
			}
		}
	}
	return out
}

// decodeSelectors reads the TOML value of selectors: an array whose
// entries are strings or arrays of strings.
func decodeSelectors(v any) ([]Selector, string) {
	const want = `expected an array of selectors, each a string or an array of strings, such as selectors = ["#buy", "aria/Buy now", ["#widget", "button.send"]]`
	list, ok := v.([]any)
	if !ok {
		return nil, want + ", got " + describe(v)
	}
	out := make([]Selector, 0, len(list))
	var problems []string
	for i, e := range list {
		switch e := e.(type) {
		case string:
			out = append(out, Selector{e})
		case []any:
			chain := make(Selector, 0, len(e))
			for k, p := range e {
				s, ok := p.(string)
				if !ok {
					problems = append(problems, fmt.Sprintf("alternative #%d, part #%d: expected a string in quotes, got %s", i+1, k+1, describe(p)))
					continue
				}
				chain = append(chain, s)
			}
			out = append(out, chain)
		default:
			problems = append(problems, fmt.Sprintf("alternative #%d: expected a string or an array of strings, got %s", i+1, describe(e)))
		}
	}
	if len(problems) > 0 {
		return nil, strings.Join(problems, "; ")
	}
	return out, ""
}

// framesWant says how the frame key is written.
const framesWant = `the selector of a frame in quotes, or an array of them outermost first, such as frame = "iframe#chat" or frame = ["aria/Chat >> support", "#inner"]`

// decodeFrames reads the TOML value of frame: a string, kept whole until
// its references are filled in and then split by FramePath (see
// splitJoined), or an array of strings, each one frame's selector as is.
func decodeFrames(v any) (Frames, string) {
	switch v := v.(type) {
	case string:
		return Frames{v}, ""
	case []any:
		out := make(Frames, 0, len(v))
		var problems []string
		for i, e := range v {
			s, ok := e.(string)
			if !ok {
				problems = append(problems, fmt.Sprintf(`entry #%d: expected a frame's selector in quotes, got %s: write each frame as a string, outermost first, such as frame = ["aria/Chat >> support", "#inner"]`, i+1, describe(e)))
				continue
			}
			out = append(out, s)
		}
		if len(problems) > 0 {
			return nil, strings.Join(problems, "; ")
		}
		return out, ""
	default:
		return nil, "expected " + framesWant + ", got " + describe(v)
	}
}

// splitJoined splits a frame key written as one string, whole until its
// references were filled in, into its frames.
func splitJoined(f Frames) Frames {
	if len(f) != 1 {
		return f
	}
	return Frames(FramePath(f[0]))
}

// framesProblems checks the frames of a frame key, each by
// SelectorProblem. shown is the frames as the file wrote them, and key
// the whole key so, which the messages quote.
func framesProblems(f, shown Frames, key string) []string {
	if len(f) == 0 {
		return []string{`no frame: write the selector of the iframe the step runs in, such as frame = "iframe#chat", or the selectors of nested frames, outermost first, such as frame = ["aria/Chat >> support", "#inner"]; or leave frame out for a step in the page`}
	}
	var out []string
	for i, part := range f {
		if SelectorProblem(part) == "" {
			continue
		}
		p := SelectorProblem(shown[i])
		if p == "" { // a reference filled in with nothing
			p = SelectorProblem(part)
		}
		if len(f) == 1 {
			out = append(out, p)
			continue
		}
		out = append(out, fmt.Sprintf("frame #%d of %s: %s", i+1, key, p))
	}
	return out
}

// Key writes the frames for a message as the frame key would hold them:
// one string in quotes where that reads back to the same frames (see
// OneString), else an array of them.
func (f Frames) Key() string {
	if s, ok := f.OneString(); ok {
		return fmt.Sprintf("%q", s)
	}
	return framesList(f)
}

// framesList writes frames in the array form of the frame key.
func framesList(f Frames) string {
	quoted := make([]string, len(f))
	for i, s := range f {
		quoted[i] = fmt.Sprintf("%q", s)
	}
	return "[" + strings.Join(quoted, ", ") + "]"
}
