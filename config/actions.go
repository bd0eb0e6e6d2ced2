package config

import (
	"maps"
	"net/url"
	"slices"
	"strings"
)

// actionSpec is one action a step can take: the keys it uses beyond those
// every step has, in the order they are checked, and any check beyond
// "required keys are written".
type actionSpec struct {
	Name  string
	Keys  []actionKey
	check func(v *validator, w where, m meta, s *Step)
}

// actionKey is a key an action uses. A required key comes with the hint
// given when it is missing.
type actionKey struct {
	Name     string
	Required bool
	Hint     string
}

func required(name, hint string) actionKey { return actionKey{Name: name, Required: true, Hint: hint} }
func optional(name string) actionKey       { return actionKey{Name: name} }

// actionTable is the one definition of the actions: validation reads it,
// and Actions and actionOnlyKeys are derived from it.
var actionTable = []actionSpec{
	{Name: "navigate", Keys: []actionKey{
		required("url", `write an absolute URL such as "https://shop.example.com/"`),
	}, check: func(v *validator, w where, m meta, s *Step) {
		if m.has("url") {
			if u, err := url.Parse(s.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				v.add(w, "url", "%q is not an absolute http(s) URL: write one such as \"https://shop.example.com/\"", v.written.show(s, "url", s.URL))
			}
		}
	}},
	{Name: "click", Keys: append([]actionKey{
		required("selector", `write the CSS selector of the element to click, such as "#consent-accept"`),
		optional("selectors"),
	}, pointerKeys...), check: checkPointer},
	{Name: "fill", Keys: []actionKey{
		required("fields", `write the fields to fill as CSS selector = value, such as fields = { "#email" = "shopper@example.com" }`),
		optional("submit"),
	}},
	{Name: "select", Keys: []actionKey{
		required("selector", `write the CSS selector of the <select> element, such as "#size"`),
		optional("selectors"),
		required("value", `write the value of the <option> to choose`),
	}},
	{Name: "press", Keys: []actionKey{
		required("key", `write a key name such as "Enter" or "Tab"`),
		optional("selector"), optional("selectors"),
	}, check: func(v *validator, w where, m meta, s *Step) {
		v.notEmpty(w, m, "key", s.Key, `write a key name such as "Enter" or "Tab"`)
	}},
	{Name: "wait", Keys: []actionKey{
		optional("selector"), optional("selectors"), optional("count"), optional("operator"), optional("attributes"), optional("properties"), optional("visible"), optional("expression"),
	}, check: func(v *validator, w where, m meta, s *Step) {
		sel := m.present["selector"] || m.present["selectors"]
		switch {
		case !sel && !m.present["expression"]:
			v.add(w, "selector", `required by wait: write the CSS selector of the element to wait for, such as "#card"`)
		case sel && m.present["expression"]:
			v.add(w, "expression", "written with a selector: a wait is for an element or for an expression, not both; make them two steps")
		}
		v.notEmpty(w, m, "expression", s.Expression, `write a JavaScript expression that becomes true, such as "document.querySelectorAll('li').length > 2"`)
		if !sel {
			for _, key := range []string{"count", "operator", "attributes", "properties", "visible"} {
				if m.present[key] {
					v.add(w, key, "only counts the elements of selector or selectors: write one, such as selector = \"#results li\"")
					break
				}
			}
		}
		// Compared as written: a reference would be waited for as text.
		for _, k := range slices.Sorted(maps.Keys(s.Attributes)) {
			if strings.Contains(k, "${") || strings.Contains(s.Attributes[k], "${") {
				v.add(w, "attributes", "%q: references such as ${env:NAME} are not filled in attributes: write the value itself", k)
			}
		}
		for _, k := range slices.Sorted(maps.Keys(s.Properties)) {
			if strings.Contains(k, "${") || holdsRef(s.Properties[k]) {
				v.add(w, "properties", "%q: references such as ${env:NAME} are not filled in properties: write the value itself", k)
			}
		}
		if m.has("operator") && !slices.Contains(WaitOperators, s.Operator) {
			v.add(w, "operator", "%s", oneOf("operator", s.Operator, WaitOperators))
		}
		if m.has("count") && s.Count < 0 {
			v.add(w, "count", "must not be negative, got %d: write how many elements to wait for", s.Count)
		}
		if m.has("count") && s.Count == 0 && (s.Operator == "" || s.Operator == ">=") {
			v.add(w, "count", `0 with operator ">=" always holds: write operator = "==" to wait until no element is left`)
		}
	}},
	{Name: "hover", Keys: []actionKey{
		required("selector", `write the CSS selector of the element to move the pointer over, such as "#menu"`),
		optional("selectors"),
	}},
	{Name: "double_click", Keys: append([]actionKey{
		required("selector", `write the CSS selector of the element to double-click, such as "#item"`),
		optional("selectors"),
	}, pointerKeys...), check: checkPointer},
	{Name: "scroll", Keys: []actionKey{
		optional("selector"), optional("selectors"), optional("left"), optional("top"),
	}, check: func(v *validator, w where, m meta, s *Step) {
		if m.has("left") && s.Left < 0 || m.has("top") && s.Top < 0 {
			v.add(w, "", "left and top must not be negative: write where to scroll to, in CSS pixels from the left and the top")
		}
	}},
	{Name: "assert", Keys: []actionKey{
		optional("selector"), optional("selectors"), optional("text"), optional("url_matches"),
	}, check: func(v *validator, w where, m meta, s *Step) {
		sel, text, re := m.present["selector"] || m.present["selectors"], m.present["text"], m.present["url_matches"]
		switch {
		case !sel && !text && !re:
			v.add(w, "", `assert needs selector and text, or url_matches: write selector = "#basket-count" with text = "1", or url_matches = "/checkout/"`)
		case sel && !text:
			v.add(w, "text", "required with selector by assert: write the text the element must contain")
		case text && !sel:
			v.add(w, "selector", "required with text by assert: write the CSS selector of the element whose text must contain it")
		}
		v.notEmpty(w, m, "text", s.Text, "write the text the element must contain")
	}},
	{Name: "chat", Keys: []actionKey{
		optional("open"),
		required("input", `write the CSS selector of the message box, such as "#message"`),
		required("message", `write the message to send, such as "Is this in stock?"`),
		required("reply", `write the CSS selector of the reply, such as "p.reply"`),
	}, check: func(v *validator, w where, m meta, s *Step) {
		v.notEmpty(w, m, "message", s.Message, `write the message to send, such as "Is this in stock?"`)
	}},
	{Name: "viewport", Keys: []actionKey{
		required("width", "write the page's width in CSS pixels, such as 412"),
		required("height", "write the page's height in CSS pixels, such as 823"),
		optional("device_scale_factor"), optional("mobile"), optional("touch"), optional("landscape"),
	}, check: func(v *validator, w where, m meta, s *Step) {
		for _, k := range []struct {
			key string
			n   int
		}{{"width", s.Width}, {"height", s.Height}} {
			if m.has(k.key) && (k.n < 1 || k.n > MaxViewport) {
				v.add(w, k.key, "%d is not between 1 and %d: write the page's %s in CSS pixels", k.n, MaxViewport, k.key)
			}
		}
		if m.has("device_scale_factor") && (s.DeviceScaleFactor <= 0 || s.DeviceScaleFactor > 10) {
			v.add(w, "device_scale_factor", "%g is not between 0 and 10: write how many device pixels a CSS pixel has, such as 1 or 2.625", s.DeviceScaleFactor)
		}
		noTarget(v, w, m)
	}},
	{Name: "network", Keys: []actionKey{
		optional("download"), optional("upload"), optional("latency"), optional("offline"),
	}, check: func(v *validator, w where, m meta, s *Step) {
		if s.Offline && (m.present["download"] || m.present["upload"] || m.present["latency"]) {
			v.add(w, "offline", "written with download, upload or latency: an offline page has no network to throttle; write one or the other")
		}
		if m.has("latency") && s.Latency.Duration < 0 {
			v.add(w, "latency", "must not be negative: write the time added to each request, such as \"150ms\"")
		}
		noTarget(v, w, m)
	}},
	// close closes a popup the journey opened, as a customer closes a help
	// window before going on; touchprobe closes the journey's own page at
	// the end of every run.
	{Name: "close", check: func(v *validator, w where, m meta, s *Step) {
		if s.Target == "" || s.Target == MainTarget {
			v.add(w, "target", `required: write the URL of the popup to close, such as target = "https://shop.example.com/help"; the journey's own page is closed at the end of every run`)
		}
		if m.present["frame"] {
			v.add(w, "frame", "not used by close: it closes the whole popup; leave frame out")
		}
	}},
}

