package recorder

import (
	"encoding/json"
	"fmt"
	"regexp"
)

// The waitForExpression steps that Export writes for what a Recorder step
// cannot say otherwise, and that Import reads back. Any other expression
// is JavaScript that touchprobe does not run.
const (
	// expectJS: the step before must end with the element showing text.
	expectJS = `((el) => !!el && el.innerText.includes(%s))(document.querySelector(%s))`
	// assertJS: an assert step with selector and text.
	assertJS = `(document.querySelector(%s)?.innerText ?? "").includes(%s)`
	// waitForJS: the step before must end with the element showing. It is
	// an expression rather than a waitForElement because Puppeteer runs an
	// expression again in the page a click navigates to, where a
	// waitForElement fails once the page it started in is gone.
	waitForJS = `((el) => !!el && el.getClientRects().length > 0)(document.querySelector(%s))`
	// urlJS: an assert step with url_matches.
	urlJS = `new RegExp(%s).test(location.href)`
)

const jsonString = `("(?:[^"\\]|\\.)*")`

var (
	expectRE  = regexp.MustCompile(`^` + regexp.QuoteMeta(`((el) => !!el && el.innerText.includes(`) + jsonString + regexp.QuoteMeta(`))(document.querySelector(`) + jsonString + regexp.QuoteMeta(`))`) + `$`)
	assertRE  = regexp.MustCompile(`^` + regexp.QuoteMeta(`(document.querySelector(`) + jsonString + regexp.QuoteMeta(`)?.innerText ?? "").includes(`) + jsonString + regexp.QuoteMeta(`)`) + `$`)
	waitForRE = regexp.MustCompile(`^` + regexp.QuoteMeta(`((el) => !!el && el.getClientRects().length > 0)(document.querySelector(`) + jsonString + regexp.QuoteMeta(`))`) + `$`)
	urlRE     = regexp.MustCompile(`^` + regexp.QuoteMeta(`new RegExp(`) + jsonString + regexp.QuoteMeta(`).test(location.href)`) + `$`)
)

type expression struct {
	waitFor    bool
	expect     bool
	selector   string
	text       string
	urlMatches string
}

func js(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func (e expression) String() string {
	switch {
	case e.waitFor:
		return fmt.Sprintf(waitForJS, js(e.selector))
	case e.urlMatches != "":
		return fmt.Sprintf(urlJS, js(e.urlMatches))
	case e.expect:
		return fmt.Sprintf(expectJS, js(e.text), js(e.selector))
	}
	return fmt.Sprintf(assertJS, js(e.selector), js(e.text))
}

func parseExpression(src string) (expression, bool) {
	unq := func(lit string) (string, bool) {
		var s string
		return s, json.Unmarshal([]byte(lit), &s) == nil
	}
	if m := expectRE.FindStringSubmatch(src); m != nil {
		text, ok1 := unq(m[1])
		sel, ok2 := unq(m[2])
		return expression{expect: true, selector: sel, text: text}, ok1 && ok2 && sel != ""
	}
	if m := waitForRE.FindStringSubmatch(src); m != nil {
		sel, ok := unq(m[1])
		return expression{waitFor: true, selector: sel}, ok && sel != ""
	}
	if m := assertRE.FindStringSubmatch(src); m != nil {
		sel, ok1 := unq(m[1])
		text, ok2 := unq(m[2])
		return expression{selector: sel, text: text}, ok1 && ok2 && sel != "" && text != ""
	}
	if m := urlRE.FindStringSubmatch(src); m != nil {
		re, ok := unq(m[1])
		return expression{urlMatches: re}, ok && re != ""
	}
	return expression{}, false
}
