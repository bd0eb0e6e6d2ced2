package config

import (
	"errors"
	"fmt"
	"maps"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"regexp/syntax"
	"runtime"
	"slices"
	"strings"
	"time"
)

// Limits that keep the agent and its metrics bounded.
const (
	maxConcurrency = 64 // browser contexts in flight; each costs a renderer
)

// selectorKeys hold CSS selectors, which must say something when written.
// The frame key holds selectors too: see framesProblems.
var selectorKeys = []string{"selector", "submit", "open", "input", "reply", "wait_for", "expect.selector"}

type validator struct {
	*collector
	d       *decoded
	written written
}

// validate checks everything that decoding cannot: ranges, required keys,
// keys per action, names, schedules, URLs and patterns.
func validate(c *collector, d *decoded, w written) {
	v := &validator{collector: c, d: d, written: w}
	v.agent()
	v.browser()
	v.profiles()
	v.journeys()
	v.maintenance()
	v.otlp()
}

func (v *validator) agent() {
	a, m, top := &v.d.cfg.Agent, v.d.root, where{}
	if m.has("agent.location") {
		switch {
		case a.Location == "":
			v.add(top, "agent.location", `must not be empty: write where this agent probes from, such as "eu-north-1", or leave location out to use the host name`)
		case v.noReference(top, "agent.location", a.Location, true):
			if p := TextProblem(a.Location); p != "" {
				v.add(top, "agent.location", "%s", p)
			}
		}
	} else if !m.present["agent.location"] {
		if p := TextProblem(a.Location); p != "" {
			v.add(top, "agent.location", "the host name %q is not usable: it %s; set location", a.Location, p)
		}
	}
	if m.has("agent.concurrency") {
		switch {
		case a.Concurrency < 1:
			v.add(top, "agent.concurrency", "must be at least 1, got %d", a.Concurrency)
		case a.Concurrency > maxConcurrency:
			v.add(top, "agent.concurrency", "must be at most %d, got %d", maxConcurrency, a.Concurrency)
		}
	}
	v.budget(top, m, "agent.default_budget", a.DefaultBudget, v.profileNames(), "the profiles", `define a [[profile]] called %q`)
	v.positive(top, m, "agent.default_step_timeout", a.DefaultStepTimeout, "20s")
	if m.has("agent.artifacts_dir") {
		v.noReference(top, "agent.artifacts_dir", a.ArtifactsDir, false)
	}
	v.positive(top, m, "agent.artifacts_max_age", a.ArtifactsMaxAge, "168h")
	if m.has("agent.artifacts_max_bytes") && a.ArtifactsMaxBytes < MinArtifactsMaxBytes {
		v.add(top, "agent.artifacts_max_bytes", "must be at least %s, got %s: write a size such as %s", MinArtifactsMaxBytes, a.ArtifactsMaxBytes, `"512MiB" or "1GiB"`)
	}
	if m.has("agent.histograms") && !slices.Contains(HistogramModes, a.Histograms) {
		v.add(top, "agent.histograms", "%q is not a way to expose histograms: write histograms = %q (the default: native histograms to a Prometheus that asks for them, classic buckets to any other), %q or %q",
			a.Histograms, HistogramsBoth, HistogramsClassic, HistogramsNative)
	}
	v.traceOrigins(top, m, "agent.trace_origins", a.TraceOrigins)
	v.traceURL(top, m)
}

func (v *validator) browser() {
	b, m, top := &v.d.cfg.Browser, v.d.root, where{}
	if m.has("browser.path") && b.Path != "" && v.noReference(top, "browser.path", b.Path, false) {
		if path, problem := executable(b.Path); problem != "" {
			v.add(top, "browser.path", "%s: write the path of a Chromium or Chrome binary, or leave path empty to look for one on PATH", problem)
		} else {
			b.Path = path
		}
	}
	for i, f := range b.ExtraFlags {
		if !v.noReference(top, "browser.extra_flags", f, false) {
			continue
		}
		if !strings.HasPrefix(f, "--") {
			v.add(top, "browser.extra_flags", "entry #%d %q must start with \"--\": write %q", i+1, f, "--"+strings.TrimLeft(f, "-"))
		}
	}
}

