// Package agent runs the daemon: it wires config, browser, scheduler, metrics and web server together and reloads them.
package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coreos/go-systemd/v22/daemon"
	"github.com/prometheus/exporter-toolkit/web"
	"golang.org/x/sync/errgroup"

	"github.com/touchprobe/touchprobe/config"
	"github.com/touchprobe/touchprobe/internal/browser"
	"github.com/touchprobe/touchprobe/internal/evidence"
	"github.com/touchprobe/touchprobe/internal/maintenance"
	"github.com/touchprobe/touchprobe/internal/metrics"
	"github.com/touchprobe/touchprobe/internal/runs"
	"github.com/touchprobe/touchprobe/internal/scheduler"
	"github.com/touchprobe/touchprobe/internal/shard"
	tpweb "github.com/touchprobe/touchprobe/internal/web"
	"github.com/touchprobe/touchprobe/probes"
)

// Options configure the agent. Everything a command-line flag can say is
// here, so that the agent can be run from tests without flags or signals.
type Options struct {
	// Load reads the configuration; it is called at start and on every
	// reload.
	Load func() (*config.Config, error)
	// BrowserPath overrides [browser] path when set.
	BrowserPath string
	// BrowserDir holds Chromium's profile and temp files; empty means the
	// system temp directory.
	BrowserDir string
	// ListenAddresses and WebConfigFile are the exporter-toolkit listener
	// settings. Listeners, when set, are used instead (tests bind :0).
	ListenAddresses []string
	WebConfigFile   string
	Listeners       []net.Listener
	// MaxConnections bounds the connections the web server holds open;
	// over it, the longest idle ones are closed. Zero means
	// DefaultMaxConnections.
	MaxConnections int
	// ExternalURL is how users reach the agent, for links; empty means
	// http://<host name>:<port of the first listener>.
	ExternalURL string
	// Notify sends a state such as "READY=1" to the service manager; nil
	// means systemd's sd_notify, which does nothing outside a Type=notify
	// unit.
	Notify func(state string) error
	// Watchdog is how often the service manager wants a sign of life;
	// zero means what systemd says in WATCHDOG_USEC, if anything. The
	// agent pings at half of it.
	Watchdog time.Duration
	// ShutdownGrace bounds how long running journeys may take to finish
	// on shutdown before they are cancelled.
	ShutdownGrace time.Duration
	// OnResult, if set, sees every finished run (the demo prints them).
	OnResult func(*probes.Result)
	// ArtifactsDir, when set, is where evidence is kept whatever the
	// configuration says (the demo keeps it in a temporary folder).
	ArtifactsDir string
	// RunAtStart runs every journey once as soon as the browser is up,
	// instead of waiting for its first scheduled time.
	RunAtStart bool
	// OnReady, if set, is called once the agent serves and its browser is
	// up, with the addresses it listens on.
	OnReady func(addrs []string)
	// Shard is this agent's share of the configuration: it runs, exposes
	// and shows only the runs the shard owns. The zero value owns all.
	Shard  shard.Shard
	Logger *slog.Logger
}

