package agent_test

import (
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/touchprobe/touchprobe/config"
	"github.com/touchprobe/touchprobe/internal/agent"
)

// schedulerRejects loads the file, then changes what a file could not say
// (config rejects it first): the second journey gets a schedule that never
// fires, which the scheduler refuses, and the first a new URL, which must
// not take effect either.
func schedulerRejects(load func() (*config.Config, error)) func() (*config.Config, error) {
	return func() (*config.Config, error) {
		cfg, err := load()
		if err != nil {
			return nil, err
		}
		cfg.Journeys[0].Steps[0].URL = "http://127.0.0.1:9/new"
		cfg.Journeys[1].Schedule = "0 0 30 2 *"
		return cfg, nil
	}
}

// A reload that the scheduler would reject changes nothing: the old
// journeys keep running with their old definitions, the reload answers
// the error and the metric says it failed. Never a mix of old and new.
func TestReloadRejectedBySchedulerKeepsOldConfig(t *testing.T) {
	load, _ := fileLoader(t, twoJourneys)
	var bad atomic.Bool
	r := serve(t, agent.Options{Load: func() (*config.Config, error) {
		if bad.Load() {
			return schedulerRejects(load)()
		}
		return load()
	}, BrowserPath: "/bin/false"})
	base := "http://" + r.Addr
	before := r.Agent.Config()
	nextBefore := r.Agent.Scheduler().NextRuns()

	bad.Store(true)
	err := r.Agent.Reload()
	if err == nil || !strings.Contains(err.Error(), `"changed"`) || !strings.Contains(err.Error(), "never fires") {
		t.Fatalf("Reload = %v, want the scheduler's rejection of journey \"changed\"", err)
	}
	if r.Agent.Config() != before {
		t.Error("a rejected reload replaced the configuration in force")
	}
	if got := r.Agent.Config().Journey("kept").Steps[0].URL; got != "http://127.0.0.1:9/" {
		t.Errorf("journey kept runs %q after a rejected reload, want its old URL", got)
	}
	if got := r.Agent.Scheduler().NextRuns(); len(got) != len(nextBefore) || len(got) != 2 {
		t.Errorf("scheduled after a rejected reload: %v, want the old %v", got, nextBefore)
	}
	_, scrape := fetch(t, http.DefaultClient, base+"/metrics")
	if got := metricLine(t, scrape, "touchprobe_config_last_reload_successful"); !strings.HasSuffix(got, " 0") {
		t.Errorf("after a rejected reload: %s", got)
	}
	if code, body := post(t, base+"/-/reload"); code != http.StatusInternalServerError || !strings.Contains(body, "never fires") {
		t.Errorf("POST /-/reload of a rejected configuration: %d %q, want 500 with the reason", code, body)
	}
}

// At start, a configuration the scheduler would reject is an error of New,
// not an agent that says it is ready and runs nothing.
func TestNewFailsWhenTheSchedulerRejectsTheConfig(t *testing.T) {
	load, _ := fileLoader(t, twoJourneys)
	a, err := agent.New(agent.Options{Load: schedulerRejects(load), BrowserPath: "/bin/false", BrowserDir: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "never fires") {
		t.Fatalf("New = %v, %v; want the scheduler's rejection", a, err)
	}
}
