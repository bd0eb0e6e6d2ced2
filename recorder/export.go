package recorder

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/touchprobe/touchprobe/config"
)

// clickOffset is where Export's clicks land, in px from the top-left corner
// of the element: inside the rounded corners of a button or a pill.
const clickOffset = 8

// ExportWidth and ExportHeight are the viewport an exported recording
// sets first: touchprobe's default browser window.
const (
	ExportWidth  = 1280
	ExportHeight = 800
)

// Export writes a journey as a recording that Chrome DevTools' Recorder
// imports and @puppeteer/replay replays. Import reads it back to the same
// steps, apart from what a recording has no place for: step names,
// touchpoints, budgets and optional, which go into notes. Secrets filled
// into the journey are masked: the recording has "<secret>" in their
// place, and a note says so. A step Export cannot write (chat, frame) is
// an error naming it.
func Export(j *config.Journey, secrets *config.Secrets) (*Flow, []string, error) {
	f := &Flow{Title: j.Name}
	var notes []string
	add := func(s Step) {
		s.Index = len(f.Steps) + 1
		f.Steps = append(f.Steps, s)
	}
	sel := func(css string) []Selector { return []Selector{{css}} }
	masked := func(step *config.Step, v string) string {
		if m := secrets.Mask(v); m != v {
			notes = append(notes, fmt.Sprintf("step %q: a secret is written as %s: type it in before replaying", step.Name, config.Masked))
			return m
		}
		return v
	}
	click := func(css string, timeout time.Duration) Step {
		return Step{Type: Click, Selectors: sel(css), OffsetX: clickOffset, OffsetY: clickOffset, Timeout: timeout}
	}
	// touchprobe's window, so that the replay lays the pages out as
	// touchprobe sees them (Puppeteer's own default is 800x600).
	add(Step{Type: SetViewport, Width: ExportWidth, Height: ExportHeight, DeviceScaleFactor: 1})
	for i := range j.Steps {
		s := &j.Steps[i]
		if s.Frame != "" {
			return nil, nil, fmt.Errorf("step %q (#%d): steps in a frame cannot be written as Recorder steps yet", s.Name, i+1)
		}
		if s.Optional {
			notes = append(notes, fmt.Sprintf("step %q is optional in touchprobe; a replay of the recording requires it", s.Name))
		}
		t := recorderTimeout(s.Timeout.Duration)
		switch s.Action {
		case "navigate":
			u := masked(s, s.URL)
			add(Step{Type: Navigate, URL: u, Timeout: t, AssertedEvents: []AssertedEvent{{Type: "navigation", URL: u}}})
		case "click":
			add(click(s.Selector, t))
		case "fill":
			for _, f := range s.FieldOrder {
				add(click(f, t))
				add(Step{Type: Change, Selectors: sel(f), Value: masked(s, s.Fields[f]), Timeout: t})
			}
			if s.Submit != "" {
				add(click(s.Submit, t))
			}
		case "select":
			// The second alternative tells Import the element is a <select>.
			add(Step{Type: Change, Selectors: []Selector{{s.Selector}, {"select:is(" + s.Selector + ")"}}, Value: masked(s, s.Value), Timeout: t})
		case "press":
			if s.Selector != "" {
				add(click(s.Selector, t))
			}
			add(Step{Type: KeyDown, Key: s.Key, Timeout: t})
			add(Step{Type: KeyUp, Key: s.Key, Timeout: t})
		case "wait":
			// An explicit operator keeps it a step of its own on import.
			one := 1.0
			add(Step{Type: WaitForElement, Selectors: sel(s.Selector), Operator: ">=", Count: &one, Timeout: t})
		case "assert":
			if s.Selector != "" {
				add(Step{Type: WaitForExpression, Expression: expression{selector: s.Selector, text: masked(s, s.Text)}.String(), Timeout: t})
			}
			if s.URLMatches != "" {
				add(Step{Type: WaitForExpression, Expression: expression{urlMatches: masked(s, s.URLMatches)}.String(), Timeout: t})
			}
		default:
			return nil, nil, fmt.Errorf("step %q (#%d): %s steps cannot be written as Recorder steps yet", s.Name, i+1, s.Action)
		}
		if s.WaitFor != "" {
			add(Step{Type: WaitForExpression, Expression: expression{waitFor: true, selector: s.WaitFor}.String(), Timeout: t})
		}
		if s.Expect != nil {
			add(Step{Type: WaitForExpression, Expression: expression{expect: true, selector: s.Expect.Selector, text: masked(s, s.Expect.Text)}.String(), Timeout: t})
		}
	}
	return f, notes, nil
}