// Agent is a running touchprobe daemon.
type Agent struct {
	opts    Options
	logger  *slog.Logger
	cfg     atomic.Pointer[config.Config]
	metrics *metrics.Metrics
	runs    *runs.Store
	browser *browser.Manager
	sched   *scheduler.Scheduler
	prober  *probes.Prober
	maint   *maintenance.Set
	// fleetJourneys names every journey of the configuration in force,
	// those of other shards too: a maintenance window may name them.
	// fleetLoaded is what the last load of a shard's configuration named,
	// which swap puts in force with the configuration it belongs to.
	fleetJourneys *atomic.Pointer[[]string]
	fleetLoaded   *atomic.Pointer[fleetNames]
	ready         atomic.Bool
	// evidence keeps what failed and slow runs showed; nil when no
	// folder is configured.
	evidence    atomic.Pointer[evidence.Store]
	evidenceMu  sync.Mutex // one reconfiguration at a time
	evidenceOff sync.Once  // says once that evidence is not kept

	reloadMu sync.Mutex
	// lastReload is what the last reload did; nil before the first.
	lastReload atomic.Pointer[tpweb.ReloadResult]
	// browserCfg is the configuration the browser was started with, which
	// its settings keep until touchprobe restarts.
	browserCfg *config.Config

	// stopping is closed when shutdown begins: a run waiting for a retry
	// then ends with the failure it has, and starts no attempt.
	stopping     chan struct{}
	stoppingOnce sync.Once

	// recordMu orders the hand-over of a run's result against a reload
	// that removes its journey: a reload holds it to put the new
	// configuration in force and forget the removed journeys' runs, a
	// hand-over holds it for reading to check that its journey is still
	// configured and record the result.
	recordMu sync.RWMutex

	// handOffs holds, per job (scheduler.Job.Key), the lock that hands
	// over its results one at a time, in the order its runs ended (see
	// runJourney).
	handOffs sync.Map

	// tracing exports runs over OTLP when [otlp] says so.
	tracing tracing
}

// New loads the configuration and prepares the agent; nothing runs yet.
func New(opts Options) (*Agent, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.ShutdownGrace == 0 {
		opts.ShutdownGrace = 30 * time.Second
	}
	if opts.Notify == nil {
		opts.Notify = sdNotify
	}
	fleet, loaded := new(atomic.Pointer[[]string]), new(atomic.Pointer[fleetNames])
	if opts.Shard.Sharded() {
		opts.Load = shardedLoad(opts.Load, opts.Shard, loaded)
	}
	if opts.Watchdog == 0 {
		// An invalid WATCHDOG_USEC is systemd's problem to report; the
		// agent then simply sends no pings.
		opts.Watchdog, _ = daemon.SdWatchdogEnabled(false)
	}
	cfg, err := opts.Load()
	if err != nil {
		return nil, err
	}
	if opts.ExternalURL == "" {
		opts.ExternalURL = defaultExternalURL(opts)
	} else if opts.ExternalURL, err = normalizeExternalURL(opts.ExternalURL); err != nil {
		return nil, err
	}
	a := &Agent{opts: opts, logger: opts.Logger, metrics: metrics.New(), runs: runs.New(50), maint: maintenance.NewSet(), fleetJourneys: fleet, fleetLoaded: loaded, stopping: make(chan struct{})}
	a.metrics.SetExternalURL(opts.ExternalURL)
	a.metrics.SetShard(opts.Shard.Index, max(opts.Shard.Count, 1))
	a.cfg.Store(cfg)
	a.sched = scheduler.New(cfg.Agent.Concurrency, a.runJourney, scheduler.Hooks{
		OnSkip: func(job scheduler.Job) {
			a.metrics.ObserveSkip(job.Name, job.Profile)
			a.logger.Warn("run skipped: the previous run is still going", "journey", job.Name, "profile", job.Profile)
		},
		OnLag: func(job scheduler.Job, lag time.Duration) { a.metrics.ObserveLag(job.Name, job.Profile, lag) },
	}, opts.Logger)
	// Whatever would reject the configuration when Run applies it rejects
	// it here, before anything starts.
	if _, err := a.prepare(cfg); err != nil {
		return nil, err
	}
	a.fleetInForce(cfg)
	a.browserCfg = cfg
	bopts := BrowserOptions(cfg, opts.BrowserPath, opts.BrowserDir, opts.Logger)
	bopts.OnRestart, bopts.OnUp = a.metrics.BrowserRestarted, a.metrics.SetBrowserUp
	a.browser, err = browser.New(bopts)
	if err != nil {
		return nil, err
	}
	a.prober = NewProber(a.browser, opts.Logger)
	return a, nil
}

