package agent

import (
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/touchprobe/touchprobe/config"
	"github.com/touchprobe/touchprobe/internal/metrics"
	"github.com/touchprobe/touchprobe/internal/shard"
	"github.com/touchprobe/touchprobe/internal/testutil"
)

func shardConfig(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "[[journey]]\nname = \"j%02d\"\nschedule = \"@every 1m\"\n\n  [[journey.step]]\n  name = \"home\"\n  action = \"navigate\"\n  url = \"http://127.0.0.1:1/\"\n\n", i)
	}
	return b.String()
}

// A shard schedules, exposes and shows only the journeys it owns, says so
// at start, and a shard that owns nothing says that instead.
func TestShardKeepsOnlyItsJourneys(t *testing.T) {
	text := shardConfig(12)
	full, err := config.Parse([]byte(text), "fleet.toml")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for index := range 3 {
		var logs testutil.LockedBuffer
		s := shard.Shard{Index: index, Count: 3}
		a, err := New(Options{
			Load:   func() (*config.Config, error) { return config.Parse([]byte(text), "fleet.toml") },
			Shard:  s,
			Logger: slog.New(slog.NewTextHandler(&logs, nil)),
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := a.apply(a.cfg.Load()); err != nil {
			t.Fatal(err)
		}
		want := 0
		for _, j := range full.Journeys {
			if s.Owns(shard.Key(j.Name, "desktop")) {
				want++
				if a.Config().Journey(j.Name) == nil {
					t.Errorf("shard %d owns %s but does not run it", index, j.Name)
				}
			}
		}
		for _, j := range a.Config().Journeys {
			seen[j.Name]++
		}
		if got := len(a.sched.NextRuns()); got != want {
			t.Errorf("shard %d schedules %d journeys, owns %d", index, got, want)
		}
		exposed := 0
		mfs, err := metrics.NewRegistry(a.metrics).Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			if mf.GetName() == "touchprobe_journey_interval_seconds" {
				exposed = len(mf.GetMetric())
			}
		}
		if exposed != want {
			t.Errorf("shard %d exposes series of %d journeys, owns %d", index, exposed, want)
		}
		infos := 0
		for _, mf := range mfs {
			if mf.GetName() != "touchprobe_shard_info" {
				continue
			}
			infos++
			got := map[string]string{}
			for _, l := range mf.GetMetric()[0].GetLabel() {
				got[l.GetName()] = l.GetValue()
			}
			if len(mf.GetMetric()) != 1 || got["index"] != fmt.Sprint(index) || got["count"] != "3" {
				t.Errorf("shard %d: touchprobe_shard_info %v", index, mf.GetMetric())
			}
		}
		if infos != 1 {
			t.Errorf("shard %d: no touchprobe_shard_info", index)
		}
		if want := fmt.Sprintf("shard_index=%d shard_count=3 runs=%d runs_total=12", index, want); !strings.Contains(logs.String(), want) {
			t.Errorf("shard %d logged:\n%s\nwant %q", index, logs.String(), want)
		}
	}
	for _, j := range full.Journeys {
		if seen[j.Name] != 1 {
			t.Errorf("%s runs on %d shards, want 1", j.Name, seen[j.Name])
		}
	}

	// Twelve journeys over 40 shards leave some shard with none.
	var logs testutil.LockedBuffer
	empty := -1
	for i := range 40 {
		if shard.Runs(full, 40)[i] == 0 {
			empty = i
			break
		}
	}
	if _, err := New(Options{
		Load:   func() (*config.Config, error) { return config.Parse([]byte(text), "fleet.toml") },
		Shard:  shard.Shard{Index: empty, Count: 40},
		Logger: slog.New(slog.NewTextHandler(&logs, nil)),
	}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "this shard owns none of the configuration's runs") {
		t.Errorf("an empty shard logged:\n%s", logs.String())
	}
}

// A deploy pipeline posts one maintenance window to every shard of a fleet:
// each accepts the configuration's journeys, its own or another shard's,
// and still refuses a name the configuration does not have.
func TestShardAcceptsMaintenanceOfTheWholeConfiguration(t *testing.T) {
	text := shardConfig(12)
	for index := range 3 {
		a, err := New(Options{
			Load:  func() (*config.Config, error) { return config.Parse([]byte(text), "fleet.toml") },
			Shard: shard.Shard{Index: index, Count: 3},
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := a.apply(a.cfg.Load()); err != nil {
			t.Fatal(err)
		}
		if _, err := a.StartMaintenance("deploy", "", []string{"j00", "j05", "j11"}, time.Minute); err != nil {
			t.Errorf("shard %d: %v", index, err)
		}
		if _, err := a.StartMaintenance("deploy", "", []string{"j12"}, time.Minute); err == nil || !strings.Contains(err.Error(), `unknown journey "j12"`) {
			t.Errorf("shard %d: a journey of no shard: %v, want unknown journey", index, err)
		}
	}
}
