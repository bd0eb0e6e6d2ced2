package config

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// ScheduleExamples are schedules to suggest when one is wrong.
const ScheduleExamples = `"@every 1m", "*/30 * * * * *" or "0 */5 * * * *"`

// scheduleHorizon is how far ahead a schedule must fire at least once. The
// cron library gives up looking after five years too.
const scheduleHorizon = 5 * 365 * 24 * time.Hour

// cronParser reads every schedule: five or six fields (seconds optional)
// or a descriptor such as "@hourly" or "@every 1m".
var cronParser = cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// Schedule is a journey's schedule, parsed. Every rule a schedule must
// follow is checked by ParseSchedule, which both configuration validation
// and the scheduler call: a schedule that passes "touchprobe check" is a
// schedule the agent runs.
type Schedule struct {
	spec string
	cron cron.Schedule
	// every is the period of an "@every" spec, zero for other specs.
	every time.Duration
}

// ParseSchedule parses spec and checks that it can run: it is a cron spec
// or descriptor, "@every" is at least a second, and it fires at least once
// within five years of now. The error says what to write instead.
func ParseSchedule(spec string, now time.Time) (Schedule, error) {
	cs, err := parseCron(spec)
	if err != nil {
		return Schedule{}, fmt.Errorf("invalid schedule %q (%w): write a cron spec or descriptor such as %s", spec, err, ScheduleExamples)
	}
	s := Schedule{spec: spec, cron: cs}
	if cd, ok := cs.(cron.ConstantDelaySchedule); ok {
		s.every = cd.Delay
		// The parser silently rounds "@every" up to a second; say so
		// instead.
		if _, after, ok := strings.Cut(spec, "@every "); ok {
			if d, err := time.ParseDuration(strings.TrimSpace(after)); err == nil && d < time.Second {
				return Schedule{}, fmt.Errorf("schedule %q is too often: \"@every\" must be at least 1s, such as \"@every 30s\"", spec)
			}
		}
		return s, nil
	}
	if next := cs.Next(now); next.IsZero() || next.Sub(now) > scheduleHorizon {
		return Schedule{}, fmt.Errorf("schedule %q never fires: no time matches it within five years (check the day of the month against the month, such as February 30); write a schedule that matches a real date, such as %s", spec, ScheduleExamples)
	}
	return s, nil
}

// parseCron runs the cron parser, which panics on some inputs (such as
// "TZ=UTC" with nothing after it); a bad schedule must be an error, not a
// crash of the agent.
func parseCron(spec string) (s cron.Schedule, err error) {
	defer func() {
		if r := recover(); r != nil {
			s, err = nil, errors.New("malformed time zone prefix")
		}
	}()
	return cronParser.Parse(spec)
}

// String returns the spec as written.
func (s Schedule) String() string { return s.spec }

// Every returns the period of an "@every" schedule, and zero for any other.
func (s Schedule) Every() time.Duration { return s.every }

// Next returns the first activation strictly after t, unshifted, or the
// zero time when there is none within five years. For "@every" it is t
// plus the period.
//
// A schedule at set hours ("30 2 * * 0", "@daily") follows the wall clock
// across daylight saving changes, as cron(8) does: a time the clock skips
// fires when the clock jumps, and a time it passes twice fires the first
// time only. The cron library alone skips the first (a weekly window at
// 02:30 would not open that week) and fires twice on the second. A
// schedule that runs every hour or more often keeps to real time.
func (s Schedule) Next(t time.Time) time.Time {
	if s.cron == nil {
		return time.Time{}
	}
	spec, ok := s.cron.(*cron.SpecSchedule)
	if !ok || spec.Hour&starBit != 0 {
		return s.cron.Next(t)
	}
	return nextOnWallClock(spec, t)
}

// starBit is the cron library's mark of a field written "*".
const starBit = 1 << 63

// maxWallClockSkips bounds how many activations nextOnWallClock passes
// over that fall at or before t: those in an hour the clock passes twice,
// at most one a second.
const maxWallClockSkips = 2 * 3600

// nextOnWallClock finds the next activation of spec after t by wall-clock
// time in spec's location: the spec is matched against wall times as if
// the location had no daylight saving, and each wall time found is then
// placed in the location (see onWallClock).
func nextOnWallClock(spec *cron.SpecSchedule, t time.Time) time.Time {
	loc := spec.Location
	if loc == nil {
		loc = time.Local
	}
	wall := *spec
	wall.Location = time.UTC
	f := asWallClock(t, loc)
	for range maxWallClockSkips {
		w := wall.Next(f)
		if w.IsZero() {
			return w
		}
		if at := onWallClock(w, loc); at.After(t) {
			return at
		}
		// A wall time the clock passed twice, t in its second pass.
		f = w
	}
	return spec.Next(t)
}

// asWallClock is t's wall-clock time in loc, written as a time in UTC.
func asWallClock(t time.Time, loc *time.Location) time.Time {
	t = t.In(loc)
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
}

// onWallClock is the instant at which loc's clock shows the wall time w
// (written in UTC): the first time, where the clock shows it twice; the
// instant the clock jumps, where it skips w.
func onWallClock(w time.Time, loc *time.Location) time.Time {
	at := time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), w.Second(), w.Nanosecond(), loc)
	start, end := at.ZoneBounds()
	if !asWallClock(at, loc).Equal(w) {
		// Skipped: the clock jumped over w at a bound of at's zone (which
		// one, time.Date does not promise).
		for _, jump := range []time.Time{start, end} {
			if !jump.IsZero() && asWallClock(jump.Add(-time.Nanosecond), loc).Before(w) && !asWallClock(jump, loc).Before(w) {
				return jump
			}
		}
		return at
	}
	if start.IsZero() {
		return at
	}
	_, offset := at.Zone()
	_, before := start.Add(-time.Nanosecond).Zone()
	if first := w.Add(-time.Duration(before) * time.Second); before > offset && first.Before(start) {
		// Shown twice: first with the offset before the change.
		return first
	}
	return at
}
