package recorder

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/touchprobe/touchprobe/config"
)

// MaxTimeout is the longest timeout the schema allows, per step or flow;
// the shortest is 1ms.
const MaxTimeout = 30 * time.Second

// Error is what is wrong with a recording: at a step (Step is its 1-based
// position, Type its type when it has a readable one) or, with Step 0, at
// the top of the file.
type Error struct {
	Step int
	Type StepType
	Key  string
	Msg  string
	// value is a recorded value the message quotes where it holds
	// valueMark, shortened only when the message is written, so that a
	// secret in it is named by its reference whole (see Import) before
	// anything of it is cut.
	value string
}

// valueMark stands for Error.value in Error.Msg.
const valueMark = "\x00"

// valueError returns an error about step s's key whose message is msg
// with valueMark standing for the recorded value v.
func valueError(s *Step, key, msg, v string) *Error {
	return &Error{Step: s.Index, Type: s.Type, Key: key, Msg: msg, value: v}
}

func (e *Error) Error() string {
	var b strings.Builder
	switch {
	case e.Step > 0 && e.Type != "":
		fmt.Fprintf(&b, "step %d (%s)", e.Step, e.Type)
	case e.Step > 0:
		fmt.Fprintf(&b, "step %d", e.Step)
	default:
		b.WriteString("recording")
	}
	if e.Key != "" {
		b.WriteString(": " + e.Key)
	}
	b.WriteString(": " + strings.ReplaceAll(e.Msg, valueMark, strconv.Quote(config.TruncateRunes(e.value, 80))))
	return b.String()
}

// Parse reads a recording exported by Chrome DevTools' Recorder. Fields the
// schema does not define (timestamp, id, className, ...) are ignored. The
// first problem found is returned as an *Error naming the step; a
// customStep is one, since only Chrome's extensions know what it does.
func Parse(data []byte) (*Flow, error) {
	var top map[string]json.RawMessage
	if err := strictUnmarshal(data, &top); err != nil {
		return nil, &Error{Msg: "not a Recorder JSON export: " + jsonProblem(err) + `: export the recording from Chrome DevTools (Recorder → Export → JSON)`}
	}
	if top == nil {
		return nil, &Error{Msg: `not a Recorder JSON export: expected an object with "title" and "steps"`}
	}
	f := &Flow{}
	p := &fields{raw: top}
	if !p.has("title") {
		return nil, &Error{Key: "title", Msg: "missing: a recording has a title"}
	}
	if err := p.str("title", &f.Title); err != nil {
		return nil, err
	}
	if err := p.timeout(&f.Timeout); err != nil {
		return nil, err
	}
	if err := p.str("selectorAttribute", &f.SelectorAttribute); err != nil {
		return nil, err
	}
	rawSteps, ok := top["steps"]
	if !ok {
		return nil, &Error{Key: "steps", Msg: "missing: a recording has a list of steps"}
	}
	var steps []json.RawMessage
	if err := json.Unmarshal(rawSteps, &steps); err != nil || isNull(rawSteps) {
		return nil, &Error{Key: "steps", Msg: "expected a list of steps, got " + describe(rawSteps)}
	}
	if len(steps) == 0 {
		return nil, &Error{Key: "steps", Msg: "the recording has no steps: record at least one"}
	}
	for i, raw := range steps {
		s, err := parseStep(raw, i+1)
		if err != nil {
			return nil, err
		}
		f.Steps = append(f.Steps, s)
	}
	return f, nil
}

// strictUnmarshal is json.Unmarshal that also refuses text after the value.
func strictUnmarshal(data []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(data))
	if err := d.Decode(v); err != nil {
		return err
	}
	if rest := bytes.TrimSpace(data[d.InputOffset():]); len(rest) > 0 {
		return fmt.Errorf("text after the end of the JSON value, at byte %d", d.InputOffset())
	}
	return nil
}

func jsonProblem(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("invalid JSON at byte %d: %v", se.Offset, se)
	case errors.As(err, &te):
		return "expected an object with \"title\" and \"steps\", got a JSON " + te.Value
	case errors.Is(err, io.EOF):
		return "the file is empty"
	}
	return err.Error()
}

