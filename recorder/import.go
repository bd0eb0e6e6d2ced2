package recorder

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/touchprobe/touchprobe/config"
)

// Options says how Import names and schedules the journey and which
// values are secrets.
type Options struct {
	// Name is the journey's name; empty means the recording's title.
	Name string
	// Schedule is the journey's schedule; empty means config.DefaultSchedule.
	Schedule string
	// Secrets are values to write as ${env:NAME} wherever they occur.
	Secrets []Secret
}

// Secret is a value that must not be written into the configuration, and
// the environment variable that will hold it.
type Secret struct {
	Env, Value string
}

// EnvVar is an environment variable the imported journey reads.
type EnvVar struct {
	Name string
	// Why says where the value was typed, or that it was given as a secret.
	Why string
}

// Imported is a recording turned into a journey.
type Imported struct {
	Title   string
	Journey config.Journey
	// Comments holds, per step, the Recorder steps it came from.
	Comments [][]string
	// Notes are things the recording had that the journey leaves out.
	Notes []string
	// Env lists the variables the journey's ${env:...} references read.
	Env []EnvVar
}

// secretWords mark a field whose value is a secret: a password or the
// details of a payment card.
var secretWords = []string{"password", "passwd", "current-password", "card", "cc-", "cvc", "cvv", "csc", "expiry"}

// Import turns a recording into the steps of a journey:
//
//   - navigate becomes navigate;
//   - a click on a field followed by the change of its value (and the Tab
//     key pressed to leave it), for one field or several in a row, becomes
//     one fill step; a click right after the fields is its submit;
//   - a change of a <select> becomes a select step of its own; the
//     Recorder does not say what kind of element it changed, so a <select>
//     is recognised by a selector alternative whose element part starts
//     with "select" (CSS or pierce/) or an XPath ending in a select
//     element; one not recognised stays a field of the fill step, which
//     chooses the option when the page shows a <select>;
//   - a click becomes click, and a click right before a key press gives
//     the press its element;
//   - keyDown (with its keyUp) becomes press;
//   - hover, doubleClick and scroll become steps of those names;
//   - waitForElement with visible: false or properties keeps them;
//   - waitForElement becomes the wait_for of the step before it when that
//     step waits for nothing yet and the wait has no operator or count of
//     its own, and a wait step (with count and operator) otherwise;
//   - a waitForExpression touchprobe export did not write becomes a wait
//     for the expression;
//   - a navigation the step asserts is followed to its load, as touchprobe
//     follows every navigation a step starts; its URL gives the touchpoint.
//
// Steps with several selector alternatives keep them all, as selectors;
// a click or double click keeps its button, offset and touch; a step in a
// child frame at any depth gets the frame path, one in another target (a
// popup, another site's iframe) the target's URL. setViewport and
// emulateNetworkConditions become viewport and network steps, with a note
// that a profile that sets the screen or the network wins over them. A
// final close is left out with a note: touchprobe closes the page at the
// end of every run. What touchprobe cannot replay yet (a navigation in
// another target, a close before the end, a click while a key is held) is
// an *Error naming the step, not a journey that cannot run.
func Import(f *Flow, opts Options) (*Imported, error) {
	im := &importer{flow: f, opts: opts, names: names{}, out: &Imported{Title: f.Title}, secretEnv: map[string]bool{}}
	name := opts.Name
	if name == "" {
		name = cleanName(f.Title)
	}
	if p := config.JourneyNameProblem(name); p != "" {
		if opts.Name == "" {
			return nil, &Error{Key: "title", Msg: im.named(fmt.Sprintf("the title %q cannot be the journey's name (it %s): give one with --name", config.TruncateRunes(f.Title, 40), p))}
		}
		return nil, fmt.Errorf("journey name %q %s", name, p)
	}
	sched := opts.Schedule
	if sched == "" {
		sched = config.DefaultSchedule
	}
	im.out.Journey = config.Journey{Name: name, Schedule: sched}
	if err := im.secretSelectors(); err != nil {
		return nil, err
	}
	if err := im.run(); err != nil {
		// Messages quote recorded values, which may hold a secret.
		var e *Error
		if errors.As(err, &e) {
			e.Msg, e.value = im.named(e.Msg), im.named(e.value)
		}
		return nil, err
	}
	if len(im.out.Journey.Steps) == 0 {
		return nil, &Error{Key: "steps", Msg: "the recording has no step touchprobe can run: record at least a navigation"}
	}
	for _, s := range opts.Secrets {
		if !im.secretEnv[s.Env] {
			im.out.Notes = append(im.out.Notes, fmt.Sprintf("the value of --secret %s occurs nowhere in the recording", s.Env))
		}
	}
	return im.out, nil
}

type importer struct {
	flow      *Flow
	opts      Options
	names     names
	out       *Imported
	i         int    // the next Recorder step
	page      string // the URL of the page the flow is on
	noted     map[StepType]bool
	secretEnv map[string]bool
	// merge is the step a waitForElement may still become the wait_for
	// of, or -1.
	merge int
}

// secretOf returns the --secret whose value s holds, if any.
func (im *importer) secretOf(s string) (Secret, bool) {
	for _, sec := range im.opts.Secrets {
		if sec.Value != "" && strings.Contains(s, sec.Value) {
			return sec, true
		}
	}
	return Secret{}, false
}

