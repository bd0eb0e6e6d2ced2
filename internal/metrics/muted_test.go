package metrics

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/touchprobe/touchprobe/config"
)

// A journey whose series start afresh on a reload (a changed budget, step
// or label) stays muted while its maintenance window is open: a scrape
// between the reload and the next SetMuted would otherwise see it
// unmuted, and an alert without a for: clause would page in the middle of
// the window.
func TestMutedLastsAcrossFreshSeries(t *testing.T) {
	m := New()
	c := checkout()
	m.SetJourneys("oslo", []config.Journey{c, support()}, nil)
	m.SetMuted("checkout", true)
	c.Steps[0].Budget = budget(time.Second)
	m.SetJourneys("oslo", []config.Journey{c, support()}, nil)
	muted := func(journey string) float64 {
		t.Helper()
		m.mu.Lock()
		defer m.mu.Unlock()
		return testutil.ToFloat64(m.journeys[journeyKey(journey, "")].gauge(journeyMuted))
	}
	if v := muted("checkout"); v != 1 {
		t.Errorf("checkout muted %v once its series started afresh, want 1 while its window is open", v)
	}
	if v := muted("support"); v != 0 {
		t.Errorf("support muted %v, want 0: no window covers it", v)
	}
	// A journey removed and configured again starts unmuted: what holds
	// it now is for the next SetMuted to say.
	m.SetJourneys("oslo", []config.Journey{support()}, nil)
	m.SetJourneys("oslo", []config.Journey{c, support()}, nil)
	if v := muted("checkout"); v != 0 {
		t.Errorf("checkout muted %v when configured again, want 0 until SetMuted says", v)
	}
}