// shardedLoad wraps load so that every configuration it reads, at start
// and on reload, keeps only the runs s owns. The names of all its
// journeys go to loaded, with the share they belong to and how many runs
// that share owns.
func shardedLoad(load func() (*config.Config, error), s shard.Shard, loaded *atomic.Pointer[fleetNames]) func() (*config.Config, error) {
	return func() (*config.Config, error) {
		cfg, err := load()
		if err != nil {
			return nil, err
		}
		names := make([]string, len(cfg.Journeys))
		for i := range cfg.Journeys {
			names[i] = cfg.Journeys[i].Name
		}
		all := shard.Runs(cfg, s.Count)
		owned, total := all[s.Index], 0
		for _, n := range all {
			total += n
		}
		share := s.Filter(cfg)
		loaded.Store(&fleetNames{cfg: share, names: names, owned: owned, total: total})
		return share, nil
	}
}

// fleetNames names every journey of a configuration a shard loaded, those
// of the other shards too; cfg is the shard's share of it, which owns
// owned of the configuration's total runs.
type fleetNames struct {
	cfg          *config.Config
	names        []string
	owned, total int
}

// fleetInForce makes the journeys of the fleet's configuration that cfg is
// this shard's share of the ones a maintenance window may name, and says
// what share it runs. A load that was then rejected changes nothing and
// says nothing.
func (a *Agent) fleetInForce(cfg *config.Config) {
	if a.fleetLoaded == nil || a.fleetJourneys == nil {
		return
	}
	l := a.fleetLoaded.Load()
	if l == nil || l.cfg != cfg {
		return
	}
	a.fleetJourneys.Store(&l.names)
	s := a.opts.Shard
	if l.owned == 0 {
		a.logger.Warn("this shard owns none of the configuration's runs: it runs nothing and stays ready; fewer shards would do", "shard_index", s.Index, "shard_count", s.Count, "runs", l.total)
	} else {
		a.logger.Info("running this shard's share of the configuration", "shard_index", s.Index, "shard_count", s.Count, "runs", l.owned, "runs_total", l.total)
	}
}

// Config returns the configuration in force.
func (a *Agent) Config() *config.Config { return a.cfg.Load() }

// Runs returns the store of recent results.
func (a *Agent) Runs() *runs.Store { return a.runs }

// Ready reports whether the config is loaded and the browser is up.
func (a *Agent) Ready() bool { return a.ready.Load() && a.browser.Up() }

// Evidence returns the store of failed and slow runs' evidence, or nil
// when none is kept.
func (a *Agent) Evidence() *evidence.Store { return a.evidence.Load() }

// Browser returns the browser manager (tests kill it).
func (a *Agent) Browser() *browser.Manager { return a.browser }

// Scheduler returns the scheduler (tests trigger runs).
func (a *Agent) Scheduler() *scheduler.Scheduler { return a.sched }