// secretSelectors leaves out the selector alternatives that hold a
// --secret value, which would be written as they are, or "${", which the
// configuration refuses there: references are filled (and "$${" read as
// "${") in a step's one selector, not in its alternatives. A step whose
// every alternative holds one keeps its first single selector, written
// with the reference or "$${". The flow given to Import is not changed.
func (im *importer) secretSelectors() error {
	var steps []Step
	for i := range im.flow.Steps {
		s := &im.flow.Steps[i]
		var kept []Selector
		why := ""
		for _, a := range s.Selectors {
			if sec, ok := im.secretOf(a.String()); ok {
				why = "the value of --secret " + sec.Env
			} else if strings.Contains(a.String(), "${") {
				why = `"${"`
			} else {
				kept = append(kept, a)
			}
		}
		if len(kept) == len(s.Selectors) {
			continue
		}
		if len(kept) == 0 {
			one, ok := FirstSingle(s.Selectors)
			if !ok {
				return &Error{Step: s.Index, Type: s.Type, Key: "selectors", Msg: fmt.Sprintf("every alternative holds %s, which a chain of selectors cannot: add a selector without it in the Recorder (such as one by a selector attribute), or remove the step", why)}
			}
			kept = []Selector{{one}}
		} else {
			im.out.Notes = append(im.out.Notes, fmt.Sprintf("step %d (%s): the selector alternatives that hold %s are left out", s.Index, s.Type, why))
		}
		if steps == nil {
			steps = slices.Clone(im.flow.Steps)
		}
		steps[i].Selectors = kept
	}
	if steps != nil {
		f := *im.flow
		f.Steps = steps
		im.flow = &f
	}
	return nil
}

// named writes a recorded value for a comment or a message: every
// --secret value in it, as it is or as %q quotes it, is the reference that
// stands for it.
func (im *importer) named(v string) string {
	for _, sec := range im.opts.Secrets {
		if sec.Value != "" {
			ref := "${env:" + sec.Env + "}"
			v = strings.ReplaceAll(v, sec.Value, ref)
			if q := strconv.Quote(sec.Value); q[1:len(q)-1] != sec.Value {
				v = strings.ReplaceAll(v, q[1:len(q)-1], ref)
			}
		}
	}
	return v
}

func (im *importer) steps() []Step { return im.flow.Steps }

func (im *importer) peek(k int) *Step {
	if k < len(im.flow.Steps) {
		return &im.flow.Steps[k]
	}
	return nil
}

