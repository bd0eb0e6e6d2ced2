package probes

import (
	"encoding/json"
	"fmt"
	"html"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/touchprobe/touchprobe/config"
)

// serialiseText writes s as Chromium's HTML serialiser writes a text node.
func serialiseText(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "\u00a0", "&nbsp;").Replace(s)
}

// serialiseAttr writes s as Chromium's HTML serialiser writes an attribute
// value (newer versions also escape < and >).
func serialiseAttr(s string, angles bool) string {
	pairs := []string{"&", "&amp;", `"`, "&quot;", "\u00a0", "&nbsp;"}
	if angles {
		pairs = append(pairs, "<", "&lt;", ">", "&gt;")
	}
	return strings.NewReplacer(pairs...).Replace(s)
}

// numericEntities writes every rune of s as &#N; (hex: &#xN;), but for
// the C1 controls, which HTML reads as Windows-1252 in that form: they
// are written as they are.
func numericEntities(s string, hex bool) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 0x80 && r <= 0x9f:
			b.WriteRune(r)
		case hex:
			fmt.Fprintf(&b, "&#x%X;", r)
		default:
			fmt.Fprintf(&b, "&#%d;", r)
		}
	}
	return b.String()
}

// jsonGo is JSON as Go writes it (<, > and & as \u003c...).
func jsonGo(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// jsonJS is JSON as JavaScript's JSON.stringify writes it.
func jsonJS(s string) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return strings.TrimSuffix(b.String(), "\n")
}

// encodeURIComponent is JavaScript's: a space is %20, and !'()* stay.
func encodeURIComponent(s string) string {
	e := strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
	return strings.NewReplacer("%21", "!", "%27", "'", "%28", "(", "%29", ")", "%2A", "*").Replace(e)
}

// encodedForms are the forms a secret takes in evidence: as typed, as the
// browser serialises a page, as servers and scripts write HTML, JSON and
// URLs, and one inside another.
func encodedForms(s string) map[string]string {
	return map[string]string{
		"raw":                   s,
		"html text":             serialiseText(s),
		"html attribute":        serialiseAttr(s, false),
		"html attribute angles": serialiseAttr(s, true),
		"html.EscapeString":     html.EscapeString(s),
		"decimal entities":      numericEntities(s, false),
		"hex entities":          numericEntities(s, true),
		"json go":               jsonGo(s),
		"json js":               jsonJS(s),
		"query":                 url.QueryEscape(s),
		"path":                  url.PathEscape(s),
		"encodeURIComponent":    encodeURIComponent(s),
		"json in attribute":     serialiseAttr(jsonJS(s), false),
		"json in text":          serialiseText(jsonGo(s)),
		"query in json":         jsonGo(url.QueryEscape(s)),
		"json in query":         url.QueryEscape(jsonJS(s)),
		"attribute in json":     jsonJS(serialiseAttr(s, true)),
	}
}

// secretsOf returns Secrets that mask secret, or nil when config does not
// take it as a secret.
func secretsOf(t *testing.T, secret string) *config.Secrets {
	t.Setenv("TP_MASK_SECRET", secret)
	cfg, err := config.Parse([]byte(`[[journey]]
name = "j"
  [[journey.step]]
  name = "s"
  action = "fill"
  [journey.step.fields]
  "#f" = "${env:TP_MASK_SECRET}"
`), "mask_test.toml")
	if err != nil || cfg.Secrets().Values() != 1 {
		t.Logf("config does not take %q as a secret: %v", secret, err)
		return nil
	}
	return cfg.Secrets()
}

// FuzzMaskEncodedForms: whatever HTML, URL or JSON special characters a
// secret holds, no encoded form of it survives masking, whether alone or
// among other text.
func FuzzMaskEncodedForms(f *testing.F) {
	for _, seed := range []string{
		`p"w<&'d`, `a"b`, `<script>`, `x&y=z`, `100%`, `a+b c`, "tab\there", `back\slash`,
		`{"k":"v"}`, "non\u00a0breaking", `'single'`, `&amp;`, `%41%42`, "émoji 😀", `</p><p x="1">`, "a\u2028line",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, secret string) {
		if len(secret) < 3 || len(secret) > 64 || !utf8.ValidString(secret) || strings.ContainsAny(secret, "\x00\r\n") ||
			strings.TrimSpace(secret) != secret || strings.Contains(config.Masked, secret) {
			t.Skip("not a secret a config holds")
		}
		secrets := secretsOf(t, secret)
		if secrets == nil {
			t.Skip("config does not take it as a secret")
		}
		mask := deepMask(secrets)
		forms := encodedForms(secret)
		for name, form := range forms {
			for _, text := range []string{form, "before " + form + " after", `<p title="` + form + `">` + form + "</p>"} {
				out := mask(text)
				// What Masked writes cannot leak: look at the rest.
				rest := strings.ReplaceAll(out, config.Masked, "\x00")
				for other, f := range forms {
					if strings.Contains(rest, f) {
						t.Errorf("secret %q written as %s: masked %q still holds its %s form %q", secret, name, out, other, f)
					}
				}
			}
		}
	})
}

// Text around a secret keeps its encoding; only the secret goes.
func TestMaskEncodedKeepsTheRest(t *testing.T) {
	secrets := secretsOf(t, `p"w<&'d`)
	if secrets == nil {
		t.Fatal("no secrets")
	}
	mask := deepMask(secrets)
	for in, want := range map[string]string{
		`<p title="p&quot;w<&amp;'d">&amp; p"w&lt;&amp;'d &lt;b&gt;</p>`: `<p title="` + config.Masked + `">&amp; ` + config.Masked + ` &lt;b&gt;</p>`,
		`{"q":"p\"w\u003c\u0026'd","n":"a\u0026b"}`:                      `{"q":"` + config.Masked + `","n":"a\u0026b"}`,
		`/api?q=p%22w%3C%26%27d&x=a%26b`:                                 `/api?q=` + config.Masked + `&x=a%26b`,
		`no secret &amp; here`:                                           `no secret &amp; here`,
	} {
		if got := mask(in); got != want {
			t.Errorf("mask(%q)\n = %q\nwant %q", in, got, want)
		}
	}
	// A page that shows the secret many times has every one masked.
	many := mask(strings.Repeat(`<i title="p&quot;w&lt;&amp;'d">x</i> `, 2000))
	if n := strings.Count(many, config.Masked); n != 2000 || strings.Contains(many, "&quot;w") {
		t.Errorf("a page with the secret 2000 times: %d masked", n)
	}
}
