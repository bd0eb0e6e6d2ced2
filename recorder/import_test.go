package recorder

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/touchprobe/touchprobe/config"
)

func mustParse(t *testing.T, steps ...string) *Flow {
	t.Helper()
	f, err := Parse([]byte(`{"title":"shop","steps":[` + strings.Join(steps, ",") + `]}`))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

const (
	home    = `{"type":"navigate","url":"https://shop.example/"}`
	keyDown = `{"type":"keyDown","key":"Enter"}`
	keyUp   = `{"type":"keyUp","key":"Enter"}`
)

func click(sels string) string {
	return `{"type":"click","selectors":` + sels + `,"offsetX":3,"offsetY":4}`
}

func change(sels, value string) string {
	return `{"type":"change","selectors":` + sels + `,"value":"` + value + `"}`
}

func TestImportMapsSteps(t *testing.T) {
	search := `[["aria/Search"],["#q"]]`
	cases := []struct {
		name  string
		steps []string
		want  []config.Step // compared on the keys set here
	}{
		{"navigate", []string{`{"type":"navigate","url":"https://shop.example/basket?x=1","timeout":4000}`},
			[]config.Step{{Name: "/basket", Touchpoint: "basket", Action: "navigate", URL: "https://shop.example/basket?x=1", Timeout: config.Duration{Duration: 4e9}}}},
		{"click named by aria, with every alternative", []string{home, click(`[["aria/Accept all[role=\"button\"]"],["#ok"]]`)},
			[]config.Step{{}, {Name: "Accept all", Touchpoint: "landing", Action: "click", Selectors: []config.Selector{{`aria/Accept all[role="button"]`}, {"#ok"}}}}},
		{"click named by text, navigating", []string{home, `{"type":"click","selectors":[["text/Cart"],["a.cart"]],"offsetX":1,"offsetY":1,"assertedEvents":[{"type":"navigation","url":"https://shop.example/cart","title":"Cart · Shop"}]}`},
			[]config.Step{{}, {Name: "Cart", Touchpoint: "basket", Action: "click", Selectors: []config.Selector{{"text/Cart"}, {"a.cart"}}, Title: "Cart · Shop"}}},
		{"only aria, text, xpath and pierce", []string{home, click(`[["aria/Buy"],["text/Buy"],["xpath///button"],["pierce/#buy"]]`)},
			[]config.Step{{}, {Name: "Buy", Action: "click", Selectors: []config.Selector{{"aria/Buy"}, {"text/Buy"}, {"xpath///button"}, {"pierce/#buy"}}}}},
		{"a shadow DOM chain", []string{home, click(`[["my-app","#buy"]]`)},
			[]config.Step{{}, {Name: "click my-app >> #buy", Action: "click", Selectors: []config.Selector{{"my-app", "#buy"}}}}},
		{"click without a name", []string{home, click(`["#x"]`)},
			[]config.Step{{}, {Name: "click #x", Action: "click", Selector: "#x"}}},
		{"click, change and Enter: fill then press", []string{home, click(search), change(search, "boots"), keyDown, keyUp},
			[]config.Step{{}, {Name: "fill Search", Action: "fill", Selector: "#q", Fields: map[string]string{"#q": "boots"}}, {Name: "press Enter", Action: "press", Key: "Enter"}}},
		{"fields with Tab and a submit", []string{home, click(`["#a"]`), change(`["#a"]`, "1"), `{"type":"keyDown","key":"Tab"}`, `{"type":"keyUp","key":"Tab"}`, change(`["#b"]`, "2"), click(`[["aria/Send"],["#send"]]`)},
			[]config.Step{{}, {Name: "fill #a and #b", Action: "fill", Fields: map[string]string{"#a": "1", "#b": "2"}, Submit: "#send"}}},
		{"the same field twice: two fills", []string{home, change(`["#a"]`, "1"), change(`["#a"]`, "2")},
			[]config.Step{{}, {Name: "fill #a", Action: "fill"}, {Name: "fill #a (2)", Action: "fill", Fields: map[string]string{"#a": "2"}}}},
		{"a select on its own", []string{home, click(`[["aria/Size"],["select#size"]]`), change(`[["aria/Size"],["select#size"]]`, "m")},
			[]config.Step{{}, {Name: "choose Size", Action: "select", Selector: "select#size", Value: "m"}}},
		{"a select known by xpath", []string{home, change(`[["#size"],["xpath///*[@id=\"f\"]/select"]]`, "m")},
			[]config.Step{{}, {Action: "select", Selector: "#size"}}},
		{"not a select", []string{home, change(`[["#selection"],["input.select-me"]]`, "m")},
			[]config.Step{{}, {Action: "fill"}}},
		{"click before a key gives the press its element", []string{home, click(`[["aria/Search"],["#q"]]`), keyDown, keyUp},
			[]config.Step{{}, {Name: "press Enter in Search", Action: "press", Key: "Enter", Selectors: []config.Selector{{"aria/Search"}, {"#q"}}}}},
		{"waitForElement after an action: its wait_for", []string{home, click(`["#go"]`), `{"type":"waitForElement","selectors":["#done"]}`},
			[]config.Step{{}, {Action: "click", Selector: "#go", WaitFor: "#done"}}},
		{"waitForElement first or after a wait: a wait step", []string{home, `{"type":"waitForElement","selectors":["#a"]}`, `{"type":"waitForElement","selectors":[["aria/Done"],["#b"]]}`},
			[]config.Step{{WaitFor: "#a"}, {Name: "wait for Done", Action: "wait", Selectors: []config.Selector{{"aria/Done"}, {"#b"}}}}},
		{"waitForElement with an operator: a wait step", []string{home, `{"type":"waitForElement","selectors":["#a"],"operator":">=","count":1}`},
			[]config.Step{{}, {Action: "wait", Selector: "#a"}}},
		{"viewport and network conditions are steps; a final close is left out", []string{`{"type":"setViewport","width":412,"height":823,"deviceScaleFactor":1.75,"isMobile":true,"hasTouch":true,"isLandscape":false}`, home,
			`{"type":"emulateNetworkConditions","download":50000,"upload":-1,"latency":2000}`, `{"type":"emulateNetworkConditions","download":0,"upload":0,"latency":0}`, `{"type":"close"}`},
			[]config.Step{{Name: "viewport 412x823", Action: "viewport", Width: 412, Height: 823, DeviceScaleFactor: 1.75, Mobile: true, Touch: true}, {Action: "navigate"},
				{Name: "network 400kbps down, 2s latency", Action: "network", Download: 400_000, Latency: config.Duration{Duration: 2e9}}, {Name: "network offline", Action: "network", Offline: true}}},
		{"scroll of the page and of an element", []string{home, `{"type":"scroll","y":100.4}`, `{"type":"scroll","selectors":[["aria/Reviews"],["#reviews"]],"x":3,"y":50}`},
			[]config.Step{{}, {Name: "scroll", Action: "scroll", Top: 100}, {Name: "scroll Reviews", Action: "scroll", Left: 3, Top: 50, Selectors: []config.Selector{{"aria/Reviews"}, {"#reviews"}}}}},
		{"another target, by its URL", []string{home, `{"type":"click","target":"https://chat.example/w?a=\"b\"","selectors":["#send"],"offsetX":1,"offsetY":1}`, `{"type":"click","target":"main","selectors":["#back"],"offsetX":1,"offsetY":1}`},
			[]config.Step{{}, {Action: "click", Selector: "#send", Target: `https://chat.example/w?a="b"`}, {Action: "click", Selector: "#back", Target: ""}}},
		{"a child frame by its position", []string{home, `{"type":"change","frame":[1],"selectors":["#q"],"value":"x"}`},
			[]config.Step{{}, {Action: "fill", Frame: config.Frames{"xpath/(//iframe | //frame)[2]"}, Fields: map[string]string{"#q": "x"}}}},
		{"hover and double click", []string{home, `{"type":"hover","selectors":[["aria/Menu"],["#m"]]}`, `{"type":"doubleClick","selectors":["#item"],"offsetX":1,"offsetY":1}`},
			[]config.Step{{}, {Name: "hover over Menu", Action: "hover", Selectors: []config.Selector{{"aria/Menu"}, {"#m"}}}, {Name: "double-click #item", Action: "double_click", Selector: "#item"}}},
		{"a child frame of another target", []string{home, `{"type":"click","target":"https://shop.example/help","frame":[0],"selectors":["#send"],"offsetX":1,"offsetY":1}`},
			[]config.Step{{}, {Action: "click", Selector: "#send", Target: "https://shop.example/help", Frame: config.Frames{"xpath/(//iframe | //frame)[1]"}}}},
		{"nested child frames", []string{home, `{"type":"change","frame":[0,2],"selectors":["#q"],"value":"x"}`},
			[]config.Step{{}, {Action: "fill", Frame: config.Frames{"xpath/(//iframe | //frame)[1]", "xpath/(//iframe | //frame)[3]"}}}},
		{"buttons, offsets and a tap", []string{home, `{"type":"doubleClick","selectors":["#m"],"offsetX":1.5,"offsetY":2,"button":"secondary"}`, `{"type":"click","selectors":["#t"],"offsetX":3,"offsetY":4,"deviceType":"touch"}`},
			[]config.Step{{}, {Action: "double_click", Selector: "#m", Button: "secondary", OffsetX: ptr(1.5), OffsetY: ptr(2.0)}, {Action: "click", Selector: "#t", DeviceType: "touch", OffsetX: ptr(3.0), OffsetY: ptr(4.0)}}},
		{"gone, and properties", []string{home, `{"type":"waitForElement","selectors":[".spinner"],"visible":false}`, `{"type":"waitForElement","selectors":["#agree"],"properties":{"checked":true,"value":"on","dataset":{"n":2}}}`},
			[]config.Step{{}, {Name: "wait until .spinner is gone", Action: "wait", Selector: ".spinner", Visible: ptr(false)}, {Action: "wait", Selector: "#agree", Properties: map[string]any{"checked": true, "value": "on", "dataset": map[string]any{"n": 2.0}}}}},
		{"attributes", []string{home, `{"type":"waitForElement","selectors":["li"],"attributes":{"class":"done"}}`},
			[]config.Step{{}, {Action: "wait", Selector: "li", Attributes: map[string]string{"class": "done"}}}},
		{"any expression: a wait until it is true", []string{home, `{"type":"waitForExpression","expression":"window.ok"}`},
			[]config.Step{{}, {Name: "wait until window.ok", Action: "wait", Expression: "window.ok"}}},
		{"keys pressed while modifiers are held: one press each", []string{home, click(`["#b"]`),
			`{"type":"keyDown","key":"ShiftLeft"}`, `{"type":"keyDown","key":"Tab"}`, `{"type":"keyUp","key":"Tab"}`, `{"type":"keyUp","key":"ShiftLeft"}`,
			`{"type":"keyDown","key":"Control"}`, `{"type":"keyDown","key":"Shift"}`, `{"type":"keyDown","key":"z"}`, `{"type":"keyUp","key":"Control"}`, `{"type":"keyUp","key":"z"}`, `{"type":"keyDown","key":"y"}`, `{"type":"keyUp","key":"Shift"}`,
			`{"type":"keyDown","key":"Shift"}`, `{"type":"keyUp","key":"Shift"}`},
			[]config.Step{{}, {Name: "press Shift+Tab in #b", Action: "press", Key: "Shift+Tab", Selector: "#b"}, {Name: "press Control+Shift+z", Action: "press", Key: "Control+Shift+z", Selector: ""},
				{Name: "press Shift+y", Action: "press", Key: "Shift+y"}, {Name: "press Shift", Action: "press", Key: "Shift"}}},
		{"a Control-click and a Shift-double-click", []string{home, `{"type":"keyDown","key":"ControlLeft"}`, click(`["#a"]`), `{"type":"keyUp","key":"ControlLeft"}`,
			`{"type":"keyDown","key":"Shift"}`, `{"type":"doubleClick","selectors":["#b"],"offsetX":1,"offsetY":1}`, `{"type":"keyUp","key":"Shift"}`},
			[]config.Step{{}, {Action: "click", Selector: "#a", Modifiers: []string{"Control"}}, {Action: "double_click", Selector: "#b", Modifiers: []string{"Shift"}}}},
		{"a field known only by a chain into a shadow root", []string{home, change(`[["my-app","#q"]]`, "x")},
			[]config.Step{{}, {Action: "fill", Fields: map[string]string{"my-app >> #q": "x"}}}},
		{"a navigation of a popup", []string{home, `{"type":"navigate","target":"https://shop.example/help","url":"https://shop.example/help/returns"}`},
			[]config.Step{{}, {Action: "navigate", URL: "https://shop.example/help/returns", Target: "https://shop.example/help"}}},
		{"the close of a popup: a close step", []string{home, `{"type":"close","target":"https://shop.example/help"}`},
			[]config.Step{{}, {Name: "close /help", Action: "close", Target: "https://shop.example/help"}}},
		{"a count", []string{home, `{"type":"waitForElement","selectors":["li"],"count":3}`, `{"type":"waitForElement","selectors":[".spinner"],"operator":"==","count":0}`, `{"type":"waitForElement","selectors":["li"],"operator":"<="}`},
			[]config.Step{{}, {Action: "wait", Selector: "li", Count: 3, Operator: ">="}, {Action: "wait", Selector: ".spinner", Count: 0, Operator: "=="}, {Action: "wait", Selector: "li", Count: 1, Operator: "<="}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			im, err := Import(mustParse(t, tc.steps...), Options{})
			if err != nil {
				t.Fatal(err)
			}
			got := im.Journey.Steps
			// What is written reads back the same.
			var out bytes.Buffer
			if err := im.WriteTOML(&out); err != nil {
				t.Fatal(err)
			}
			cfg, err := config.Parse(out.Bytes(), "imported.toml")
			if err != nil {
				t.Fatalf("config.Parse: %v\n%s", err, out.String())
			}
			for i, back := range cfg.Journeys[0].Steps {
				brief := func(s config.Step) string {
					pointer, _ := json.Marshal([]any{s.Width, s.Height, s.DeviceScaleFactor, s.Mobile, s.Touch, s.Landscape, s.Download, s.Upload, s.Latency, s.Offline, s.Target, s.Visible, s.Properties, s.Button, s.OffsetX, s.OffsetY, s.DeviceType})
					return fmt.Sprintf("%s %s %q %q %d %q %q %d %d %q %q %s", s.Name, s.Action, s.Selector, s.Selectors, s.Count, s.Operator, s.Expression, s.Left, s.Top, s.Title, s.Frame, pointer)
				}
				if brief(back) != brief(got[i]) {
					t.Errorf("step %d reads back as\n%s\nwritten from\n%s", i+1, brief(back), brief(got[i]))
				}
			}
			if len(got) != len(tc.want) {
				t.Fatalf("%d steps, want %d: %+v", len(got), len(tc.want), got)
			}
			for i, w := range tc.want {
				g := got[i]
				check := func(key, got, want string) {
					if want != "" && got != want {
						t.Errorf("step %d %s = %q, want %q", i+1, key, got, want)
					}
				}
				check("name", g.Name, w.Name)
				check("touchpoint", g.Touchpoint, w.Touchpoint)
				check("action", g.Action, w.Action)
				check("url", g.URL, w.URL)
				check("selector", g.Selector, w.Selector)
				if w.Selectors != nil && fmt.Sprint(g.Selectors) != fmt.Sprint(w.Selectors) {
					t.Errorf("step %d selectors = %q, want %q", i+1, g.Selectors, w.Selectors)
				}
				check("submit", g.Submit, w.Submit)
				check("value", g.Value, w.Value)
				check("key", g.Key, w.Key)
				check("wait_for", g.WaitFor, w.WaitFor)
				check("operator", g.Operator, w.Operator)
				check("title", g.Title, w.Title)
				if w.Frame != nil && !slices.Equal(g.Frame, w.Frame) {
					t.Errorf("step %d frame = %q, want %q", i+1, g.Frame, w.Frame)
				}
				check("target", g.Target, w.Target)
				if w.Target == "" && g.Target != "" && g.Action != "" && w.Action != "" {
					t.Errorf("step %d target = %q, want the main page", i+1, g.Target)
				}
				check("expression", g.Expression, w.Expression)
				if w.Action == "viewport" || w.Action == "network" {
					setup := func(s config.Step) string {
						return fmt.Sprint(s.Width, s.Height, s.DeviceScaleFactor, s.Mobile, s.Touch, s.Landscape, s.Download, s.Upload, s.Latency, s.Offline)
					}
					if setup(g) != setup(w) {
						t.Errorf("step %d: %s, want %s", i+1, setup(g), setup(w))
					}
				}
				check("button", g.Button, w.Button)
				check("device_type", g.DeviceType, w.DeviceType)
				for _, kv := range []struct {
					key       string
					got, want any
				}{{"visible", g.Visible, w.Visible}, {"offset_x", g.OffsetX, w.OffsetX}, {"offset_y", g.OffsetY, w.OffsetY}, {"properties", g.Properties, w.Properties}} {
					gj, _ := json.Marshal(kv.got)
					wj, _ := json.Marshal(kv.want)
					if string(wj) != "null" && string(gj) != string(wj) {
						t.Errorf("step %d %s = %s, want %s", i+1, kv.key, gj, wj)
					}
				}
				if fmt.Sprint(g.Attributes) != fmt.Sprint(w.Attributes) {
					t.Errorf("step %d attributes = %v, want %v", i+1, g.Attributes, w.Attributes)
				}
				if g.Count != w.Count || g.Left != w.Left || g.Top != w.Top {
					t.Errorf("step %d count, left, top = %d, %d, %d; want %d, %d, %d", i+1, g.Count, g.Left, g.Top, w.Count, w.Left, w.Top)
				}
				for k, v := range w.Fields {
					check("fields "+k, g.Fields[k], v)
				}
				if w.Timeout.Duration != 0 && g.Timeout != w.Timeout {
					t.Errorf("step %d timeout %v, want %v", i+1, g.Timeout, w.Timeout)
				}
				if len(im.Comments[i]) == 0 || !strings.HasPrefix(im.Comments[i][0], "recorder step ") {
					t.Errorf("step %d has no comment naming its Recorder step: %q", i+1, im.Comments[i])
				}
			}
		})
	}
}

func TestImportRefusesWhatItCannotRun(t *testing.T) {
	cases := []struct {
		name  string
		steps []string
		want  string
	}{
		{"a count that is no whole number", []string{home, `{"type":"waitForElement","selectors":["li"],"count":2.5}`}, "step 2 (waitForElement): waiting for an element with count 2.5"},
		{"a target that is no URL", []string{home, `{"type":"click","target":"0","selectors":["#a"],"offsetX":1,"offsetY":1}`}, `step 2 (click): target: "0" is neither "main" nor the http(s) URL`},
		{"the viewport of a popup", []string{home, `{"type":"setViewport","target":"https://a.example/help","width":400,"height":300,"deviceScaleFactor":1,"isMobile":false,"hasTouch":false,"isLandscape":false}`}, "step 2 (setViewport): the viewport of another target is not yet supported"},
		{"a null property", []string{home, `{"type":"waitForElement","selectors":["li"],"properties":{"dataset":{"x":null}}}`}, "step 2 (waitForElement): properties: null is not a value"},
		{"a close in the middle", []string{home, `{"type":"close"}`, home}, "step 2 (close)"},
		{"a hover while a key is held", []string{home, `{"type":"keyDown","key":"Control"}`, `{"type":"hover","selectors":["#a"]}`}, "step 3 (hover): a hover step while Control is held"},
		{"a relative URL", []string{`{"type":"navigate","url":"/basket"}`}, `step 1 (navigate): url: "/basket" is not an absolute http(s) URL`},
		{"a count beyond any page", []string{home, `{"type":"waitForElement","selectors":["li"],"count":1e19}`}, "step 2 (waitForElement): count: 1e+19 is more elements than"},
		{"a scroll beyond any page", []string{home, `{"type":"scroll","x":0,"y":1e300}`}, "step 2 (scroll): y: 1e+300 is not a position"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			im, err := Import(mustParse(t, tc.steps...), Options{})
			if err == nil || im != nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Import: %v\nwant an error containing %q", err, tc.want)
			}
		})
	}
}

