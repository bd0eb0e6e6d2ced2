package config

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// The TOML library can decode straight into Config, but it stops at the first
// value of the wrong type, and the keys MetaData.Undecoded reports carry no
// array index, so they cannot say which journey or step they are in. The file
// is therefore parsed into a generic tree, and this decoder walks that tree
// itself: it knows at every point which journey and step it is in, reports
// every type error and unknown key instead of the first, and records which
// keys were written so that defaults only fill what the file left out.

// meta records what a table in the file said, beyond the decoded values.
type meta struct {
	present map[string]bool // keys written in the file ("budget", "expect.selector")
	bad     map[string]bool // keys written with a value of the wrong type
	// joined are the keys of Frames written as one string, which
	// splitChain splits once references are filled in (see FramePath).
	joined map[string]bool
}

// has reports whether key was written with a value of the right type.
func (m meta) has(key string) bool { return m.present[key] && !m.bad[key] }

// decoded is Config as written in the file, with what the file said about it.
type decoded struct {
	cfg      *Config
	root     meta     // agent.* and browser.* keys
	journeys []meta   // per journey
	steps    [][]meta // per journey, per step
	profiles []meta   // per [[profile]] of the file
	maint    []meta   // per [[maintenance]] window
}

type decoder struct {
	*collector
	// order is where each key path (array indexes left out) first appears in
	// the file, so that errors come out in file order and not map order.
	order map[string]int
}

var (
	durationType   = reflect.TypeFor[Duration]()
	budgetType     = reflect.TypeFor[Budget]()
	byteSizeType   = reflect.TypeFor[ByteSize]()
	throughputType = reflect.TypeFor[Throughput]()
	timestampType  = reflect.TypeFor[Timestamp]()
	selectorsType  = reflect.TypeFor[[]Selector]()
	framesType     = reflect.TypeFor[Frames]()
	propertiesType = reflect.TypeFor[map[string]any]()
)

// decodeTree turns the generic tree into a Config, reporting every type error
// and unknown key. Values of the wrong type are left zero and marked bad.
func (d *decoder) decodeTree(tree map[string]any) *decoded {
	out := &decoded{cfg: &Config{}}
	out.root = d.table(where{}, nil, tree, reflect.ValueOf(out.cfg).Elem(), "journey", "profile", "maintenance")
	d.profiles(tree, out)
	d.maintenance(tree, out)

	raw, ok := tree["journey"]
	if !ok {
		return out
	}
	tables, ok := d.tables(where{}, "journey", raw, "[[journey]]")
	if !ok {
		out.root.bad["journey"] = true
		return out
	}
	out.cfg.Journeys = make([]Journey, len(tables))
	out.journeys = make([]meta, len(tables))
	out.steps = make([][]meta, len(tables))
	for i, m := range tables {
		j := &out.cfg.Journeys[i]
		w := where{journey: nameOf(m), journeyIndex: i + 1}
		out.journeys[i] = d.table(w, []string{"journey"}, m, reflect.ValueOf(j).Elem(), "step")

		raw, ok := m["step"]
		if !ok {
			continue
		}
		out.journeys[i].present["step"] = true
		steps, ok := d.tables(w, "step", raw, "[[journey.step]]")
		if !ok {
			out.journeys[i].bad["step"] = true
			continue
		}
		j.Steps = make([]Step, len(steps))
		out.steps[i] = make([]meta, len(steps))
		for k, sm := range steps {
			sw := w
			sw.step, sw.stepIndex = nameOf(sm), k+1
			out.steps[i][k] = d.table(sw, []string{"journey", "step"}, sm, reflect.ValueOf(&j.Steps[k]).Elem())
		}
	}
	return out
}

// profiles decodes the file's [[profile]] tables.
func (d *decoder) profiles(tree map[string]any, out *decoded) {
	raw, ok := tree["profile"]
	if !ok {
		return
	}
	out.root.present["profile"] = true
	tables, ok := d.tables(where{}, "profile", raw, "[[profile]]")
	if !ok {
		out.root.bad["profile"] = true
		return
	}
	out.cfg.Profiles = make([]Profile, len(tables))
	out.profiles = make([]meta, len(tables))
	for i, m := range tables {
		w := where{profile: nameOf(m), profileIndex: i + 1}
		out.profiles[i] = d.table(w, []string{"profile"}, m, reflect.ValueOf(&out.cfg.Profiles[i]).Elem())
	}
}

