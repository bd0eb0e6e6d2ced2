package config

import (
	"cmp"
	"errors"
	"fmt"
	"html"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"
)

// Secrets holds the values that ${env:NAME} and ${file:/path} filled in, so
// that they can be masked wherever text leaves the agent.
type Secrets struct {
	values []string // distinct, longest first

	// replacer masks the values and the forms they take once escaped into
	// a URL or HTML, since a filled form field often comes back in the
	// page's URL or markup. Built once: Mask is called from many goroutines.
	replacer *strings.Replacer

	// short holds the references whose values are shorter than
	// shortSecret, with their lengths, sorted by reference.
	short []shortSecretRef
}

type shortSecretRef struct {
	ref   string
	runes int
}

// shortSecret is the length under which a secret is worth a note: a value
// of a few characters is found inside other words and numbers, which the
// evidence and logs then show as <secret>.
const shortSecret = 4

// Notes says, for each reference whose value is shorter than shortSecret
// characters, what masking it does to the evidence. It names references,
// never values.
func (s *Secrets) Notes() []string {
	if s == nil {
		return nil
	}
	var notes []string
	for _, r := range s.short {
		notes = append(notes, fmt.Sprintf("the value of %s is %d characters long: logs and evidence show it as %s wherever those characters appear, also inside other words and numbers; a secret that short also protects little",
			r.ref, r.runes, Masked))
	}
	return notes
}

// Secrets returns the secrets this configuration filled in.
func (c *Config) Secrets() *Secrets {
	if c == nil || c.secrets == nil {
		return &Secrets{}
	}
	return c.secrets
}

// Masked is what Mask writes in place of a secret.
const Masked = "<secret>"

// Mask replaces every secret value in text with "<secret>". Longer values
// are replaced first, so a secret that contains another is masked whole.
// A nil *Secrets masks nothing.
func (s *Secrets) Mask(text string) string {
	if s == nil || s.replacer == nil {
		return text
	}
	return s.replacer.Replace(text)
}

// Values returns how many distinct secrets were filled in. The values
// themselves are never exposed.
func (s *Secrets) Values() int {
	if s == nil {
		return 0
	}
	return len(s.values)
}

// newSecrets builds Secrets from the values filled in.
func newSecrets(values []string) *Secrets {
	distinct := func(in []string) []string {
		out := slices.DeleteFunc(slices.Clone(in), func(v string) bool { return v == "" })
		// Longest first, so that a strings.Replacer (which tries its
		// patterns in order at each position) masks the longest match.
		slices.SortFunc(out, func(a, b string) int {
			return cmp.Or(cmp.Compare(len(b), len(a)), strings.Compare(a, b))
		})
		return slices.Compact(out)
	}
	s := &Secrets{values: distinct(values)}
	if len(s.values) == 0 {
		return s
	}
	var forms []string
	for _, v := range s.values {
		forms = append(forms, v, url.QueryEscape(v), url.PathEscape(v), html.EscapeString(v))
	}
	forms = distinct(forms)
	pairs := make([]string, 0, 2*len(forms))
	for _, f := range forms {
		pairs = append(pairs, f, Masked)
	}
	s.replacer = strings.NewReplacer(pairs...)
	return s
}

// maxSecretFile bounds what ${file:...} reads: a secret is one value, and a
// device or a huge file named by mistake must not hang or bloat the agent.
const maxSecretFile = 64 << 10

// secretForms is shown wherever a reference is malformed.
const secretForms = `write ${env:NAME} or ${file:/path} (and $${ for a literal "${")`

// filler fills ${env:NAME} and ${file:/path} references in step strings.
type filler struct {
	dir    string            // relative ${file:...} paths are read from here
	cache  map[string]string // reference → value, so each is read once per load
	values []string          // every value filled in, for Secrets
}

// fill returns s with every reference replaced by its value. It returns a
// message per problem; messages name variables and files, never values.
func (f *filler) fill(s string) (string, []string) {
	if !strings.Contains(s, "$") {
		return s, nil
	}
	var (
		b        strings.Builder
		problems []string
	)
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			break
		}
		if i > 0 && s[i-1] == '$' { // "$${" is a literal "${"
			b.WriteString(s[:i-1])
			b.WriteString("${")
			s = s[i+2:]
			continue
		}
		b.WriteString(s[:i])
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			problems = append(problems, fmt.Sprintf("unterminated reference %q: %s", TruncateRunes(s[i:], 40), secretForms))
			break
		}
		ref := s[i : i+end+1]
		s = s[i+end+1:]
		v, err := f.resolve(ref)
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		b.WriteString(v)
	}
	return b.String(), problems
}

