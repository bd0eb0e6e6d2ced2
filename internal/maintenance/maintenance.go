// Package maintenance keeps the maintenance windows in force: the
// configuration's [[maintenance]] windows and ad hoc ones started over
// HTTP, and says which journeys they cover when.
package maintenance

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/touchprobe/touchprobe/config"
)

// Limits of an ad hoc window: it must end, and within a week.
const (
	MaxAdHocDuration = 7 * 24 * time.Hour
	// DefaultAdHocName names an ad hoc window that was given no name.
	DefaultAdHocName = "ad hoc"
	// maxAdHoc bounds how many ad hoc windows are kept at once.
	maxAdHoc = 100
	// upcomingHorizon is how far ahead List shows recurring windows.
	upcomingHorizon = 7 * 24 * time.Hour
	// maxActivations bounds the search for the latest activation of a
	// recurring window that is open now.
	maxActivations = 10000
)

// Window is a maintenance window: once, from Start to End, or recurring
// on Schedule for Duration each time.
type Window struct {
	Name string
	// Mode is config.MaintenanceMute or config.MaintenanceSkip.
	Mode string
	// Journeys are the journeys covered; nil means all.
	Journeys []string
	Start    time.Time
	End      time.Time
	Schedule config.Schedule
	Duration time.Duration
	// AdHoc says the window was started over HTTP, not configured: it
	// lasts until it ends or the agent restarts.
	AdHoc bool
}

// Occurrence is one opening of a window: Start to End, active or upcoming.
type Occurrence struct {
	Name     string    `json:"name"`
	Mode     string    `json:"mode"`
	Journeys []string  `json:"journeys"` // empty: all
	Start    time.Time `json:"start"`
	End      time.Time `json:"end"`
	Active   bool      `json:"active"`
	AdHoc    bool      `json:"ad_hoc"`
	Schedule string    `json:"schedule,omitempty"`
}

// FromConfig turns the configuration's windows into Windows. The
// configuration has been validated, so a schedule that does not parse is
// skipped rather than reported.
func FromConfig(ms []config.Maintenance, now time.Time) []Window {
	out := make([]Window, 0, len(ms))
	for _, m := range ms {
		w := Window{Name: m.Name, Mode: m.Mode, Journeys: m.Journeys, Duration: m.Duration.Duration}
		if m.Schedule != "" {
			s, err := config.ParseSchedule(m.Schedule, now)
			if err != nil {
				continue
			}
			w.Schedule = s
		} else {
			w.Start, w.End = m.Start.Time, m.End.Time
			if w.End.IsZero() {
				w.End = w.Start.Add(w.Duration)
			}
		}
		out = append(out, w)
	}
	return out
}

// Covers reports whether the window applies to journey.
func (w *Window) Covers(journey string) bool {
	return len(w.Journeys) == 0 || slices.Contains(w.Journeys, journey)
}

// recurring reports whether the window opens on a schedule.
func (w *Window) recurring() bool { return w.Schedule.String() != "" }

// current returns the opening of the window that is active at now, or
// else the next one; ok is false when there is none.
func (w *Window) current(now time.Time) (Occurrence, bool) {
	o := Occurrence{Name: w.Name, Mode: w.Mode, Journeys: w.Journeys, AdHoc: w.AdHoc, Schedule: w.Schedule.String()}
	if !w.recurring() {
		if !now.Before(w.End) {
			return o, false
		}
		o.Start, o.End, o.Active = w.Start, w.End, !now.Before(w.Start)
		return o, true
	}
	// The latest activation in (now-Duration, now] is the open one; later
	// activations within it extend it.
	start := w.Schedule.Next(now.Add(-w.Duration))
	if start.IsZero() {
		return o, false
	}
	if start.After(now) {
		o.Start, o.End = start, start.Add(w.Duration)
		return o, true
	}
	for range maxActivations {
		next := w.Schedule.Next(start)
		if next.IsZero() || next.After(now) {
			break
		}
		start = next
	}
	o.Start, o.End, o.Active = start, start.Add(w.Duration), true
	return o, true
}

// Set holds the windows in force. It is safe for concurrent use.
type Set struct {
	mu         sync.Mutex
	configured []Window
	adHoc      []Window
}

// NewSet returns an empty Set.
func NewSet() *Set { return &Set{} }

// SetConfigured replaces the configured windows, on start and reload; ad
// hoc windows are kept.
func (s *Set) SetConfigured(ws []Window) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.configured = slices.Clone(ws)
}

// ErrTooMany is returned when too many ad hoc windows are open at once.
var ErrTooMany = errors.New("too many ad hoc maintenance windows are open")

// StartAdHoc opens an ad hoc window from now for d.
func (s *Set) StartAdHoc(name, mode string, journeys []string, d time.Duration, now time.Time) (Occurrence, error) {
	if d <= 0 || d > MaxAdHocDuration {
		return Occurrence{}, fmt.Errorf("duration %s: must be above 0 and at most %s", d, MaxAdHocDuration)
	}
	if name == "" {
		name = DefaultAdHocName
	}
	if mode == "" {
		mode = config.MaintenanceMute
	}
	w := Window{Name: name, Mode: mode, Journeys: slices.Clone(journeys), Start: now, End: now.Add(d), Duration: d, AdHoc: true}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.adHoc = slices.DeleteFunc(s.adHoc, func(w Window) bool { return !now.Before(w.End) })
	if len(s.adHoc) >= maxAdHoc {
		return Occurrence{}, ErrTooMany
	}
	s.adHoc = append(s.adHoc, w)
	o, _ := w.current(now)
	return o, nil
}

// Active returns the windows open now that cover journey, skip first:
// a journey in a skip window does not run, whatever else covers it.
func (s *Set) Active(journey string, now time.Time) []Occurrence {
	return ActiveIn(s.List(now), journey)
}

// ActiveIn returns the windows of a List already taken that are open and
// cover journey, skip first.
func ActiveIn(list []Occurrence, journey string) []Occurrence {
	var out []Occurrence
	for _, o := range list {
		if o.Active && (len(o.Journeys) == 0 || slices.Contains(o.Journeys, journey)) {
			out = append(out, o)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		return out[i].Mode == config.MaintenanceSkip && out[j].Mode != config.MaintenanceSkip
	})
	return out
}

// Mode says what the windows open now do to journey: "" for nothing,
// config.MaintenanceSkip or config.MaintenanceMute.
func (s *Set) Mode(journey string, now time.Time) string {
	return ModeIn(s.List(now), journey)
}

// ModeIn is Mode over a List already taken, for callers that ask about
// many journeys at once.
func ModeIn(list []Occurrence, journey string) string {
	if a := ActiveIn(list, journey); len(a) > 0 {
		return a[0].Mode
	}
	return ""
}

// List returns every window that is open now or opens within a week,
// active ones first, each by start.
func (s *Set) List(now time.Time) []Occurrence {
	s.mu.Lock()
	ws := append(slices.Clone(s.configured), s.adHoc...)
	s.mu.Unlock()
	var out []Occurrence
	for i := range ws {
		o, ok := ws[i].current(now)
		if !ok || !o.Active && o.Start.Sub(now) > upcomingHorizon {
			continue
		}
		out = append(out, o)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Active != out[j].Active {
			return out[i].Active
		}
		return out[i].Start.Before(out[j].Start)
	})
	return out
}