// maintenance decodes the file's [[maintenance]] tables.
func (d *decoder) maintenance(tree map[string]any, out *decoded) {
	raw, ok := tree["maintenance"]
	if !ok {
		return
	}
	out.root.present["maintenance"] = true
	tables, ok := d.tables(where{}, "maintenance", raw, "[[maintenance]]")
	if !ok {
		out.root.bad["maintenance"] = true
		return
	}
	out.cfg.Maintenance = make([]Maintenance, len(tables))
	out.maint = make([]meta, len(tables))
	for i, m := range tables {
		w := where{maintenance: nameOf(m), maintIndex: i + 1}
		out.maint[i] = d.table(w, []string{"maintenance"}, m, reflect.ValueOf(&out.cfg.Maintenance[i]).Elem())
	}
}

// nameOf returns the name a journey or step table gives itself, so that
// errors about its other keys can name it.
func nameOf(m map[string]any) string {
	name, _ := m["name"].(string)
	return name
}

// tables accepts an array of tables, whether written as [[key]] headers or
// as an inline array of inline tables.
func (d *decoder) tables(w where, key string, raw any, header string) ([]map[string]any, bool) {
	switch v := raw.(type) {
	case []map[string]any:
		return v, true
	case []any:
		out := make([]map[string]any, 0, len(v))
		ok := true
		for i, e := range v {
			m, isTable := e.(map[string]any)
			if !isTable {
				d.add(w, key, "entry #%d: expected a table, got %s", i+1, describe(e))
				ok = false
				continue
			}
			out = append(out, m)
		}
		return out, ok
	default:
		d.add(w, key, "expected an array of tables, each written as %s, got %s", header, describe(raw))
		return nil, false
	}
}

// table decodes the TOML table m into the struct rv by its toml tags. path is
// the table's key path in the file (array indexes left out); skip lists keys
// the caller decodes itself.
func (d *decoder) table(w where, path []string, m map[string]any, rv reflect.Value, skip ...string) meta {
	md := meta{present: map[string]bool{}, bad: map[string]bool{}, joined: map[string]bool{}}
	d.into(w, path, nil, m, rv, md, skip)
	return md
}

// into does the work of table; prefix is the key path from w's journey or
// step (or the top of the file) to m.
func (d *decoder) into(w where, path, prefix []string, m map[string]any, rv reflect.Value, md meta, skip []string) {
	fields := tomlFields(rv.Type())
	for _, k := range d.sorted(path, m) {
		if slices.Contains(skip, k) {
			continue
		}
		parts := append(slices.Clip(prefix), k)
		key := toml.Key(parts).String()
		i, known := fieldIndex(fields, k)
		if !known {
			d.unknown(w, key, unknownMsg(relative(w, parts), fieldNames(fields)))
			continue
		}
		md.present[key] = true
		fv := rv.Field(i)
		v := m[k]

		// Tables nested in this one (agent, browser, expect) share its meta,
		// with their keys prefixed.
		if fv.Kind() == reflect.Struct && fv.Type() != durationType && fv.Type() != timestampType && fv.Type() != budgetType ||
			fv.Kind() == reflect.Pointer && fv.Type().Elem().Kind() == reflect.Struct {
			sub, ok := v.(map[string]any)
			if !ok {
				md.bad[key] = true
				d.add(w, key, "expected a table, got %s", describe(v))
				continue
			}
			if fv.Kind() == reflect.Pointer {
				fv.Set(reflect.New(fv.Type().Elem()))
				fv = fv.Elem()
			}
			d.into(w, append(slices.Clip(path), k), parts, sub, fv, md, nil)
			continue
		}
		if msg := setValue(fv, v); msg != "" {
			md.bad[key] = true
			d.add(w, key, "%s", msg)
		}
		if _, one := v.(string); one && fv.Type() == framesType {
			md.joined[key] = true
		}
	}
}

