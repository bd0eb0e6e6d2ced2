package main

import (
	"math"
	"slices"
	"testing"

	"github.com/touchprobe/touchprobe/config"
	"github.com/touchprobe/touchprobe/internal/demoshop"
)

func TestPooledWeighsWindowsByTheirRuns(t *testing.T) {
	wins := []throughput{
		{Ended: 2, CPUPerJourneyS: 4},
		{Ended: 6, CPUPerJourneyS: 3},
	}
	runs, cpu, per := pooled(wins)
	if runs != 8 {
		t.Errorf("runs = %v, want 8", runs)
	}
	// (2×4 + 6×3) / 8, not the mean of the windows' figures (3.5).
	if want := 3.25; math.Abs(cpu-want) > 1e-9 {
		t.Errorf("CPU per run = %v, want %v", cpu, want)
	}
	if !slices.Equal(per, []float64{4, 3}) {
		t.Errorf("per window = %v, want [4 3]", per)
	}
	if runs, cpu, _ := pooled([]throughput{{Ended: 0}}); runs != 0 || cpu != 0 {
		t.Errorf("no runs: got %v runs, %v s a run; want 0 and 0", runs, cpu)
	}
}

func TestKindLine(t *testing.T) {
	for _, tc := range []struct {
		kinds map[string]kindSummary
		want  string
	}{
		{nil, ""},
		{map[string]kindSummary{
			kindGPU: {CPU: 0.5}, kindRenderer: {CPU: 1.3}, kindBrowser: {CPU: 1.1},
			kindZygote: {CPU: 0.001}, // below what the line shows
		}, "renderer 1.30, browser 1.10, gpu 0.50"},
		// Equal figures come in name order, so that the line is stable.
		{map[string]kindSummary{kindUtility: {CPU: 0.1}, kindNetwork: {CPU: 0.1}}, "network 0.10, utility 0.10"},
	} {
		if got := kindLine(tc.kinds); got != tc.want {
			t.Errorf("kindLine(%v) = %q, want %q", tc.kinds, got, tc.want)
		}
	}
}

// The agent's configuration with extra flags must be one the agent
// accepts, with every flag as given: a flag lost or mangled would make a
// comparison of flags compare nothing.
func TestAgentConfigCarriesExtraFlags(t *testing.T) {
	shop, err := demoshop.Start(demoshop.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer shop.Close()
	e := &environment{opts: options{Chromium: "/usr/bin/chromium"}, work: t.TempDir(), shop: shop}
	for _, flags := range [][]string{
		nil,
		{"--disable-features=Translate,SpareRendererForSitePerProcess", `--screen-info={1280x800}`, "--kiosk"},
	} {
		path, err := e.agentConfig(2, 1, "@every 1s", flags)
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := config.Load(path)
		if err != nil {
			t.Fatalf("flags %q: the agent would refuse its configuration: %v", flags, err)
		}
		if !slices.Equal(cfg.Browser.ExtraFlags, flags) {
			t.Errorf("extra flags = %q, want %q", cfg.Browser.ExtraFlags, flags)
		}
		if len(cfg.Journeys) != 2 {
			t.Errorf("%d journeys, want 2", len(cfg.Journeys))
		}
	}
}
