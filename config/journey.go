package config

import (
	"maps"
	"regexp"
	"slices"
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

// Equal reports whether two journeys would run the same way: same name,
// schedule, timeout, labels and steps. On reload, a journey that is Equal to
// its old version keeps its place in the schedule.
func (j *Journey) Equal(o *Journey) bool {
	if j == nil || o == nil {
		return j == o
	}
	return j.Name == o.Name &&
		j.Schedule == o.Schedule &&
		j.Timeout == o.Timeout &&
		maps.Equal(j.Labels, o.Labels) &&
		j.Confirm == o.Confirm &&
		slices.EqualFunc(j.Steps, o.Steps, func(a, b Step) bool { return a.equal(&b) })
}

// equal compares every field a runner reads. The compiled pattern follows
// from URLMatches and needs no comparing.
func (s *Step) equal(o *Step) bool {
	return s.Name == o.Name &&
		s.Touchpoint == o.Touchpoint &&
		s.Action == o.Action &&
		s.URL == o.URL &&
		s.Selector == o.Selector &&
		maps.Equal(s.Fields, o.Fields) &&
		s.Submit == o.Submit &&
		s.Value == o.Value &&
		s.Key == o.Key &&
		s.Text == o.Text &&
		s.URLMatches == o.URLMatches &&
		s.Open == o.Open &&
		s.Input == o.Input &&
		s.Message == o.Message &&
		s.Reply == o.Reply &&
		s.Frame == o.Frame &&
		s.WaitFor == o.WaitFor &&
		(s.Expect == nil) == (o.Expect == nil) && (s.Expect == nil || *s.Expect == *o.Expect) &&
		s.Budget == o.Budget &&
		s.Timeout == o.Timeout &&
		s.Optional == o.Optional &&
		slices.Equal(s.FieldOrder, o.FieldOrder)
}

// URLPattern returns url_matches compiled, or nil when the step has none.
// It is compiled once, at load.
func (s *Step) URLPattern() *regexp.Regexp {
	if s == nil {
		return nil
	}
	return s.urlPattern
}
