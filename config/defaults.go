package config

import (
	"maps"
	"os"
	"slices"
)

// applyDefaults fills every key the file left out, so that consumers read
// final values and never apply defaults themselves. Keys written with a bad
// value are left alone: validation reports them.
func applyDefaults(d *decoded, hostname func() (string, error)) {
	a := &d.cfg.Agent
	if !d.root.present["agent.location"] {
		a.Location = "unknown"
		if h, err := hostname(); err == nil && h != "" {
			a.Location = h
		}
	}
	if !d.root.present["agent.concurrency"] {
		a.Concurrency = DefaultConcurrency
	}
	if !d.root.present["agent.default_budget"] {
		a.DefaultBudget = Budget{Duration: DefaultBudget}
	} else if a.DefaultBudget.Profiles != nil {
		// The profiles a table leaves out keep the built-in default.
		a.DefaultBudget.Duration = DefaultBudget
	}
	if !d.root.present["agent.default_step_timeout"] {
		a.DefaultStepTimeout = Duration{DefaultStepTimeout}
	}
	if !d.root.present["agent.artifacts_max_age"] {
		a.ArtifactsMaxAge = Duration{DefaultArtifactsMaxAge}
	}
	if !d.root.present["agent.artifacts_max_bytes"] {
		a.ArtifactsMaxBytes = DefaultArtifactsMaxBytes
	}
	if !d.root.present["agent.histograms"] {
		a.Histograms = DefaultHistograms
	}
	if !d.root.present["agent.default_profile"] {
		a.DefaultProfile = DefaultProfile
	}
	// A journey that does not say which origins see its trace context
	// takes the agent's.
	for i := range d.cfg.Journeys {
		if !d.journeys[i].present["trace_origins"] {
			d.cfg.Journeys[i].TraceOrigins = slices.Clone(a.TraceOrigins)
		}
	}
	// A profile's left-out keys are desktop's: a full screen, no
	// throttling.
	desktop := BuiltinProfile(DefaultProfile)
	for i := range d.cfg.Profiles {
		p, pm := &d.cfg.Profiles[i], d.profiles[i]
		if !pm.present["width"] {
			p.Width = desktop.Width
		}
		if !pm.present["height"] {
			p.Height = desktop.Height
		}
		if !pm.present["device_scale_factor"] {
			p.DeviceScaleFactor = desktop.DeviceScaleFactor
		}
		if !pm.present["cpu_slowdown"] {
			p.CPUSlowdown = desktop.CPUSlowdown
		}
	}

	for i := range d.cfg.Maintenance {
		if w := &d.cfg.Maintenance[i]; !d.maint[i].present["mode"] {
			w.Mode = MaintenanceMute
		}
	}

	for i := range d.cfg.Journeys {
		j, jm := &d.cfg.Journeys[i], d.journeys[i]
		if !jm.present["schedule"] {
			j.Schedule = DefaultSchedule
		}
		if !jm.present["timeout"] {
			j.Timeout = Duration{DefaultJourneyTimeout}
		}
		if !jm.present["profiles"] {
			j.Profiles = []string{a.DefaultProfile}
		}
		if !jm.present["retry_delay"] {
			j.RetryDelay = Duration{DefaultRetryDelay}
		}
		if !jm.present["confirm"] {
			j.Confirm = ConfirmAccept
		}
		for k := range j.Steps {
			s, sm := &j.Steps[k], d.steps[i][k]
			if !sm.present["touchpoint"] {
				s.Touchpoint = DefaultTouchpoint
			}
			// A bad agent default is reported once, at the agent; steps
			// still inherit it so they do not add a second error each.
			if !sm.present["budget"] {
				s.Budget = a.DefaultBudget.clone()
			}
			if !sm.present["timeout"] {
				s.Timeout = a.DefaultStepTimeout
			}
		}
	}
}