// setValue stores the TOML value v in fv, or says what was wrong with it.
func setValue(fv reflect.Value, v any) string {
	if fv.Type() == budgetType {
		b, msg := parseBudget(v)
		if msg == "" {
			fv.Set(reflect.ValueOf(b))
		}
		return msg
	}
	if fv.Type() == durationType {
		s, ok := v.(string)
		if !ok {
			return fmt.Sprintf(`expected a Go duration in quotes such as "3s", "1500ms" or "1m30s", got %s`, describe(v))
		}
		var dur Duration
		if err := dur.UnmarshalText([]byte(s)); err != nil {
			return err.Error()
		}
		fv.Set(reflect.ValueOf(dur))
		return ""
	}
	if fv.Type() == byteSizeType {
		switch v := v.(type) {
		case int64:
			if v < 0 {
				return fmt.Sprintf("must not be negative, got %d: write a size such as %s", v, sizeExamples)
			}
			fv.SetInt(v)
		case string:
			size, err := ParseByteSize(v)
			if err != nil {
				return err.Error()
			}
			fv.SetInt(int64(size))
		default:
			return fmt.Sprintf("expected a number of bytes or a size in quotes such as %s, got %s", sizeExamples, describe(v))
		}
		return ""
	}
	if fv.Type() == timestampType {
		ts, msg := parseTimestamp(v)
		if msg != "" {
			return msg
		}
		fv.Set(reflect.ValueOf(ts))
		return ""
	}
	if fv.Type() == throughputType {
		s, ok := v.(string)
		if !ok {
			return fmt.Sprintf("expected a throughput in quotes such as %s, got %s", throughputExamples, describe(v))
		}
		t, err := ParseThroughput(s)
		if err != nil {
			return err.Error()
		}
		fv.SetInt(int64(t))
		return ""
	}
	if fv.Type() == selectorsType {
		alts, msg := decodeSelectors(v)
		if msg == "" {
			fv.Set(reflect.ValueOf(alts))
		}
		return msg
	}
	if fv.Type() == framesType {
		frames, msg := decodeFrames(v)
		if msg == "" {
			fv.Set(reflect.ValueOf(frames))
		}
		return msg
	}
	if fv.Type() == propertiesType {
		m, ok := v.(map[string]any)
		if !ok {
			return `expected a table of element properties such as { value = "x", checked = true }, got ` + describe(v)
		}
		fv.Set(reflect.ValueOf(m))
		return ""
	}
	if fv.Kind() == reflect.Pointer { // *bool, *float64: a key whose zero value means something
		pv := reflect.New(fv.Type().Elem())
		if msg := setValue(pv.Elem(), v); msg != "" {
			return msg
		}
		fv.Set(pv)
		return ""
	}
	switch fv.Kind() {
	case reflect.String:
		s, ok := v.(string)
		if !ok {
			return "expected a string in quotes, got " + describe(v)
		}
		fv.SetString(s)
	case reflect.Int:
		n, ok := v.(int64)
		if !ok {
			return "expected a whole number such as 2, got " + describe(v)
		}
		if n < math.MinInt || n > math.MaxInt {
			return fmt.Sprintf("%d is out of range", n)
		}
		fv.SetInt(n)
	case reflect.Float64:
		switch n := v.(type) {
		case int64:
			fv.SetFloat(float64(n))
		case float64:
			if math.IsNaN(n) || math.IsInf(n, 0) {
				return fmt.Sprintf("expected a finite number such as 1.75, got %s", describe(v))
			}
			fv.SetFloat(n)
		default:
			return "expected a number such as 1.75, got " + describe(v)
		}
	case reflect.Bool:
		b, ok := v.(bool)
		if !ok {
			return "expected true or false, got " + describe(v)
		}
		fv.SetBool(b)
	case reflect.Map: // map[string]string: labels, fields
		m, ok := v.(map[string]any)
		if !ok {
			return `expected a table such as { name = "value" }, got ` + describe(v)
		}
		out := make(map[string]string, len(m))
		var problems []string
		for _, k := range slices.Sorted(maps.Keys(m)) {
			s, ok := m[k].(string)
			if !ok {
				problems = append(problems, fmt.Sprintf("value of %q: expected a string in quotes, got %s", k, describe(m[k])))
				continue
			}
			out[k] = s
		}
		if len(problems) > 0 {
			return strings.Join(problems, "; ")
		}
		fv.Set(reflect.ValueOf(out))
	case reflect.Slice: // []string: extra_flags, profiles
		list, ok := v.([]any)
		if !ok {
			return `expected an array of strings such as ["--lang=en"], got ` + describe(v)
		}
		out := make([]string, 0, len(list))
		var problems []string
		for i, e := range list {
			s, ok := e.(string)
			if !ok {
				problems = append(problems, fmt.Sprintf("entry #%d: expected a string in quotes, got %s", i+1, describe(e)))
				continue
			}
			out = append(out, s)
		}
		if len(problems) > 0 {
			return strings.Join(problems, "; ")
		}
		fv.Set(reflect.ValueOf(out))
	default:
		// Every field in types.go is one of the kinds above; a new kind
		// needs a case here.
		return fmt.Sprintf("cannot decode into %s", fv.Type())
	}
	return ""
}

