package recorder

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/touchprobe/touchprobe/config"
)

// TestExportMasksSecrets: a secret filled into any key of a step is written
// as <secret> in the exported recording, whatever Recorder key it ends up
// in (selectors, key, target, an expression), and a note says so.
func TestExportMasksSecrets(t *testing.T) {
	const secret = "Zq7secretVal"
	t.Setenv("TP_EXPORT_SECRET", secret)
	cases := []struct{ name, step string }{
		{"click selector", `action = "click"
  selector = "#${env:TP_EXPORT_SECRET}"`},
		{"click selectors", `action = "click"
  selectors = [["#host", "#` + secret + `"], "aria/` + secret + `"]`},
		{"double_click selector", `action = "double_click"
  selector = "#${env:TP_EXPORT_SECRET}"`},
		{"hover selector", `action = "hover"
  selector = "#${env:TP_EXPORT_SECRET}"`},
		{"scroll selector", `action = "scroll"
  selector = "#${env:TP_EXPORT_SECRET}"
  top = 10`},
		{"fields key", `action = "fill"
  fields = { "#host >> #${env:TP_EXPORT_SECRET}" = "x" }`},
		{"fields value", `action = "fill"
  fields = { "#host >> #email" = "${env:TP_EXPORT_SECRET}" }`},
		{"submit", `action = "fill"
  fields = { "#email" = "x" }
  submit = "#${env:TP_EXPORT_SECRET}"`},
		{"select selector and value", `action = "select"
  selector = "#${env:TP_EXPORT_SECRET}"
  value = "${env:TP_EXPORT_SECRET}"`},
		{"press selector", `action = "press"
  selector = "#${env:TP_EXPORT_SECRET}"
  key = "Enter"`},
		{"chat", `action = "chat"
  open = "#o${env:TP_EXPORT_SECRET}"
  input = "#i${env:TP_EXPORT_SECRET}"
  message = "hi ${env:TP_EXPORT_SECRET}"
  reply = "#r${env:TP_EXPORT_SECRET}"`},
		{"wait selector and attributes", `action = "wait"
  selector = "#${env:TP_EXPORT_SECRET}"
  attributes = { "data-x" = "` + secret + `" }
  properties = { value = "` + secret + `" }`},
		{"wait expression", `action = "wait"
  expression = "window.x === '` + secret + `'"`},
		{"wait_for", `action = "click"
  selector = "#go"
  wait_for = "#${env:TP_EXPORT_SECRET}"`},
		{"expect", `action = "click"
  selector = "#go"
  expect = { selector = "#${env:TP_EXPORT_SECRET}", text = "${env:TP_EXPORT_SECRET}" }`},
		{"assert", `action = "assert"
  selector = "#${env:TP_EXPORT_SECRET}"
  text = "${env:TP_EXPORT_SECRET}"`},
		{"url_matches", `action = "assert"
  url_matches = "/${env:TP_EXPORT_SECRET}$"`},
		{"title", `action = "click"
  selector = "#go"
  title = "Hello ${env:TP_EXPORT_SECRET}"`},
		{"target", `action = "click"
  selector = "#go"
  target = "https://pop.example/${env:TP_EXPORT_SECRET}"`},
		{"frame by src", `action = "click"
  selector = "#go"
  frame = 'iframe[src="https://chat.example/w?k=${env:TP_EXPORT_SECRET}"]'`},
		{"navigate", `action = "navigate"
  url = "https://shop.example/?k=${env:TP_EXPORT_SECRET}"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := `[[journey]]
name = "leaky"
  [[journey.step]]
  name = "home"
  action = "navigate"
  url = "https://shop.example/"
  [[journey.step]]
  name = "the step"
  ` + c.step + `
[[journey]]
name = "fills the secret"
  [[journey.step]]
  name = "home"
  action = "navigate"
  url = "https://shop.example/?k=${env:TP_EXPORT_SECRET}"
`
			cfg, err := config.Parse([]byte(src), "leaky.toml")
			if err != nil {
				t.Fatalf("%v\n%s", err, src)
			}
			before, _ := json.Marshal(cfg.Journeys[0])
			flow, notes, err := Export(&cfg.Journeys[0], cfg.Secrets())
			if after, _ := json.Marshal(cfg.Journeys[0]); string(after) != string(before) {
				t.Errorf("Export changed the journey it wrote:\n%s\nwas\n%s", after, before)
			}
			if err != nil {
				if strings.Contains(err.Error(), secret) {
					t.Fatalf("the error shows the secret: %v", err)
				}
				t.Fatal(err)
			}
			data, err := flow.MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(data), secret) {
				t.Errorf("the recording holds the secret:\n%s", data)
			}
			if !strings.Contains(string(data), config.Masked) && !strings.Contains(string(data), `u003csecret`) {
				t.Errorf("the recording does not show where the secret was:\n%s", data)
			}
			if all := strings.Join(notes, "\n"); strings.Contains(all, secret) || !strings.Contains(all, config.Masked) {
				t.Errorf("the notes do not say a secret was masked (or show it): %q", notes)
			}
		})
	}
}
