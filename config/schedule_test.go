package config

import (
	"testing"
	"time"
)

// A schedule at set hours follows the wall clock across daylight saving
// changes, as cron(8) does; one that runs every hour or more often keeps
// to real time. Berlin: on 2026-03-29 the clock jumps from 02:00 to 03:00
// (01:00 UTC); on 2026-10-25 it goes from 03:00 back to 02:00 (01:00 UTC).
func TestScheduleAcrossDaylightSaving(t *testing.T) {
	utc := func(s string) time.Time {
		t.Helper()
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		name, spec string
		from       string
		want       []string // the activations after from, in order
	}{
		{
			name: "a weekly time the clock skips fires when it jumps, not a week later",
			spec: "CRON_TZ=Europe/Berlin 30 2 * * 0", from: "2026-03-28T12:00:00Z",
			want: []string{"2026-03-29T01:00:00Z", "2026-04-05T00:30:00Z"},
		},
		{
			name: "a daily time the clock passes twice fires the first time only",
			spec: "CRON_TZ=Europe/Berlin 30 2 * * *", from: "2026-10-24T12:00:00Z",
			want: []string{"2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"},
		},
		{
			name: "asked during the second pass, the next is the next day's",
			spec: "CRON_TZ=Europe/Berlin 30 2 * * *", from: "2026-10-25T01:10:00Z",
			want: []string{"2026-10-26T01:30:00Z"},
		},
		{
			name: "a daily time away from the changes keeps its hour in both seasons",
			spec: "CRON_TZ=Europe/Berlin 0 9 * * *", from: "2026-03-28T12:00:00Z",
			want: []string{"2026-03-29T07:00:00Z", "2026-03-30T07:00:00Z"},
		},
		{
			name: "every 15 minutes keeps to real time through the hour passed twice",
			spec: "CRON_TZ=Europe/Berlin */15 * * * *", from: "2026-10-25T00:40:00Z",
			want: []string{"2026-10-25T00:45:00Z", "2026-10-25T01:00:00Z", "2026-10-25T01:15:00Z"},
		},
		{
			name: "hourly keeps to real time through the skipped hour",
			spec: "CRON_TZ=Europe/Berlin 30 * * * *", from: "2026-03-29T00:00:00Z",
			want: []string{"2026-03-29T00:30:00Z", "2026-03-29T01:30:00Z"},
		},
		{
			name: "@every is a period, whatever the clock says",
			spec: "@every 1h", from: "2026-10-25T00:40:00Z",
			want: []string{"2026-10-25T01:40:00Z", "2026-10-25T02:40:00Z"},
		},
		{
			name: "UTC has no changes",
			spec: "CRON_TZ=UTC 30 2 * * *", from: "2026-10-24T12:00:00Z",
			want: []string{"2026-10-25T02:30:00Z", "2026-10-26T02:30:00Z"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := ParseSchedule(tt.spec, utc(tt.from))
			if err != nil {
				t.Fatal(err)
			}
			at := utc(tt.from)
			for i, w := range tt.want {
				at = s.Next(at)
				if !at.Equal(utc(w)) {
					t.Fatalf("activation %d after %s: %s, want %s", i+1, tt.from, at.UTC().Format(time.RFC3339), w)
				}
			}
		})
	}
}
