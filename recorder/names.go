package recorder

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/touchprobe/touchprobe/config"
)

// touchpointWords decides a step's touchpoint from the path of the page it
// is on or leads to: the first entry whose word the path contains wins.
var touchpointWords = []struct {
	touchpoint string
	words      []string
}{
	{"chat", []string{"chat"}},
	{"checkout", []string{"checkout", "payment", "confirmation", "order"}},
	{"basket", []string{"basket", "cart"}},
	{"product", []string{"product"}},
	{"search", []string{"search"}},
	{"account", []string{"account", "login", "signin", "sign-in"}},
}

// TouchpointOf returns the touchpoint of a page: "landing" for the root of
// a site, the touchpoint whose word (product, basket or cart, checkout,
// payment, confirmation or order, chat, search, account or login) its path contains, else "other".
func TouchpointOf(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil || rawURL == "" {
		return config.DefaultTouchpoint
	}
	path := strings.ToLower(u.Path)
	if path == "" || path == "/" {
		return "landing"
	}
	for _, t := range touchpointWords {
		for _, w := range t.words {
			if strings.Contains(path, w) {
				return t.touchpoint
			}
		}
	}
	return config.DefaultTouchpoint
}

// pathOf is the path of a URL, for a navigation step's name.
func pathOf(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil || u.Path == "" {
		return "/"
	}
	return u.Path
}

// cleanName makes text usable as a step or journey name (config.TextProblem):
// one line, spaces collapsed, normal form NFC, at most config.MaxTextLen
// characters.
func cleanName(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.In(r, unicode.Cc, unicode.Cf) || !unicode.IsPrint(r) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, " "))
	s = norm.NFC.String(strings.Join(strings.Fields(s), " "))
	// A name becomes a label: the configuration fills no reference there.
	s = strings.ReplaceAll(s, "${", "$ {")
	if len([]rune(s)) > config.MaxTextLen {
		s = strings.TrimSpace(config.TruncateRunes(s, config.MaxTextLen-1))
	}
	if config.TextProblem(s) != "" {
		return ""
	}
	return s
}

// names hands out unique step names. A name handed out is in the map,
// with the last number tried for it as a wanted name ("x (3)" for "x"),
// so that the k-th step of one name does not try the k-1 names before.
type names map[string]int

func (n names) unique(want string) string {
	want = cleanName(want)
	if want == "" {
		want = "step"
	}
	name := want
	i := max(n[want], 1)
	for n[name] > 0 {
		i++
		suffix := fmt.Sprintf(" (%d)", i)
		base := []rune(want)
		if len(base)+len([]rune(suffix)) > config.MaxTextLen {
			base = base[:config.MaxTextLen-len([]rune(suffix))]
		}
		name = strings.TrimSpace(string(base)) + suffix
	}
	n[want] = max(n[want], i)
	n[name] = max(n[name], 1)
	return name
}

var notEnvChar = regexp.MustCompile(`[^A-Z0-9_]+`)

// envName turns a field's selector into an environment variable name:
// "#cc-number" becomes CC_NUMBER.
func envName(css, fallback string) string {
	s := css
	if i := strings.LastIndexAny(s, "#"); i >= 0 {
		s = s[i+1:]
	} else if m := regexp.MustCompile(`name=["']?([\w-]+)`).FindStringSubmatch(s); m != nil {
		s = m[1]
	} else {
		s = fallback
	}
	s = strings.Trim(notEnvChar.ReplaceAllString(strings.ToUpper(s), "_"), "_")
	if s == "" {
		s = strings.ToUpper(fallback)
	}
	if s[0] >= '0' && s[0] <= '9' {
		s = "_" + s
	}
	return s
}
