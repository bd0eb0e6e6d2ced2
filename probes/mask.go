package probes

import (
	"html"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/touchprobe/touchprobe/config"
)

// A secret reaches the evidence in whatever form the page, the browser or
// a server wrote it: Chromium's HTML serialiser writes &quot; &amp; &lt;
// &gt; and &nbsp; into page.html, servers write &#34; or &#39;, JSON
// bodies \u003c or \", URLs %22 or +. Config's Mask knows the raw value
// and its plain URL and HTML escapes. maskEncoded also decodes the text
// (entities, JSON escapes, percent-encoding, and one of them inside
// another), and where a decoded stretch holds a secret, masks the stretch
// of the original text it came from. The text around it keeps its
// encoding.

// decoder decodes text, saying for every byte of the result which bytes of
// the input it came from.
type decoder struct {
	// trigger is the byte every encoded sequence starts with: text
	// without any has nothing to decode.
	trigger string
	// next decodes the sequence at s[i] (which holds a trigger byte): it
	// returns the decoded bytes and the length of the sequence, or n = 0
	// when s[i] starts none.
	next func(s string, i int) (dec string, n int)
}

var (
	htmlDecoder = decoder{trigger: "&", next: func(s string, i int) (string, int) {
		j := i + 1
		for j < len(s) && j-i < 40 && (isAlnum(s[j]) || s[j] == '#') {
			j++
		}
		if j < len(s) && s[j] == ';' {
			j++
		}
		if j == i+1 {
			return "", 0
		}
		if d := html.UnescapeString(s[i:j]); d != s[i:j] {
			return d, j - i
		}
		return "", 0
	}}
	jsonDecoder = decoder{trigger: `\`, next: func(s string, i int) (string, int) {
		if i+1 >= len(s) {
			return "", 0
		}
		switch c := s[i+1]; c {
		case '"', '\\', '/', '\'':
			return string(c), 2
		case 'b':
			return "\b", 2
		case 'f':
			return "\f", 2
		case 'n':
			return "\n", 2
		case 'r':
			return "\r", 2
		case 't':
			return "\t", 2
		case 'x':
			if v, ok := hexValue(s, i+2, 2); ok {
				return string(rune(v)), 4
			}
		case 'u':
			v, ok := hexValue(s, i+2, 4)
			if !ok {
				return "", 0
			}
			r := rune(v)
			if utf16.IsSurrogate(r) {
				if i+12 <= len(s) && s[i+6] == '\\' && s[i+7] == 'u' {
					if lo, ok := hexValue(s, i+8, 4); ok {
						if p := utf16.DecodeRune(r, rune(lo)); p != utf8.RuneError {
							return string(p), 12
						}
					}
				}
				return string(utf8.RuneError), 6
			}
			return string(r), 6
		}
		return "", 0
	}}
	urlDecoder     = percentDecoder(false)
	urlPlusDecoder = percentDecoder(true)
)

// percentDecoder decodes %XX, and with plus also + as a space (a form or
// a query string).
func percentDecoder(plus bool) decoder {
	trigger := "%"
	if plus {
		trigger = "%+"
	}
	return decoder{trigger: trigger, next: func(s string, i int) (string, int) {
		if s[i] == '+' {
			return " ", 1
		}
		if v, ok := hexValue(s, i+1, 2); ok {
			return string([]byte{byte(v)}), 3
		}
		return "", 0
	}}
}

// maskChains are the encodings tried, the outer one first: each alone,
// and each inside another (JSON in an HTML attribute, a URL in JSON).
var maskChains = func() [][]decoder {
	all := []decoder{htmlDecoder, jsonDecoder, urlPlusDecoder, urlDecoder}
	var out [][]decoder
	for _, d := range all {
		out = append(out, []decoder{d})
	}
	for a := range all {
		for b := range all {
			if a != b && !(a >= 2 && b >= 2) {
				out = append(out, []decoder{all[a], all[b]})
			}
		}
	}
	return out
}()

// maxMaskRounds bounds how often the chains are run again over text that
// changed: each round masks at least one secret.
const maxMaskRounds = 8

// maskEncoded masks the secrets in s in every form maskChains decode.
func maskEncoded(secrets *config.Secrets, s string) string {
	m := secrets.Mask(s)
	if secrets.Values() == 0 {
		return m
	}
	for range maxMaskRounds {
		changed := false
		for _, chain := range maskChains {
			if !strings.ContainsAny(m, chain[0].trigger) {
				continue
			}
			// Decode without positions first: most text holds no
			// secret in any form, and positions cost memory.
			d, ok := decodeText(chain, m)
			if !ok || secrets.Mask(d) == d {
				continue
			}
			if masked := maskDecoded(secrets, chain, m); masked != m {
				m, changed = masked, true
			}
		}
		if !changed {
			break
		}
	}
	return m
}

// decodeText decodes s through chain; ok is false when nothing decoded.
func decodeText(chain []decoder, s string) (string, bool) {
	decodedAny := false
	for _, d := range chain {
		out, _, _, any := decode(d, s, false)
		if !any {
			continue
		}
		s, decodedAny = out, true
	}
	return s, decodedAny
}

// decode decodes s with d. With spans, starts[k] and ends[k] are the bytes
// of s that byte k of the result came from.
func decode(d decoder, s string, spans bool) (out string, starts, ends []int32, any bool) {
	var b strings.Builder
	b.Grow(len(s))
	if spans {
		starts, ends = make([]int32, 0, len(s)), make([]int32, 0, len(s))
	}
	for i := 0; i < len(s); {
		if strings.IndexByte(d.trigger, s[i]) >= 0 {
			if dec, n := d.next(s, i); n > 0 {
				b.WriteString(dec)
				if spans {
					for range len(dec) {
						starts, ends = append(starts, int32(i)), append(ends, int32(i+n))
					}
				}
				i += n
				any = true
				continue
			}
		}
		b.WriteByte(s[i])
		if spans {
			starts, ends = append(starts, int32(i)), append(ends, int32(i+1))
		}
		i++
	}
	return b.String(), starts, ends, any
}

// maskDecoded replaces the stretches of s whose decoding through chain
// holds a secret.
func maskDecoded(secrets *config.Secrets, chain []decoder, s string) string {
	// Decode keeping, for every decoded byte, the stretch of s it came
	// from.
	text := s
	var starts, ends []int32
	for _, d := range chain {
		out, st, en, _ := decode(d, text, true)
		if starts != nil {
			for k := range st {
				st[k], en[k] = starts[st[k]], ends[en[k]-1]
			}
		}
		text, starts, ends = out, st, en
	}
	var b strings.Builder
	last := 0
	for _, sp := range secretSpans(secrets, text) {
		from, to := int(starts[sp[0]]), int(ends[sp[1]-1])
		if from < last {
			from = last
		}
		if to <= from {
			continue
		}
		b.WriteString(s[last:from])
		b.WriteString(config.Masked)
		last = to
	}
	b.WriteString(s[last:])
	return b.String()
}

// secretSpans finds where secrets are in text, asking Mask only (the
// values are not exposed): the shortest stretch from pos that holds one
// ends the first occurrence, the shortest end of that stretch starts it.
// The stretch grows by doubling, so that finding every occurrence costs
// about n log n, however many there are.
func secretSpans(secrets *config.Secrets, text string) [][2]int {
	holds := func(a, b int) bool { return secrets.Mask(text[a:b]) != text[a:b] }
	var spans [][2]int
	for pos := 0; pos < len(text); {
		// Grow a window until it holds a secret.
		lo, hi := pos, min(pos+64, len(text))
		for !holds(pos, hi) {
			if hi == len(text) {
				return spans
			}
			lo, hi = hi, min(pos+2*(hi-pos), len(text))
		}
		// Narrow its end: the smallest end with holds(pos, end).
		for lo < hi {
			mid := (lo + hi) / 2
			if holds(pos, mid) {
				hi = mid
			} else {
				lo = mid + 1
			}
		}
		end := hi
		// Narrow its start: the largest start with holds(start, end).
		lo, hi = pos, end-1
		for lo < hi {
			mid := (lo + hi + 1) / 2
			if holds(mid, end) {
				lo = mid
			} else {
				hi = mid - 1
			}
		}
		spans = append(spans, [2]int{lo, end})
		pos = end
	}
	return spans
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// hexValue reads n hex digits of s at i.
func hexValue(s string, i, n int) (int, bool) {
	if i+n > len(s) {
		return 0, false
	}
	v := 0
	for _, c := range []byte(s[i : i+n]) {
		switch {
		case c >= '0' && c <= '9':
			v = v*16 + int(c-'0')
		case c >= 'a' && c <= 'f':
			v = v*16 + int(c-'a'+10)
		case c >= 'A' && c <= 'F':
			v = v*16 + int(c-'A'+10)
		default:
			return 0, false
		}
	}
	return v, true
}
