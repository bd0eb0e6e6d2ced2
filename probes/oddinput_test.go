package probes_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/touchprobe/touchprobe/probes"
)

// oddPage has ids, attributes and texts with quotes, backslashes, unicode,
// colons and template-like text, as real shops have.
const oddPage = `<!doctype html><meta charset="utf-8"><title>odd</title>
<button id="buy &quot;now&quot;" onclick="document.getElementById('名前').textContent = 'Kjøpt «1» 🛒'">Kjøp</button>
<span id="名前">ingenting</span>
<p id="a:b">He said "hi" \ and 'bye' ${price} ` + "`x`" + ` &lt;/script&gt;</p>
<input name="e-mail" oninput="document.getElementById('echo').textContent = this.value">
<output id="echo"></output>
<div data-x='a "b" c'>here</div>
<select id="größe"><option value="s">S</option><option value="l">L «groß»</option></select>
<p id="chosen"></p>
<script>document.getElementById("größe").addEventListener("change", e => document.getElementById("chosen").textContent = "size=" + e.target.value)</script>`

// TestOddSelectorsAndTexts: selectors and expected texts with quotes,
// backslashes, unicode and characters that mean something in CSS, JS or
// TOML reach the page unchanged and work.
func TestOddSelectorsAndTexts(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, oddPage)
	}))
	t.Cleanup(srv.Close)
	cfg := parse(t, `[[journey]]
name = "Ünïcødé «journey» 🛒"
timeout = "60s"
  [[journey.step]]
  name = "open"
  action = "navigate"
  url = "`+srv.URL+`/?q=%C3%A6%C3%B8%C3%A5&x=%22"
  [[journey.step]]
  name = "klikk på «Kjøp»"
  action = "click"
  selector = "[id='buy \"now\"']"
  expect = { selector = "#名前", text = "Kjøpt «1» 🛒" }
  [[journey.step]]
  name = "quotes and backslash"
  action = "assert"
  selector = '#a\:b'
  text = "He said \"hi\" \\ and 'bye' $${price} `+"`x`"+` </script>"
  [[journey.step]]
  name = "type odd text"
  action = "fill"
  fields = { 'input[name="e-mail"]' = "ø \"q\" ' 名 \\ $${x}" }
  [[journey.step]]
  name = "echo"
  action = "assert"
  selector = "#echo"
  text = "ø \"q\" ' 名 \\ $${x}"
  [[journey.step]]
  name = "attribute with quotes"
  action = "wait"
  selector = "div[data-x='a \"b\" c']"
  [[journey.step]]
  name = "choose by label"
  action = "select"
  selector = "select#größe"
  value = "L «groß»"
  [[journey.step]]
  name = "chosen"
  action = "assert"
  selector = "#chosen"
  text = "size=l"
`)
	r := runJourney(t, cfg, "Ünïcødé «journey» 🛒")
	if r.Status != probes.StatusSuccess {
		t.Fatalf("journey with odd selectors and texts failed:\n%s", describe(r))
	}
}