// Run serves, starts the browser and schedules journeys until ctx is done
// or the web server fails, then shuts down in one order: the watchdog and
// retention stop, the service manager hears that we are stopping, the
// agent is no longer ready, scheduling stops and running journeys get
// ShutdownGrace to finish, the browser closes, the web server closes.
func (a *Agent) Run(ctx context.Context) error {
	// Under the reload lock, so that a reload at start (a SIGHUP right
	// after the file changed) cannot be overtaken by the older file.
	a.reloadMu.Lock()
	cfg := a.cfg.Load()
	applyErr := a.apply(cfg)
	if applyErr == nil {
		a.metrics.SetReload(true, time.Now())
	}
	a.reloadMu.Unlock()
	if applyErr != nil {
		return applyErr
	}

	listeners := a.opts.Listeners
	if listeners == nil {
		for _, addr := range a.opts.ListenAddresses {
			l, err := net.Listen("tcp", addr)
			if err != nil {
				closeAll(listeners)
				a.closeOTLP()
				return fmt.Errorf("listening on %s: %w", addr, err)
			}
			listeners = append(listeners, l)
		}
	}
	var addrs []string
	for _, l := range listeners {
		addrs = append(addrs, l.Addr().String())
	}
	srv := a.newServer()
	webConfig := a.opts.WebConfigFile
	flags := &web.FlagConfig{WebListenAddresses: &addrs, WebSystemdSocket: new(false), WebConfigFile: &webConfig}

	// The web server and the scheduler run until shutdown; either failing
	// starts it.
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		err := web.ServeMultiple(listeners, srv, flags, a.logger)
		if err == nil || errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return fmt.Errorf("web server: %w", err)
	})
	a.logger.Info("listening", "addresses", addrs)

	if err := a.browser.Start(gctx); err != nil {
		// The agent keeps running: each run retries the browser and is
		// recorded as an error until Chromium starts.
		a.logger.Error("browser did not start; runs will retry it", "err", err)
	}
	a.ready.Store(true)
	if a.opts.OnReady != nil {
		a.opts.OnReady(addrs)
	}

	var scheduling atomic.Bool
	scheduling.Store(true)
	schedDone := make(chan struct{})
	g.Go(func() error {
		defer close(schedDone)
		defer scheduling.Store(false)
		return a.sched.Run(gctx)
	})
	if a.opts.RunAtStart {
		for _, j := range cfg.Journeys {
			a.sched.RunNow(j.Name)
		}
	}
	a.notify(daemon.SdNotifyReady)

	// The watchdog and retention stop first, on their own.
	bgCtx, stopBackground := context.WithCancel(gctx)
	defer stopBackground()
	var background errgroup.Group
	background.Go(func() error {
		a.watchdog(bgCtx, func() bool {
			// Running takes the scheduler's lock: a scheduler stuck
			// holding it stops the pings too, and systemd restarts us.
			a.sched.Running()
			return scheduling.Load()
		})
		return nil
	})
	background.Go(func() error {
		a.retention(bgCtx, retentionInterval)
		return nil
	})
	background.Go(func() error {
		a.maintenanceLoop(bgCtx, maintenanceInterval)
		return nil
	})

	<-gctx.Done()
	a.stoppingOnce.Do(func() { close(a.stopping) })
	stopBackground()
	background.Wait()
	a.notify(daemon.SdNotifyStopping)
	a.ready.Store(false)
	a.logger.Info("shutting down", "grace", a.opts.ShutdownGrace)
	a.sched.Stop(a.opts.ShutdownGrace)
	<-schedDone
	// The last runs' spans get a bounded time to reach the collector.
	a.closeOTLP()
	closeCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	a.browser.Close()
	if err := srv.Shutdown(closeCtx); err != nil {
		a.logger.Warn("web server did not shut down cleanly; closing its connections", "err", err)
		srv.Close()
	}
	err := g.Wait()
	a.logger.Info("stopped")
	return err
}

// retentionInterval is how often evidence is checked against its age
// limit when no run writes any: a quiet week must still end with a week's
// evidence, not more.
const retentionInterval = 10 * time.Minute

// retention applies the evidence limits every interval until ctx is done.
func (a *Agent) retention(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		store := a.evidence.Load()
		if store == nil {
			continue
		}
		st, err := store.Enforce()
		if err != nil {
			a.logger.Error("could not apply evidence retention", "dir", store.Root(), "err", err)
		}
		a.metrics.SetArtifacts(st.Runs, st.Bytes)
	}
}

// watchdog pings the service manager at half its watchdog interval for as
// long as healthy says so and ctx is not done. An agent that stops pinging
// is restarted by systemd (WatchdogSec= in the unit).
func (a *Agent) watchdog(ctx context.Context, healthy func() bool) {
	if a.opts.Watchdog <= 0 {
		return
	}
	t := time.NewTicker(a.opts.Watchdog / 2)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if !healthy() {
			a.logger.Error("scheduling has stopped; no longer pinging the watchdog so that the service manager restarts touchprobe")
			return
		}
		a.notify(daemon.SdNotifyWatchdog)
	}
}