func parseStep(raw json.RawMessage, index int) (Step, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return Step{}, &Error{Step: index, Msg: "expected an object such as {\"type\": \"click\", ...}, got " + describe(raw)}
	}
	s := Step{Index: index}
	p := &fields{raw: m, step: index}
	rawType, ok := m["type"]
	if !ok {
		return s, &Error{Step: index, Key: "type", Msg: "missing: write one of " + typeList()}
	}
	var typ string
	if err := json.Unmarshal(rawType, &typ); err != nil || isNull(rawType) {
		return s, &Error{Step: index, Key: "type", Msg: "expected a string, got " + describe(rawType)}
	}
	s.Type = StepType(typ)
	p.typ = s.Type
	if !slices.Contains(StepTypes, s.Type) {
		return s, &Error{Step: index, Key: "type", Msg: fmt.Sprintf("unknown step type %q: write one of %s", config.TruncateRunes(typ, 40), typeList())}
	}
	if s.Type == CustomStep {
		var name string
		_ = json.Unmarshal(m["name"], &name)
		return s, p.errf("", "custom step %q is not supported: it runs code of a Chrome extension that touchprobe does not have; remove it from the recording", config.TruncateRunes(name, 40))
	}

	// Every step: timeout, assertedEvents, target.
	if err := p.timeout(&s.Timeout); err != nil {
		return s, err
	}
	if err := p.assertedEvents(&s.AssertedEvents); err != nil {
		return s, err
	}
	if err := p.str("target", &s.Target); err != nil {
		return s, err
	}
	withFrame := func() error { return p.frame(&s.Frame) }
	withSelectors := func(required bool) error {
		if err := withFrame(); err != nil {
			return err
		}
		return p.selectors(&s.Selectors, required)
	}

	var err error
	switch s.Type {
	case Click, DoubleClick:
		err = firstErr(withSelectors(true),
			p.num("offsetX", &s.OffsetX, true), p.num("offsetY", &s.OffsetY, true),
			p.oneOf("button", &s.Button, "primary", "auxiliary", "secondary", "back", "forward"),
			p.oneOf("deviceType", &s.DeviceType, "mouse", "pen", "touch"),
			p.num("duration", &s.Duration, false))
	case Hover:
		err = withSelectors(true)
	case Change:
		err = firstErr(withSelectors(true), p.reqStr("value", &s.Value))
	case KeyDown, KeyUp:
		err = p.reqStr("key", &s.Key)
		if err == nil && s.Key == "" {
			err = p.errf("key", "must not be empty: write a key name such as \"Enter\"")
		}
	case Navigate:
		err = p.reqStr("url", &s.URL)
	case Scroll:
		err = firstErr(withSelectors(false), p.num("x", &s.X, false), p.num("y", &s.Y, false))
	case SetViewport:
		err = firstErr(p.num("width", &s.Width, true), p.num("height", &s.Height, true),
			p.num("deviceScaleFactor", &s.DeviceScaleFactor, true),
			p.boolean("isMobile", &s.IsMobile), p.boolean("hasTouch", &s.HasTouch), p.boolean("isLandscape", &s.IsLandscape))
	case EmulateNetworkConditions:
		err = firstErr(p.num("download", &s.Download, true), p.num("upload", &s.Upload, true), p.num("latency", &s.Latency, true))
	case Close:
	case WaitForElement:
		err = firstErr(withSelectors(true),
			p.oneOf("operator", &s.Operator, ">=", "==", "<="),
			p.optNum("count", &s.Count), p.optBool("visible", &s.Visible),
			p.attributes(&s.Attributes), p.properties(&s.Properties))
	case WaitForExpression:
		err = firstErr(withFrame(), p.reqStr("expression", &s.Expression))
		if err == nil && strings.TrimSpace(s.Expression) == "" {
			err = p.errf("expression", "must not be empty: write a JavaScript expression that becomes true, such as \"document.title === 'Thanks'\"")
		}
	}
	return s, err
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

func typeList() string {
	names := make([]string, 0, len(StepTypes))
	for _, t := range StepTypes {
		if t != CustomStep {
			names = append(names, string(t))
		}
	}
	return strings.Join(names, ", ")
}

// fields reads the keys of one JSON object, with errors that name where
// the object is.
type fields struct {
	raw  map[string]json.RawMessage
	step int
	typ  StepType
}

func (p *fields) errf(key, format string, args ...any) error {
	return &Error{Step: p.step, Type: p.typ, Key: key, Msg: fmt.Sprintf(format, args...)}
}

