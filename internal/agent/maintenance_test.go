package agent

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/touchprobe/touchprobe/config"
	"github.com/touchprobe/touchprobe/internal/maintenance"
	"github.com/touchprobe/touchprobe/internal/metrics"
	"github.com/touchprobe/touchprobe/internal/runs"
	"github.com/touchprobe/touchprobe/internal/scheduler"
)

const maintenanceConfig = `
[agent]
location = "oslo"

[[journey]]
name = "checkout"

  [[journey.step]]
  name = "landing"
  action = "navigate"
  url = "http://127.0.0.1:1/"

[[journey]]
name = "search"

  [[journey.step]]
  name = "landing"
  action = "navigate"
  url = "http://127.0.0.1:1/"
`

func mutedValue(t *testing.T, a *Agent, journey string) float64 {
	t.Helper()
	mfs, err := metrics.NewRegistry(a.metrics).Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "touchprobe_journey_muted" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "journey" && l.GetValue() == journey {
					return m.GetGauge().GetValue()
				}
			}
		}
	}
	t.Fatalf("no touchprobe_journey_muted for %s", journey)
	return 0
}

// An ad hoc window names configured journeys and a known mode; it mutes at
// once, and a skip window keeps the journey from running at all.
func TestStartMaintenance(t *testing.T) {
	cfg, err := config.Parse([]byte(maintenanceConfig), "test.toml")
	if err != nil {
		t.Fatal(err)
	}
	a := &Agent{logger: slog.New(slog.DiscardHandler), metrics: metrics.New(), runs: runs.New(5), maint: maintenance.NewSet()}
	a.cfg.Store(cfg)
	a.metrics.SetJourneys("oslo", cfg.Journeys, nil)

	for _, bad := range []struct {
		mode     string
		journeys []string
		d        time.Duration
		want     string
	}{
		{"", []string{"chekout"}, time.Minute, `unknown journey "chekout"`},
		{"silence", nil, time.Minute, `mode "silence"`},
		{"", nil, 0, "duration"},
	} {
		if _, err := a.StartMaintenance("", bad.mode, bad.journeys, bad.d); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("StartMaintenance(%q, %q, %s) = %v, want an error with %q", bad.mode, bad.journeys, bad.d, err, bad.want)
		}
	}
	if v := mutedValue(t, a, "checkout"); v != 0 {
		t.Fatalf("muted %v before any window", v)
	}
	if _, err := a.StartMaintenance("deploy", "", []string{"checkout"}, time.Minute); err != nil {
		t.Fatal(err)
	}
	if c, s := mutedValue(t, a, "checkout"), mutedValue(t, a, "search"); c != 1 || s != 0 {
		t.Errorf("muted: checkout %v, search %v; want 1, 0", c, s)
	}
	if _, err := a.StartMaintenance("reindex", config.MaintenanceSkip, []string{"search"}, time.Minute); err != nil {
		t.Fatal(err)
	}
	// The prober is nil: a run that started would panic.
	a.runJourney(t.Context(), scheduler.JobsFor(cfg, cfg.Journey("search"))[0], time.Now())
	if r := a.runs.Last("search", config.DefaultProfile); r != nil {
		t.Errorf("a run of search was recorded in a skip window: %+v", r)
	}
	if v := mutedValue(t, a, "search"); v != 1 {
		t.Errorf("search muted %v in a skip window, want 1", v)
	}
}
