package config

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
)

// Journey returns the journey called name, or nil.
func (c *Config) Journey(name string) *Journey {
	if c == nil {
		return nil
	}
	for i := range c.Journeys {
		if c.Journeys[i].Name == name {
			return &c.Journeys[i]
		}
	}
	return nil
}

// Equal reports whether two journeys would run the same way. It compares
// their Version, the one definition of "the journey changed".
func (j *Journey) Equal(o *Journey) bool {
	if j == nil || o == nil {
		return j == o
	}
	return j.Version() == o.Version()
}

// Version identifies everything a journey is defined by (name, schedule,
// timeout, labels and every field of every step, including the order of
// a fill step's fields): two journeys have the same Version exactly when
// they would run the same way. On reload, a journey whose Version is
// unchanged keeps its place in the schedule. It is a digest, so that the
// filled-in values of secrets never show in it.
func (j *Journey) Version() string {
	// Every exported field takes part, so that a field added to the types
	// cannot be forgotten; the compiled pattern follows from URLMatches.
	b, err := json.Marshal(j)
	if err != nil {
		// Nothing in a journey fails to encode; should it ever, the
		// journey counts as changed.
		return fmt.Sprintf("unversioned-%p", j)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// URLPattern returns url_matches compiled, or nil when the step has none.
// It is compiled once, at load.
func (s *Step) URLPattern() *regexp.Regexp {
	if s == nil {
		return nil
	}
	return s.urlPattern
}