// executable checks the browser binary: a bare name is looked up on PATH,
// anything else must be an executable file. It returns the path to use.
func executable(path string) (string, string) {
	if !strings.ContainsRune(path, '/') && !strings.ContainsRune(path, os.PathSeparator) {
		found, err := exec.LookPath(path)
		if err != nil {
			return "", fmt.Sprintf("%q was not found on PATH", path)
		}
		return found, ""
	}
	info, err := os.Stat(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return "", fmt.Sprintf("%q does not exist", path)
	case err != nil:
		return "", fmt.Sprintf("cannot use %q: %v", path, unwrapPath(err))
	case info.IsDir():
		return "", fmt.Sprintf("%q is a directory", path)
	case !info.Mode().IsRegular():
		return "", fmt.Sprintf("%q is not a regular file", path)
	case runtime.GOOS != "windows" && info.Mode().Perm()&0o111 == 0:
		return "", fmt.Sprintf("%q is not executable (mode %s)", path, info.Mode().Perm())
	}
	return path, ""
}

// Bounds of a profile's values.
const (
	maxScreenSide   = 10000 // CSS pixels
	maxScaleFactor  = 10
	maxCPUSlowdown  = 100
	maxAddedLatency = time.Minute
)

// profileNames lists the names a journey or the agent may use: the
// built-in profiles' and the file's, in that order.
func (v *validator) profileNames() []string {
	var names []string
	for _, p := range builtinProfiles {
		names = append(names, p.Name)
	}
	for _, p := range v.d.cfg.Profiles {
		if p.Name != "" && !slices.Contains(names, p.Name) {
			names = append(names, p.Name)
		}
	}
	return names
}

func (v *validator) profiles() {
	names := map[string]int{}
	for i := range v.d.cfg.Profiles {
		p, m := &v.d.cfg.Profiles[i], v.d.profiles[i]
		w := where{profile: p.Name, profileIndex: i + 1}
		switch {
		case m.bad["name"]:
		case p.Name == "":
			v.add(w, "name", `required: write a name such as "tablet-wifi"; it becomes the profile label`)
		case !v.noReference(w, "name", p.Name, true):
		case TextProblem(p.Name) != "":
			v.add(w, "name", "%s", TextProblem(p.Name))
		case BuiltinProfile(p.Name) != nil:
			v.add(w, "name", "%q is a built-in profile: use it as it is, or give yours another name such as %q", p.Name, p.Name+"-custom")
		default:
			if first, dup := names[p.Name]; dup {
				v.add(w, "name", "profile #%d is already called %q: profile names must be unique", first, p.Name)
			}
			names[p.Name] = i + 1
		}
		if m.has("width") && (p.Width < 1 || p.Width > maxScreenSide) {
			v.add(w, "width", "must be between 1 and %d CSS pixels, got %d", maxScreenSide, p.Width)
		}
		if m.has("height") && (p.Height < 1 || p.Height > maxScreenSide) {
			v.add(w, "height", "must be between 1 and %d CSS pixels, got %d", maxScreenSide, p.Height)
		}
		if m.has("device_scale_factor") && (p.DeviceScaleFactor <= 0 || p.DeviceScaleFactor > maxScaleFactor) {
			v.add(w, "device_scale_factor", "must be above 0 and at most %d, got %v: write the device's pixel ratio, such as 2", maxScaleFactor, p.DeviceScaleFactor)
		}
		if m.has("cpu_slowdown") && (p.CPUSlowdown < 1 || p.CPUSlowdown > maxCPUSlowdown) {
			v.add(w, "cpu_slowdown", "must be between 1 (no slowdown) and %d, got %v: write how many times slower the customer's CPU is, such as 4", maxCPUSlowdown, p.CPUSlowdown)
		}
		if m.has("latency") && (p.Latency.Duration < 0 || p.Latency.Duration > maxAddedLatency) {
			v.add(w, "latency", "must be between 0 and %s, got %q: write the latency added to each request, such as \"150ms\"", maxAddedLatency, p.Latency.Duration.String())
		}
		if m.has("user_agent") && v.noReference(w, "user_agent", p.UserAgent, false) {
			if p.UserAgent == "" {
				v.add(w, "user_agent", "must not be empty: write a user agent, or leave user_agent out to keep the browser's")
			} else if r := strings.IndexFunc(p.UserAgent, func(r rune) bool { return r < 0x20 || r == 0x7f }); r >= 0 {
				v.add(w, "user_agent", "must not contain control characters, got one at byte %d: a user agent is one line of text", r+1)
			}
		}
	}

	a, top := &v.d.cfg.Agent, where{}
	if v.d.root.has("agent.default_profile") && !slices.Contains(v.profileNames(), a.DefaultProfile) {
		v.add(top, "agent.default_profile", "%s", oneOf("profile", a.DefaultProfile, v.profileNames()))
	}
}

