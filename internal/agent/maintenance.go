package agent

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/touchprobe/touchprobe/config"
	"github.com/touchprobe/touchprobe/internal/maintenance"
)

// maintenanceInterval is how often the muted state of every journey is
// brought up to date with the windows, so that a window opens and closes
// on time whether or not a run happens then.
const maintenanceInterval = time.Second

// maintenanceLoop keeps touchprobe_journey_muted up to date until ctx is
// done.
func (a *Agent) maintenanceLoop(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			a.updateMuted(now)
		}
	}
}

// updateMuted sets touchprobe_journey_muted of every configured journey:
// 1 while a window, mute or skip, covers it.
func (a *Agent) updateMuted(now time.Time) {
	cfg := a.cfg.Load()
	if cfg == nil {
		return
	}
	list := a.maint.List(now)
	for i := range cfg.Journeys {
		name := cfg.Journeys[i].Name
		a.metrics.SetMuted(name, maintenance.ModeIn(list, name) != "")
	}
}

// StartMaintenance opens an ad hoc maintenance window from now for d over
// the named journeys (all when none is named). It lasts across reloads,
// not across a restart of the agent.
func (a *Agent) StartMaintenance(name, mode string, journeys []string, d time.Duration) (maintenance.Occurrence, error) {
	cfg := a.cfg.Load()
	var known []string
	for i := range cfg.Journeys {
		known = append(known, cfg.Journeys[i].Name)
	}
	// A shard also accepts the journeys of the other shards, so that one
	// request can go to the whole fleet.
	if a.fleetJourneys != nil {
		if fleet := a.fleetJourneys.Load(); fleet != nil {
			known = append(known, *fleet...)
		}
	}
	for _, j := range journeys {
		if !slices.Contains(known, j) {
			return maintenance.Occurrence{}, fmt.Errorf("unknown journey %q: name configured journeys, or none for all", j)
		}
	}
	if mode != "" && !slices.Contains(config.MaintenanceModes, mode) {
		return maintenance.Occurrence{}, fmt.Errorf("mode %q: write %q (runs go on, alerts are held) or %q (nothing runs)", mode, config.MaintenanceMute, config.MaintenanceSkip)
	}
	if p := config.TextProblem(name); name != "" && p != "" {
		return maintenance.Occurrence{}, fmt.Errorf("name %q: %s", name, p)
	}
	now := time.Now()
	o, err := a.maint.StartAdHoc(name, mode, journeys, d, now)
	if err != nil {
		return o, err
	}
	a.updateMuted(now)
	a.logger.Info("maintenance window started", "name", o.Name, "mode", o.Mode, "journeys", o.Journeys, "end", o.End)
	return o, nil
}
