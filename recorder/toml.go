package recorder

import (
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/touchprobe/touchprobe/config"
)

// WriteTOML writes the imported journey as a complete configuration file
// that config.Parse accepts once the variables of Env are set.
func (im *Imported) WriteTOML(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# Imported from the Chrome DevTools Recorder recording %s.\n", comment(quote(im.Title)))
	for _, n := range im.Notes {
		b.WriteString("# Note: " + comment(n) + "\n")
	}
	if len(im.Env) > 0 {
		b.WriteString("# Set these environment variables where touchprobe runs:\n")
		for _, e := range im.Env {
			fmt.Fprintf(&b, "#   %s: %s\n", e.Name, comment(e.Why))
		}
	}
	j := &im.Journey
	b.WriteString("\n[[journey]]\n")
	fmt.Fprintf(&b, "name = %s\n", quote(j.Name))
	fmt.Fprintf(&b, "schedule = %s\n", quote(j.Schedule))
	for i := range j.Steps {
		s := &j.Steps[i]
		b.WriteString("\n")
		if i < len(im.Comments) {
			for _, c := range im.Comments[i] {
				b.WriteString("  # " + comment(c) + "\n")
			}
		}
		b.WriteString("  [[journey.step]]\n")
		kv := func(key, value string) {
			if value != "" {
				fmt.Fprintf(&b, "  %s = %s\n", key, quote(value))
			}
		}
		kv("name", s.Name)
		kv("touchpoint", s.Touchpoint)
		kv("action", s.Action)
		kv("url", s.URL)
		if s.Action != "fill" {
			kv("selector", s.Selector)
		}
		if len(s.Selectors) > 0 && s.Action != "fill" {
			alts := make([]string, len(s.Selectors))
			for k, a := range s.Selectors {
				if len(a) == 1 {
					alts[k] = quote(a[0])
					continue
				}
				parts := make([]string, len(a))
				for n, p := range a {
					parts[n] = quote(p)
				}
				alts[k] = "[" + strings.Join(parts, ", ") + "]"
			}
			fmt.Fprintf(&b, "  selectors = [%s]\n", strings.Join(alts, ", "))
		}
		if len(s.FieldOrder) > 0 {
			parts := make([]string, len(s.FieldOrder))
			for k, f := range s.FieldOrder {
				parts[k] = quote(f) + " = " + quote(s.Fields[f])
			}
			fmt.Fprintf(&b, "  fields = { %s }\n", strings.Join(parts, ", "))
		}
		kv("submit", s.Submit)
		kv("value", s.Value)
		kv("key", s.Key)
		kv("text", s.Text)
		kv("url_matches", s.URLMatches)
		kv("expression", s.Expression)
		if len(s.Attributes) > 0 {
			parts := make([]string, 0, len(s.Attributes))
			for _, k := range slices.Sorted(maps.Keys(s.Attributes)) {
				parts = append(parts, quote(k)+" = "+quote(s.Attributes[k]))
			}
			fmt.Fprintf(&b, "  attributes = { %s }\n", strings.Join(parts, ", "))
		}
		if len(s.Properties) > 0 {
			fmt.Fprintf(&b, "  properties = %s\n", tomlValue(s.Properties))
		}
		if s.Visible != nil {
			fmt.Fprintf(&b, "  visible = %t\n", *s.Visible)
		}
		kv("button", s.Button)
		if s.OffsetX != nil && s.OffsetY != nil {
			fmt.Fprintf(&b, "  offset_x = %s\n  offset_y = %s\n", tomlValue(*s.OffsetX), tomlValue(*s.OffsetY))
		}
		kv("device_type", s.DeviceType)
		if len(s.Modifiers) > 0 {
			quoted := make([]string, len(s.Modifiers))
			for i, m := range s.Modifiers {
				quoted[i] = quote(m)
			}
			fmt.Fprintf(&b, "  modifiers = [%s]\n", strings.Join(quoted, ", "))
		}
		if s.Operator != "" {
			kv("operator", s.Operator)
			fmt.Fprintf(&b, "  count = %d\n", s.Count)
		}
		if s.Action == "viewport" {
			fmt.Fprintf(&b, "  width = %d\n  height = %d\n", s.Width, s.Height)
			if s.DeviceScaleFactor != 0 {
				fmt.Fprintf(&b, "  device_scale_factor = %s\n", tomlValue(s.DeviceScaleFactor))
			}
			for _, f := range []struct {
				key string
				on  bool
			}{{"mobile", s.Mobile}, {"touch", s.Touch}, {"landscape", s.Landscape}} {
				if f.on {
					fmt.Fprintf(&b, "  %s = true\n", f.key)
				}
			}
		}
		if s.Download > 0 {
			kv("download", s.Download.String())
		}
		if s.Upload > 0 {
			kv("upload", s.Upload.String())
		}
		if s.Latency.Duration > 0 {
			kv("latency", s.Latency.Duration.String())
		}
		if s.Offline {
			b.WriteString("  offline = true\n")
		}
		if s.Action == "scroll" {
			fmt.Fprintf(&b, "  left = %d\n  top = %d\n", s.Left, s.Top)
		}
		if one, ok := s.Frame.OneString(); ok {
			kv("frame", one)
		} else if len(s.Frame) > 0 {
			// Frames one string would not read back as: see config.Frames.
			quoted := make([]string, len(s.Frame))
			for i, f := range s.Frame {
				quoted[i] = quote(f)
			}
			fmt.Fprintf(&b, "  frame = [%s]\n", strings.Join(quoted, ", "))
		}
		kv("target", s.Target)
		kv("wait_for", s.WaitFor)
		kv("title", s.Title)
		if s.Expect != nil {
			fmt.Fprintf(&b, "  expect = { selector = %s, text = %s }\n", quote(s.Expect.Selector), quote(s.Expect.Text))
		}
		if s.Timeout.Duration > 0 {
			kv("timeout", s.Timeout.Duration.String())
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// tomlValue writes a JSON value (as encoding/json decodes one, without
// null: see tomlValues) as a TOML value.
func tomlValue(v any) string {
	switch v := v.(type) {
	case string:
		return quote(v)
	case bool:
		return strconv.FormatBool(v)
	case float64:
		if v == math.Trunc(v) && math.Abs(v) < 1e15 {
			return strconv.FormatInt(int64(v), 10)
		}
		return strconv.FormatFloat(v, 'g', -1, 64)
	case []any:
		parts := make([]string, len(v))
		for i, e := range v {
			parts[i] = tomlValue(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case map[string]any:
		parts := make([]string, 0, len(v))
		for _, k := range slices.Sorted(maps.Keys(v)) {
			parts = append(parts, quote(k)+" = "+tomlValue(v[k]))
		}
		return "{ " + strings.Join(parts, ", ") + " }"
	}
	return quote(fmt.Sprint(v))
}

// tomlValues checks that a JSON value of the step's key can be written in
// TOML, which has no null.
func tomlValues(s *Step, key string, v any) error {
	switch v := v.(type) {
	case nil:
		return &Error{Step: s.Index, Type: s.Type, Key: key, Msg: "null is not a value touchprobe can compare with: write the value the property must have, or leave the property out"}
	case []any:
		for _, e := range v {
			if err := tomlValues(s, key, e); err != nil {
				return err
			}
		}
	case map[string]any:
		for _, e := range v {
			if err := tomlValues(s, key, e); err != nil {
				return err
			}
		}
	}
	return nil
}

// quote writes s as a TOML basic string.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// comment keeps text on one line of a TOML comment, which must hold no
// control character.
func comment(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, config.TruncateRunes(s, 1000))
}
