package cli

import (
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/alecthomas/kingpin/v2"

	"github.com/touchprobe/touchprobe/config"
	"github.com/touchprobe/touchprobe/internal/agent"
	"github.com/touchprobe/touchprobe/internal/demoshop"
	"github.com/touchprobe/touchprobe/internal/report"
	"github.com/touchprobe/touchprobe/probes"
)

type demoFlags struct {
	slow     []string
	fail     []string
	interval time.Duration
}

func (d *demoFlags) register(cmd *kingpin.CmdClause) {
	pages := strings.Join(demoshop.Pages, ", ")
	cmd.Flag("demo.slow", "Slow a page of the shop down, as PAGE=DURATION (pages: "+pages+"); repeatable.").PlaceHolder("PAGE=DUR").StringsVar(&d.slow)
	cmd.Flag("demo.fail", "Break a page of the shop (pages: "+pages+"); repeatable.").PlaceHolder("PAGE").StringsVar(&d.fail)
	cmd.Flag("demo.interval", "How often the demo journey runs.").Default("15s").DurationVar(&d.interval)
}

func (d *demoFlags) options() (demoshop.Options, error) {
	opts := demoshop.Options{Slow: map[string]time.Duration{}, Fail: map[string]bool{}}
	for _, s := range d.slow {
		page, dur, err := demoshop.ParseSlow(s)
		if err != nil {
			return opts, fmt.Errorf("--demo.slow %s: %w", s, err)
		}
		opts.Slow[page] = dur
	}
	for _, p := range d.fail {
		if !demoshop.ValidPage(p) {
			return opts, fmt.Errorf("--demo.fail %s: unknown page; pages: %s", p, strings.Join(demoshop.Pages, ", "))
		}
		opts.Fail[p] = true
	}
	return opts, nil
}

// demoProfiles are the profiles the demo runs its journey under: the
// desktop next to Lighthouse's mobile phone on 4G, so that the same
// purchase shows what each customer waits.
var demoProfiles = []string{config.DefaultProfile, "mobile-4g"}

func (c *commands) runDemo() int {
	sig := catchSignals()
	defer sig.release()
	logger := c.logger()
	opts, err := c.demo.options()
	if err != nil {
		fmt.Fprintf(c.stderr, "touchprobe demo: %v\n", err)
		return 2
	}
	shop, err := demoshop.Start(opts)
	if err != nil {
		fmt.Fprintf(c.stderr, "touchprobe demo: starting the demo shop: %v\n", err)
		return 1
	}
	defer shop.Close()
	text := shop.Journey(fmt.Sprintf("@every %s", c.demo.interval), demoProfiles...)
	load := func() (*config.Config, error) { return config.Parse([]byte(text), "demo journey") }

	// The demo's evidence lives as long as the demo.
	artifacts, err := os.MkdirTemp("", "touchprobe-demo-evidence-")
	if err != nil {
		fmt.Fprintf(c.stderr, "touchprobe demo: a folder for the evidence of failed and slow runs: %v\n", err)
		return 1
	}
	defer os.RemoveAll(artifacts)

	var mu sync.Mutex // the live table and the banner share stdout
	var base string
	return c.serve(logger, sig, agent.Options{
		Load:         load,
		RunAtStart:   true,
		ArtifactsDir: artifacts,
		OnReady: func(addrs []string) {
			mu.Lock()
			defer mu.Unlock()
			base = "http://" + strings.Replace(addrs[0], "[::]", "localhost", 1)
			fmt.Fprintf(c.stdout, "\ntouchprobe demo\n  demo shop:    %s\n  status page:  %s/\n  metrics:      %s/metrics\n  journey runs every %s under profiles %s, side by side: each its own run; Ctrl-C stops.\n\n",
				shop.URL(), base, base, c.demo.interval, strings.Join(demoProfiles, " and "))
		},
		OnResult: func(r *probes.Result) {
			mu.Lock()
			defer mu.Unlock()
			_ = report.Text(c.stdout, []*probes.Result{r}, nil)
			if r.Evidence != nil && base != "" {
				fmt.Fprintf(c.stdout, "run page: %s\n", RunPage(base, r.Journey, r.RunID))
			}
			fmt.Fprintln(c.stdout)
		},
	})
}

// RunPage is the address of a run's page on the agent: what the demo
// prints for a failed or slow run.
func RunPage(base, journey, runID string) string {
	return strings.TrimRight(base, "/") + "/journeys/" + url.PathEscape(journey) + "/runs/" + url.PathEscape(runID)
}
