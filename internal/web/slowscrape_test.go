package web

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/touchprobe/touchprobe/config"
	"github.com/touchprobe/touchprobe/internal/metrics"
	"github.com/touchprobe/touchprobe/internal/runs"
	"github.com/touchprobe/touchprobe/probes"
)

// A scraper that reads /metrics slowly holds up neither the recording of
// runs nor the status pages.
func TestSlowScrapeBlocksNothing(t *testing.T) {
	cfg := &config.Config{}
	for i := range 1000 {
		j := config.Journey{Name: fmt.Sprintf("journey-%04d", i), Schedule: "@every 1m"}
		for s := range 4 {
			j.Steps = append(j.Steps, config.Step{Name: fmt.Sprintf("step-%d", s), Touchpoint: "product", Action: "click", Budget: config.Budget{Duration: 3 * time.Second}})
		}
		cfg.Journeys = append(cfg.Journeys, j)
	}
	m := metrics.New()
	m.SetJourneys("oslo", cfg.Journeys, nil)
	store := runs.New(50)
	srv := httptest.NewServer(New(Deps{
		Metrics: metrics.Handler(m, nil),
		Runs:    store,
		Config:  func() *config.Config { return cfg },
		Ready:   func() bool { return true },
		Reload:  func() ReloadResult { return ReloadResult{} },
	}))
	defer srv.Close()

	// The slow scraper asks for /metrics, reads the first bytes of the
	// answer and then stops reading.
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET /metrics HTTP/1.1\r\nHost: %s\r\n\r\n", srv.Listener.Addr())
	conn.SetReadDeadline(time.Now().Add(time.Minute))
	first := make([]byte, 16)
	if _, err := io.ReadFull(bufio.NewReader(conn), first); err != nil {
		t.Fatalf("reading the first bytes of /metrics: %v", err)
	}

	done := make(chan error, 1)
	go func() {
		res := &probes.Result{Journey: "journey-0007", RunID: "fedcba987654", Start: time.Now(), Duration: time.Second, Status: probes.StatusSuccess}
		m.ObserveRun(res)
		store.Add(res)
		resp, err := http.Get(srv.URL + "/")
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				err = fmt.Errorf("GET /: %s", resp.Status)
			}
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(time.Minute):
		t.Fatal("a run or the front page waited for a slow scrape")
	}
}
