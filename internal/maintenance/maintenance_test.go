package maintenance

import (
	"errors"
	"testing"
	"time"

	"github.com/touchprobe/touchprobe/config"
)

func TestWindows(t *testing.T) {
	// Sunday 1 November 2026, 02:10 UTC.
	sunday := time.Date(2026, 11, 1, 2, 10, 0, 0, time.UTC)
	weekly, err := config.ParseSchedule("0 2 * * 0", sunday)
	if err != nil {
		t.Fatal(err)
	}
	deploy := Window{Name: "weekly-deploy", Mode: config.MaintenanceMute, Schedule: weekly, Duration: 30 * time.Minute}
	reindex := Window{Name: "reindex", Mode: config.MaintenanceSkip, Journeys: []string{"search"},
		Start: sunday.Add(time.Hour), End: sunday.Add(3 * time.Hour)}
	s := NewSet()
	s.SetConfigured([]Window{deploy, reindex})

	tests := []struct {
		name     string
		now      time.Time
		journey  string
		mode     string
		end      time.Time // of the first active window, if any
		listed   int
		upcoming int
	}{
		{"inside the weekly window", sunday, "checkout", config.MaintenanceMute, sunday.Add(20 * time.Minute), 2, 1},
		{"at its opening", sunday.Add(-10 * time.Minute), "checkout", config.MaintenanceMute, sunday.Add(20 * time.Minute), 2, 1},
		{"at its end it is over", sunday.Add(20 * time.Minute), "checkout", "", time.Time{}, 2, 2},
		{"the one-off window skips the journey it names", sunday.Add(90 * time.Minute), "search", config.MaintenanceSkip, sunday.Add(3 * time.Hour), 2, 1},
		{"and no other", sunday.Add(90 * time.Minute), "checkout", "", time.Time{}, 2, 1},
		{"after it, only next week's is upcoming", sunday.Add(4 * time.Hour), "search", "", time.Time{}, 1, 1},
		{"the next Sunday", sunday.Add(7 * 24 * time.Hour), "search", config.MaintenanceMute, sunday.Add(7*24*time.Hour + 20*time.Minute), 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := s.Mode(tt.journey, tt.now); got != tt.mode {
				t.Errorf("Mode(%q) = %q, want %q", tt.journey, got, tt.mode)
			}
			if active := s.Active(tt.journey, tt.now); len(active) > 0 && !active[0].End.Equal(tt.end) {
				t.Errorf("active window ends %s, want %s", active[0].End, tt.end)
			}
			list := s.List(tt.now)
			upcoming := 0
			for _, o := range list {
				if !o.Active {
					upcoming++
				}
			}
			if len(list) != tt.listed || upcoming != tt.upcoming {
				t.Errorf("List: %d windows, %d upcoming; want %d, %d: %+v", len(list), upcoming, tt.listed, tt.upcoming, list)
			}
		})
	}
}

