package agent

import (
	"context"
	"log/slog"
	"maps"
	"sync"
	"time"

	"github.com/touchprobe/touchprobe/config"
	"github.com/touchprobe/touchprobe/internal/otlp"
	"github.com/touchprobe/touchprobe/internal/version"
	"github.com/touchprobe/touchprobe/probes"
)

// OTLPFlush bounds how long the spans still queued may take to reach the
// collector when the agent stops or the export is reconfigured, and when
// `once` exits.
const OTLPFlush = 5 * time.Second

// tracing holds the OTLP export of runs the configuration asks for.
type tracing struct {
	mu       sync.Mutex
	exp      *otlp.Exporter
	url      string
	headers  map[string]string
	location string
	// closing are exporters a reload replaced, flushing in the
	// background; the agent waits for them when it stops.
	closing sync.WaitGroup
	// stopped is set once the agent has closed the export: a reload
	// that comes while the agent shuts down starts none again.
	stopped bool
}

// NewOTLPExporter starts the export of runs over OTLP that cfg's [otlp]
// asks for, as the agent and `once` do, or returns nil when it asks for
// none. onDrop is told how many spans were dropped.
func NewOTLPExporter(cfg *config.Config, onDrop func(spans int), logger *slog.Logger) (*otlp.Exporter, error) {
	url := cfg.OTLP.TracesURL()
	if url == "" {
		return nil, nil
	}
	return otlp.New(otlp.Options{
		URL: url, Headers: cfg.OTLP.Headers,
		Location: cfg.Agent.Location, Version: version.Version,
		OnDrop: onDrop, Logger: logger,
	})
}

// configureOTLP starts, keeps, replaces or stops the OTLP export as cfg
// says. An exporter replaced flushes what it holds in the background,
// within OTLPFlush.
func (a *Agent) configureOTLP(cfg *config.Config) {
	t := &a.tracing
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopped {
		return
	}
	url := cfg.OTLP.TracesURL()
	if t.exp != nil && url == t.url && maps.Equal(cfg.OTLP.Headers, t.headers) && cfg.Agent.Location == t.location {
		return
	}
	if old := t.exp; old != nil {
		t.closing.Add(1)
		go func() {
			defer t.closing.Done()
			ctx, cancel := context.WithTimeout(context.Background(), OTLPFlush)
			defer cancel()
			old.Close(ctx)
		}()
	}
	t.exp, t.url, t.headers, t.location = nil, "", nil, ""
	a.metrics.SetOTLP(url != "")
	if url == "" {
		return
	}
	exp, err := NewOTLPExporter(cfg, a.metrics.OTLPSpansDropped, a.logger)
	if err != nil {
		a.logger.Error("runs are not exported over OTLP", "url", url, "err", err)
		return
	}
	t.exp, t.url, t.headers, t.location = exp, url, maps.Clone(cfg.OTLP.Headers), cfg.Agent.Location
	a.logger.Info("exporting runs as traces over OTLP", "url", url)
}

// exportRun hands a run to the OTLP export, if any; it never waits.
func (a *Agent) exportRun(res *probes.Result) {
	a.tracing.mu.Lock()
	exp := a.tracing.exp
	a.tracing.mu.Unlock()
	if exp != nil {
		exp.Export(res)
	}
}

// closeOTLP flushes the runs still queued, within OTLPFlush, and stops the
// export.
func (a *Agent) closeOTLP() {
	t := &a.tracing
	t.mu.Lock()
	exp := t.exp
	t.exp, t.stopped = nil, true
	t.mu.Unlock()
	if exp != nil {
		ctx, cancel := context.WithTimeout(context.Background(), OTLPFlush)
		defer cancel()
		exp.Close(ctx)
	}
	t.closing.Wait()
}
