package config

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// MaxTextLen is how many characters a journey name, step name, location or
// label value may have: each becomes a metric label value.
const MaxTextLen = 64

// TextProblem says why s cannot be a journey name, step name, location or
// label value, with what to write instead, or "". These all become label
// values and headings that people compare by eye, so two values must never
// look alike while being different: leading or trailing whitespace, text
// not in Unicode normal form NFC (such as "café" written with a combining
// accent), and control and format characters (tabs, zero-width spaces,
// bidi controls such as U+202E) are all rejected. An accepted value is
// therefore compared for duplicates exactly as written.
func TextProblem(s string) string {
	switch {
	case s == "":
		return "must not be empty"
	case !utf8.ValidString(s):
		return "must be valid UTF-8"
	}
	if t := strings.TrimFunc(s, unicode.IsSpace); t != s {
		return fmt.Sprintf("must not start or end with whitespace: write %q", t)
	}
	for i, r := range []rune(s) {
		switch {
		case unicode.In(r, unicode.Cc, unicode.Cf):
			return fmt.Sprintf("must not contain control or format characters (such as tabs, zero-width spaces or bidi controls), got %U at character %d: remove it", r, i+1)
		case !unicode.IsPrint(r):
			return fmt.Sprintf("must contain only printable characters, got %U at character %d: write an ordinary character instead", r, i+1)
		}
	}
	if !norm.NFC.IsNormalString(s) {
		return fmt.Sprintf("must be in Unicode normal form NFC, so that it cannot look like another value written differently: write %+q", norm.NFC.String(s))
	}
	if n := utf8.RuneCountInString(s); n > MaxTextLen {
		return fmt.Sprintf("must be at most %d characters, got %d", MaxTextLen, n)
	}
	return ""
}

// JourneyNameProblem is TextProblem for a journey's name, which also names
// the journey's page, /journeys/NAME: "." and ".." would never reach it.
func JourneyNameProblem(s string) string {
	if s == "." || s == ".." {
		return fmt.Sprintf("%q cannot be a journey name: its page /journeys/%s would never be reached; write a name such as \"storefront\"", s, s)
	}
	return TextProblem(s)
}

// TruncateRunes returns s cut to its first n characters (runes, never
// splitting one) followed by "…", or s itself when it is no longer. It is
// the one way touchprobe shortens text for messages and pages.
func TruncateRunes(s string, n int) string {
	if len(s) <= n || utf8.RuneCountInString(s) <= n {
		return s
	}
	i := 0
	for range n {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	return s[:i] + "…"
}