func TestImportSecrets(t *testing.T) {
	f := mustParse(t, `{"type":"navigate","url":"https://shop.example/?token=s3cr3t-token"}`,
		click(`[["aria/Email"],["#email"]]`), change(`[["aria/Email"],["#email"]]`, "me@example.com"),
		change(`[["aria/Password"],["input[name=\"password\"]"]]`, "hunter2"),
		change(`[["#cc-number"]]`, "4111"),
		change(`[["#note"]]`, "price ${5}"),
	)
	im, err := Import(f, Options{Secrets: []Secret{{Env: "TOKEN", Value: "s3cr3t-token"}, {Env: "EMAIL", Value: "me@example.com"}, {Env: "UNUSED", Value: "zzz"}}})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := im.WriteTOML(&out); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	for _, secret := range []string{"s3cr3t-token", "me@example.com", "hunter2", "4111"} {
		if strings.Contains(text, secret) {
			t.Errorf("the configuration holds the secret %q:\n%s", secret, text)
		}
	}
	var names []string
	for _, e := range im.Env {
		names = append(names, e.Name)
	}
	if got := strings.Join(names, " "); got != "TOKEN EMAIL PASSWORD CC_NUMBER" {
		t.Errorf("variables to set: %q", got)
	}
	if !strings.Contains(strings.Join(im.Notes, "\n"), "--secret UNUSED occurs nowhere") {
		t.Errorf("notes: %q", im.Notes)
	}
	t.Setenv("TOKEN", "s3cr3t-token")
	t.Setenv("EMAIL", "me@example.com")
	t.Setenv("PASSWORD", "hunter2")
	t.Setenv("CC_NUMBER", "4111")
	cfg, err := config.Parse(out.Bytes(), "imported.toml")
	if err != nil {
		t.Fatalf("%v\n%s", err, text)
	}
	s := cfg.Journeys[0].Steps
	if s[0].URL != "https://shop.example/?token=s3cr3t-token" || s[1].Fields["#email"] != "me@example.com" ||
		s[1].Fields[`input[name="password"]`] != "hunter2" || s[1].Fields["#cc-number"] != "4111" || s[1].Fields["#note"] != "price ${5}" {
		t.Errorf("filled in: %+v %+v", s[0], s[1])
	}
}

