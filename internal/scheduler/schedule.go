package scheduler

import (
	"errors"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/touchprobe/touchprobe/config"
)

// maxSpread bounds the shift of cron-style activations, so that a journey
// scheduled "at 09:00" still runs at 09:00 to anyone reading a dashboard.
const maxSpread = 30 * time.Second

// schedule is a parsed Spec together with the job's stable offset.
//
// Journeys configured alike would otherwise all fire at the same instant and
// fight for the browser and the concurrency slots. Each journey is therefore
// shifted by an amount derived from an FNV-1a hash of its name (and profile:
// the profiles of a journey spread too, see Job.Key), which is the
// same on every start and every machine:
//
//   - "@every D" is phase-locked to the Unix epoch: the journey runs at the
//     instants t with (t - offset) mod D == 0, offset = hash mod D. Restarts
//     and reloads keep the phase, and runs spread evenly over D.
//   - every other spec keeps its activations a and runs at a + shift, with
//     shift = hash mod min(p/2, 30s), where p is the distance from a to the
//     activation after it. Shifted activations therefore keep their order.
type schedule struct {
	cron config.Schedule
	hash uint64
	// every is the period of an "@every" spec, zero for other specs.
	every time.Duration
}

// parse applies config.ParseSchedule, the one definition of a valid
// schedule, so that the scheduler accepts exactly what validation accepts.
func parse(name, spec string, now time.Time) (schedule, error) {
	cs, err := config.ParseSchedule(spec, now)
	if err != nil {
		return schedule{}, err
	}
	return schedule{cron: cs, hash: hashName(name), every: cs.Every()}, nil
}

func hashName(name string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	return h.Sum64()
}

var errNever = errors.New("it has no activation in the next five years")

// next returns the first run time strictly after t.
func (s schedule) next(t time.Time) (time.Time, error) {
	if s.every > 0 {
		d := s.every.Nanoseconds()
		off := int64(s.hash % uint64(d))
		ns := t.UnixNano() - off
		k := ns / d
		if ns < 0 && ns%d != 0 {
			k-- // floor, not truncation
		}
		// (k+1) rather than k: an activation at exactly t is not after t.
		return time.Unix(0, (k+1)*d+off).In(t.Location()), nil
	}
	// An activation up to maxSpread before t may still be ahead of t once
	// shifted, so start looking that far back.
	a := s.cron.Next(t.Add(-maxSpread))
	for {
		if a.IsZero() {
			return time.Time{}, errNever
		}
		after := s.cron.Next(a)
		if after.IsZero() {
			// The last activation ever: no period to spread over.
			if a.After(t) {
				return a, nil
			}
			return time.Time{}, errNever
		}
		run := a.Add(s.shift(after.Sub(a)))
		if run.After(t) {
			return run, nil
		}
		a = after
	}
}

// shift is the offset applied to an activation followed by the next one
// after period.
func (s schedule) shift(period time.Duration) time.Duration {
	spread := min(period/2, maxSpread)
	if spread <= 0 {
		return 0
	}
	return time.Duration(s.hash % uint64(spread))
}

// NextAfter returns the first time strictly after t at which job runs, with
// the job's offset applied. It is what the scheduler itself uses, so a page
// can show "next run" without asking the scheduler.
func NextAfter(job Job, t time.Time) (time.Time, error) {
	s, err := parse(job.Key(), job.Spec, t)
	if err != nil {
		return time.Time{}, fmt.Errorf("job %s: %w", job.quoted(), err)
	}
	return s.next(t)
}

// intervalRuns is how many upcoming runs Interval looks at: enough to see
// a weekend gap in a weekday schedule.
const intervalRuns = 64

// Interval is the longest gap between job's next intervalRuns runs after
// now; for an "@every" schedule, its period. Alerts use it to tell a stale
// last run from a quiet schedule. It reports false for a job that does not
// run.
func Interval(job Job, now time.Time) (time.Duration, bool) {
	s, err := parse(job.Key(), job.Spec, now)
	if err != nil {
		return 0, false
	}
	if s.every > 0 {
		return s.every, true
	}
	prev, err := s.next(now)
	if err != nil {
		return 0, false
	}
	var longest time.Duration
	for range intervalRuns {
		next, err := s.next(prev)
		if err != nil {
			break
		}
		longest = max(longest, next.Sub(prev))
		prev = next
	}
	return longest, longest > 0
}
