package config

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// Budget is how long a step may take: one duration for every profile
// (budget = "3s"), or one per profile (budget = { desktop = "2s",
// "mobile-4g" = "3s" }), since a phone on 4G is not held to a desktop's
// target. It is written the same way for a step and for [agent]
// default_budget; a step's table leaves the profiles it does not name at
// the agent's default.
type Budget struct {
	// Duration is the budget of every profile Profiles does not name.
	time.Duration
	// Profiles holds the budgets written per profile; nil when the file
	// wrote one duration.
	Profiles map[string]time.Duration `json:",omitempty"`
}

// For returns the budget of the step under the named profile.
func (b Budget) For(profile string) time.Duration {
	if d, ok := b.Profiles[profile]; ok {
		return d
	}
	return b.Duration
}

// over lays b, a step's table, over def, the agent's default: the
// profiles b does not name keep def's budget.
func (b Budget) over(def Budget) Budget {
	out := Budget{Duration: def.Duration, Profiles: maps.Clone(def.Profiles)}
	if out.Profiles == nil {
		out.Profiles = map[string]time.Duration{}
	}
	maps.Copy(out.Profiles, b.Profiles)
	return out
}

// clone returns b with a map of its own.
func (b Budget) clone() Budget {
	b.Profiles = maps.Clone(b.Profiles)
	return b
}

const budgetExamples = `budget = "3s", or one per profile such as budget = { desktop = "2s", "mobile-4g" = "3s" }`

// parseBudget reads a budget as TOML decoded it: a duration string or a
// table of them by profile.
func parseBudget(v any) (Budget, string) {
	switch v := v.(type) {
	case string:
		var d Duration
		if err := d.UnmarshalText([]byte(v)); err != nil {
			return Budget{}, err.Error()
		}
		return Budget{Duration: d.Duration}, ""
	case map[string]any:
		if len(v) == 0 {
			return Budget{}, "an empty table names no profile: write " + budgetExamples
		}
		b := Budget{Profiles: make(map[string]time.Duration, len(v))}
		var problems []string
		for _, k := range slices.Sorted(maps.Keys(v)) {
			s, ok := v[k].(string)
			if !ok {
				problems = append(problems, fmt.Sprintf(`budget of profile %q: expected a Go duration in quotes such as "3s", got %s`, k, describe(v[k])))
				continue
			}
			var d Duration
			if err := d.UnmarshalText([]byte(s)); err != nil {
				problems = append(problems, fmt.Sprintf("budget of profile %q: %v", k, err))
				continue
			}
			b.Profiles[k] = d.Duration
		}
		if len(problems) > 0 {
			return Budget{}, strings.Join(problems, "; ")
		}
		return b, ""
	default:
		return Budget{}, fmt.Sprintf("expected a Go duration in quotes or a table of them by profile, got %s: write %s", describe(v), budgetExamples)
	}
}

// budget checks a budget: every duration greater than 0, and every
// profile it names one of profiles, which are what it may name there (a
// journey's profiles for a step, every profile for the agent); whose says
// whose profiles they are and orElse the other way out.
func (v *validator) budget(w where, m meta, key string, b Budget, profiles []string, whose, orElse string) {
	if !m.has(key) {
		return
	}
	if b.Profiles == nil {
		v.positive(w, m, key, Duration{b.Duration}, "3s")
		return
	}
	for _, name := range slices.Sorted(maps.Keys(b.Profiles)) {
		if d := b.Profiles[name]; d <= 0 {
			v.add(w, key, "the budget of profile %q must be greater than 0, got %q: write a Go duration such as \"3s\"", name, d.String())
		}
		if !slices.Contains(profiles, name) {
			example := make([]string, 0, len(profiles))
			for _, p := range profiles {
				example = append(example, fmt.Sprintf("%s = %q", tomlKey(p), "3s"))
			}
			v.add(w, key, "profile %q is not one of %s (%s): write %s = { %s }, naming only those, or %s",
				name, whose, list(profiles, "and"), strings.TrimPrefix(key, "agent."), strings.Join(example, ", "), fmt.Sprintf(orElse, name))
		}
	}
}

// tomlKey writes a profile name as a TOML key: bare when it can be.
func tomlKey(s string) string {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return fmt.Sprintf("%q", s)
		}
	}
	if s == "" {
		return `""`
	}
	return s
}