func TestTouchpointOf(t *testing.T) {
	for url, want := range map[string]string{
		"https://shop.example":                  "landing",
		"https://shop.example/":                 "landing",
		"https://shop.example/product/boots":    "product",
		"https://shop.example/en/Cart":          "basket",
		"https://shop.example/checkout/payment": "checkout",
		"https://shop.example/payment":          "checkout",
		"https://shop.example/help/chat":        "chat",
		"https://shop.example/about":            "other",
		"":                                      "other",
	} {
		if got := TouchpointOf(url); got != want {
			t.Errorf("TouchpointOf(%q) = %q, want %q", url, got, want)
		}
	}
}

// TestExportRoundTrip: Import reads what Export writes back to the same
// steps.
func TestExportRoundTrip(t *testing.T) {
	src := `
[[journey]]
name = "round trip"

  [[journey.step]]
  name = "home"
  action = "navigate"
  url = "https://shop.example/"
  wait_for = "#ready"

  [[journey.step]]
  name = "buy"
  action = "click"
  selector = "#buy"
  title = "Basket · Shop"
  expect = { selector = "#count", text = "1" }

  [[journey.step]]
  name = "size"
  action = "select"
  selector = "#size"
  value = "m"

  [[journey.step]]
  name = "details"
  action = "fill"
  fields = { "#name" = "A", "#email" = "a@example.com" }
  submit = "#next"

  [[journey.step]]
  name = "search"
  action = "press"
  selector = "#q"
  key = "Enter"

  [[journey.step]]
  name = "tab"
  action = "press"
  key = "Tab"

  [[journey.step]]
  name = "back a field"
  action = "press"
  key = "Shift+Tab"

  [[journey.step]]
  name = "undo"
  action = "press"
  key = "Control+Shift+z"

  [[journey.step]]
  name = "search in the app"
  action = "fill"
  fields = { "my-app >> #q" = "boots" }

  [[journey.step]]
  name = "help returns"
  action = "navigate"
  url = "https://shop.example/help/returns"
  target = "https://shop.example/help"

  [[journey.step]]
  name = "close help"
  action = "close"
  target = "https://shop.example/help/returns"

  [[journey.step]]
  name = "new tab"
  action = "click"
  selector = "#link"
  modifiers = ["Control"]

  [[journey.step]]
  name = "results"
  action = "wait"
  selector = ".results"

  [[journey.step]]
  name = "three results"
  action = "wait"
  selectors = ["#results li", "aria/Result[role=\"listitem\"]"]
  operator = "=="
  count = 3
  attributes = { "class" = "result", "data-ready" = "1" }

  [[journey.step]]
  name = "ready"
  action = "wait"
  expression = "window.ready === true"

  [[journey.step]]
  name = "menu"
  action = "hover"
  selectors = [["#app", "nav"], "text/Menu"]

  [[journey.step]]
  name = "open"
  action = "double_click"
  selector = "#item"
  frame = "xpath/(//iframe | //frame)[2]"

  [[journey.step]]
  name = "send"
  action = "click"
  selector = "#send"
  target = 'https://chat.example/w?a="b"'

  [[journey.step]]
  name = "phone"
  action = "viewport"
  width = 412
  height = 823
  device_scale_factor = 1.75
  mobile = true
  touch = true

  [[journey.step]]
  name = "slow"
  action = "network"
  download = "400kbps"
  latency = "2s"

  [[journey.step]]
  name = "offline"
  action = "network"
  offline = true

  [[journey.step]]
  name = "deep"
  action = "click"
  selector = "#deep"
  frame = "xpath/(//iframe | //frame)[1] >> xpath/(//iframe | //frame)[2]"

  [[journey.step]]
  name = "deep, as an array"
  action = "click"
  selector = "#deeper"
  frame = ["xpath/(//iframe | //frame)[2]", "xpath/(//iframe | //frame)[3]"]

  [[journey.step]]
  name = "help form"
  action = "click"
  selector = "#ask"
  target = "https://shop.example/help"
  frame = "xpath/(//iframe | //frame)[1]"

  [[journey.step]]
  name = "context menu"
  action = "click"
  selector = "#row"
  button = "secondary"
  offset_x = 4.5
  offset_y = 2

  [[journey.step]]
  name = "tap"
  action = "double_click"
  selector = "#zoom"
  device_type = "touch"

  [[journey.step]]
  name = "spinner gone"
  action = "wait"
  selector = ".spinner"
  visible = false

  [[journey.step]]
  name = "agreed"
  action = "wait"
  selector = "#agree"
  properties = { checked = true, dataset = { state = "ok" }, tabIndex = 0 }

  [[journey.step]]
  name = "down"
  action = "scroll"
  top = 400

  [[journey.step]]
  name = "done"
  action = "assert"
  selector = "#done"
  text = "Thanks"

  [[journey.step]]
  name = "url"
  action = "assert"
  url_matches = "/done$"
`
	cfg, err := config.Parse([]byte(src), "src.toml")
	if err != nil {
		t.Fatal(err)
	}
	flow, _, err := Export(&cfg.Journeys[0], cfg.Secrets())
	if err != nil {
		t.Fatal(err)
	}
	// A shortcut is its keys as the Recorder has them: the modifier
	// held around the key.
	var keys []string
	for _, st := range flow.Steps {
		if st.Type == KeyDown || st.Type == KeyUp {
			keys = append(keys, string(st.Type)+" "+st.Key)
		}
	}
	if want := "keyDown Shift,keyDown Tab,keyUp Tab,keyUp Shift"; !strings.Contains(strings.Join(keys, ","), want) {
		t.Errorf("exported keys %q, want %q among them", keys, want)
	}
	if want := "keyDown Control,keyUp Control"; !strings.Contains(strings.Join(keys, ","), want) {
		t.Errorf("exported keys %q, want %q among them", keys, want)
	}
	data, err := flow.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	back, err := Parse(data)
	if err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	im, err := Import(back, Options{})
	if err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	var out bytes.Buffer
	if err := im.WriteTOML(&out); err != nil {
		t.Fatal(err)
	}
	again, err := config.Parse(out.Bytes(), "again.toml")
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	a, b := cfg.Journeys[0], again.Journeys[0]
	// Export sets touchprobe's window first, which comes back as a step.
	if len(b.Steps) > 0 && b.Steps[0].Action == "viewport" && b.Steps[0].Width == ExportWidth && b.Steps[0].Height == ExportHeight {
		b.Steps = b.Steps[1:]
	} else {
		t.Errorf("the recording does not start with touchprobe's window: %+v", b.Steps[0])
	}
	if a.Name != b.Name || len(a.Steps) != len(b.Steps) {
		t.Fatalf("%q with %d steps came back as %q with %d:\n%s", a.Name, len(a.Steps), b.Name, len(b.Steps), out.String())
	}
	for i := range a.Steps {
		x, y := a.Steps[i], b.Steps[i]
		y.Name, y.Touchpoint, y.Budget = x.Name, x.Touchpoint, x.Budget
		// A Recorder click always has an offset: one written without
		// is pressed near its top-left corner.
		if x.OffsetX == nil && y.OffsetX != nil && *y.OffsetX == clickOffset && *y.OffsetY == clickOffset {
			y.OffsetX, y.OffsetY = nil, nil
		}
		xj, _ := json.Marshal(x)
		yj, _ := json.Marshal(y)
		if string(xj) != string(yj) {
			t.Errorf("step %d: %+v\ncame back as %+v", i+1, x, y)
		}
	}
}