// derive sets the values that follow from others once secrets are filled.
func derive(c *Config) {
	// The built-in profiles come first, then the file's own.
	c.Profiles = append(BuiltinProfiles(), c.Profiles...)
	c.Agent.TraceOrigins = canonicalOrigins(c.Agent.TraceOrigins)
	for i := range c.Journeys {
		c.Journeys[i].TraceOrigins = canonicalOrigins(c.Journeys[i].TraceOrigins)
		for k := range c.Journeys[i].Steps {
			s := &c.Journeys[i].Steps[k]
			// A fill step's Selector is its first field: the element the
			// runner waits for before it starts typing; a field known by
			// a chain into shadow roots is the one alternative of its
			// Selectors.
			if s.Action == "fill" && s.Selector == "" && len(s.Selectors) == 0 && len(s.FieldOrder) > 0 {
				if first := FieldSelector(s.FieldOrder[0]); len(first) > 1 {
					s.Selectors = []Selector{first}
				} else {
					s.Selector = s.FieldOrder[0]
				}
			}
			// The profiles a step's budget table leaves out keep the
			// agent's default (checked first: the table may name only
			// the journey's profiles).
			if s.Budget.Profiles != nil {
				s.Budget = s.Budget.over(c.Agent.DefaultBudget)
			}
		}
	}
}

// osHostname is the default agent location.
var osHostname = os.Hostname

// fieldOrders finds the file order of each step's fields keys. MetaData.Keys
// lists keys in file order but without array indexes, so journeys and steps
// are told apart by their [[journey]] and [[journey.step]] headers, and, in
// inline arrays, which have no headers, by a key repeating: TOML allows a key
// once per table, so a repeat starts the next table. Result keys are 1-based
// {journey, step} indexes.
func fieldOrders(keys [][]string) map[[2]int][]string {
	out := map[[2]int][]string{}
	j, s := 0, 0
	inJourney, inStep := map[string]bool{}, map[string]bool{}
	for _, k := range keys {
		if len(k) == 0 || k[0] != "journey" {
			continue
		}
		switch {
		case len(k) == 1: // [[journey]], or journey = [...]
			j, s = j+1, 0
			clear(inJourney)
			clear(inStep)
		case k[1] == "step" && len(k) == 2: // [[journey.step]], or step = [...]
			s++
			clear(inStep)
		case len(k) == 2:
			if inJourney[k[1]] {
				j, s = j+1, 0
				clear(inJourney)
				clear(inStep)
			}
			inJourney[k[1]] = true
		case k[1] == "step" && len(k) == 3:
			if inStep[k[2]] {
				s++
				clear(inStep)
			}
			inStep[k[2]] = true
		case k[1] == "step" && len(k) == 4 && k[2] == "fields":
			out[[2]int{j, s}] = append(out[[2]int{j, s}], k[3])
		}
	}
	return out
}

// setFieldOrder fills Step.FieldOrder. Should fieldOrders have lost count
// (inline tables whose keys never repeat), the keys it found for a step are
// not exactly the step's fields, and they are sorted instead: stable, if not
// the file's order.
func setFieldOrder(c *Config, orders map[[2]int][]string) {
	for i := range c.Journeys {
		for k := range c.Journeys[i].Steps {
			s := &c.Journeys[i].Steps[k]
			if s.Fields == nil {
				continue
			}
			got := orders[[2]int{i + 1, k + 1}]
			if !sameKeys(got, s.Fields) {
				got = slices.Sorted(maps.Keys(s.Fields))
			}
			s.FieldOrder = got
		}
	}
}

// sameKeys reports whether list holds exactly the keys of m, each once.
func sameKeys(list []string, m map[string]string) bool {
	if len(list) != len(m) {
		return false
	}
	seen := make(map[string]bool, len(list))
	for _, k := range list {
		if _, ok := m[k]; !ok || seen[k] {
			return false
		}
		seen[k] = true
	}
	return true
}
