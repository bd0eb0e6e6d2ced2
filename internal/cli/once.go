package cli

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"

	"github.com/touchprobe/touchprobe/config"
	"github.com/touchprobe/touchprobe/internal/browser"
	"github.com/touchprobe/touchprobe/internal/evidence"
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
	var selected []*config.Journey
	for i := range cfg.Journeys {
		if len(c.onceJourneys) == 0 || slices.Contains(c.onceJourneys, cfg.Journeys[i].Name) {
			selected = append(selected, &cfg.Journeys[i])
		}
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

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	path := cfg.Browser.Path
	if c.browserPath != "" {
		path = c.browserPath
	}
	b, err := browser.New(browser.Options{Path: path, ExtraFlags: cfg.Browser.ExtraFlags, Dir: c.browserDir, Logger: logger})
	if err != nil {
		fmt.Fprintln(c.stderr, err)
		return 1
	}
	defer b.Close(context.Background())
	// Start Chromium before the first journey, as the daemon does, so that
	// the journey's time is the journey's and not Chromium's start-up. A
	// browser that cannot start is reported by the run that needs it.
	_ = b.Start(ctx)
	prober := &probes.Prober{Browser: b, Logger: logger}
	store := c.evidenceStore(cfg)

	var results []*probes.Result
	for _, j := range selected {
		jctx, cancel := context.WithTimeout(ctx, j.Timeout.Duration)
		if store == nil {
			results = append(results, prober.Run(jctx, j, cfg.Secrets()))
		} else {
			res, captured := prober.RunCapturing(jctx, j, cfg.Secrets())
			if captured != nil {
				if err := captured.Keep(store, res); err != nil {
					fmt.Fprintf(c.stderr, "journey %q: could not keep the run's evidence: %v\n", res.Journey, err)
				}
			}
			results = append(results, res)
		}
		cancel()
		if ctx.Err() != nil {
			break
		}
	}
	if c.onceFormat == "json" {
		err = report.JSON(c.stdout, results)
	} else {
		err = report.Text(c.stdout, results)
	}
	if err != nil {
		fmt.Fprintln(c.stderr, err)
		return 1
	}
	if report.Failed(results) {
		if store == nil {
			fmt.Fprintln(c.stderr, "no evidence kept: set artifacts_dir in [agent] to keep a screenshot, the HTML, the console and a HAR of failed and slow runs")
		}
		return 1
	}
	return 0
}

// evidenceStore opens the folder where once keeps evidence, the agent's:
// artifacts_dir, else systemd's STATE_DIRECTORY. nil means none.
func (c *commands) evidenceStore(cfg *config.Config) *evidence.Store {
	dir := evidence.DefaultDir(cfg.Agent.ArtifactsDir, os.Getenv)
	if dir == "" {
		return nil
	}
	store, err := evidence.NewStore(dir, cfg.Agent.ArtifactsMaxAge.Duration, int64(cfg.Agent.ArtifactsMaxBytes), evidence.ConfigFolder(cfg.File)...)
	if err != nil {
		fmt.Fprintf(c.stderr, "%s: artifacts_dir: %v\n", c.configFile, err)
	}
	return store
}