// TestFramesReadBack: the file import writes holds each step's frames as
// one string where that reads back to the same frames, else as an array;
// either way config reads the same frames back. A frame Export cannot
// write as a Recorder frame is named as the file would write it.
func TestFramesReadBack(t *testing.T) {
	tests := []struct {
		frames config.Frames
		line   string
	}{
		{config.Frames{"xpath/(//iframe | //frame)[1]", "xpath/(//iframe | //frame)[2]"}, `frame = "xpath/(//iframe | //frame)[1] >> xpath/(//iframe | //frame)[2]"`},
		{config.Frames{"aria/Chat >> support"}, `frame = "aria/Chat >> support"`},
		{config.Frames{"#outer", "text/Chat >> support"}, `frame = "#outer >> text/Chat >> support"`},
		{config.Frames{"aria/Chat >> support", "#inner"}, `frame = ["aria/Chat >> support", "#inner"]`},
		{config.Frames{`iframe[title="a >> b"]`}, `frame = ["iframe[title=\"a >> b\"]"]`},
	}
	im := &Imported{Title: "frames", Journey: config.Journey{Name: "frames", Schedule: "@every 5m", Steps: []config.Step{
		{Name: "home", Touchpoint: config.DefaultTouchpoint, Action: "navigate", URL: "https://shop.example/"},
	}}}
	for i, tt := range tests {
		im.Journey.Steps = append(im.Journey.Steps, config.Step{Name: fmt.Sprintf("send %d", i+1), Touchpoint: config.DefaultTouchpoint, Action: "click", Selector: "#send", Frame: tt.frames})
	}
	var out bytes.Buffer
	if err := im.WriteTOML(&out); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse(out.Bytes(), "imported.toml")
	if err != nil {
		t.Fatalf("config.Parse: %v\n%s", err, out.String())
	}
	for i, tt := range tests {
		if !strings.Contains(out.String(), "\n  "+tt.line+"\n") {
			t.Errorf("frames %q written without the line %s:\n%s", tt.frames, tt.line, out.String())
		}
		if got := cfg.Journeys[0].Steps[i+1].Frame; !slices.Equal(got, tt.frames) {
			t.Errorf("frames %q read back as %q", tt.frames, got)
		}
	}

	j := cfg.Journeys[0]
	j.Steps = []config.Step{j.Steps[0], j.Steps[4]}
	_, _, err = Export(&j, cfg.Secrets())
	if err == nil || !strings.Contains(err.Error(), `step "send 4" (#2): the frame ["aria/Chat >> support", "#inner"] cannot be written as a Recorder frame`) {
		t.Errorf("Export: %v, want the frame of step #2 named", err)
	}
}