// shortRefs returns the references filled in whose values are shorter
// than shortSecret characters.
func (f *filler) shortRefs() []shortSecretRef {
	var out []shortSecretRef
	for ref, v := range f.cache {
		if n := utf8.RuneCountInString(v); n < shortSecret {
			out = append(out, shortSecretRef{ref: ref, runes: n})
		}
	}
	slices.SortFunc(out, func(a, b shortSecretRef) int { return strings.Compare(a.ref, b.ref) })
	return out
}

// resolve returns the value of one reference such as "${env:NAME}".
func (f *filler) resolve(ref string) (string, error) {
	if v, ok := f.cache[ref]; ok {
		return v, nil
	}
	kind, arg, _ := strings.Cut(ref[2:len(ref)-1], ":")
	var (
		v   string
		err error
	)
	switch {
	case kind == "env" && validEnvName(arg):
		v, err = readEnv(arg)
	case kind == "file" && arg != "":
		v, err = f.readFile(arg)
	default:
		return "", fmt.Errorf("unknown reference %q: %s", TruncateRunes(ref, 40), secretForms)
	}
	if err != nil {
		return "", fmt.Errorf("%s: %w", ref, err)
	}
	if f.cache == nil {
		f.cache = map[string]string{}
	}
	f.cache[ref] = v
	f.values = append(f.values, v)
	return v, nil
}

func readEnv(name string) (string, error) {
	v, ok := os.LookupEnv(name)
	switch {
	case !ok:
		return "", fmt.Errorf("environment variable %s is not set: set it in touchprobe's environment", name)
	case v == "":
		return "", fmt.Errorf("environment variable %s is empty: set it to the secret", name)
	}
	return v, nil
}

func (f *filler) readFile(name string) (string, error) {
	path, where := name, ""
	if !filepath.IsAbs(name) && f.dir != "" {
		path, where = filepath.Join(f.dir, name), " (relative to the configuration file)"
	}
	fail := func(err error) (string, error) {
		// The path is in the message already; keep only the reason.
		return "", fmt.Errorf("cannot read secret file %q%s: %w", name, where, unwrapPath(err))
	}
	file, err := os.Open(path)
	if err != nil {
		return fail(err)
	}
	defer file.Close()
	info, err := file.Stat()
	if err != nil {
		return fail(err)
	}
	if !info.Mode().IsRegular() {
		return fail(errors.New("not a regular file"))
	}
	data, err := io.ReadAll(io.LimitReader(file, maxSecretFile+1))
	if err != nil {
		return fail(err)
	}
	if len(data) > maxSecretFile {
		return fail(fmt.Errorf("larger than %d KiB; a secret file holds one value", maxSecretFile>>10))
	}
	// Editors end files with a newline that is not part of the secret.
	v := string(data)
	if t, ok := strings.CutSuffix(v, "\r\n"); ok {
		v = t
	} else {
		v = strings.TrimSuffix(v, "\n")
	}
	if v == "" {
		return fail(errors.New("the file is empty"))
	}
	return v, nil
}

func validEnvName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case r == '_', r >= 'A' && r <= 'Z', r >= 'a' && r <= 'z':
		case r >= '0' && r <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// stepString is one step string that references are filled in: key is
// the key that holds it, and written records it under as; they differ
// for the frames of a frame key, which are recorded one by one.
type stepString struct {
	key, as string
	p       *string
}

// stepStrings lists the strings of s that references are filled in: all but
// the name, touchpoint and action, which are metric labels or keywords.
func stepStrings(s *Step) []stepString {
	out := []stepString{
		{"url", "url", &s.URL}, {"selector", "selector", &s.Selector}, {"submit", "submit", &s.Submit},
		{"value", "value", &s.Value}, {"key", "key", &s.Key}, {"text", "text", &s.Text},
		{"url_matches", "url_matches", &s.URLMatches}, {"open", "open", &s.Open}, {"input", "input", &s.Input},
		{"message", "message", &s.Message}, {"reply", "reply", &s.Reply},
		{"target", "target", &s.Target}, {"wait_for", "wait_for", &s.WaitFor}, {"title", "title", &s.Title},
	}
	for i := range s.Frame {
		out = append(out, stepString{"frame", frameAs(i), &s.Frame[i]})
	}
	if s.Expect != nil {
		out = append(out, stepString{"expect.selector", "expect.selector", &s.Expect.Selector}, stepString{"expect.text", "expect.text", &s.Expect.Text})
	}
	return out
}

// frameAs is what written records frame i (from 0) of a frame key as.
func frameAs(i int) string { return fmt.Sprintf("frame #%d", i+1) }

// written maps a step to the strings as the file wrote them, for the keys
// that held references, so that messages can quote the file instead of a
// secret.
type written map[*Step]map[string]string

