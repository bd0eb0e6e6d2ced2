package main

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestSoakNothingGrows is the soak in small: a few hundred runs of a
// two-step journey through the whole agent. After a warm-up, nothing that
// a leak would grow may grow: Chromium's processes and targets, goroutines,
// file descriptors and temp entries. Memory is reported, not asserted: a
// few hundred runs are too few to tell a leak from the garbage collector.
func TestSoakNothingGrows(t *testing.T) {
	if testing.Short() {
		t.Skip("soak: drives Chromium for a few hundred runs")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	rep, err := run(ctx, options{
		// Bounded by count; the duration is only a safety net.
		Duration: 100 * time.Second,
		MaxRuns:  300,
		Interval: 20 * time.Second,
		Journeys: 2,
		Warmup:   20,
		OnSample: func(s Sample) { t.Log(s.row()) },
	})
	if err != nil {
		t.Fatalf("soak: %v", err)
	}
	t.Logf("%d runs: %d success, %d failure, %d error", rep.Runs, rep.Success, rep.Failure, rep.Error)
	if rep.Failure+rep.Error > 0 {
		t.Errorf("runs that did not succeed:\n%s", strings.Join(rep.Failures, "\n"))
	}
	if rep.Runs < 50 {
		t.Fatalf("only %d runs; the soak needs a few hundred to say anything", rep.Runs)
	}
	base, final := rep.Samples[0], rep.Samples[len(rep.Samples)-1]
	checks := []struct {
		what        string
		base, final int
		tolerance   int
	}{
		// Chromium keeps a spare renderer around and may start or end a
		// utility process at any time.
		{"Chromium processes", base.ChromeProcs, final.ChromeProcs, 2},
		{"browser targets", base.Targets, final.Targets, 0},
		// The runtime and net/http keep a few idle goroutines and
		// connections whose number varies a little.
		{"goroutines", base.Goroutines, final.Goroutines, 4},
		{"file descriptors", base.FDs, final.FDs, 4},
		{"temp entries", base.TempEntries, final.TempEntries, 0},
	}
	for _, c := range checks {
		if c.final > c.base+c.tolerance {
			t.Errorf("%s grew from %d to %d over %d runs (tolerance %d)", c.what, c.base, c.final, final.Runs-base.Runs, c.tolerance)
		}
	}
}