func (a *Agent) notify(state string) {
	if err := a.opts.Notify(state); err != nil {
		a.logger.Warn("could not notify the service manager", "state", state, "err", err)
	}
}

func sdNotify(state string) error {
	_, err := daemon.SdNotify(false, state)
	return err
}

// normalizeExternalURL checks that the external URL can prefix links, and
// drops a trailing slash so that alert links do not read "//journeys".
func normalizeExternalURL(s string) (string, error) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("--web.external-url %q: want an absolute http or https URL such as https://touchprobe.example.com/ or http://host:9747/touchprobe", s)
	}
	// The URL is shown on /metrics and in every alert link: a password in
	// it would be too, so it is refused, and not repeated in the error.
	if u.User != nil {
		return "", fmt.Errorf("--web.external-url %q: a URL that links are built under cannot hold a user name or password: they would be shown on /metrics and in every alert link; write %q", u.Redacted(), (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path, RawPath: u.RawPath}).String())
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("--web.external-url %q: a URL that links are built under cannot have a query or fragment", s)
	}
	return strings.TrimRight(u.String(), "/"), nil
}

// defaultExternalURL is http://<host name>:<port> for the first listen
// address, which is how a colleague's browser most likely reaches it.
func defaultExternalURL(opts Options) string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "localhost"
	}
	var first string
	switch {
	case len(opts.Listeners) > 0:
		first = opts.Listeners[0].Addr().String()
	case len(opts.ListenAddresses) > 0:
		first = opts.ListenAddresses[0]
	}
	port := "9747"
	if _, p, err := net.SplitHostPort(first); err == nil && p != "" && p != "0" {
		port = p
	}
	return "http://" + net.JoinHostPort(host, port)
}

func closeAll(ls []net.Listener) {
	for _, l := range ls {
		l.Close()
	}
}

// Reload loads the configuration again and, only if it is valid, puts it
// in force: unchanged journeys keep their schedule, new ones start, removed
// ones stop. A bad configuration changes nothing.
func (a *Agent) Reload() error { return a.reload().Err }

// LastReload says what the last reload did; false before the first.
func (a *Agent) LastReload() (tpweb.ReloadResult, bool) {
	if r := a.lastReload.Load(); r != nil {
		return *r, true
	}
	return tpweb.ReloadResult{}, false
}

// reload is Reload, saying what it did.
func (a *Agent) reload() tpweb.ReloadResult {
	a.reloadMu.Lock()
	defer a.reloadMu.Unlock()
	res := tpweb.ReloadResult{At: time.Now()}
	if last := a.lastReload.Load(); last != nil {
		res.Restart = last.Restart
	}
	// Everything that can reject the configuration runs before anything
	// changes: the old configuration stays in force, whole, until the new
	// one is known to apply.
	var p *prepared
	cfg, err := a.opts.Load()
	if err == nil {
		p, err = a.prepare(cfg)
	}
	if err == nil {
		// Last, as it creates and claims a new folder: only a
		// configuration nothing else rejects gets that far.
		p.evidence, err = a.evidenceFor(cfg)
		p.evidenceReady = err == nil
	}
	if err != nil {
		a.metrics.SetReload(false, res.At)
		a.logger.Error("reload failed; keeping the running configuration", "err", err)
		res.Err, res.Journeys = err, len(a.cfg.Load().Journeys)
		a.lastReload.Store(&res)
		return res
	}
	res.Restart = browserChanges(a.browserCfg, cfg, a.opts.BrowserPath)
	if len(res.Restart) > 0 {
		a.logger.Warn("browser settings changed; they take effect after a restart of touchprobe", "keys", res.Restart)
	}
	a.swap(p)
	a.metrics.SetReload(true, res.At)
	a.logger.Info("configuration reloaded", "journeys", len(cfg.Journeys))
	res.Journeys = len(cfg.Journeys)
	a.lastReload.Store(&res)
	return res
}