// journeyProfiles checks the profiles a journey names.
func (v *validator) journeyProfiles(w where, m meta, j *Journey) {
	if !m.has("profiles") {
		return
	}
	if len(j.Profiles) == 0 {
		v.add(w, "profiles", `must name at least one profile, such as profiles = ["desktop", "mobile-4g"], or leave profiles out for the agent's default_profile`)
	}
	known := v.profileNames()
	seen := map[string]bool{}
	for _, name := range j.Profiles {
		switch {
		case !slices.Contains(known, name):
			v.add(w, "profiles", "%s", oneOf("profile", name, known))
		case seen[name]:
			v.add(w, "profiles", "%q is named twice: each profile runs the journey once", name)
		}
		seen[name] = true
	}
}

func (v *validator) journeys() {
	cfg, top := v.d.cfg, where{}
	if len(cfg.Journeys) == 0 && !v.d.root.bad["journey"] {
		v.add(top, "journey", "at least one [[journey]] is required: add one with a name and at least one [[journey.step]]")
	}
	names := map[string]int{}
	for i := range cfg.Journeys {
		j, m := &cfg.Journeys[i], v.d.journeys[i]
		w := where{journey: j.Name, journeyIndex: i + 1}
		if v.name(w, m, j.Name, `"storefront"`, "journey") {
			if first, dup := names[j.Name]; dup {
				v.add(w, "name", "journey #%d is already called %q: journey names must be unique", first, j.Name)
			} else {
				names[j.Name] = i + 1
			}
		}
		if !m.bad["schedule"] {
			if p := scheduleProblem(j.Schedule); p != "" {
				v.add(w, "schedule", "%s", p)
			}
		}
		v.positive(w, m, "timeout", j.Timeout, "90s")
		if j.Confirm != "" && j.Confirm != ConfirmAccept && j.Confirm != ConfirmDismiss && !m.bad["confirm"] {
			v.add(w, "confirm", "%q is not an answer to a confirm() dialog: write confirm = %q (the default) or confirm = %q", j.Confirm, ConfirmAccept, ConfirmDismiss)
		}
		v.labels(w, j.Labels)
		v.journeyProfiles(w, m, j)
		v.retries(w, m, j)
		v.traceOrigins(w, m, "trace_origins", j.TraceOrigins)

		if len(j.Steps) == 0 && !m.bad["step"] {
			v.add(w, "step", "at least one [[journey.step]] is required: add the steps of the journey")
		}
		stepNames := map[string]int{}
		for k := range j.Steps {
			s, sm := &j.Steps[k], v.d.steps[i][k]
			sw := w
			sw.step, sw.stepIndex = s.Name, k+1
			if v.name(sw, sm, s.Name, `"add to basket"`, "step") {
				if first, dup := stepNames[s.Name]; dup {
					v.add(sw, "name", "step #%d is already called %q: step names must be unique within a journey", first, s.Name)
				} else {
					stepNames[s.Name] = k + 1
				}
			}
			v.step(sw, sm, s)
			v.budget(sw, sm, "budget", s.Budget, j.Profiles, "the journey's profiles", `add %q to the journey's profiles`)
		}
	}
}

// name checks a journey or step name, which becomes a label value. It
// reports whether the name is usable, for the uniqueness check.
func (v *validator) name(w where, m meta, name, example, label string) bool {
	if m.bad["name"] {
		return false
	}
	if name == "" {
		v.add(w, "name", "required: write a name such as %s; it becomes the %s label", example, label)
		return false
	}
	if !v.noReference(w, "name", name, true) {
		return false
	}
	problem := TextProblem
	if label == "journey" {
		problem = JourneyNameProblem
	}
	if p := problem(name); p != "" {
		v.add(w, "name", "%s", p)
		return false
	}
	return true
}

