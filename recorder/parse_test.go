package recorder

import (
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseEveryStepType(t *testing.T) {
	data, err := os.ReadFile("testdata/every-step.json")
	if err != nil {
		t.Fatal(err)
	}
	f, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if f.Title != "every step" || f.Timeout != 8*time.Second || f.SelectorAttribute != "data-testid" {
		t.Errorf("flow: %q %v %q", f.Title, f.Timeout, f.SelectorAttribute)
	}
	seen := map[StepType]bool{}
	for i, s := range f.Steps {
		seen[s.Type] = true
		if s.Index != i+1 {
			t.Errorf("step %d has index %d", i+1, s.Index)
		}
	}
	for _, typ := range StepTypes {
		if typ != CustomStep && !seen[typ] {
			t.Errorf("testdata/every-step.json has no %s step", typ)
		}
	}
	one, yes := 1.0, true
	checks := []struct {
		i    int
		want Step
	}{
		{0, Step{Type: SetViewport, Index: 1, Width: 1280, Height: 800, DeviceScaleFactor: 2, IsMobile: true, HasTouch: true}},
		{1, Step{Type: Navigate, Index: 2, URL: "https://shop.example/", AssertedEvents: []AssertedEvent{{Type: "navigation", URL: "https://shop.example/", Title: "Shop"}}}},
		{2, Step{Type: Click, Index: 3, Target: "main", Selectors: []Selector{{"aria/Accept all[role=\"button\"]"}, {"#consent"}, {"xpath///*[@id=\"consent\"]"}, {"pierce/#consent"}, {"text/Accept all"}}, OffsetX: 10.5, OffsetY: 4, Button: "primary", DeviceType: "mouse", Duration: 50, Timeout: 2 * time.Second}},
		{3, Step{Type: DoubleClick, Index: 4, Selectors: []Selector{{"my-app", "button.buy"}}, Frame: []int{0, 1}, OffsetX: 1, OffsetY: 2}},
		{4, Step{Type: Hover, Index: 5, Selectors: []Selector{{"#menu"}}}},
		{5, Step{Type: Change, Index: 6, Selectors: []Selector{{"#q"}}, Value: "boots"}},
		{6, Step{Type: KeyDown, Index: 7, Key: "Enter"}},
		{7, Step{Type: KeyUp, Index: 8, Key: "Enter"}},
		{8, Step{Type: Scroll, Index: 9, Y: 400}},
		{9, Step{Type: Scroll, Index: 10, Selectors: []Selector{{"#list"}}, X: 5, Y: 6}},
		{10, Step{Type: WaitForElement, Index: 11, Selectors: []Selector{{".result"}}, Operator: ">=", Count: &one, Visible: &yes, Attributes: map[string]string{"data-ready": "yes"}, Properties: map[string]any{"value": "x"}}},
		{11, Step{Type: WaitForExpression, Index: 12, Expression: "window.ready === true"}},
		{12, Step{Type: EmulateNetworkConditions, Index: 13, Download: 50000, Upload: 20000, Latency: 300}},
		{13, Step{Type: Click, Index: 14, Target: "https://chat.example/widget", Selectors: []Selector{{"#send"}}, OffsetX: 1, OffsetY: 1}},
		{14, Step{Type: Close, Index: 15}},
	}
	for _, c := range checks {
		if got := f.Steps[c.i]; !reflect.DeepEqual(got, c.want) {
			t.Errorf("step %d:\n got %+v\nwant %+v", c.i+1, got, c.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	nav := `{"type":"navigate","url":"https://a.example/"}`
	flow := func(steps ...string) string {
		return `{"title":"t","steps":[` + strings.Join(steps, ",") + `]}`
	}
	cases := []struct{ name, in, want string }{
		{"empty", ``, "recording: not a Recorder JSON export: the file is empty"},
		{"not JSON", `<html>`, "recording: not a Recorder JSON export: invalid JSON"},
		{"trailing text", `{"title":"t","steps":[]} x`, "not a Recorder JSON export"},
		{"an array", `[1]`, "recording: not a Recorder JSON export: expected an object"},
		{"null", `null`, "recording: not a Recorder JSON export"},
		{"no title", `{"steps":[]}`, "recording: title: missing"},
		{"title a number", `{"title":1,"steps":[]}`, "recording: title: expected a string, got the number 1"},
		{"no steps", `{"title":"t"}`, "recording: steps: missing"},
		{"steps an object", `{"title":"t","steps":{}}`, "recording: steps: expected a list of steps, got an object"},
		{"zero steps", `{"title":"t","steps":[]}`, "recording: steps: the recording has no steps"},
		{"flow timeout too long", `{"title":"t","timeout":60000,"steps":[` + nav + `]}`, "recording: timeout: 60000 is not between 1 and 30000 milliseconds"},
		{"step not an object", flow(nav, `"click"`), `step 2: expected an object such as {"type": "click", ...}, got the string "click"`},
		{"step without type", flow(`{"url":"x"}`), "step 1: type: missing: write one of change, click"},
		{"type not a string", flow(`{"type":5}`), "step 1: type: expected a string, got the number 5"},
		{"unknown type", flow(nav, `{"type":"teleport"}`), `step 2: type: unknown step type "teleport"`},
		{"customStep", flow(nav, `{"type":"customStep","name":"lighthouse","parameters":{}}`), `step 2 (customStep): custom step "lighthouse" is not supported`},
		{"click without selectors", flow(nav, `{"type":"click","offsetX":1,"offsetY":1}`), "step 2 (click): selectors: missing"},
		{"empty selectors", flow(`{"type":"hover","selectors":[]}`), "step 1 (hover): selectors: the list is empty"},
		{"selector a number", flow(`{"type":"hover","selectors":[["#a"],3]}`), "step 1 (hover): selectors: selector #2: expected a string or a list of strings, got the number 3"},
		{"selector part a number", flow(`{"type":"hover","selectors":[["#a",3]]}`), "step 1 (hover): selectors: selector #1, part 2: expected a string"},
		{"empty selector", flow(`{"type":"hover","selectors":[""]}`), "step 1 (hover): selectors: selector #1 is empty"},
		{"an empty expression", flow(`{"type":"waitForExpression","expression":" "}`), "step 1 (waitForExpression): expression: must not be empty"},
		{"click without offset", flow(`{"type":"click","selectors":["#a"],"offsetY":1}`), "step 1 (click): offsetX: missing"},
		{"offset a string", flow(`{"type":"click","selectors":["#a"],"offsetX":"1","offsetY":1}`), `step 1 (click): offsetX: expected a number, got the string "1"`},
		{"bad button", flow(`{"type":"click","selectors":["#a"],"offsetX":1,"offsetY":1,"button":"left"}`), `step 1 (click): button: "left" is not one of primary`},
		{"change without value", flow(`{"type":"change","selectors":["#a"]}`), "step 1 (change): value: missing"},
		{"change value a number", flow(`{"type":"change","selectors":["#a"],"value":3}`), "step 1 (change): value: expected a string"},
		{"key missing", flow(`{"type":"keyDown"}`), "step 1 (keyDown): key: missing"},
		{"navigate without url", flow(`{"type":"navigate"}`), "step 1 (navigate): url: missing"},
		{"viewport without height", flow(`{"type":"setViewport","width":1,"deviceScaleFactor":1,"isMobile":false,"hasTouch":false,"isLandscape":false}`), "step 1 (setViewport): height: missing"},
		{"viewport isMobile a string", flow(`{"type":"setViewport","width":1,"height":1,"deviceScaleFactor":1,"isMobile":"no","hasTouch":false,"isLandscape":false}`), "step 1 (setViewport): isMobile: expected true or false"},
		{"network without latency", flow(`{"type":"emulateNetworkConditions","download":1,"upload":1}`), "step 1 (emulateNetworkConditions): latency: missing"},
		{"bad operator", flow(`{"type":"waitForElement","selectors":["#a"],"operator":">"}`), `step 1 (waitForElement): operator: ">" is not one of >=, ==, <=`},
		{"attributes not strings", flow(`{"type":"waitForElement","selectors":["#a"],"attributes":{"x":1}}`), "step 1 (waitForElement): attributes: expected an object of attribute names and string values"},
		{"expression missing", flow(`{"type":"waitForExpression"}`), "step 1 (waitForExpression): expression: missing"},
		{"frame not integers", flow(`{"type":"hover","selectors":["#a"],"frame":[0.5]}`), "step 1 (hover): frame: entry #1: expected a frame index"},
		{"frame negative", flow(`{"type":"hover","selectors":["#a"],"frame":[-1]}`), "step 1 (hover): frame: entry #1"},
		{"step timeout zero", flow(`{"type":"navigate","url":"x","timeout":0}`), "step 1 (navigate): timeout: 0 is not between 1 and 30000 milliseconds"},
		{"step timeout a string", flow(`{"type":"navigate","url":"x","timeout":"5s"}`), `step 1 (navigate): timeout: expected a number, got the string "5s"`},
		{"target a number", flow(`{"type":"navigate","url":"x","target":1}`), "step 1 (navigate): target: expected a string"},
		{"assertedEvents not a list", flow(`{"type":"navigate","url":"x","assertedEvents":{}}`), "step 1 (navigate): assertedEvents: expected a list of events"},
		{"unknown event", flow(`{"type":"navigate","url":"x","assertedEvents":[{"type":"load"}]}`), `step 1 (navigate): assertedEvents #1: unknown event type "load"`},
		{"event url a number", flow(`{"type":"navigate","url":"x","assertedEvents":[{"type":"navigation","url":1}]}`), "step 1 (navigate): assertedEvents #1: url: expected a string"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Parse([]byte(tc.in))
			if err == nil || f != nil {
				t.Fatalf("Parse(%s) = %+v, want an error", tc.in, f)
			}
			if _, ok := err.(*Error); !ok {
				t.Errorf("error %T, want *Error", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q\nwant it to contain %q", err, tc.want)
			}
		})
	}
}

// Fields real exports carry and the schema does not define are ignored.
func TestParseIgnoresUnknownFields(t *testing.T) {
	in := `{"title":"t","id":"x","steps":[{"type":"click","selectors":["#a"],"offsetX":1,"offsetY":2,
		"timestamp":1700000000,"id":"s1","className":"btn","tagName":"BUTTON","clickTime":12,"nodeName":"BUTTON"}]}`
	f, err := Parse([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if s := f.Steps[0]; s.Type != Click || s.OffsetY != 2 {
		t.Errorf("%+v", s)
	}
}