func (p *fields) has(key string) bool {
	_, ok := p.raw[key]
	return ok
}

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

// describe names a JSON value's type for "expected ..., got ..." messages.
func describe(raw json.RawMessage) string {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 {
		return "nothing"
	}
	switch t[0] {
	case '"':
		var s string
		if json.Unmarshal(t, &s) == nil {
			return fmt.Sprintf("the string %q", config.TruncateRunes(s, 40))
		}
		return "a string"
	case '{':
		return "an object"
	case '[':
		return "a list"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "the number " + config.TruncateRunes(string(t), 20)
}

func (p *fields) str(key string, dst *string) error {
	raw, ok := p.raw[key]
	if !ok {
		return nil
	}
	if err := json.Unmarshal(raw, dst); err != nil || isNull(raw) {
		return p.errf(key, "expected a string, got %s", describe(raw))
	}
	return nil
}

func (p *fields) reqStr(key string, dst *string) error {
	if !p.has(key) {
		return p.errf(key, "missing: a %s step has a %s", p.typ, key)
	}
	return p.str(key, dst)
}

func (p *fields) oneOf(key string, dst *string, valid ...string) error {
	if err := p.str(key, dst); err != nil {
		return err
	}
	if p.has(key) && !slices.Contains(valid, *dst) {
		return p.errf(key, "%q is not one of %s", config.TruncateRunes(*dst, 40), strings.Join(valid, ", "))
	}
	return nil
}

func (p *fields) num(key string, dst *float64, required bool) error {
	raw, ok := p.raw[key]
	if !ok {
		if required {
			return p.errf(key, "missing: a %s step has a number %s", p.typ, key)
		}
		return nil
	}
	if err := json.Unmarshal(raw, dst); err != nil || isNull(raw) || math.IsInf(*dst, 0) {
		return p.errf(key, "expected a number, got %s", describe(raw))
	}
	return nil
}

func (p *fields) optNum(key string, dst **float64) error {
	if !p.has(key) {
		return nil
	}
	var v float64
	if err := p.num(key, &v, true); err != nil {
		return err
	}
	*dst = &v
	return nil
}

func (p *fields) boolean(key string, dst *bool) error {
	raw, ok := p.raw[key]
	if !ok {
		return p.errf(key, "missing: a %s step has %s = true or false", p.typ, key)
	}
	if err := json.Unmarshal(raw, dst); err != nil || isNull(raw) {
		return p.errf(key, "expected true or false, got %s", describe(raw))
	}
	return nil
}

func (p *fields) optBool(key string, dst **bool) error {
	if !p.has(key) {
		return nil
	}
	var v bool
	if err := p.boolean(key, &v); err != nil {
		return err
	}
	*dst = &v
	return nil
}

func (p *fields) timeout(dst *time.Duration) error {
	var ms float64
	if err := p.num("timeout", &ms, false); err != nil {
		return err
	}
	if !p.has("timeout") {
		return nil
	}
	if ms < 1 || ms > float64(MaxTimeout/time.Millisecond) {
		return p.errf("timeout", "%v is not between 1 and %d milliseconds", ms, MaxTimeout/time.Millisecond)
	}
	*dst = time.Duration(ms * float64(time.Millisecond))
	return nil
}

func (p *fields) frame(dst *[]int) error {
	raw, ok := p.raw["frame"]
	if !ok {
		return nil
	}
	var nums []float64
	if err := json.Unmarshal(raw, &nums); err != nil || isNull(raw) {
		return p.errf("frame", "expected a list of frame indexes such as [0, 1], got %s", describe(raw))
	}
	out := make([]int, 0, len(nums))
	for i, n := range nums {
		if n != math.Trunc(n) || n < 0 || n > math.MaxInt32 {
			return p.errf("frame", "entry #%d: expected a frame index (0, 1, ...), got %v", i+1, n)
		}
		out = append(out, int(n))
	}
	if len(out) > 0 {
		*dst = out
	}
	return nil
}

func (p *fields) selectors(dst *[]Selector, required bool) error {
	raw, ok := p.raw["selectors"]
	if !ok {
		if required {
			return p.errf("selectors", "missing: a %s step has a list of selectors for its element", p.typ)
		}
		return nil
	}
	var alts []json.RawMessage
	if err := json.Unmarshal(raw, &alts); err != nil || isNull(raw) {
		return p.errf("selectors", "expected a list of selectors, got %s", describe(raw))
	}
	if len(alts) == 0 {
		return p.errf("selectors", "the list is empty: a %s step has at least one selector for its element", p.typ)
	}
	out := make([]Selector, 0, len(alts))
	for i, a := range alts {
		var one string
		if err := json.Unmarshal(a, &one); err == nil && !isNull(a) {
			if strings.TrimSpace(one) == "" {
				return p.errf("selectors", "selector #%d is empty", i+1)
			}
			out = append(out, Selector{one})
			continue
		}
		var chain []json.RawMessage
		if err := json.Unmarshal(a, &chain); err != nil || isNull(a) {
			return p.errf("selectors", "selector #%d: expected a string or a list of strings, got %s", i+1, describe(a))
		}
		if len(chain) == 0 {
			return p.errf("selectors", "selector #%d is an empty list", i+1)
		}
		sel := make(Selector, 0, len(chain))
		for k, part := range chain {
			var s string
			if err := json.Unmarshal(part, &s); err != nil || isNull(part) {
				return p.errf("selectors", "selector #%d, part %d: expected a string, got %s", i+1, k+1, describe(part))
			}
			if strings.TrimSpace(s) == "" {
				return p.errf("selectors", "selector #%d, part %d is empty", i+1, k+1)
			}
			sel = append(sel, s)
		}
		out = append(out, sel)
	}
	*dst = out
	return nil
}

func (p *fields) assertedEvents(dst *[]AssertedEvent) error {
	raw, ok := p.raw["assertedEvents"]
	if !ok {
		return nil
	}
	var list []json.RawMessage
	if err := json.Unmarshal(raw, &list); err != nil || isNull(raw) {
		return p.errf("assertedEvents", "expected a list of events, got %s", describe(raw))
	}
	for i, e := range list {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(e, &m); err != nil || m == nil {
			return p.errf("assertedEvents", "event #%d: expected an object such as {\"type\": \"navigation\"}, got %s", i+1, describe(e))
		}
		ev := &fields{raw: m, step: p.step, typ: p.typ}
		var a AssertedEvent
		key := fmt.Sprintf("assertedEvents #%d", i+1)
		if !ev.has("type") {
			return p.errf(key, "missing type: write \"navigation\"")
		}
		if err := ev.str("type", &a.Type); err != nil {
			return p.errf(key, "type: %s", err.(*Error).Msg)
		}
		if a.Type != "navigation" {
			return p.errf(key, "unknown event type %q: the only one is \"navigation\"", config.TruncateRunes(a.Type, 40))
		}
		for _, k := range []struct {
			name string
			dst  *string
		}{{"url", &a.URL}, {"title", &a.Title}} {
			if err := ev.str(k.name, k.dst); err != nil {
				return p.errf(key, "%s: %s", k.name, err.(*Error).Msg)
			}
		}
		*dst = append(*dst, a)
	}
	return nil
}

func (p *fields) attributes(dst *map[string]string) error {
	raw, ok := p.raw["attributes"]
	if !ok {
		return nil
	}
	if err := json.Unmarshal(raw, dst); err != nil || isNull(raw) {
		return p.errf("attributes", "expected an object of attribute names and string values, got %s", describe(raw))
	}
	return nil
}

func (p *fields) properties(dst *map[string]any) error {
	raw, ok := p.raw["properties"]
	if !ok {
		return nil
	}
	if err := json.Unmarshal(raw, dst); err != nil || isNull(raw) {
		return p.errf("properties", "expected an object of element properties, got %s", describe(raw))
	}
	if depth(*dst) > config.MaxNesting {
		return p.errf("properties", "objects and lists nest more than %d deep, more than a configuration may: compare the properties you need, such as {\"checked\": true} or {\"dataset\": {\"state\": \"ready\"}}", config.MaxNesting)
	}
	return nil
}

// depth is how deeply objects and lists nest in a decoded JSON value: 0
// for a string, number, boolean or null.
func depth(v any) int {
	d := 0
	switch v := v.(type) {
	case map[string]any:
		for _, e := range v {
			d = max(d, depth(e))
		}
	case []any:
		for _, e := range v {
			d = max(d, depth(e))
		}
	default:
		return 0
	}
	return d + 1
}