// scheduleProblem says what is wrong with a schedule, or "". The rules
// are ParseSchedule's, which the scheduler applies too.
func scheduleProblem(spec string) string {
	if _, err := ParseSchedule(spec, time.Now()); err != nil {
		return err.Error()
	}
	return ""
}

func (v *validator) labels(w where, labels map[string]string) {
	for _, name := range slices.Sorted(maps.Keys(labels)) {
		switch p := LabelNameProblem(name); {
		case p != "":
			v.add(w, "labels", "%s", p)
		case labels[name] == "":
			v.add(w, "labels", "label %q has an empty value: write a value or remove the label", name)
		case !v.noReference(w, "labels", labels[name], true):
		default:
			if p := TextProblem(labels[name]); p != "" {
				v.add(w, "labels", "the value of label %q %s", name, p)
			}
		}
	}
}

func (v *validator) step(w where, m meta, s *Step) {
	if m.has("touchpoint") && !slices.Contains(Touchpoints, s.Touchpoint) {
		v.add(w, "touchpoint", "%s", oneOf("touchpoint", s.Touchpoint, Touchpoints))
	}
	switch {
	case m.bad["action"]:
	case !m.present["action"]:
		v.add(w, "action", "required: write one of %s", list(Actions, "or"))
	case !slices.Contains(Actions, s.Action):
		v.add(w, "action", "%s", oneOf("action", s.Action, Actions))
	default:
		v.actionKeys(w, m, s)
	}

	if m.has("target") && s.Target != MainTarget {
		if u, err := url.Parse(s.Target); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			v.add(w, "target", `%q is neither "main" nor an absolute http(s) URL: write the URL of the page or frame the step runs in, such as "https://shop.example.com/help"`, v.written.show(s, "target", s.Target))
		}
		switch {
		case s.Action == "chat":
			v.add(w, "target", "not used by chat: a chat step runs in the journey's page and opens its widget there; leave target out")
		case s.Action == "navigate" && m.present["frame"]:
			v.add(w, "frame", "not used by navigate: a navigate step loads a whole page, the journey's or its target's; leave frame out")
		}
	}
	for _, key := range selectorKeys {
		if m.has(key) && !v.unused(m, s, key) {
			if p := SelectorProblem(v.get(s, key)); p != "" {
				v.add(w, key, "%s", p)
			}
		}
	}
	if m.has("frame") {
		// Checked as filled in, shown as the file wrote it.
		var shown Frames
		var key string
		if m.joined["frame"] {
			raw := v.written.show(s, frameAs(0), s.Frame.String())
			shown, key = FramePath(raw), fmt.Sprintf("%q", raw)
		} else {
			shown = make(Frames, len(s.Frame))
			for i, f := range s.Frame {
				shown[i] = v.written.show(s, frameAs(i), f)
			}
			key = framesList(shown)
		}
		if len(shown) != len(s.Frame) { // a reference held " >> "
			shown = s.Frame
		}
		for _, p := range framesProblems(s.Frame, shown, key) {
			v.add(w, "frame", "%s", p)
		}
	}
	if m.has("selectors") && !v.unused(m, s, "selectors") {
		if m.present["selector"] {
			v.add(w, "selectors", `written with selector: write the one selector as selector, or every alternative (the first the one selector) in selectors, not both`)
		}
		for _, p := range selectorsProblems(s.Selectors) {
			v.add(w, "selectors", "%s", p)
		}
	}
	if m.has("fields") && !v.unused(m, s, "fields") {
		if len(s.Fields) == 0 {
			v.add(w, "fields", `no fields: write at least one CSS selector = value, such as fields = { "#email" = "shopper@example.com" }`)
		}
		for n, key := range s.FieldOrder {
			if strings.TrimSpace(key) == "" {
				v.add(w, "fields", "the selector of field #%d is empty or only whitespace: write the CSS selector of the field, such as \"#email\"", n+1)
				continue
			}
			for _, part := range FieldSelector(key) {
				if p := SelectorProblem(part); p != "" {
					v.add(w, "fields", "the selector of field #%d: %s", n+1, p)
					break
				}
			}
		}
	}
	if m.has("expect") && !m.present["expect.selector"] {
		v.add(w, "expect.selector", `required: write the CSS selector of the element that must be visible when the step ends, such as "#basket-count"`)
	}
	if m.has("url_matches") && !v.unused(m, s, "url_matches") {
		re, err := regexp.Compile(s.URLMatches)
		if err != nil {
			reason := err.Error()
			if se := (*syntax.Error)(nil); errors.As(err, &se) {
				reason = string(se.Code) // without the pattern, which may hold a secret
			}
			v.add(w, "url_matches", "invalid regular expression %q: %s: write a Go regular expression such as \"/checkout/\" or \"/order/[0-9]+$\"", v.written.show(s, "url_matches", s.URLMatches), reason)
		} else {
			s.urlPattern = re
		}
	}
	v.positive(w, m, "timeout", s.Timeout, "20s")
}