// MaxViewport is the largest width or height a viewport step sets.
const MaxViewport = 10000

// noTarget refuses frame and target on a step that sets up the journey's
// page itself.
func noTarget(v *validator, w where, m meta) {
	for _, key := range []string{"frame", "target"} {
		if m.present[key] {
			v.add(w, key, "not used by this action: it sets the journey's page and every frame in it; leave %s out", key)
		}
	}
}

// pointerKeys are the keys of the actions that press an element with a
// pointer, as the Recorder's click and doubleClick steps do.
var pointerKeys = []actionKey{optional("button"), optional("offset_x"), optional("offset_y"), optional("device_type"), optional("modifiers")}

func checkPointer(v *validator, w where, m meta, s *Step) {
	if m.has("button") && !slices.Contains(MouseButtons, s.Button) {
		v.add(w, "button", "%s", oneOf("button", s.Button, MouseButtons))
	}
	if m.has("device_type") && !slices.Contains(PointerDevices, s.DeviceType) {
		v.add(w, "device_type", "%s", oneOf("device_type", s.DeviceType, PointerDevices))
	}
	if m.has("offset_x") != m.has("offset_y") {
		key := "offset_y"
		if m.has("offset_y") {
			key = "offset_x"
		}
		v.add(w, key, "required with %s: write where to press as both offset_x and offset_y, in CSS pixels from the element's top-left corner", map[string]string{"offset_x": "offset_y", "offset_y": "offset_x"}[key])
	}
	for i, mod := range s.Modifiers {
		if !slices.Contains(KeyModifiers, mod) || slices.Contains(s.Modifiers[:i], mod) {
			v.add(w, "modifiers", "%q is not a modifier key, or is written twice: write each of %s at most once, such as modifiers = [\"Control\"]", mod, strings.Join(KeyModifiers, ", "))
		}
	}
	if m.has("device_type") && s.DeviceType == "touch" && m.has("button") && s.Button != "primary" {
		v.add(w, "button", "a touch has no %s button: leave button out, or write device_type = \"mouse\"", s.Button)
	}
}