// show returns what the file wrote for key, or value when it held no
// reference.
func (w written) show(s *Step, key, value string) string {
	if raw, ok := w[s][key]; ok {
		return raw
	}
	return value
}

// fillSteps fills the references in every step string and field. A key
// whose references cannot be filled is marked bad, so that validation does
// not go on to report the unfilled text as, say, a bad URL.
func (f *filler) fillSteps(c *collector, d *decoded) written {
	out := written{}
	for i := range d.cfg.Journeys {
		j := &d.cfg.Journeys[i]
		for k := range j.Steps {
			s, m := &j.Steps[k], d.steps[i][k]
			w := where{journey: j.Name, journeyIndex: i + 1, step: s.Name, stepIndex: k + 1}
			raw := map[string]string{}
			for _, str := range stepStrings(s) {
				v, problems := f.fill(*str.p)
				for _, msg := range problems {
					c.add(w, str.key, "%s", msg)
					m.bad[str.key] = true
				}
				if v != *str.p {
					raw[str.as], *str.p = *str.p, v
				}
			}
			if m.joined["frame"] {
				s.Frame = splitJoined(s.Frame)
			}
			if !f.fillFields(c, w, s) {
				m.bad["fields"] = true
			}
			out[s] = raw
		}
	}
	return out
}

// fillFields fills references in the selectors and values of a fill step,
// keeping FieldOrder in step. It reports whether all went well.
func (f *filler) fillFields(c *collector, w where, s *Step) bool {
	if s.Fields == nil {
		return true
	}
	before := len(c.errs)
	fields := make(map[string]string, len(s.Fields))
	order := make([]string, 0, len(s.FieldOrder))
	for _, k := range s.FieldOrder {
		sel, problems := f.fill(k)
		for _, msg := range problems {
			c.add(w, "fields", "selector %q: %s", k, msg)
		}
		val, problems := f.fill(s.Fields[k])
		for _, msg := range problems {
			c.add(w, "fields", "value of %q: %s", k, msg)
		}
		if _, dup := fields[sel]; dup {
			c.add(w, "fields", "selector %q: the same as another field's once references are filled: write each field once", k)
			continue
		}
		fields[sel] = val
		order = append(order, sel)
	}
	s.Fields, s.FieldOrder = fields, order
	return len(c.errs) == before
}

// MaskStep returns a copy of step with every secret masked in every string
// it holds: each key that references are filled in (see stepStrings), the
// fields of a fill step (selectors and values), the selector alternatives,
// and the expression, attributes and properties of a wait. What writes a step out of
// the agent (an exported recording, a message) writes the copy. It reports
// whether anything was masked. step itself is not changed.
func (s *Secrets) MaskStep(step *Step) (Step, bool) {
	out := *step
	if s.Values() == 0 {
		return out, false
	}
	masked := false
	mask := func(v string) string {
		m := s.Mask(v)
		if m != v {
			masked = true
		}
		return m
	}
	if step.Expect != nil {
		e := *step.Expect
		out.Expect = &e
	}
	out.Frame = slices.Clone(step.Frame)
	for _, str := range stepStrings(&out) {
		*str.p = mask(*str.p)
	}
	// Not filled, but JavaScript may spell a secret out.
	out.Expression = mask(out.Expression)
	if step.Fields != nil {
		out.Fields = make(map[string]string, len(step.Fields))
		out.FieldOrder = make([]string, 0, len(step.FieldOrder))
		for _, k := range step.FieldOrder {
			mk := mask(k)
			// Two selectors that differ only in a secret become one,
			// written once, with the later one's value.
			if _, dup := out.Fields[mk]; !dup {
				out.FieldOrder = append(out.FieldOrder, mk)
			}
			out.Fields[mk] = mask(step.Fields[k])
		}
	}
	if step.Selectors != nil {
		out.Selectors = make([]Selector, len(step.Selectors))
		for i, alt := range step.Selectors {
			out.Selectors[i] = make(Selector, len(alt))
			for k, part := range alt {
				out.Selectors[i][k] = mask(part)
			}
		}
	}
	if step.Attributes != nil {
		out.Attributes = make(map[string]string, len(step.Attributes))
		for k, v := range step.Attributes {
			out.Attributes[mask(k)] = mask(v)
		}
	}
	if step.Properties != nil {
		out.Properties = maskAny(mask, step.Properties).(map[string]any)
	}
	return out, masked
}

// maskAny masks every string in a decoded TOML value, keys included.
func maskAny(mask func(string) string, v any) any {
	switch v := v.(type) {
	case string:
		return mask(v)
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[mask(k)] = maskAny(mask, x)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = maskAny(mask, x)
		}
		return out
	}
	return v
}