// browserChanges names the [browser] keys whose change from started, the
// configuration the browser started with, makes it start differently:
// none for a path that --browser.path (pathFlag) overrides.
func browserChanges(started, cfg *config.Config, pathFlag string) []string {
	o, n := BrowserOptions(started, pathFlag, "", nil), BrowserOptions(cfg, pathFlag, "", nil)
	var keys []string
	if o.Path != n.Path {
		keys = append(keys, "path")
	}
	if !slices.Equal(o.ExtraFlags, n.ExtraFlags) {
		keys = append(keys, "extra_flags")
	}
	return keys
}

// prepared is a configuration that everything able to reject it has
// accepted; swap puts it in force and cannot fail.
type prepared struct {
	cfg       *config.Config
	plan      *scheduler.Plan
	intervals map[string]time.Duration
	keys      map[string]bool // every job's scheduler.Job.Key
	// evidence is the evidence store, once evidenceReady says it was
	// opened (by a reload); otherwise swap opens it.
	evidence      *evidence.Store
	evidenceReady bool
}

// prepare checks cfg against everything that could still reject it once
// the config package has accepted it (the scheduler), changing nothing.
func (a *Agent) prepare(cfg *config.Config) (*prepared, error) {
	now := time.Now()
	jobs := make([]scheduler.Job, 0, len(cfg.Journeys))
	intervals := make(map[string]time.Duration, len(cfg.Journeys))
	keys := make(map[string]bool, len(cfg.Journeys))
	for i := range cfg.Journeys {
		j := &cfg.Journeys[i]
		// Each profile is a run of its own, with its own schedule offset.
		profileJobs := scheduler.JobsFor(cfg, j)
		jobs = append(jobs, profileJobs...)
		for _, job := range profileJobs {
			keys[job.Key()] = true
		}
		if iv, ok := scheduler.Interval(profileJobs[0], now); ok {
			intervals[j.Name] = iv
		}
	}
	plan, err := a.sched.Prepare(jobs)
	if err != nil {
		return nil, fmt.Errorf("configuration not applied: %w", err)
	}
	return &prepared{cfg: cfg, plan: plan, intervals: intervals, keys: keys}, nil
}

// apply prepares cfg and, only if nothing rejects it, puts it in force.
// Run calls it for the first configuration.
func (a *Agent) apply(cfg *config.Config) error {
	p, err := a.prepare(cfg)
	if err != nil {
		return err
	}
	a.swap(p)
	return nil
}

// swap puts a prepared configuration into the agent, the metrics, the
// result store and the scheduler.
func (a *Agent) swap(p *prepared) {
	cfg := p.cfg
	a.recordMu.Lock()
	a.cfg.Store(cfg)
	a.runs.Retain(func(journey, profile string) bool { return runsUnder(cfg, journey, profile) })
	a.recordMu.Unlock()
	a.fleetInForce(cfg)
	a.metrics.SetHistograms(cfg.Agent.Histograms)
	a.metrics.SetJourneys(cfg.Agent.Location, cfg.Journeys, p.intervals)
	if p.evidenceReady {
		a.setEvidence(p.evidence, true)
	} else {
		a.configureEvidence(cfg)
	}
	a.configureOTLP(cfg)
	a.maint.SetConfigured(maintenance.FromConfig(cfg.Maintenance, time.Now()))
	a.updateMuted(time.Now())
	a.sched.SetConcurrency(cfg.Agent.Concurrency)
	a.sched.Apply(p.plan)
	a.handOffs.Range(func(key, _ any) bool {
		if !p.keys[key.(string)] {
			a.handOffs.Delete(key)
		}
		return true
	})
}

// runsUnder reports whether cfg runs the journey under profile.
func runsUnder(cfg *config.Config, journey, profile string) bool {
	j := cfg.Journey(journey)
	if j == nil {
		return false
	}
	for _, p := range cfg.JourneyProfiles(j) {
		if p.Name == profile {
			return true
		}
	}
	return false
}

