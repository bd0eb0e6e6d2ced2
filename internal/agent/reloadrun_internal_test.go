package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/touchprobe/touchprobe/config"
	"github.com/touchprobe/touchprobe/internal/metrics"
	"github.com/touchprobe/touchprobe/internal/shard"
	"github.com/touchprobe/touchprobe/internal/testutil"
	"github.com/touchprobe/touchprobe/probes"
)

// noTab is a browser that never opens a tab: every attempt fails at once
// as a browser crash, without Chromium.
type noTab struct{}

func (noTab) Tab(context.Context) (context.Context, context.CancelFunc, error) {
	return nil, nil, errors.New("no browser in this test")
}
func (noTab) Died(context.Context) bool { return false }

// switchLoader loads one configuration text until set is given another.
type switchLoader struct {
	mu   sync.Mutex
	text string
}

func (l *switchLoader) set(text string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.text = text
}

func (l *switchLoader) load() (*config.Config, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return config.Parse([]byte(l.text), "touchprobe.toml")
}

// schedulingAgent is an agent whose scheduler runs, without a web server
// and with a prober whose browser never opens a tab. The test's end stops
// its scheduler.
func schedulingAgent(t *testing.T, opts Options) (*Agent, *testutil.LockedBuffer) {
	t.Helper()
	logs := new(testutil.LockedBuffer)
	opts.Logger = slog.New(slog.NewTextHandler(logs, nil))
	opts.BrowserPath = "/bin/false"
	opts.BrowserDir = t.TempDir()
	opts.Notify = func(string) error { return nil }
	a, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	a.prober = NewProber(noTab{}, a.logger)
	if err := a.apply(a.cfg.Load()); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- a.sched.Run(context.Background()) }()
	t.Cleanup(func() {
		a.sched.Stop(time.Minute)
		if err := <-done; err != nil {
			t.Errorf("scheduler: %v", err)
		}
	})
	return a, logs
}

const retriedJourneys = `
[agent]
location = "test"

[[journey]]
name = "kept"
schedule = "@every 1h"
  [[journey.step]]
  name = "landing"
  action = "navigate"
  url = "http://127.0.0.1:9/"

[[journey]]
name = "gone"
schedule = "@every 1h"
timeout = "10m"
retries = 1
retry_delay = "5m"
  [[journey.step]]
  name = "landing"
  action = "navigate"
  url = "http://127.0.0.1:9/"
`

// A journey removed by a reload while its failed run waits for a retry is
// gone: the run's failure must not bring it back into the recent runs (the
// journey's page, and its status should the name come back), nor be
// handed over as a result.
func TestRemovedWhileARetryWaitsRecordsNothing(t *testing.T) {
	l := &switchLoader{text: retriedJourneys}
	var handed atomic.Int32
	a, logs := schedulingAgent(t, Options{Load: l.load, OnResult: func(r *probes.Result) {
		if r.Journey == "gone" {
			handed.Add(1)
		}
	}})
	if !a.sched.RunNow("gone") {
		t.Fatal("RunNow(gone) refused on an idle agent")
	}
	testutil.WaitFor(t, time.Minute, "the first attempt of gone to fail and wait for its retry", func() bool {
		return strings.Contains(logs.String(), "retrying a failed run")
	})
	withoutGone, _, _ := strings.Cut(retriedJourneys, "[[journey]]\nname = \"gone\"")
	l.set(withoutGone)
	if err := a.Reload(); err != nil {
		t.Fatal(err)
	}
	// Stop waits for every run to return, hand-over included.
	a.sched.Stop(time.Minute)
	if r := a.runs.Last("gone", config.DefaultProfile); r != nil {
		t.Errorf("the removed journey has a recent run again: %s %s %q", r.Status, r.Reason, r.Message)
	}
	if n := handed.Load(); n != 0 {
		t.Errorf("%d results of the removed journey handed over", n)
	}
}

