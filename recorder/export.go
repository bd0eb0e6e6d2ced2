package recorder

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
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
// place, and a note says so. A step Export cannot write (a frame given
// by a selector that is neither a frame position nor an iframe's src) is
// an error naming it.
func Export(j *config.Journey, secrets *config.Secrets) (*Flow, []string, error) {
	f := &Flow{Title: j.Name}
	var notes []string
	// Where the current journey step runs, for the Recorder steps it
	// becomes (see frameOf, which import reads them with).
	var inFrame []int
	var inTarget string
	add := func(s Step) {
		s.Index = len(f.Steps) + 1
		// A navigation is a whole page's: the journey's, or its target's.
		switch s.Type {
		case Navigate:
			s.Target = inTarget
		case SetViewport:
		default:
			s.Frame, s.Target = inFrame, inTarget
		}
		f.Steps = append(f.Steps, s)
	}
	// addHolding adds steps with the modifier keys held around them, as the
	// Recorder records a Control-click or a shortcut: keyDown, the click or
	// key, keyUp.
	addHolding := func(mods []string, t time.Duration, steps ...Step) {
		for _, m := range mods {
			add(Step{Type: KeyDown, Key: m, Timeout: t})
		}
		for _, rs := range steps {
			add(rs)
		}
		for _, m := range slices.Backward(mods) {
			add(Step{Type: KeyUp, Key: m, Timeout: t})
		}
	}

	sel := func(css string) []Selector { return []Selector{{css}} }
	alts := func(st *config.Step) []Selector {
		var out []Selector
		for _, a := range st.Alternatives() {
			out = append(out, Selector(a))
		}
		return out
	}
	clickOn := func(sels []Selector, timeout time.Duration) Step {
		return Step{Type: Click, Selectors: sels, OffsetX: clickOffset, OffsetY: clickOffset, Timeout: timeout}
	}
	click := func(css string, timeout time.Duration) Step { return clickOn(sel(css), timeout) }
	// touchprobe's window, so that the replay lays the pages out as
	// touchprobe sees them (Puppeteer's own default is 800x600).
	add(Step{Type: SetViewport, Width: ExportWidth, Height: ExportHeight, DeviceScaleFactor: 1})
	for i := range j.Steps {
		// Every string of the step is masked before any of it is
		// written: selectors, fields, keys, target and frame as much as
		// values and text.
		step, hasSecret := secrets.MaskStep(&j.Steps[i])
		s := &step
		if hasSecret {
			notes = append(notes, fmt.Sprintf("step %q: a secret is written as %s: type it in before replaying", s.Name, config.Masked))
		}
		inFrame, inTarget = nil, ""
		if s.Target != "" && s.Target != MainTarget {
			inTarget = s.Target
		}
		if len(s.Frame) > 0 {
			path, frameTarget, ok := recordedFrame(s.Frame)
			if !ok || frameTarget != "" && inTarget != "" {
				return nil, nil, fmt.Errorf("step %q (#%d): the frame %s cannot be written as a Recorder frame: only frames that import writes (a child frame by position, of the page or of the step's target, or an iframe of the page by its src) can", s.Name, i+1, s.Frame.Key())
			}
			inFrame = path
			if frameTarget != "" {
				inTarget = frameTarget
			}
		}
		if s.Optional {
			notes = append(notes, fmt.Sprintf("step %q is optional in touchprobe; a replay of the recording requires it", s.Name))
		}
		t := recorderTimeout(s.Timeout.Duration)
		switch s.Action {
		case "navigate":
			u := s.URL
			add(Step{Type: Navigate, URL: u, Timeout: t, AssertedEvents: []AssertedEvent{{Type: "navigation", URL: u}}})
		case "click":
			addHolding(s.Modifiers, t, pressed(clickOn(alts(s), t), s))
		case "fill":
			for _, f := range s.FieldOrder {
				field := []Selector{Selector(config.FieldSelector(f))}
				add(clickOn(field, t))
				add(Step{Type: Change, Selectors: field, Value: s.Fields[f], Timeout: t})
			}
			if s.Submit != "" {
				add(click(s.Submit, t))
			}
		case "select":
			if len(s.Selectors) > 0 {
				return nil, nil, fmt.Errorf("step %q (#%d): a select step with selectors cannot be written as a Recorder step yet: give it one CSS selector", s.Name, i+1)
			}
			// The second alternative tells Import the element is a <select>.
			add(Step{Type: Change, Selectors: []Selector{{s.Selector}, {"select:is(" + s.Selector + ")"}}, Value: s.Value, Timeout: t})
		case "press":
			if a := alts(s); len(a) > 0 {
				add(clickOn(a, t))
			}
			// A shortcut holds its modifiers around the key, as recorded.
			mods, key := config.SplitKey(s.Key)
			addHolding(mods, t, Step{Type: KeyDown, Key: key, Timeout: t}, Step{Type: KeyUp, Key: key, Timeout: t})
		case "wait":
			if s.Expression != "" {
				add(Step{Type: WaitForExpression, Expression: s.Expression, Timeout: t})
				break
			}
			// An explicit operator keeps it a step of its own on import.
			n, op := 1.0, ">="
			if s.Operator != "" {
				n, op = float64(s.Count), s.Operator
			}
			add(Step{Type: WaitForElement, Selectors: alts(s), Operator: op, Count: &n, Attributes: s.Attributes, Properties: s.Properties, Visible: s.Visible, Timeout: t})
		case "hover":
			add(Step{Type: Hover, Selectors: alts(s), Timeout: t})
		case "double_click":
			addHolding(s.Modifiers, t, pressed(Step{Type: DoubleClick, Selectors: alts(s), OffsetX: clickOffset, OffsetY: clickOffset, Timeout: t}, s))
		case "scroll":
			add(Step{Type: Scroll, Selectors: alts(s), X: float64(s.Left), Y: float64(s.Top), Timeout: t})
		case "chat":
			// The widget opens from the page; the message is typed and
			// sent with Enter in the widget's frame, and the replay waits
			// for a reply there (for one, not for a new one: a recording
			// cannot count the replies before).
			if s.Open != "" {
				frame, target := inFrame, inTarget
				inFrame, inTarget = nil, ""
				add(click(s.Open, t))
				inFrame, inTarget = frame, target
			}
			add(click(s.Input, t))
			add(Step{Type: Change, Selectors: sel(s.Input), Value: s.Message, Timeout: t})
			add(Step{Type: KeyDown, Key: "Enter", Timeout: t})
			add(Step{Type: KeyUp, Key: "Enter", Timeout: t})
			n := 1.0
			add(Step{Type: WaitForElement, Selectors: sel(s.Reply), Operator: ">=", Count: &n, Timeout: t})
		case "close":
			add(Step{Type: Close, Timeout: t})
		case "viewport":
			dsf := s.DeviceScaleFactor
			if dsf == 0 {
				dsf = 1
			}
			add(Step{Type: SetViewport, Width: float64(s.Width), Height: float64(s.Height), DeviceScaleFactor: dsf,
				IsMobile: s.Mobile, HasTouch: s.Touch, IsLandscape: s.Landscape, Timeout: t})
		case "network":
			// The Recorder's replay reads no throughput either way as
			// offline, and a negative one as uncapped.
			down, up := -1.0, -1.0
			if s.Download > 0 {
				down = s.Download.BytesPerSecond()
			}
			if s.Upload > 0 {
				up = s.Upload.BytesPerSecond()
			}
			if s.Offline {
				down, up = 0, 0
			}
			add(Step{Type: EmulateNetworkConditions, Download: down, Upload: up, Latency: ms(s.Latency.Duration), Timeout: t})
		case "assert":
			if len(s.Selectors) > 0 {
				return nil, nil, fmt.Errorf("step %q (#%d): an assert step with selectors cannot be written as a Recorder step yet: give it one CSS selector", s.Name, i+1)
			}
			if s.Selector != "" {
				add(Step{Type: WaitForExpression, Expression: expression{selector: s.Selector, text: s.Text}.String(), Timeout: t})
			}
			if s.URLMatches != "" {
				add(Step{Type: WaitForExpression, Expression: expression{urlMatches: s.URLMatches}.String(), Timeout: t})
			}
		default:
			return nil, nil, fmt.Errorf("step %q (#%d): %s steps cannot be written as Recorder steps yet", s.Name, i+1, s.Action)
		}
		if s.Title != "" {
			// The title is asserted with the navigation of the step's
			// last Recorder step.
			last := &f.Steps[len(f.Steps)-1]
			k := slices.IndexFunc(last.AssertedEvents, func(e AssertedEvent) bool { return e.Type == "navigation" })
			if k < 0 {
				last.AssertedEvents = append(last.AssertedEvents, AssertedEvent{Type: "navigation"})
				k = len(last.AssertedEvents) - 1
			}
			last.AssertedEvents[k].Title = s.Title
		}
		if s.WaitFor != "" {
			add(Step{Type: WaitForExpression, Expression: expression{waitFor: true, selector: s.WaitFor}.String(), Timeout: t})
		}
		if s.Expect != nil {
			add(Step{Type: WaitForExpression, Expression: expression{expect: true, selector: s.Expect.Selector, text: s.Expect.Text}.String(), Timeout: t})
		}
	}
	return f, notes, nil
}