// configureEvidence opens the evidence folder the configuration names (or
// systemd's StateDirectory=), applying retention to what it already holds.
// A folder that cannot be used is logged and evidence is not kept; runs go
// on. That is for the start; a reload is refused instead (see Reload).
func (a *Agent) configureEvidence(cfg *config.Config) {
	store, err := a.evidenceFor(cfg)
	if err != nil {
		a.logger.Error("evidence of failed and slow runs is not kept: its folder cannot be used", "err", err)
		a.setEvidence(nil, false)
		return
	}
	a.setEvidence(store, true)
}

// evidenceFor returns the evidence store cfg asks for, putting nothing in
// force: the store in force when its folder and limits are unchanged, a
// new one (the folder created, claimed and its retention applied), or nil
// when cfg keeps none. The error says why the folder cannot be used.
func (a *Agent) evidenceFor(cfg *config.Config) (*evidence.Store, error) {
	configured := cfg.Agent.ArtifactsDir
	if a.opts.ArtifactsDir != "" {
		configured = a.opts.ArtifactsDir
	}
	dir := evidence.DefaultDir(configured, os.Getenv)
	if dir == "" {
		return nil, nil
	}
	maxAge, maxBytes := cfg.Agent.ArtifactsMaxAge.Duration, int64(cfg.Agent.ArtifactsMaxBytes)
	if cur := a.evidence.Load(); cur != nil && sameFolder(cur.Root(), dir) {
		if age, size := cur.Limits(); age == maxAge && size == maxBytes {
			return cur, nil
		}
	}
	store, err := evidence.NewStore(dir, maxAge, maxBytes, evidence.ConfigFolder(cfg.File)...)
	if store == nil {
		return nil, fmt.Errorf("%s: [agent] artifacts_dir: %w", cfg.File, err)
	}
	if err != nil {
		a.logger.Error("could not apply evidence retention", "dir", store.Root(), "err", err)
	}
	return store, nil
}

// setEvidence puts store in force as the evidence store; nil keeps none,
// and configured says whether that is what the configuration asks.
func (a *Agent) setEvidence(store *evidence.Store, configured bool) {
	a.evidenceMu.Lock()
	defer a.evidenceMu.Unlock()
	cur := a.evidence.Load()
	if store != nil && store == cur {
		return
	}
	a.evidence.Store(store)
	if store == nil {
		a.metrics.SetArtifacts(0, 0)
		if !configured {
			return
		}
		if cur != nil {
			a.logger.Info("evidence of failed and slow runs is no longer kept: artifacts_dir was removed", "dir", cur.Root())
		}
		a.evidenceOff.Do(func() {
			a.logger.Info("evidence of failed and slow runs is not kept: set artifacts_dir in [agent] to keep screenshots, HTML, console and HAR")
		})
		return
	}
	st := store.Stats()
	a.metrics.SetArtifacts(st.Runs, st.Bytes)
	maxAge, maxBytes := store.Limits()
	a.logger.Info("keeping evidence of failed and slow runs", "dir", store.Root(), "max_age", maxAge, "max_bytes", maxBytes, "runs", st.Runs, "bytes", st.Bytes)
}

func sameFolder(root, dir string) bool {
	abs, err := filepath.Abs(dir)
	return err == nil && abs == root
}

