package probes_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/touchprobe/touchprobe/config"
	"github.com/touchprobe/touchprobe/probes"
)

// noTabs is a browser that cannot open a tab, and counts the attempts.
type noTabs struct{ asked atomic.Int32 }

func (b *noTabs) Tab(context.Context) (context.Context, context.CancelFunc, error) {
	b.asked.Add(1)
	return nil, nil, errors.New("no tab today")
}

func (b *noTabs) Died(context.Context) bool { return false }

// TestRunOfAJourneyItCannotRun: Run given no journey, or one without steps,
// returns an error result that says so, without opening a tab, rather
// than panicking.
func TestRunOfAJourneyItCannotRun(t *testing.T) {
	tests := []struct {
		name    string
		journey *config.Journey
		want    string
	}{
		{"no journey", nil, "no journey"},
		{"no steps", &config.Journey{Name: "empty"}, `journey "empty" has no steps`},
		{"empty steps", &config.Journey{Name: "empty", Steps: []config.Step{}}, `journey "empty" has no steps`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := &noTabs{}
			p := &probes.Prober{Browser: b, Logger: testLogger(t)}
			r := p.Run(context.Background(), tt.journey, nil, nil, nil)
			if r == nil {
				t.Fatal("no result")
			}
			if r.Status != probes.StatusError || r.Reason != probes.ReasonInternal || !strings.Contains(r.Message, tt.want) {
				t.Errorf("status %s, reason %s, message %q; want error, internal, %q", r.Status, r.Reason, r.Message, tt.want)
			}
			if n := b.asked.Load(); n != 0 {
				t.Errorf("%d tabs asked for, want none", n)
			}
		})
	}
}