// pressed gives a Recorder click the journey step's button, offset and
// device; a step without an offset is pressed at clickOffset.
func pressed(rs Step, s *config.Step) Step {
	if s.OffsetX != nil && s.OffsetY != nil {
		rs.OffsetX, rs.OffsetY = *s.OffsetX, *s.OffsetY
	}
	rs.Button, rs.DeviceType = s.Button, s.DeviceType
	return rs
}

// recorderTimeout fits a step timeout into the schema's 1ms..30s.
func recorderTimeout(d time.Duration) time.Duration {
	return min(max(d, 0), MaxTimeout)
}

// MarshalJSON writes the flow in the Recorder's export shape: keys in the
// order Chrome writes them ("type" first), selectors as lists of lists,
// each step with the keys its type has.
func (f *Flow) MarshalJSON() ([]byte, error) {
	steps := make([]object, 0, len(f.Steps))
	for _, s := range f.Steps {
		m := object{{"type", s.Type}}
		if s.Target != "" {
			m.add("target", s.Target)
		}
		if len(s.Frame) > 0 {
			m.add("frame", s.Frame)
		}
		if len(s.Selectors) > 0 {
			sels := make([][]string, len(s.Selectors))
			for i, a := range s.Selectors {
				sels[i] = a
			}
			m.add("selectors", sels)
		}
		switch s.Type {
		case Click, DoubleClick:
			m.add("offsetX", s.OffsetX)
			m.add("offsetY", s.OffsetY)
			if s.Button != "" {
				m.add("button", s.Button)
			}
			if s.DeviceType != "" {
				m.add("deviceType", s.DeviceType)
			}
			if s.Duration > 0 {
				m.add("duration", s.Duration)
			}
		case Change:
			m.add("value", s.Value)
		case KeyDown, KeyUp:
			m.add("key", s.Key)
		case Navigate:
			m.add("url", s.URL)
		case Scroll:
			m.add("x", s.X)
			m.add("y", s.Y)
		case SetViewport:
			m = append(m, member{"width", s.Width}, member{"height", s.Height}, member{"deviceScaleFactor", s.DeviceScaleFactor},
				member{"isMobile", s.IsMobile}, member{"hasTouch", s.HasTouch}, member{"isLandscape", s.IsLandscape})
		case EmulateNetworkConditions:
			m = append(m, member{"download", s.Download}, member{"upload", s.Upload}, member{"latency", s.Latency})
		case WaitForElement:
			if s.Operator != "" {
				m.add("operator", s.Operator)
			}
			if s.Count != nil {
				m.add("count", *s.Count)
			}
			if s.Visible != nil {
				m.add("visible", *s.Visible)
			}
			if s.Attributes != nil {
				m.add("attributes", s.Attributes)
			}
			if s.Properties != nil {
				m.add("properties", s.Properties)
			}
		case WaitForExpression:
			m.add("expression", s.Expression)
		case CustomStep:
			m.add("name", s.Name)
		}
		if s.Timeout > 0 {
			m.add("timeout", ms(s.Timeout))
		}
		if len(s.AssertedEvents) > 0 {
			evs := make([]object, len(s.AssertedEvents))
			for i, e := range s.AssertedEvents {
				evs[i] = object{{"type", e.Type}}
				if e.URL != "" {
					evs[i].add("url", e.URL)
				}
				if e.Title != "" {
					evs[i].add("title", e.Title)
				}
			}
			m.add("assertedEvents", evs)
		}
		steps = append(steps, m)
	}
	out := object{{"title", f.Title}}
	if f.Timeout > 0 {
		out.add("timeout", ms(f.Timeout))
	}
	if f.SelectorAttribute != "" {
		out.add("selectorAttribute", f.SelectorAttribute)
	}
	out.add("steps", steps)
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // selectors such as "ul > li" stay readable
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// object is a JSON object that keeps its keys in order.
type object []member

type member struct {
	key   string
	value any
}

func (o *object) add(key string, value any) { *o = append(*o, member{key, value}) }

func (o object) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, f := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		key, err := encode(f.key)
		if err != nil {
			return nil, err
		}
		value, err := encode(f.value)
		if err != nil {
			return nil, err
		}
		b.Write(key)
		b.WriteByte(':')
		b.Write(value)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// encode is json.Marshal without the escaping of <, > and &.
func encode(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

// ms writes a duration as the schema's milliseconds.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