// actionKeys checks the keys that depend on the step's action, by the
// action table: keys of other actions, required keys, and the action's own
// check.
func (v *validator) actionKeys(w where, m meta, s *Step) {
	a := lookupAction(s.Action)
	for _, key := range actionOnlyKeys {
		if v.unused(m, s, key) {
			var users []string
			for _, other := range actionTable {
				if other.uses(key) {
					users = append(users, other.Name)
				}
			}
			v.add(w, key, "not used by %s: %s is only used by %s", s.Action, key, join(users, "and"))
		}
	}
	for _, k := range a.Keys {
		if k.Required && !m.present[k.Name] && !(k.Name == "selector" && m.present["selectors"]) {
			v.add(w, k.Name, "required by %s: %s", s.Action, k.Hint)
		}
	}
	if a.check != nil {
		a.check(v, w, m, s)
	}
}

// notEmpty reports a key written with an empty value.
func (v *validator) notEmpty(w where, m meta, key, value, hint string) {
	if m.has(key) && value == "" {
		v.add(w, key, "must not be empty: %s", hint)
	}
}

// unused reports whether key is written on a step whose action does not use
// it. Keys every action uses are never unused.
func (v *validator) unused(m meta, s *Step, key string) bool {
	a := lookupAction(s.Action)
	return a != nil && m.present[key] && slices.Contains(actionOnlyKeys, key) && !a.uses(key)
}

// get returns a selector key's value.
func (v *validator) get(s *Step, key string) string {
	for _, str := range stepStrings(s) {
		if str.key == key {
			return *str.p
		}
	}
	return ""
}

// positive checks that a duration written in the file is above zero.
func (v *validator) positive(w where, m meta, key string, d Duration, example string) {
	if m.has(key) && d.Duration <= 0 {
		v.add(w, key, "must be greater than 0, got %q: write a Go duration such as %q", d.Duration.String(), example)
	}
}

// noReference reports an error for ${...} outside a step, where nothing is
// filled in, and returns whether s is free of them. A label would even
// publish the secret, so that case says so.
func (v *validator) noReference(w where, key, s string, label bool) bool {
	if !strings.Contains(s, "${") {
		return true
	}
	if label {
		v.add(w, key, "references such as ${env:NAME} are not filled in here: this is a metric label, which would publish a secret; write the value itself")
	} else {
		v.add(w, key, "references such as ${env:NAME} are only filled in a step's keys: write the value itself")
	}
	return false
}

// oneOf says a value is not one of a closed set, suggesting the closest.
func oneOf(kind, got string, valid []string) string {
	if s, ok := closest(got, valid); ok && got != "" {
		return fmt.Sprintf("unknown %s %q: did you mean %q?", kind, got, s)
	}
	return fmt.Sprintf("unknown %s %q: write one of %s", kind, got, list(valid, "or"))
}