// MouseButtons are the buttons a click or double click may press, named
// as the Recorder names them; "primary" is the default.
var MouseButtons = []string{"primary", "secondary", "auxiliary", "back", "forward"}

// PointerDevices are what a click or double click presses with, as the
// Recorder's deviceType says: "touch" taps, the others use the mouse.
var PointerDevices = []string{"mouse", "pen", "touch"}

// WaitOperators compare the number of elements a wait step finds with its
// count, as the Recorder's waitForElement does.
var WaitOperators = []string{">=", "==", "<="}

// Actions a step can take, in the order of the table. Runners dispatch on
// Step.Action, so every name here needs one.
var Actions = func() []string {
	names := make([]string, len(actionTable))
	for i, a := range actionTable {
		names[i] = a.Name
	}
	return names
}()

// actionOnlyKeys are the keys that only some actions use, in the order they
// first appear in the table.
var actionOnlyKeys = func() []string {
	var keys []string
	for _, a := range actionTable {
		for _, k := range a.Keys {
			if !slices.Contains(keys, k.Name) {
				keys = append(keys, k.Name)
			}
		}
	}
	return keys
}()

// lookupAction returns the action called name, or nil.
func lookupAction(name string) *actionSpec {
	for i := range actionTable {
		if actionTable[i].Name == name {
			return &actionTable[i]
		}
	}
	return nil
}

// uses reports whether the action uses key.
func (a *actionSpec) uses(key string) bool {
	return slices.ContainsFunc(a.Keys, func(k actionKey) bool { return k.Name == key })
}

// holdsRef reports whether a string, key or element of a decoded TOML
// value holds "${".
func holdsRef(v any) bool {
	switch v := v.(type) {
	case string:
		return strings.Contains(v, "${")
	case map[string]any:
		for k, e := range v {
			if strings.Contains(k, "${") || holdsRef(e) {
				return true
			}
		}
	case []any:
		for _, e := range v {
			if holdsRef(e) {
				return true
			}
		}
	case []map[string]any:
		for _, e := range v {
			if holdsRef(e) {
				return true
			}
		}
	}
	return false
}