// timestampExample is an RFC 3339 time to suggest.
const timestampExample = "2026-12-24T18:00:00Z"

// parseTimestamp reads a TOML offset date-time or an RFC 3339 string. A
// local date-time is refused: without an offset, the window would move
// with the agent's time zone.
func parseTimestamp(v any) (Timestamp, string) {
	switch v := v.(type) {
	case time.Time:
		if strings.HasPrefix(v.Location().String(), "datetime-local") || strings.HasPrefix(v.Location().String(), "date-local") || strings.HasPrefix(v.Location().String(), "time-local") {
			return Timestamp{}, fmt.Sprintf("a date-time needs its offset from UTC, such as %s or 2026-12-24T19:00:00+01:00", timestampExample)
		}
		return Timestamp{v}, ""
	case string:
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return Timestamp{}, fmt.Sprintf("invalid time %q: write an RFC 3339 time with its offset, such as %s", TruncateRunes(v, 40), timestampExample)
		}
		return Timestamp{t}, ""
	default:
		return Timestamp{}, fmt.Sprintf("expected a date-time such as %s, got %s", timestampExample, describe(v))
	}
}

// describe names a TOML value's type, and shows it when it is short, for
// "expected ..., got ..." messages.
func describe(v any) string {
	switch v := v.(type) {
	case string:
		return fmt.Sprintf("string %q", TruncateRunes(v, 40))
	case int64:
		return fmt.Sprintf("integer %d", v)
	case float64:
		return fmt.Sprintf("float %v", v)
	case bool:
		return fmt.Sprintf("boolean %t", v)
	case time.Time:
		return "a date-time"
	case map[string]any:
		return "a table"
	case []map[string]any, []any:
		return "an array"
	default:
		return fmt.Sprintf("a %T", v)
	}
}

// relative is the key path inside its journey, step or top-level table: the
// part that Error prints as the table is left out.
func relative(w where, parts []string) []string {
	if w.journeyIndex == 0 && len(parts) > 1 {
		return parts[1:]
	}
	return parts
}

// sorted returns m's keys in the order they first appear in the file.
func (d *decoder) sorted(path []string, m map[string]any) []string {
	keys := slices.Collect(maps.Keys(m))
	pos := func(k string) int {
		p := append(slices.Clip(path), k)
		if i, ok := d.order[toml.Key(p).String()]; ok {
			return i
		}
		return math.MaxInt
	}
	slices.SortFunc(keys, func(a, b string) int {
		return cmp.Or(cmp.Compare(pos(a), pos(b)), strings.Compare(a, b))
	})
	return keys
}

// tomlFields lists the struct fields that have a toml key, in declaration
// order (which is the order valid keys are listed in messages).
type tomlField struct {
	name  string
	index int
}

func tomlFields(t reflect.Type) []tomlField {
	var out []tomlField
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
		if !f.IsExported() || name == "" || name == "-" {
			continue
		}
		out = append(out, tomlField{name: name, index: i})
	}
	return out
}

func fieldIndex(fields []tomlField, name string) (int, bool) {
	for _, f := range fields {
		if f.name == name {
			return f.index, true
		}
	}
	return 0, false
}

func fieldNames(fields []tomlField) []string {
	out := make([]string, len(fields))
	for i, f := range fields {
		out[i] = f.name
	}
	return out
}