// unwrapPath drops the path from an *os.PathError, for messages that name
// the path already.
func unwrapPath(err error) error {
	if pe := (*os.PathError)(nil); errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// retries checks a journey's retries and retry_delay: a bounded number of
// retries, each after a delay that leaves time within the journey's
// timeout for the retry itself.
func (v *validator) retries(w where, m meta, j *Journey) {
	switch {
	case !m.has("retries"):
	case j.Retries < 0:
		v.add(w, "retries", "must not be negative, got %d: write how many times a failed run is tried again, such as 1, or 0 for none", j.Retries)
	case j.Retries > MaxRetries:
		v.add(w, "retries", "must be at most %d, got %d: a run retried more often hides an outage instead of confirming it", MaxRetries, j.Retries)
	}
	if !m.has("retry_delay") {
		return
	}
	switch d := j.RetryDelay.Duration; {
	case d < 0:
		v.add(w, "retry_delay", "must not be negative, got %q: write a Go duration such as \"10s\"", d.String())
	case !m.bad["timeout"] && j.Timeout.Duration > 0 && d >= j.Timeout.Duration:
		v.add(w, "retry_delay", "%q is not shorter than the journey's timeout of %s, which retries share with the first attempt: write a shorter delay such as \"10s\", or a longer timeout", d.String(), j.Timeout.Duration)
	}
}

// maintenance checks the [[maintenance]] windows: a name, either a cron
// schedule with a duration or a start with an end or a duration, known
// journeys and a mode.
func (v *validator) maintenance() {
	journeys := make([]string, 0, len(v.d.cfg.Journeys))
	for _, j := range v.d.cfg.Journeys {
		journeys = append(journeys, j.Name)
	}
	names := map[string]int{}
	for i := range v.d.cfg.Maintenance {
		mw, m := &v.d.cfg.Maintenance[i], v.d.maint[i]
		w := where{maintenance: mw.Name, maintIndex: i + 1}
		switch {
		case m.bad["name"]:
		case mw.Name == "":
			v.add(w, "name", `required: write a name such as "weekly-deploy"; the status page shows it`)
		case TextProblem(mw.Name) != "":
			v.add(w, "name", "%s", TextProblem(mw.Name))
		default:
			if first, dup := names[mw.Name]; dup {
				v.add(w, "name", "maintenance #%d is already called %q: maintenance names must be unique", first, mw.Name)
			}
			names[mw.Name] = i + 1
		}
		v.window(w, m, mw)
		if m.has("journeys") {
			if len(mw.Journeys) == 0 {
				v.add(w, "journeys", `must name at least one journey, such as journeys = ["checkout"], or leave journeys out for all`)
			}
			for _, name := range mw.Journeys {
				if !slices.Contains(journeys, name) {
					v.add(w, "journeys", "%s", oneOf("journey", name, journeys))
				}
			}
		}
		if m.has("mode") && !slices.Contains(MaintenanceModes, mw.Mode) {
			v.add(w, "mode", "%q is not a maintenance mode: write mode = %q (the default: runs go on, alerts are held) or mode = %q (nothing runs)", mw.Mode, MaintenanceMute, MaintenanceSkip)
		}
	}
}

// window checks when a maintenance window is.
func (v *validator) window(w where, m meta, mw *Maintenance) {
	hasSchedule, hasStart, hasEnd, hasDuration := m.present["schedule"], m.present["start"], m.present["end"], m.present["duration"]
	if m.has("duration") && mw.Duration.Duration <= 0 {
		v.add(w, "duration", "must be greater than 0, got %q: write a Go duration such as \"30m\"", mw.Duration.Duration.String())
	}
	switch {
	case hasSchedule && (hasStart || hasEnd):
		v.add(w, "schedule", "a window recurs on a schedule or runs once from start to end, not both: remove schedule, or start and end")
	case hasSchedule:
		if m.bad["schedule"] {
			break
		}
		s, err := ParseSchedule(mw.Schedule, time.Now())
		switch {
		case err != nil:
			v.add(w, "schedule", "%s", err)
		case s.Every() > 0:
			v.add(w, "schedule", "%q has no fixed time of day: write a cron spec of when the window opens, such as \"0 2 * * 0\" (Sundays at 02:00)", mw.Schedule)
		}
		if !hasDuration {
			v.add(w, "duration", `required with schedule: write how long each window lasts, such as "30m"`)
		}
	case hasStart:
		switch {
		case hasEnd && hasDuration:
			v.add(w, "end", "write either end or duration, not both")
		case !hasEnd && !hasDuration:
			v.add(w, "end", "required with start: write when the window ends, such as %s, or a duration such as \"30m\"", timestampExample)
		case hasEnd && m.has("start") && m.has("end") && !mw.End.After(mw.Start.Time):
			v.add(w, "end", "%s is not after start %s: write a later end", mw.End.Format(time.RFC3339), mw.Start.Format(time.RFC3339))
		}
	case hasEnd:
		v.add(w, "start", "required with end: write when the window starts, such as %s", timestampExample)
	default:
		v.add(w, "schedule", `required: write a cron schedule such as "0 2 * * 0" with a duration, or a start and an end such as %s`, timestampExample)
	}
}