// A shard's reload that the scheduler rejects changes nothing, the names
// a maintenance window may give included: the journey the rejected file
// adds is still unknown.
func TestShardRejectedReloadKeepsTheFleetsJourneys(t *testing.T) {
	var bad atomic.Bool
	load := func() (*config.Config, error) {
		if !bad.Load() {
			return config.Parse([]byte(shardConfig(12)), "fleet.toml")
		}
		cfg, err := config.Parse([]byte(shardConfig(13)), "fleet.toml")
		if err != nil {
			return nil, err
		}
		// What a file cannot say (config rejects it first): schedules
		// that never fire, which the scheduler refuses.
		for i := range cfg.Journeys {
			cfg.Journeys[i].Schedule = "0 0 30 2 *"
		}
		return cfg, nil
	}
	logs := new(testutil.LockedBuffer)
	a, err := New(Options{Load: load, Shard: shard.Shard{Index: 0, Count: 3}, BrowserPath: "/bin/false", BrowserDir: t.TempDir(),
		Logger: slog.New(slog.NewTextHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.apply(a.cfg.Load()); err != nil {
		t.Fatal(err)
	}
	const share = "running this shard's share"
	said := strings.Count(logs.String(), share)
	bad.Store(true)
	if err := a.Reload(); err == nil || !strings.Contains(err.Error(), "never fires") {
		t.Fatalf("Reload = %v, want the scheduler's rejection", err)
	}
	if n := strings.Count(logs.String(), share); n != said {
		t.Errorf("a rejected reload said %q:\n%s", share, logs.String())
	}
	if _, err := a.StartMaintenance("deploy", "", []string{"j12"}, time.Minute); err == nil || !strings.Contains(err.Error(), `unknown journey "j12"`) {
		t.Errorf("a window over the journey only the rejected file has: %v, want unknown journey", err)
	}
	if _, err := a.StartMaintenance("deploy", "", []string{"j11"}, time.Minute); err != nil {
		t.Errorf("a window over a journey of the running configuration: %v", err)
	}
}

// A reload whose artifacts_dir the evidence store refuses (a folder with
// another application's files) changes nothing: it fails, says why, and
// the evidence goes on being kept where it was.
func TestReloadRefusedEvidenceFolderKeepsTheRunningConfig(t *testing.T) {
	kept, foreign := filepath.Join(t.TempDir(), "evidence"), t.TempDir()
	if err := os.WriteFile(filepath.Join(foreign, "db.sqlite"), []byte("another application's"), 0o600); err != nil {
		t.Fatal(err)
	}
	withDir := func(dir string) string {
		return strings.Replace(retriedJourneys, "[agent]\n", fmt.Sprintf("[agent]\nartifacts_dir = %q\n", dir), 1)
	}
	l := &switchLoader{text: withDir(kept)}
	a, _ := schedulingAgent(t, Options{Load: l.load})
	if s := a.Evidence(); s == nil || s.Root() != kept {
		t.Fatalf("evidence kept in %v, want %s", s, kept)
	}
	before := a.Config()
	l.set(strings.Replace(withDir(foreign), `name = "gone"`, `name = "renamed"`, 1))
	err := a.Reload()
	if err == nil || !strings.Contains(err.Error(), "artifacts_dir") || !strings.Contains(err.Error(), "db.sqlite") {
		t.Fatalf("Reload = %v, want the refusal of artifacts_dir naming what it holds", err)
	}
	if a.Config() != before || a.Config().Journey("gone") == nil {
		t.Error("a refused reload replaced the configuration in force")
	}
	if s := a.Evidence(); s == nil || s.Root() != kept {
		t.Errorf("after a refused reload evidence is kept in %v, want %s still", s, kept)
	}
	if _, ok := a.sched.NextRuns()["renamed (desktop)"]; ok {
		t.Error("a refused reload scheduled its journey")
	}
	entries, err := os.ReadDir(foreign)
	if err != nil || len(entries) != 1 {
		t.Errorf("the refused folder changed: %v, %v", entries, err)
	}
}

// A reload says that browser settings wait for a restart only when the
// browser would start differently: with --browser.path given, [browser]
// path changes nothing, now or after a restart.
func TestReloadSaysWhichBrowserSettingsWaitForARestart(t *testing.T) {
	withBrowser := func(path string, flags ...string) string {
		return retriedJourneys + fmt.Sprintf("\n[browser]\npath = %q\nextra_flags = [%s]\n", path, strings.Join(flags, ", "))
	}
	l := &switchLoader{text: withBrowser("/usr/bin/true")}
	a, logs := schedulingAgent(t, Options{Load: l.load})
	const restart = "take effect after a restart"
	l.set(withBrowser("/usr/bin/env"))
	if err := a.Reload(); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(logs.String(), restart) {
		t.Errorf("a [browser] path that --browser.path overrides was said to wait for a restart:\n%s", logs.String())
	}
	l.set(withBrowser("/usr/bin/env", `"--lang=nb"`))
	if err := a.Reload(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), restart) || !strings.Contains(logs.String(), "extra_flags") {
		t.Errorf("changed extra_flags not said to wait for a restart:\n%s", logs.String())
	}
	// The browser keeps the flags it started with across reloads that
	// leave them changed, and one that fails; a reload that puts them
	// back leaves nothing waiting.
	waiting := func(want ...string) {
		t.Helper()
		last, ok := a.LastReload()
		if !ok || !slices.Equal(last.Restart, want) {
			t.Errorf("after a reload, %v wait for a restart, want %v", last.Restart, want)
		}
	}
	waiting("extra_flags")
	if err := a.Reload(); err != nil {
		t.Fatal(err)
	}
	waiting("extra_flags")
	l.set("[[journey]]\nname = ")
	if err := a.Reload(); err == nil {
		t.Fatal("a bad file reloaded")
	}
	if last, _ := a.LastReload(); last.Err == nil || last.Journeys != len(a.Config().Journeys) {
		t.Errorf("after a failed reload: err %v, %d journeys; want the error and the %d journeys in force", last.Err, last.Journeys, len(a.Config().Journeys))
	}
	waiting("extra_flags")
	l.set(withBrowser("/usr/bin/env"))
	if err := a.Reload(); err != nil {
		t.Fatal(err)
	}
	waiting()
}

// A run that waits for its retry when touchprobe is told to stop starts
// no new attempt (nor a browser for one): its failure is recorded at once,
// as the run it is, rather than after the retry delay or not at all.
func TestShutdownStartsNoRetry(t *testing.T) {
	l := &switchLoader{text: strings.Replace(retriedJourneys, `retry_delay = "5m"`, `retry_delay = "20s"`, 1)}
	logs := new(testutil.LockedBuffer)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a, err := New(Options{Load: l.load, BrowserPath: "/bin/false", BrowserDir: t.TempDir(), Listeners: []net.Listener{ln},
		Notify: func(string) error { return nil }, ShutdownGrace: time.Minute, Logger: slog.New(slog.NewTextHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	a.prober = NewProber(noTab{}, a.logger)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	testutil.WaitFor(t, time.Minute, "the agent to be ready", a.ready.Load)
	if !a.sched.RunNow("gone") {
		t.Fatal("RunNow(gone) refused on an idle agent")
	}
	testutil.WaitFor(t, time.Minute, "the first attempt of gone to fail and wait for its retry", func() bool {
		return strings.Contains(logs.String(), "retrying a failed run")
	})
	started := strings.Count(logs.String(), "browser failed to start")
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(2 * time.Minute):
		t.Fatal("the agent did not stop")
	}
	if n := strings.Count(logs.String(), "browser failed to start"); n != started {
		t.Errorf("the browser was started %d times for a retry while touchprobe stopped", n-started)
	}
	r := a.runs.Last("gone", config.DefaultProfile)
	if r == nil || r.Attempt != 1 || r.Reason != probes.ReasonBrowserCrash {
		t.Errorf("recorded %+v, want the first attempt's failure", r)
	}
}

// heldTab is a browser whose tabs open only when the test lets them:
// until then a run is in flight. Then they fail as noTab's do.
type heldTab struct{ opened, release chan struct{} }

func (h heldTab) Tab(ctx context.Context) (context.Context, context.CancelFunc, error) {
	h.opened <- struct{}{}
	select {
	case <-h.release:
	case <-ctx.Done():
	}
	return nil, nil, errors.New("no browser in this test")
}
func (heldTab) Died(context.Context) bool { return false }

// A run in flight when a reload changes its journey (here: adds a step)
// finishes under the definition it started with, and is recorded as
// such: its own steps in the recent runs, and not in the series of the
// new definition, where the step it never had would read as failed.
func TestRunOfAChangedJourneyIsNotMeasuredAgainstTheNewDefinition(t *testing.T) {
	l := &switchLoader{text: retriedJourneys}
	a, _ := schedulingAgent(t, Options{Load: l.load})
	h := heldTab{opened: make(chan struct{}, 1), release: make(chan struct{})}
	a.prober = NewProber(h, a.logger)
	if !a.sched.RunNow("kept") {
		t.Fatal("RunNow(kept) refused on an idle agent")
	}
	select {
	case <-h.opened:
	case <-time.After(time.Minute):
		t.Fatal("the run of kept did not start")
	}
	l.set(strings.Replace(retriedJourneys, "[[journey]]\nname = \"gone\"",
		"  [[journey.step]]\n  name = \"added\"\n  action = \"navigate\"\n  url = \"http://127.0.0.1:9/added\"\n\n[[journey]]\nname = \"gone\"", 1))
	if err := a.Reload(); err != nil {
		t.Fatal(err)
	}
	if n := len(a.Config().Journey("kept").Steps); n != 2 {
		t.Fatalf("kept has %d steps after the reload, want 2", n)
	}
	close(h.release)
	a.sched.Stop(time.Minute)
	r := a.runs.Last("kept", config.DefaultProfile)
	if r == nil || len(r.Steps) != 1 {
		t.Fatalf("recent run of kept: %+v, want the one-step run that was in flight", r)
	}
	mfs, err := metrics.NewRegistry(a.metrics).Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "touchprobe_step_success" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if lp.GetName() == "step" && lp.GetValue() == "added" {
					t.Errorf("step added by the reload has touchprobe_step_success %v from a run that did not have it", m.GetGauge().GetValue())
				}
			}
		}
	}
}
