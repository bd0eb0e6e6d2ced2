package scheduler

import (
	"testing"
	"time"
)

func mustNext(t *testing.T, job Job, at time.Time) time.Time {
	t.Helper()
	next, err := NextAfter(job, at)
	if err != nil {
		t.Fatal(err)
	}
	if !next.After(at) {
		t.Fatalf("NextAfter(%q, %v) = %v, not after", job.Spec, at, next)
	}
	return next
}

func TestEveryIsPhaseLocked(t *testing.T) {
	const period = time.Minute
	times := []time.Time{
		time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC),
		time.Date(2026, 3, 1, 12, 0, 59, 999999999, time.UTC),
		time.Date(2031, 7, 9, 3, 17, 42, 123, time.UTC),
		time.Unix(0, 0), // before the first activation of the epoch
		time.Unix(-90, 0),
	}
	offsets := map[time.Duration]string{}
	for _, name := range []string{"checkout", "search", "support", "login", "basket"} {
		job := Job{Name: name, Spec: "@every 1m"}
		want := time.Duration(hashName(name) % uint64(period))
		for _, at := range times {
			next := mustNext(t, job, at)
			if got := time.Duration(next.UnixNano()) - want; got%period != 0 {
				t.Errorf("%s: %v is not at phase %v of %v", name, next, want, period)
			}
			if next.Sub(at) > period {
				t.Errorf("%s: NextAfter(%v) = %v skips an activation", name, at, next)
			}
			if again := mustNext(t, job, at); !again.Equal(next) {
				t.Errorf("%s: not stable: %v then %v", name, next, again)
			}
			// An activation is not after itself: the next one is a period on.
			if after := mustNext(t, job, next); after.Sub(next) != period {
				t.Errorf("%s: activations %v and %v are not %v apart", name, next, after, period)
			}
		}
		if other, dup := offsets[want]; dup {
			t.Errorf("%s and %s share offset %v", name, other, want)
		}
		offsets[want] = name
	}
}

func TestCronShift(t *testing.T) {
	tests := []struct {
		spec   string
		base   time.Time // the unshifted activation after at
		period time.Duration
	}{
		{"*/10 * * * * *", time.Date(2026, 3, 1, 12, 0, 10, 0, time.UTC), 10 * time.Second},
		{"* * * * * *", time.Date(2026, 3, 1, 12, 0, 4, 0, time.UTC), time.Second},
		{"@hourly", time.Date(2026, 3, 1, 13, 0, 0, 0, time.UTC), time.Hour},
		{"CRON_TZ=UTC 30 9 * * *", time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC), 24 * time.Hour},
	}
	for _, tt := range tests {
		for _, name := range []string{"checkout", "search", "support"} {
			job := Job{Name: name, Spec: tt.spec}
			spread := min(tt.period/2, maxSpread)
			shift := time.Duration(hashName(name) % uint64(spread))
			// Look from just after the previous shifted activation, which
			// is before at only if at lies beyond its shift.
			next := mustNext(t, job, tt.base.Add(-tt.period).Add(shift))
			if want := tt.base.Add(shift); !next.Equal(want) {
				t.Errorf("%s %q: next %v, want %v (shift %v)", name, tt.spec, next, want, shift)
			}
			if shift >= spread {
				t.Errorf("%s %q: shift %v not below %v", name, tt.spec, shift, spread)
			}
			after := mustNext(t, job, next)
			if got := after.Sub(next); got != tt.period {
				t.Errorf("%s %q: activations %v apart, want %v", name, tt.spec, got, tt.period)
			}
			// Nothing is skipped: from just before an activation, it is next.
			if again := mustNext(t, job, next.Add(-time.Nanosecond)); !again.Equal(next) {
				t.Errorf("%s %q: from just before %v got %v", name, tt.spec, next, again)
			}
		}
	}
}

// An activation whose shift has not elapsed yet is still ahead: a journey
// shifted 20s past 13:00 and asked at 13:00:05 runs at 13:00:20.
func TestShiftedActivationStillAhead(t *testing.T) {
	job := Job{Name: "checkout", Spec: "@hourly"}
	shift := time.Duration(hashName(job.Name) % uint64(maxSpread))
	hour := time.Date(2026, 3, 1, 13, 0, 0, 0, time.UTC)
	if shift == 0 {
		t.Skip("name hashes to no shift")
	}
	next := mustNext(t, job, hour.Add(shift/2))
	if want := hour.Add(shift); !next.Equal(want) {
		t.Fatalf("next %v, want %v", next, want)
	}
}

func TestIrregularSpecKeepsOrder(t *testing.T) {
	job := Job{Name: "checkout", Spec: "0 0 9,17 * * 1-5"}
	at := time.Date(2026, 3, 6, 8, 0, 0, 0, time.Local) // a Friday
	prev := at
	for range 20 {
		next := mustNext(t, job, prev)
		if h := next.Hour(); h != 9 && h != 17 {
			t.Fatalf("activation %v is not at 9 or 17", next)
		}
		if next.Sub(next.Truncate(time.Hour)) >= maxSpread {
			t.Fatalf("activation %v shifted by 30s or more", next)
		}
		prev = next
	}
}

func TestNextAfterInvalid(t *testing.T) {
	for _, spec := range []string{"", "bogus", "@every", "@every 1 minute", "61 * * * *", "0 0 30 2 *"} {
		if _, err := NextAfter(Job{Name: "x", Spec: spec}, time.Now()); err == nil {
			t.Errorf("NextAfter(%q): no error", spec)
		}
	}
}

func TestInterval(t *testing.T) {
	now := time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC) // a Wednesday
	tests := []struct {
		spec string
		want time.Duration
	}{
		{"@every 1m", time.Minute},
		{"@every 2s", 2 * time.Second},
		{"@hourly", time.Hour},
		{"*/5 * * * *", 5 * time.Minute},
		// Weekdays only: the weekend is the gap a stale-run alert must allow.
		{"0 9 * * 1-5", 72 * time.Hour},
	}
	for _, tt := range tests {
		got, ok := Interval(Job{Name: "j", Spec: tt.spec}, now)
		if !ok || got != tt.want {
			t.Errorf("Interval(%q) = %v, %v; want %v", tt.spec, got, ok, tt.want)
		}
	}
	if _, ok := Interval(Job{Name: "j", Spec: "not a schedule"}, now); ok {
		t.Error("Interval of an invalid schedule reported ok")
	}
}