func TestImportTimeouts(t *testing.T) {
	f, err := Parse([]byte(`{"title":"shop","timeout":7000,"steps":[` + home + `,{"type":"click","selectors":["#a"],"offsetX":1,"offsetY":1,"timeout":12000},{"type":"waitForElement","selectors":["#b"],"timeout":15000}]}`))
	if err != nil {
		t.Fatal(err)
	}
	im, err := Import(f, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := im.Journey.Steps
	if len(s) != 2 || s[0].Timeout.Duration != 7e9 || s[1].Timeout.Duration != 15e9 || s[1].WaitFor != "#b" {
		t.Errorf("the flow's timeout for a step without one, the longest of a merged step's: %+v", s)
	}
}

func ptr[T any](v T) *T { return &v }

// TestExportChat: a chat step becomes the Recorder steps a person makes:
// open the widget in the page, then, in the widget's target, click into
// the message box, type, press Enter and wait for a reply.
func TestExportChat(t *testing.T) {
	cfg, err := config.Parse([]byte(`[[journey]]
name = "chat"
  [[journey.step]]
  name = "home"
  action = "navigate"
  url = "https://shop.example/"
  [[journey.step]]
  name = "ask"
  action = "chat"
  open = "#chat-launcher"
  frame = 'iframe[src="https://chat.example/widget"]'
  input = "#message"
  message = "Is this in stock?"
  reply = "p.reply"
`), "chat.toml")
	if err != nil {
		t.Fatal(err)
	}
	flow, _, err := Export(&cfg.Journeys[0], cfg.Secrets())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range flow.Steps[2:] {
		got = append(got, fmt.Sprintf("%s %s %q %q", s.Type, s.Target, s.Selectors, s.Value+s.Key))
	}
	want := []string{
		`click  ["#chat-launcher"] ""`,
		`click https://chat.example/widget ["#message"] ""`,
		`change https://chat.example/widget ["#message"] "Is this in stock?"`,
		`keyDown https://chat.example/widget [] "Enter"`,
		`keyUp https://chat.example/widget [] "Enter"`,
		`waitForElement https://chat.example/widget ["p.reply"] ""`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("chat exported as\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