// A skip window wins over a mute window that covers the same journey, and
// an ad hoc window ends when it says, keeping its name, mode and journeys.
func TestAdHocWindows(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	s := NewSet()
	if _, err := s.StartAdHoc("", "", []string{"checkout"}, 15*time.Minute, now); err != nil {
		t.Fatal(err)
	}
	if got := s.Mode("checkout", now.Add(time.Minute)); got != config.MaintenanceMute {
		t.Errorf("mode %q, want the default, mute", got)
	}
	if got := s.Mode("search", now.Add(time.Minute)); got != "" {
		t.Errorf("search: mode %q, want none", got)
	}
	if _, err := s.StartAdHoc("deploy", config.MaintenanceSkip, nil, 5*time.Minute, now); err != nil {
		t.Fatal(err)
	}
	if got := s.Mode("checkout", now.Add(time.Minute)); got != config.MaintenanceSkip {
		t.Errorf("mode %q, want skip to win over mute", got)
	}
	if got := s.Mode("checkout", now.Add(10*time.Minute)); got != config.MaintenanceMute {
		t.Errorf("after the skip window: mode %q, want mute", got)
	}
	if got := s.Mode("checkout", now.Add(15*time.Minute)); got != "" {
		t.Errorf("after both: mode %q, want none", got)
	}
	// A reload replaces the configured windows, not the ad hoc ones.
	s.SetConfigured(nil)
	if list := s.List(now); len(list) != 2 || list[0].Name != "ad hoc" && list[1].Name != "ad hoc" {
		t.Errorf("after a reload: %+v", list)
	}
	for _, d := range []time.Duration{0, -time.Minute, MaxAdHocDuration + time.Second} {
		if _, err := s.StartAdHoc("x", "", nil, d, now); err == nil {
			t.Errorf("duration %s accepted", d)
		}
	}
	for range maxAdHoc {
		s.StartAdHoc("x", "", nil, time.Hour, now)
	}
	if _, err := s.StartAdHoc("x", "", nil, time.Hour, now); !errors.Is(err, ErrTooMany) {
		t.Errorf("window over the limit: %v, want ErrTooMany", err)
	}
	// Once they have ended they make room again.
	if _, err := s.StartAdHoc("x", "", nil, time.Hour, now.Add(2*time.Hour)); err != nil {
		t.Errorf("after the windows ended: %v", err)
	}
}

func TestFromConfig(t *testing.T) {
	cfg, err := config.Load("../../testdata/config/valid-maintenance.toml")
	if err != nil {
		t.Fatal(err)
	}
	ws := FromConfig(cfg.Maintenance, time.Now())
	if len(ws) != 2 || ws[0].Schedule.String() != "0 2 * * 0" || ws[0].Duration != 30*time.Minute ||
		!ws[1].End.Equal(time.Date(2026, 12, 24, 19, 0, 0, 0, time.UTC)) || ws[1].Mode != config.MaintenanceSkip {
		t.Errorf("FromConfig = %+v", ws)
	}
}

// A weekly window at a time the clock skips when summer time begins opens
// when the clock jumps, for its whole duration, and not a week late; on
// the night the clock goes back, a daily window opens once.
func TestWindowsAcrossDaylightSaving(t *testing.T) {
	spring := time.Date(2026, 3, 29, 0, 0, 0, 0, time.UTC) // Berlin jumps 02:00 -> 03:00 at 01:00 UTC
	weekly, err := config.ParseSchedule("CRON_TZ=Europe/Berlin 30 2 * * 0", spring)
	if err != nil {
		t.Fatal(err)
	}
	fall := time.Date(2026, 10, 25, 0, 0, 0, 0, time.UTC) // Berlin goes 03:00 -> 02:00 at 01:00 UTC
	daily, err := config.ParseSchedule("CRON_TZ=Europe/Berlin 30 2 * * *", fall)
	if err != nil {
		t.Fatal(err)
	}
	s := NewSet()
	s.SetConfigured([]Window{
		{Name: "deploy", Mode: config.MaintenanceMute, Journeys: []string{"checkout"}, Schedule: weekly, Duration: time.Hour},
		{Name: "backup", Mode: config.MaintenanceSkip, Journeys: []string{"search"}, Schedule: daily, Duration: 20 * time.Minute},
	})
	tests := []struct {
		journey string
		now     time.Time
		mode    string
	}{
		{"checkout", spring.Add(59 * time.Minute), ""},
		{"checkout", spring.Add(61 * time.Minute), config.MaintenanceMute},
		{"checkout", spring.Add(119 * time.Minute), config.MaintenanceMute},
		{"checkout", spring.Add(121 * time.Minute), ""},
		{"search", fall.Add(40 * time.Minute), config.MaintenanceSkip}, // 02:40 summer time
		{"search", fall.Add(100 * time.Minute), ""},                    // 02:40 again, winter time
	}
	for _, tt := range tests {
		if got := s.Mode(tt.journey, tt.now); got != tt.mode {
			t.Errorf("%s at %s: mode %q, want %q", tt.journey, tt.now.Format(time.RFC3339), got, tt.mode)
		}
	}
}