func (im *importer) run() error {
	im.merge = -1
	for im.i < len(im.flow.Steps) {
		s := &im.flow.Steps[im.i]
		var err error
		switch s.Type {
		case SetViewport:
			err = im.viewport(s)
		case Scroll:
			err = im.scroll(s)
		case Close:
			err = im.close(s)
		case Navigate:
			err = im.navigate(s)
		case Click:
			err = im.click(s)
		case Change:
			err = im.fill()
		case KeyDown:
			err = im.press(s, "")
		case KeyUp:
			im.i++ // the release of a key whose press was imported, or of one pressed before the recording began
		case WaitForElement:
			err = im.waitForElement(s)
		case WaitForExpression:
			err = im.waitForExpression(s)
		case Hover:
			err = im.pointer(s, "hover", "hover over ")
		case DoubleClick:
			err = im.pointer(s, "double_click", "double-click ")
		case EmulateNetworkConditions:
			err = im.network(s)
		default:
			return unsupported(s, string(s.Type))
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (im *importer) note(s *Step, msg string) {
	if im.noted == nil {
		im.noted = map[StepType]bool{}
	}
	if !im.noted[s.Type] {
		im.noted[s.Type] = true
		im.out.Notes = append(im.out.Notes, fmt.Sprintf("step %d (%s): %s", s.Index, s.Type, msg))
	}
}

func unsupported(s *Step, what string) error {
	return &Error{Step: s.Index, Type: s.Type, Msg: what + " is not yet supported by touchprobe: remove the step from the recording, or write the journey's steps by hand"}
}

// where checks that a step runs where touchprobe can run it: in the main
// page, in one of its child frames at any depth (see frameOf), or in
// another target known by its URL (see targetOf).
func where(s *Step) error {
	if t := targetOf(s); t != "" {
		if u, err := url.Parse(t); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return valueError(s, "target", valueMark+` is neither "main" nor the http(s) URL of a page or frame, which touchprobe finds the step's target by`, t)
		}
	}
	return nil
}

var (
	framePosition = regexp.MustCompile(`^xpath/\(//iframe \| //frame\)\[([1-9][0-9]{0,3})\]$`)
	frameSrc      = regexp.MustCompile(`^iframe\[src="((?:[^"\\]|\\.)*)"\]$`)
)

// recordedFrame reads frames that frameOf wrote, or an iframe known by
// its src, back into the Recorder's frame path or target.
func recordedFrame(frames config.Frames) ([]int, string, bool) {
	var path []int
	for _, part := range frames {
		m := framePosition.FindStringSubmatch(part)
		if m == nil {
			path = nil
			break
		}
		n, _ := strconv.Atoi(m[1])
		path = append(path, n-1)
	}
	if path != nil {
		return path, "", true
	}
	if len(frames) != 1 {
		return nil, "", false
	}
	if m := frameSrc.FindStringSubmatch(frames[0]); m != nil {
		return nil, strings.NewReplacer(`\\`, `\`, `\"`, `"`).Replace(m[1]), true
	}
	return nil, "", false
}

// frameOf returns the frames of the step: the n-th frame of the page in
// document order for frame [n] (and for [n, m], the m-th frame in that
// one's document, and so on). nil for a step in the main frame.
func frameOf(s *Step) config.Frames {
	var frames config.Frames
	for _, n := range s.Frame {
		frames = append(frames, fmt.Sprintf("xpath/(//iframe | //frame)[%d]", n+1))
	}
	return frames
}

// targetOf returns the step's target: "" for the main page, else the URL
// of the page (a popup) or out-of-process iframe (a chat widget of
// another site) it runs in, which touchprobe finds by its URL as the
// Recorder's replay does.
func targetOf(s *Step) string {
	if s.Target == MainTarget {
		return ""
	}
	return s.Target
}

// fieldOf returns the key of a changed field in a fill step's fields: its
// one selector (see cssOf), or else its first chain of selectors into
// shadow roots, written as config.FieldSelector reads it (parts trimmed,
// so that the key is the one Export writes back).
func fieldOf(s *Step) (string, error) {
	css, err := cssOf(s)
	if err == nil {
		return config.FieldSelector(css).String(), nil
	}
	if len(s.Selectors) == 0 || where(s) != nil {
		return css, err
	}
	for _, a := range s.Selectors {
		ok := len(a) > 1
		for _, part := range a {
			ok = ok && config.SelectorProblem(part) == ""
		}
		if ok {
			return config.FieldSelector(a.String()).String(), nil
		}
	}
	return "", err
}

// cssOf returns the one selector that stands for the step's element where
// a key holds one: its first plain CSS alternative, else its first of a
// single part.
func cssOf(s *Step) (string, error) {
	if err := where(s); err != nil {
		return "", err
	}
	if len(s.Selectors) == 0 {
		return "", &Error{Step: s.Index, Type: s.Type, Key: "selectors", Msg: "the step has no selectors: add the element's selectors in the Recorder, or remove the step"}
	}
	css, ok := FirstSingle(s.Selectors)
	if !ok {
		return "", &Error{Step: s.Index, Type: s.Type, Key: "selectors", Msg: fmt.Sprintf("every one of %s is a chain of selectors, which touchprobe takes only for clicks, key presses and waits: add a single selector (in the Recorder, set the selector attribute, or edit the step)", quoteSelectors(s.Selectors))}
	}
	return css, nil
}

// anyOf names the step's element for a step that takes all of its
// alternatives: by its one selector where it has one, else by its first
// alternative.
func anyOf(s *Step) (string, error) {
	if err := where(s); err != nil {
		return "", err
	}
	if len(s.Selectors) == 0 {
		return "", &Error{Step: s.Index, Type: s.Type, Key: "selectors", Msg: "the step has no selectors: add the element's selectors in the Recorder, or remove the step"}
	}
	if css, ok := FirstSingle(s.Selectors); ok {
		return css, nil
	}
	return s.Selectors[0].String(), nil
}

// alternatives sets the step's selector, or its selectors when the
// recording gave more than one alternative: touchprobe tries them in
// order, as the Recorder's replay does. References are filled in the
// selector, not in the alternatives.
func (im *importer) alternatives(st *config.Step, s *Step) {
	if len(s.Selectors) == 1 && len(s.Selectors[0]) == 1 {
		st.Selector = im.secrets(s.Selectors[0][0])
		return
	}
	st.Selector = ""
	st.Selectors = make([]config.Selector, len(s.Selectors))
	for i, a := range s.Selectors {
		st.Selectors[i] = config.Selector(a)
	}
}

func quoteSelectors(alts []Selector) string {
	q := make([]string, len(alts))
	for i, a := range alts {
		q[i] = strconv.Quote(a.String())
	}
	return strings.Join(q, ", ")
}

// timeout is the step's own timeout, else the flow's, else none.
func (im *importer) timeout(steps ...*Step) config.Duration {
	var d time.Duration
	for _, s := range steps {
		t := s.Timeout
		if t == 0 {
			t = im.flow.Timeout
		}
		d = max(d, t)
	}
	return config.Duration{Duration: d}
}

// touchpoint is that of the page a step leads to, else of the page it is on.
func (im *importer) touchpoint(steps ...*Step) string {
	for _, s := range slices.Backward(steps) {
		if nav, ok := s.Navigation(); ok && nav.URL != "" {
			return TouchpointOf(nav.URL)
		}
	}
	return TouchpointOf(im.page)
}

// follow moves the flow to the page a step navigated to.
func (im *importer) follow(steps ...*Step) {
	for _, s := range steps {
		if nav, ok := s.Navigation(); ok && nav.URL != "" {
			im.page = nav.URL
		}
	}
}

func (im *importer) add(st config.Step, from ...*Step) {
	// A name is a metric label: a secret in it would be published.
	for _, sec := range im.opts.Secrets {
		if sec.Value != "" {
			st.Name = strings.ReplaceAll(st.Name, sec.Value, sec.Env)
		}
	}
	st.Name = im.names.unique(st.Name)
	if len(from) > 0 && len(st.Frame) == 0 && st.Target == "" {
		st.Frame, st.Target = frameOf(from[0]), im.secrets(targetOf(from[0]))
	}
	// The title a navigation of the step asserted is checked when it ends.
	for _, s := range from {
		if nav, ok := s.Navigation(); ok && nav.Title != "" {
			st.Title = im.secrets(nav.Title)
		}
	}
	if st.Touchpoint == "" {
		st.Touchpoint = config.DefaultTouchpoint
	}
	im.out.Journey.Steps = append(im.out.Journey.Steps, st)
	var lines []string
	for _, s := range from {
		lines = append(lines, im.describe(s))
	}
	im.out.Comments = append(im.out.Comments, lines)
	im.merge = -1
	if st.Action != "wait" && st.Action != "assert" {
		im.merge = len(im.out.Journey.Steps) - 1
	}
}

func (im *importer) navigate(s *Step) error {
	if err := where(s); err != nil {
		return err
	}
	if len(s.Frame) > 0 {
		return unsupported(s, "a navigation of a child frame")
	}
	if u, err := url.Parse(s.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return valueError(s, "url", valueMark+" is not an absolute http(s) URL, which touchprobe needs to start from", s.URL)
	}
	im.i++
	if targetOf(s) == "" {
		im.page = s.URL
	}
	im.add(config.Step{
		Name: pathOf(s.URL), Touchpoint: TouchpointOf(s.URL), Action: "navigate",
		URL: im.secrets(s.URL), Timeout: im.timeout(s),
	}, s)
	im.follow(s)
	return nil
}

// fieldStart reports whether step k is a click on a field whose value the
// next step changes.
func (im *importer) fieldStart(k int) bool {
	c, n := im.peek(k), im.peek(k+1)
	return c != nil && n != nil && c.Type == Click && n.Type == Change && sameElement(c.Selectors, n.Selectors)
}

// keyNext reports whether step k is a key press.
func (im *importer) keyNext(k int) bool {
	s := im.peek(k)
	return s != nil && s.Type == KeyDown
}

func (im *importer) click(s *Step) error {
	if im.fieldStart(im.i) {
		return im.fill()
	}
	css, err := anyOf(s)
	if err != nil {
		return err
	}
	if im.keyNext(im.i + 1) {
		im.i++
		return im.press(im.peek(im.i), css, s)
	}
	im.i++
	name := Label(s.Selectors)
	if name == "" {
		name = "click " + css
	}
	st := config.Step{Name: name, Touchpoint: im.touchpoint(s), Action: "click", Timeout: im.timeout(s)}
	im.alternatives(&st, s)
	pressAs(&st, s)
	im.add(st, s)
	im.follow(s)
	return nil
}

// field is one field of a fill step.
type field struct {
	css, value, label string
}

// fill imports one or more fields in a row, and the click that submits
// them, as one fill step (or a select step).
func (im *importer) fill() error {
	var (
		fields []field
		seen   = map[string]bool{}
		from   []*Step
		isSel  bool
	)
	for {
		k := im.i
		if im.fieldStart(k) {
			k++
		}
		ch := im.peek(k)
		if ch == nil || ch.Type != Change {
			break
		}
		css, err := fieldOf(ch)
		if err != nil {
			return err
		}
		if seen[css] {
			break // the same field again: a new step
		}
		// A <select> that shows as one is a select step of its own.
		if len(fields) > 0 && (isSel || isSelect(ch.Selectors)) {
			break
		}
		for j := im.i; j <= k; j++ {
			from = append(from, im.peek(j))
		}
		fields = append(fields, field{css: css, value: im.fieldValue(ch, css), label: Label(ch.Selectors)})
		seen[css] = true
		isSel = isSelect(ch.Selectors)
		im.i = k + 1
		// Leaving the field with Tab is part of filling the form.
		for s := im.peek(im.i); s != nil && (s.Type == KeyDown || s.Type == KeyUp) && s.Key == "Tab"; s = im.peek(im.i) {
			from = append(from, s)
			im.i++
		}
	}
	first := from[0]
	// (A select known only by a chain is filled: fill chooses in selects.)
	if len(fields) == 1 && isSel && len(config.FieldSelector(fields[0].css)) == 1 {
		f := fields[0]
		im.add(config.Step{
			Name: "choose " + cmpOr(f.label, f.css), Touchpoint: im.touchpoint(from...), Action: "select",
			Selector: im.secrets(f.css), Value: f.value, Timeout: im.timeout(from...),
		}, from...)
		im.follow(from...)
		return nil
	}
	st := config.Step{Action: "fill", Fields: map[string]string{}}
	var labels []string
	for _, f := range fields {
		key := im.secrets(f.css)
		st.Fields[key] = f.value
		st.FieldOrder = append(st.FieldOrder, key)
		labels = append(labels, cmpOr(f.label, f.css))
	}
	st.Selector = st.FieldOrder[0]
	if first := config.FieldSelector(fields[0].css); len(first) > 1 {
		st.Selector, st.Selectors = "", []config.Selector{first}
	}
	// A click right after the fields submits them, unless it starts
	// another field or gives a key press its element.
	if c := im.peek(im.i); c != nil && c.Type == Click && !im.fieldStart(im.i) && !im.keyNext(im.i+1) {
		css, err := cssOf(c)
		if err != nil {
			return err
		}
		st.Submit = im.secrets(css)
		from = append(from, c)
		im.i++
	}
	st.Name = "fill " + joinLabels(labels)
	st.Touchpoint = im.touchpoint(from...)
	st.Timeout = im.timeout(from...)
	_ = first
	im.add(st, from...)
	im.follow(from...)
	return nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// joinLabels names the fields of a fill step: "Full name, Email and
// Postcode", cut short when long.
func joinLabels(labels []string) string {
	out := ""
	for i, l := range labels {
		next := out
		switch {
		case i == 0:
			next = l
		case i == len(labels)-1:
			next += " and " + l
		default:
			next += ", " + l
		}
		if len([]rune(next)) > config.MaxTextLen-len("fill ") && i > 0 {
			return fmt.Sprintf("%s and %d more", out, len(labels)-i)
		}
		out = next
	}
	return out
}

// fieldValue is what to write for a value typed into a field: the value,
// with --secret values and a password or card field's whole value turned
// into ${env:NAME} references.
func (im *importer) fieldValue(s *Step, css string) string {
	if s.Value != "" && looksSecret(s.Selectors) {
		name := envName(css, "secret")
		for n := 2; im.envTaken(name, css); n++ {
			name = fmt.Sprintf("%s_%d", envName(css, "secret"), n)
		}
		im.useEnv(name, fmt.Sprintf("the value typed into %s", css))
		return "${env:" + name + "}"
	}
	return im.secrets(s.Value)
}

func looksSecret(alts []Selector) bool {
	for _, a := range alts {
		low := strings.ToLower(a.String())
		for _, w := range secretWords {
			if strings.Contains(low, w) {
				return true
			}
		}
	}
	return false
}

func (im *importer) envTaken(name, css string) bool {
	for _, e := range im.out.Env {
		if e.Name == name {
			return e.Why != fmt.Sprintf("the value typed into %s", css)
		}
	}
	for _, s := range im.opts.Secrets {
		if s.Env == name {
			return true
		}
	}
	return false
}

func (im *importer) useEnv(name, why string) {
	im.secretEnv[name] = true
	for _, e := range im.out.Env {
		if e.Name == name {
			return
		}
	}
	im.out.Env = append(im.out.Env, EnvVar{Name: name, Why: why})
}

// escapeRefs writes a recorded value so that the configuration reads it
// as written: "${" starts a reference there.
func escapeRefs(s string) string { return strings.ReplaceAll(s, "${", "$${") }

// secrets escapes a recorded value and puts a reference in place of every
// --secret value in it.
func (im *importer) secrets(v string) string {
	v = escapeRefs(v)
	for _, s := range im.opts.Secrets {
		if s.Value == "" {
			continue
		}
		if esc := escapeRefs(s.Value); strings.Contains(v, esc) {
			v = strings.ReplaceAll(v, esc, "${env:"+s.Env+"}")
			im.useEnv(s.Env, "given with --secret")
		}
	}
	return v
}

// unfilled returns a recorded value of a key that references are not
// filled in (expression, attributes, properties) as recorded, and an
// error naming the step and key if a --secret value occurs in it: a
// reference there would be compared as text, and the value itself must
// not be written. The configuration refuses "${" in attributes and
// properties, which it compares as written; an expression is JavaScript,
// where "${" is a template literal's.
func (im *importer) unfilled(s *Step, key, v string) (string, error) {
	for _, sec := range im.opts.Secrets {
		if sec.Value != "" && strings.Contains(v, sec.Value) {
			return "", &Error{Step: s.Index, Type: s.Type, Key: key, Msg: fmt.Sprintf("holds the value of --secret %s, and touchprobe fills ${env:...} references in no %s: take the value out of the step in the recording, or write the step by hand", sec.Env, key)}
		}
	}
	if key != "expression" && strings.Contains(v, "${") {
		return "", &Error{Step: s.Index, Type: s.Type, Key: key, Msg: fmt.Sprintf("%q holds \"${\", which touchprobe would take for a reference in %s: remove it from the step in the recording, or write the step by hand", config.TruncateRunes(v, 40), key)}
	}
	return v, nil
}

// unfilledJSON is unfilled for every key and string of a JSON value.
func (im *importer) unfilledJSON(s *Step, key string, v any) error {
	switch v := v.(type) {
	case string:
		_, err := im.unfilled(s, key, v)
		return err
	case []any:
		for _, e := range v {
			if err := im.unfilledJSON(s, key, e); err != nil {
				return err
			}
		}
	case map[string]any:
		for k, e := range v {
			if err := firstErr(im.unfilledJSON(s, key, k), im.unfilledJSON(s, key, e)); err != nil {
				return err
			}
		}
	}
	return nil
}

// isSelect reports whether an alternative shows the element is a <select>:
// a CSS selector whose last compound starts with the type "select", or an
// XPath ending in a select element.
func isSelect(alts []Selector) bool {
	for _, a := range alts {
		if len(a) == 0 {
			continue
		}
		k, rest := KindOf(a[len(a)-1])
		switch k {
		case CSS, Pierce:
			c := strings.ToLower(lastCompound(rest))
			if c == "select" || (strings.HasPrefix(c, "select") && strings.ContainsAny(c[6:7], "#.:[")) {
				return true
			}
		case XPath:
			if xpathSelect.MatchString(strings.ToLower(rest)) {
				return true
			}
		}
	}
	return false
}

var xpathSelect = regexp.MustCompile(`/select(\[[^/]*\])?$`)

// lastCompound returns the part of a CSS selector after its last
// combinator outside brackets, parentheses and quotes.
func lastCompound(css string) string {
	depth, start := 0, 0
	var quote rune
	for i, r := range css {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			}
		case r == '"' || r == '\'':
			quote = r
		case r == '(' || r == '[':
			depth++
		case r == ')' || r == ']':
			depth--
		case depth == 0 && (r == ' ' || r == '>' || r == '+' || r == '~' || r == ','):
			start = i + 1
		}
	}
	return strings.TrimSpace(css[start:])
}

// press imports a keyDown (and its keyUp) as a press step; css, from a
// click right before it, is the element to press it in. A modifier held
// while other keys are pressed makes a chord (see chord).
func (im *importer) press(s *Step, css string, before ...*Step) error {
	if err := where(s); err != nil {
		return err
	}
	if _, ok := config.KeyModifierOf(s.Key); ok {
		if n := im.peek(im.i + 1); n == nil || n.Type != KeyUp || n.Key != s.Key {
			return im.chord(css, before...)
		}
	}
	im.pressKey(s.Key, css, before, s)
	return nil
}

// pressKey adds the press step of key, pressed by the keyDown s at im.i
// (and its keyUp, when next), in the element css that the click before
// chose, if any.
func (im *importer) pressKey(key, css string, before []*Step, s *Step) {
	from := slices.Concat(before, []*Step{s})
	im.i++
	if n := im.peek(im.i); n != nil && n.Type == KeyUp && n.Key == s.Key {
		from = append(from, n)
		im.i++
	}
	name := "press " + key
	if css != "" {
		name += " in " + cmpOr(Label(before[0].Selectors), css)
	}
	st := config.Step{Name: name, Touchpoint: im.touchpoint(from...), Action: "press", Key: im.secrets(key), Selector: im.secrets(css), Timeout: im.timeout(from...)}
	if css != "" {
		im.alternatives(&st, before[0])
	}
	im.add(st, from...)
	im.follow(from...)
}

// chord imports the keys pressed while modifiers are held, from the
// modifier's keyDown at im.i to the release of the last one held: one
// press step per key, its key naming the modifiers ("Shift+Tab",
// "Control+a"), as a person reads the shortcut.
func (im *importer) chord(css string, before ...*Step) error {
	var held []string
	for s := im.peek(im.i); s != nil; s = im.peek(im.i) {
		if err := where(s); err != nil {
			return err
		}
		m, isMod := config.KeyModifierOf(s.Key)
		switch {
		case s.Type == KeyDown && isMod:
			if !slices.Contains(held, m) {
				held = append(held, m)
			}
			im.i++
		case s.Type == KeyUp && isMod:
			held = slices.DeleteFunc(held, func(h string) bool { return h == m })
			im.i++
			if len(held) == 0 {
				return nil
			}
		case s.Type == KeyDown:
			im.pressKey(config.JoinKey(held, s.Key), css, before, s)
			// Only the first key goes to the element clicked before.
			css, before = "", nil
		case s.Type == KeyUp:
			im.i++ // the release of a key pressed before the chord began
		case (s.Type == Click || s.Type == DoubleClick) && !im.fieldStart(im.i) && !im.keyNext(im.i+1):
			// A Control-click or Shift-click: the click holds the
			// modifiers.
			var err error
			if s.Type == Click {
				err = im.click(s)
			} else {
				err = im.pointer(s, "double_click", "double-click ")
			}
			if err != nil {
				return err
			}
			steps := im.out.Journey.Steps
			steps[len(steps)-1].Modifiers = slices.Clone(held)
			css, before = "", nil
		default:
			return unsupported(s, fmt.Sprintf("a %s step while %s is held", s.Type, strings.Join(held, "+")))
		}
	}
	return nil
}

func (im *importer) waitForElement(s *Step) error {
	css, err := anyOf(s)
	if err != nil {
		return err
	}
	if s.Count != nil && (*s.Count != math.Trunc(*s.Count) || *s.Count < 0) {
		return unsupported(s, fmt.Sprintf("waiting for an element with count %g", *s.Count))
	}
	if s.Count != nil && *s.Count > math.MaxInt32 {
		// An int of a larger float is not defined.
		return &Error{Step: s.Index, Type: s.Type, Key: "count", Msg: fmt.Sprintf("%g is more elements than a page has: write how many elements to wait for", *s.Count)}
	}
	if err := tomlValues(s, "properties", s.Properties); err != nil {
		return err
	}
	if err := im.unfilledJSON(s, "properties", s.Properties); err != nil {
		return err
	}
	hidden := s.Visible != nil && !*s.Visible
	im.i++
	// A wait written without operator and count right after an action is
	// what that action waits for: the step's time runs until it shows.
	if im.merge >= 0 && s.Operator == "" && s.Count == nil && len(s.Attributes) == 0 && len(s.Properties) == 0 && !hidden {
		prev := &im.out.Journey.Steps[im.merge]
		// wait_for holds one selector: that of the wait's first plain
		// CSS alternative (else its first of a single part).
		if single, ok := FirstSingle(s.Selectors); ok && prev.WaitFor == "" && slices.Equal(prev.Frame, frameOf(s)) && prev.Target == targetOf(s) {
			prev.WaitFor = im.secrets(single)
			prev.Timeout = config.Duration{Duration: max(prev.Timeout.Duration, im.timeout(s).Duration)}
			im.out.Comments[im.merge] = append(im.out.Comments[im.merge], im.describe(s))
			im.merge = -1
			if prev.Expect == nil {
				im.merge = len(im.out.Journey.Steps) - 1
			}
			return nil
		}
	}
	st := config.Step{Name: "wait for " + cmpOr(Label(s.Selectors), css), Touchpoint: im.touchpoint(s), Action: "wait", Timeout: im.timeout(s)}
	if hidden {
		st.Name = "wait until " + cmpOr(Label(s.Selectors), css) + " is gone"
		st.Visible = s.Visible
	}
	im.alternatives(&st, s)
	if len(s.Properties) > 0 {
		st.Properties = s.Properties
	}
	if len(s.Attributes) > 0 {
		st.Attributes = make(map[string]string, len(s.Attributes))
		for k, v := range s.Attributes {
			if _, err := im.unfilled(s, "attributes", k); err != nil {
				return err
			}
			if st.Attributes[k], err = im.unfilled(s, "attributes", v); err != nil {
				return err
			}
		}
	}
	if s.Count != nil && (*s.Count != 1 || s.Operator != "" && s.Operator != ">=") {
		st.Count, st.Operator = int(*s.Count), cmpOr(s.Operator, ">=")
	} else if s.Count == nil && s.Operator != "" && s.Operator != ">=" {
		st.Count, st.Operator = 1, s.Operator
	}
	im.add(st, s)
	return nil
}

func (im *importer) waitForExpression(s *Step) error {
	if err := where(s); err != nil {
		return err
	}
	e, ok := parseExpression(s.Expression)
	im.i++
	if !ok {
		expr, err := im.unfilled(s, "expression", s.Expression)
		if err != nil {
			return err
		}
		im.add(config.Step{Name: "wait until " + config.TruncateRunes(strings.Join(strings.Fields(s.Expression), " "), 60), Touchpoint: im.touchpoint(s), Action: "wait",
			Expression: expr, Timeout: im.timeout(s)}, s)
		return nil
	}
	if e.waitFor {
		if im.merge < 0 || im.out.Journey.Steps[im.merge].WaitFor != "" {
			im.add(config.Step{Name: "wait for " + e.selector, Touchpoint: im.touchpoint(s), Action: "wait", Selector: im.secrets(e.selector), Timeout: im.timeout(s)}, s)
			return nil
		}
		prev := &im.out.Journey.Steps[im.merge]
		prev.WaitFor = im.secrets(e.selector)
		prev.Timeout = config.Duration{Duration: max(prev.Timeout.Duration, im.timeout(s).Duration)}
		im.out.Comments[im.merge] = append(im.out.Comments[im.merge], im.describe(s))
		if prev.Expect != nil {
			im.merge = -1
		}
		return nil
	}
	if e.expect {
		if im.merge < 0 || im.out.Journey.Steps[im.merge].Expect != nil {
			return unsupported(s, "an expectation that follows no action")
		}
		prev := &im.out.Journey.Steps[im.merge]
		prev.Expect = &config.Expect{Selector: im.secrets(e.selector), Text: im.secrets(e.text)}
		im.out.Comments[im.merge] = append(im.out.Comments[im.merge], im.describe(s))
		im.merge = -1
		return nil
	}
	st := config.Step{Touchpoint: im.touchpoint(s), Action: "assert", Timeout: im.timeout(s)}
	if e.urlMatches != "" {
		if _, err := regexp.Compile(e.urlMatches); err != nil {
			return valueError(s, "expression", "the URL pattern "+valueMark+" is not a regular expression touchprobe reads: "+err.Error(), e.urlMatches)
		}
		st.Name = "page URL matches " + e.urlMatches
		// Filled in at load, as a selector is: a --secret value in it is
		// written as its reference.
		st.URLMatches = im.secrets(e.urlMatches)
	} else {
		st.Name = "check " + e.selector
		st.Selector, st.Text = im.secrets(e.selector), im.secrets(e.text)
	}
	im.add(st, s)
	return nil
}

// describe writes a Recorder step as one comment line.
func (im *importer) describe(s *Step) string {
	var b strings.Builder
	fmt.Fprintf(&b, "recorder step %d: %s", s.Index, s.Type)
	if len(s.Selectors) > 0 {
		q := make([]string, len(s.Selectors))
		for i, a := range s.Selectors {
			q[i] = strconv.Quote(im.named(a.String()))
		}
		b.WriteString(" " + strings.Join(q, ", "))
	}
	switch s.Type {
	case Navigate:
		b.WriteString(" " + strconv.Quote(im.secrets(s.URL)))
	case Change:
		v := im.secrets(s.Value)
		if looksSecret(s.Selectors) && s.Value != "" {
			v = "(a secret)"
		}
		b.WriteString(" value " + strconv.Quote(v))
	case KeyDown, KeyUp:
		b.WriteString(" " + strconv.Quote(im.named(s.Key)))
	case WaitForExpression:
		b.WriteString(" " + strconv.Quote(config.TruncateRunes(im.secrets(s.Expression), 200)))
	}
	if nav, ok := s.Navigation(); ok {
		b.WriteString(", then a navigation")
		if nav.URL != "" {
			b.WriteString(" to " + strconv.Quote(im.secrets(nav.URL)))
		}
	}
	return b.String()
}

// pointer imports a hover or a double click on the step's element, at its
// centre, as touchprobe presses every element.
func (im *importer) pointer(s *Step, action, verb string) error {
	css, err := anyOf(s)
	if err != nil {
		return err
	}
	im.i++
	st := config.Step{Name: verb + cmpOr(Label(s.Selectors), css), Touchpoint: im.touchpoint(s), Action: action, Timeout: im.timeout(s)}
	im.alternatives(&st, s)
	if s.Type == DoubleClick {
		pressAs(&st, s)
	}
	im.add(st, s)
	im.follow(s)
	return nil
}

// close imports the close of a popup as a close step; the close of the
// journey's page at the end is left out with a note, since touchprobe
// closes it at the end of every run.
func (im *importer) close(s *Step) error {
	if err := where(s); err != nil {
		return err
	}
	if t := targetOf(s); t != "" {
		if len(s.Frame) > 0 {
			return unsupported(s, "closing a frame")
		}
		im.i++
		name := "close " + t
		if u, err := url.Parse(t); err == nil && u.Path != "" {
			name = "close " + u.Path
		}
		im.add(config.Step{Name: im.secrets(name), Touchpoint: im.touchpoint(s), Action: "close", Target: im.secrets(t), Timeout: im.timeout(s)}, s)
		return nil
	}
	if im.i != len(im.flow.Steps)-1 {
		return unsupported(s, "closing the journey's page before the end of the recording")
	}
	im.note(s, "the final close is left out: touchprobe closes the page at the end of every run")
	im.i++
	return nil
}

// viewport imports a setViewport as a viewport step: the page's screen
// from that step on, unless a profile the journey runs under sets it.
func (im *importer) viewport(s *Step) error {
	if err := where(s); err != nil {
		return err
	}
	if !s.OnMain() {
		// Emulation holds while touchprobe is attached to a page, and a
		// step is attached to another target only while it runs.
		return unsupported(s, "the viewport of another target")
	}
	w, h := math.Round(s.Width), math.Round(s.Height)
	if w < 1 || h < 1 || w > config.MaxViewport || h > config.MaxViewport {
		return &Error{Step: s.Index, Type: s.Type, Key: "width", Msg: fmt.Sprintf("a viewport of %gx%g: touchprobe sets one between 1x1 and %dx%d", s.Width, s.Height, config.MaxViewport, config.MaxViewport)}
	}
	if s.DeviceScaleFactor < 0 || s.DeviceScaleFactor > 10 {
		return &Error{Step: s.Index, Type: s.Type, Key: "deviceScaleFactor", Msg: fmt.Sprintf("%g is not between 0 and 10", s.DeviceScaleFactor)}
	}
	im.note(s, "the recording's viewport applies from this step on, unless the journey runs under a profile that sets the screen (any but desktop): then the profile's holds")
	im.i++
	im.add(config.Step{Name: fmt.Sprintf("viewport %gx%g", w, h), Touchpoint: im.touchpoint(s), Action: "viewport", Timeout: im.timeout(s),
		Width: int(w), Height: int(h), DeviceScaleFactor: s.DeviceScaleFactor, Mobile: s.IsMobile, Touch: s.HasTouch, Landscape: s.IsLandscape}, s)
	return nil
}

// network imports an emulateNetworkConditions as a network step:
// throughput in bytes per second becomes bits per second, a negative one
// none, and no throughput either way offline, as the Recorder's replay
// reads them.
func (im *importer) network(s *Step) error {
	if s.Latency < 0 || s.Latency > float64(time.Hour/time.Millisecond) {
		return &Error{Step: s.Index, Type: s.Type, Key: "latency", Msg: fmt.Sprintf("%g is not a latency in milliseconds between 0 and an hour", s.Latency)}
	}
	st := config.Step{Name: "network", Touchpoint: im.touchpoint(s), Action: "network", Timeout: im.timeout(s)}
	if s.Download == 0 && s.Upload == 0 {
		st.Offline, st.Name = true, "network offline"
	} else {
		var parts []string
		for _, d := range []struct {
			bytes float64
			dst   *config.Throughput
			what  string
		}{{s.Download, &st.Download, "down"}, {s.Upload, &st.Upload, "up"}} {
			if d.bytes > 0 {
				*d.dst = config.Throughput(math.Max(1, math.Round(min(d.bytes, 1e11)*8)))
				parts = append(parts, d.dst.String()+" "+d.what)
			}
		}
		st.Latency = config.Duration{Duration: time.Duration(s.Latency * float64(time.Millisecond))}
		if s.Latency > 0 {
			parts = append(parts, st.Latency.Duration.String()+" latency")
		}
		if len(parts) > 0 {
			st.Name = "network " + strings.Join(parts, ", ")
		} else {
			st.Name = "network unthrottled"
		}
	}
	im.note(s, "the recording's network conditions apply from this step on, unless the journey runs under a profile that throttles the network: then the profile's hold")
	im.i++
	// The page's network, wherever the step was recorded, as the
	// Recorder's replay sets it.
	im.add(st)
	im.out.Comments[len(im.out.Comments)-1] = []string{im.describe(s)}
	return nil
}

// pressAs gives a click or double click the recorded button, where the
// element was pressed, and a tap for a touch: the Recorder's replay
// presses at the recorded offset from the element's top-left corner.
func pressAs(st *config.Step, s *Step) {
	x, y := s.OffsetX, s.OffsetY
	st.OffsetX, st.OffsetY = &x, &y
	if s.Button != "" && s.Button != "primary" {
		st.Button = s.Button
	}
	if s.DeviceType == "touch" {
		st.DeviceType = s.DeviceType
	}
}

// scroll imports a scroll of the page, or of the step's element, to a
// position.
func (im *importer) scroll(s *Step) error {
	if err := where(s); err != nil {
		return err
	}
	// A page is no larger; an int of a larger float is not defined.
	for _, c := range []struct {
		key string
		v   float64
	}{{"x", s.X}, {"y", s.Y}} {
		if c.v > math.MaxInt32 {
			return &Error{Step: s.Index, Type: s.Type, Key: c.key, Msg: fmt.Sprintf("%g is not a position in CSS pixels between 0 and %d: write where the page or element was scrolled to", c.v, math.MaxInt32)}
		}
	}
	im.i++
	st := config.Step{Name: "scroll", Touchpoint: im.touchpoint(s), Action: "scroll", Timeout: im.timeout(s),
		Left: int(math.Round(max(s.X, 0))), Top: int(math.Round(max(s.Y, 0)))}
	if len(s.Selectors) > 0 {
		css, _ := anyOf(s)
		st.Name = "scroll " + cmpOr(Label(s.Selectors), css)
		im.alternatives(&st, s)
	}
	im.add(st, s)
	return nil
}
