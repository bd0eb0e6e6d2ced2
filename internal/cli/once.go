package cli

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"

	"github.com/touchprobe/touchprobe/config"
	"github.com/touchprobe/touchprobe/internal/agent"
	"github.com/touchprobe/touchprobe/internal/browser"
	"github.com/touchprobe/touchprobe/internal/evidence"
	"github.com/touchprobe/touchprobe/internal/otlp"
	"github.com/touchprobe/touchprobe/internal/report"
	"github.com/touchprobe/touchprobe/probes"
)

func (c *commands) runOnce() int {
	logger := c.logger()
	cfg, err := config.Load(c.configFile)
	if err != nil {
		fmt.Fprintln(c.stderr, err)
		return 1
	}
	for _, name := range c.onceJourneys {
		if cfg.Journey(name) == nil {
			var names []string
			for _, j := range cfg.Journeys {
				names = append(names, fmt.Sprintf("%q", j.Name))
			}
			fmt.Fprintf(c.stderr, "%s: no journey named %q; configured journeys: %s\n", c.configFile, name, strings.Join(names, ", "))
			return 1
		}
	}

	// Asked for a shard, once runs that shard's share of what it selects.
	sh, err := c.shard.resolve(false)
	if err != nil {
		fmt.Fprintln(c.stderr, err)
		return 2
	}
	cfg = sh.Filter(cfg)
	var selected []*config.Journey
	for i := range cfg.Journeys {
		if len(c.onceJourneys) == 0 || slices.Contains(c.onceJourneys, cfg.Journeys[i].Name) {
			selected = append(selected, &cfg.Journeys[i])
		}
	}

	var only *config.Profile
	if c.onceProfile != "" {
		if only = cfg.Profile(c.onceProfile); only == nil {
			var names []string
			for _, p := range cfg.Profiles {
				names = append(names, fmt.Sprintf("%q", p.Name))
			}
			fmt.Fprintf(c.stderr, "%s: no profile named %q; profiles: %s\n", c.configFile, c.onceProfile, strings.Join(names, ", "))
			return 1
		}
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	b, err := browser.New(agent.BrowserOptions(cfg, c.browserPath, c.browserDir, logger))
	if err != nil {
		fmt.Fprintln(c.stderr, err)
		return 1
	}
	defer b.Close()
	// The evidence folder is opened, and its retention pass walks it,
	// while Chromium starts rather than after.
	type opened struct {
		keeper probes.Keeper
		err    error
	}
	keeperCh := make(chan opened, 1)
	go func() {
		k, err := evidenceKeeper(cfg)
		keeperCh <- opened{k, err}
	}()
	// Start Chromium before the first journey, as the daemon does, so that
	// the journey's time is the journey's and not Chromium's start-up. A
	// browser that cannot start is reported by the run that needs it.
	_ = b.Start(ctx)
	o := <-keeperCh
	keeper := o.keeper
	if o.err != nil {
		fmt.Fprintf(c.stderr, "%s: artifacts_dir: %v\n", c.configFile, o.err)
	}
	prober := agent.NewProber(b, logger)
	exp, dropped, err := c.onceExporter(cfg, logger)
	if err != nil {
		fmt.Fprintln(c.stderr, err)
		return 1
	}

	var results []*probes.Result
	// Each profile of a journey is a run of its own.
runs:
	for _, j := range selected {
		profiles := cfg.JourneyProfiles(j)
		if only != nil {
			profiles = []*config.Profile{only}
		}
		for _, p := range profiles {
			jctx, cancel := context.WithTimeout(ctx, j.Timeout.Duration)
			res := prober.Run(jctx, j, p, cfg.Secrets(), keeper)
			cancel()
			results = append(results, res)
			if exp != nil {
				exp.Export(res)
			}
			if ctx.Err() != nil {
				break runs
			}
		}
	}
	if exp != nil {
		// The spans of these runs leave before the process does, within
		// the agent's own bound on a flush.
		flush, cancel := context.WithTimeout(context.Background(), agent.OTLPFlush)
		exp.Close(flush)
		cancel()
		if n := dropped.Load(); n > 0 {
			fmt.Fprintf(c.stderr, "%d spans of these runs were not exported over OTLP to %s\n", n, cfg.OTLP.TracesURL())
		}
	}
	if c.onceFormat == "json" {
		err = report.JSON(c.stdout, results)
	} else {
		var trace report.TraceLink
		if traced(cfg) {
			trace = cfg.Agent.TraceLink
		}
		err = report.Text(c.stdout, results, trace)
	}
	if err != nil {
		fmt.Fprintln(c.stderr, err)
		return 1
	}
	if report.Failed(results) {
		if keeper == nil {
			fmt.Fprintln(c.stderr, "no evidence kept: set artifacts_dir in [agent] to keep a screenshot, the HTML, the console and a HAR of failed and slow runs")
		}
		return 1
	}
	return 0
}

// onceExporter exports the runs of once over OTLP when [otlp] asks for it,
// as the agent does; dropped counts the spans that could not be sent.
func (c *commands) onceExporter(cfg *config.Config, logger *slog.Logger) (*otlp.Exporter, *atomic.Int64, error) {
	dropped := new(atomic.Int64)
	exp, err := agent.NewOTLPExporter(cfg, func(n int) { dropped.Add(int64(n)) }, logger)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: otlp: %w", c.configFile, err)
	}
	return exp, dropped, nil
}

// traced reports whether runs of cfg have a trace anyone can look up: their
// requests carry trace context (a journey's trace_origins, which are the
// agent's unless it names its own), or they are exported over OTLP.
func traced(cfg *config.Config) bool {
	if cfg.OTLP.Endpoint != "" {
		return true
	}
	for _, j := range cfg.Journeys {
		if len(j.TraceOrigins) > 0 {
			return true
		}
	}
	return false
}

// evidenceKeeper opens the folder where once keeps evidence, the agent's:
// artifacts_dir, else systemd's STATE_DIRECTORY. A nil keeper means none;
// an error with a keeper means it opened but its retention pass failed.
func evidenceKeeper(cfg *config.Config) (probes.Keeper, error) {
	dir := evidence.DefaultDir(cfg.Agent.ArtifactsDir, os.Getenv)
	if dir == "" {
		return nil, nil
	}
	store, err := evidence.NewStore(dir, cfg.Agent.ArtifactsMaxAge.Duration, int64(cfg.Agent.ArtifactsMaxBytes), evidence.ConfigFolder(cfg.File)...)
	if store == nil {
		// A nil *Store in the interface would not be a nil Keeper.
		return nil, err
	}
	return store, err
}