// recorderTimeout fits a step timeout into the schema's 1ms..30s.
func recorderTimeout(d time.Duration) time.Duration {
	return min(max(d, 0), MaxTimeout)
}

// MarshalJSON writes the flow in the Recorder's export shape: selectors as
// lists of lists, each step with the keys its type has.
func (f *Flow) MarshalJSON() ([]byte, error) {
	type obj = map[string]any
	steps := make([]obj, 0, len(f.Steps))
	for _, s := range f.Steps {
		m := obj{"type": s.Type}
		if s.Timeout > 0 {
			m["timeout"] = ms(s.Timeout)
		}
		if s.Target != "" {
			m["target"] = s.Target
		}
		if len(s.Frame) > 0 {
			m["frame"] = s.Frame
		}
		if len(s.Selectors) > 0 {
			sels := make([][]string, len(s.Selectors))
			for i, a := range s.Selectors {
				sels[i] = a
			}
			m["selectors"] = sels
		}
		if len(s.AssertedEvents) > 0 {
			evs := make([]obj, len(s.AssertedEvents))
			for i, e := range s.AssertedEvents {
				evs[i] = obj{"type": e.Type}
				if e.URL != "" {
					evs[i]["url"] = e.URL
				}
				if e.Title != "" {
					evs[i]["title"] = e.Title
				}
			}
			m["assertedEvents"] = evs
		}
		switch s.Type {
		case Click, DoubleClick:
			m["offsetX"], m["offsetY"] = s.OffsetX, s.OffsetY
			if s.Button != "" {
				m["button"] = s.Button
			}
			if s.DeviceType != "" {
				m["deviceType"] = s.DeviceType
			}
			if s.Duration > 0 {
				m["duration"] = s.Duration
			}
		case Change:
			m["value"] = s.Value
		case KeyDown, KeyUp:
			m["key"] = s.Key
		case Navigate:
			m["url"] = s.URL
		case Scroll:
			m["x"], m["y"] = s.X, s.Y
		case SetViewport:
			m["width"], m["height"], m["deviceScaleFactor"] = s.Width, s.Height, s.DeviceScaleFactor
			m["isMobile"], m["hasTouch"], m["isLandscape"] = s.IsMobile, s.HasTouch, s.IsLandscape
		case EmulateNetworkConditions:
			m["download"], m["upload"], m["latency"] = s.Download, s.Upload, s.Latency
		case WaitForElement:
			if s.Operator != "" {
				m["operator"] = s.Operator
			}
			if s.Count != nil {
				m["count"] = *s.Count
			}
			if s.Visible != nil {
				m["visible"] = *s.Visible
			}
			if s.Attributes != nil {
				m["attributes"] = s.Attributes
			}
			if s.Properties != nil {
				m["properties"] = s.Properties
			}
		case WaitForExpression:
			m["expression"] = s.Expression
		case CustomStep:
			m["name"] = s.Name
		}
		steps = append(steps, m)
	}
	out := obj{"title": f.Title, "steps": steps}
	if f.Timeout > 0 {
		out["timeout"] = ms(f.Timeout)
	}
	if f.SelectorAttribute != "" {
		out["selectorAttribute"] = f.SelectorAttribute
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // selectors such as "ul > li" stay readable
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// ms writes a duration as the schema's milliseconds.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
