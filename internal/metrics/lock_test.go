package metrics

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/touchprobe/touchprobe/probes"
)

// A scrape in progress, however slowly its consumer takes the metrics,
// must not hold up the recording of runs: a scrape of thousands of
// journeys takes seconds.
func TestRecordingDoesNotWaitForACollect(t *testing.T) {
	m := manyJourneys(100, 4)
	ch := make(chan prometheus.Metric) // a consumer that takes one and stalls
	collected := make(chan struct{})
	go func() {
		defer close(collected)
		m.Collect(ch)
	}()
	defer func() {
		for {
			select {
			case <-ch:
			case <-collected:
				return
			}
		}
	}()
	<-ch

	recorded := make(chan struct{})
	go func() {
		defer close(recorded)
		m.ObserveRun(&probes.Result{Journey: "journey-0007", RunID: "fedcba987654", Start: start, Duration: time.Second, Status: probes.StatusSuccess})
		m.ObserveSkip("journey-0008", "")
		m.ObserveLag("journey-0009", "", time.Second)
		m.SetBrowserUp(true)
		m.BrowserRestarted()
		m.SetArtifacts(1, 2)
		m.SetReload(true, start)
		m.SetJourneys("oslo", nil, nil)
	}()
	select {
	case <-recorded:
	case <-time.After(30 * time.Second):
		t.Fatal("recording a run waited for a collect in progress")
	}
}