// runJourney is the scheduler's RunFunc.
func (a *Agent) runJourney(ctx context.Context, job scheduler.Job, scheduled time.Time) {
	cfg := a.cfg.Load()
	j := cfg.Journey(job.Name)
	if j == nil {
		return
	}
	var profile *config.Profile
	for _, p := range cfg.JourneyProfiles(j) {
		if p.Name == job.Profile {
			profile = p
		}
	}
	if profile == nil {
		// A reload dropped the profile while this run waited to start.
		return
	}
	if a.maint.Mode(j.Name, time.Now()) == config.MaintenanceSkip {
		// Nothing runs; the journey is muted meanwhile, so that its
		// alerts hold and its last run may age.
		a.logger.Info("run skipped: a maintenance window skips the journey", "journey", j.Name, "profile", profile.Name)
		return
	}
	// A run that keeps evidence names it in its result before anyone sees
	// the result, so that its pages can link to it.
	var keeper probes.Keeper
	store := a.evidence.Load()
	if store != nil {
		keeper = store
	}
	policy := retryPolicy{
		retries: j.Retries,
		delay:   j.RetryDelay.Duration,
		attempt: func(ctx context.Context) *probes.Result {
			res := a.prober.Run(ctx, j, profile, cfg.Secrets(), keeper)
			if store != nil && res.Evidence != nil {
				st := store.Stats()
				a.metrics.SetArtifacts(st.Runs, st.Bytes)
			}
			return res
		},
		observe: a.metrics.ObserveAttempt,
		restart: a.browser.Start,
		wait:    a.retryWait,
		logger:  a.logger,
	}
	res := policy.run(ctx)
	if res.Reason == probes.ReasonCanceled {
		// Shutdown or removal interrupted the run: it measured nothing.
		return
	}
	// The run leaves the scheduler before anyone sees its result, so that
	// whoever sees it (a test, a manual run) can start the next run at
	// once rather than be refused as the run is still in flight. The next
	// run may then end before this hand-off does: the job's lock, taken
	// before leaving, keeps its results in the order the runs ended.
	lock, _ := a.handOffs.LoadOrStore(job.Key(), new(sync.Mutex))
	lock.(*sync.Mutex).Lock()
	defer lock.(*sync.Mutex).Unlock()
	scheduler.Finished(ctx)
	// A reload may have removed the journey (or this profile of it) while
	// the run went on, or while it waited for a retry: its series and its
	// recent runs are gone and must not come back.
	a.recordMu.RLock()
	now := a.cfg.Load()
	if !runsUnder(now, job.Name, job.Profile) {
		a.recordMu.RUnlock()
		a.logger.Info("result dropped: a reload removed the journey while it ran", "journey", job.Name, "profile", job.Profile, "run_id", res.RunID)
		return
	}
	// A run of a definition a reload replaced keeps its own steps in the
	// recent runs, but is not measured against the new definition's
	// series: a step it never had would read as failed, a budget it did
	// not have would judge it.
	if nj := now.Journey(job.Name); nj == j || nj.Version() == j.Version() {
		a.metrics.ObserveRun(res)
	} else {
		a.logger.Info("run not counted in the metrics: a reload changed the journey while it ran", "journey", job.Name, "profile", job.Profile, "run_id", res.RunID)
	}
	a.exportRun(res)
	a.runs.Add(res)
	a.recordMu.RUnlock()
	// Outside the lock, so that whoever sees the result may reload.
	if a.opts.OnResult != nil {
		a.opts.OnResult(res)
	}
}

// retryWait waits d before a retry, or until ctx is done or the agent
// stops, and reports whether d passed: a stopping agent starts no attempt.
func (a *Agent) retryWait(ctx context.Context, d time.Duration) bool {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-a.stopping:
			cancel()
		case <-ctx.Done():
		}
	}()
	return sleep(ctx, d)
}

// Handler serves the agent's HTTP endpoints.
func (a *Agent) Handler() http.Handler {
	return tpweb.New(tpweb.Deps{
		Metrics:          metrics.Handler(a.metrics, a.logger),
		Runs:             a.runs,
		Config:           a.Config,
		Ready:            a.Ready,
		Reload:           a.reload,
		LastReload:       a.LastReload,
		Maintenance:      func() []maintenance.Occurrence { return a.maint.List(time.Now()) },
		StartMaintenance: a.StartMaintenance,
		ExternalURL:      a.opts.ExternalURL,
		Logger:           a.logger,
	})
}
