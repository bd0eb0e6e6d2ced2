// Package otlp exports runs as traces over OTLP/HTTP: a span for the
// journey and a child span per step, with the run's own trace id and the
// steps' span ids, the ones the site saw in traceparent. Exporting never
// holds a run up: runs wait in a bounded queue, and what cannot be sent in
// time is dropped and counted.
package otlp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/touchprobe/touchprobe/probes"
)

// Defaults of Options.
const (
	DefaultQueueSize     = 512 // runs
	DefaultExportTimeout = 10 * time.Second
	DefaultRetryTime     = 30 * time.Second
	// maxBatch is how many runs one export request takes at most.
	maxBatch = 64
)

// Options configure an Exporter.
type Options struct {
	// URL is where spans are posted, such as
	// "http://collector:4318/v1/traces" (config.OTLP.TracesURL).
	URL string
	// Headers go with every request. They are secrets: never logged.
	Headers map[string]string
	// Location and Version describe the agent: every span carries the
	// location, the resource names the version.
	Location, Version string
	// QueueSize is how many runs wait for export at most; a run beyond
	// it is dropped. 0 means DefaultQueueSize.
	QueueSize int
	// ExportTimeout bounds one request; RetryTime bounds the retries of
	// one export, with backoff between them. 0 means the defaults.
	ExportTimeout, RetryTime time.Duration
	// OnDrop is told how many spans were dropped.
	OnDrop func(spans int)
	Logger *slog.Logger
}

// Exporter exports runs. Export never blocks; Close flushes what is queued
// within its context and drops the rest.
type Exporter struct {
	opts     Options
	exporter *otlptrace.Exporter
	provider *sdktrace.TracerProvider
	spans    *collector
	tracer   trace.Tracer

	queue    chan *probes.Result
	mu       sync.Mutex // guards closed and sending on queue
	closed   bool
	stopping chan struct{}
	// base is the context of every export; Close cancels it when its
	// own context ends, which ends an export in flight.
	base   context.Context
	cancel context.CancelFunc
	done   chan struct{}

	failing bool // the last export failed; only the worker touches it
}

// New starts an Exporter; Close stops it.
func New(opts Options) (*Exporter, error) {
	if opts.URL == "" {
		return nil, errors.New("otlp: no endpoint")
	}
	if opts.QueueSize <= 0 {
		opts.QueueSize = DefaultQueueSize
	}
	if opts.ExportTimeout <= 0 {
		opts.ExportTimeout = DefaultExportTimeout
	}
	if opts.RetryTime <= 0 {
		opts.RetryTime = DefaultRetryTime
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.OnDrop == nil {
		opts.OnDrop = func(int) {}
	}
	// What the OpenTelemetry SDK reports on its own (a collector's partial
	// success) goes to the agent's log, not to stderr.
	logger := opts.Logger
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
		logger.Warn("OTLP export", "err", err)
	}))
	client := otlptracehttp.NewClient(
		otlptracehttp.WithEndpointURL(opts.URL),
		otlptracehttp.WithHeaders(opts.Headers),
		otlptracehttp.WithTimeout(opts.ExportTimeout),
		otlptracehttp.WithRetry(otlptracehttp.RetryConfig{
			Enabled:         true,
			InitialInterval: min(time.Second, opts.RetryTime/4),
			MaxInterval:     min(5*time.Second, opts.RetryTime/2),
			MaxElapsedTime:  opts.RetryTime,
		}),
	)
	// The client only connects when it exports.
	exp := otlptrace.NewUnstarted(client)
	if err := exp.Start(context.Background()); err != nil {
		return nil, fmt.Errorf("otlp: %w", err)
	}
	res := resource.NewSchemaless(
		attribute.String("service.name", "touchprobe"),
		attribute.String("service.version", opts.Version),
	)
	spans := &collector{}
	provider := sdktrace.NewTracerProvider(
		sdktrace.WithIDGenerator(runIDs{}),
		sdktrace.WithSampler(sdktrace.AlwaysSample()),
		sdktrace.WithSpanProcessor(spans),
		sdktrace.WithResource(res),
	)
	e := &Exporter{
		opts:     opts,
		exporter: exp,
		provider: provider,
		spans:    spans,
		tracer:   provider.Tracer("github.com/touchprobe/touchprobe", trace.WithInstrumentationVersion(opts.Version)),
		queue:    make(chan *probes.Result, opts.QueueSize),
		stopping: make(chan struct{}),
		done:     make(chan struct{}),
	}
	e.base, e.cancel = context.WithCancel(context.Background())
	go e.work()
	return e, nil
}

// Export queues the run (and its earlier attempts, each its own trace)
// for export, or drops it when the queue is full or the Exporter closed.
// It never blocks.
func (e *Exporter) Export(r *probes.Result) {
	if r == nil {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		e.opts.OnDrop(spanCount(r))
		return
	}
	select {
	case e.queue <- r:
	default:
		e.opts.OnDrop(spanCount(r))
	}
}

// Close stops taking runs, exports those queued until ctx ends, drops the
// rest and counts them.
func (e *Exporter) Close(ctx context.Context) {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		<-e.done
		return
	}
	e.closed = true
	close(e.stopping)
	e.mu.Unlock()

	stop := context.AfterFunc(ctx, e.cancel)
	defer stop()
	<-e.done
	e.cancel()
	// Nothing is in flight any more: this only releases the client.
	sctx, scancel := context.WithTimeout(context.Background(), time.Second)
	defer scancel()
	_ = e.exporter.Shutdown(sctx)
	_ = e.provider.Shutdown(sctx)
}

// work exports queued runs until Close; then it exports what is left
// while the base context lives, and drops the rest.
func (e *Exporter) work() {
	defer close(e.done)
	for {
		select {
		case r := <-e.queue:
			e.send(r)
		case <-e.stopping:
			for {
				select {
				case r := <-e.queue:
					e.send(r)
				default:
					return
				}
			}
		}
	}
}

// send exports r and whatever else is queued, up to maxBatch runs.
func (e *Exporter) send(first *probes.Result) {
	runs := []*probes.Result{first}
	for len(runs) < maxBatch {
		select {
		case r := <-e.queue:
			runs = append(runs, r)
			continue
		default:
		}
		break
	}
	var spans []sdktrace.ReadOnlySpan
	for _, r := range runs {
		spans = append(spans, e.build(r)...)
	}
	if len(spans) == 0 {
		return
	}
	if e.base.Err() != nil {
		e.opts.OnDrop(len(spans))
		return
	}
	ctx, cancel := context.WithTimeout(e.base, e.opts.RetryTime+e.opts.ExportTimeout)
	defer cancel()
	if err := e.exporter.ExportSpans(ctx, spans); err != nil {
		e.opts.OnDrop(len(spans))
		if !e.failing {
			// Once per outage, not per run: the dropped spans are counted.
			e.opts.Logger.Warn("runs not exported over OTLP; dropping them until the collector answers", "url", e.opts.URL, "spans", len(spans), "err", err)
		}
		e.failing = true
		return
	}
	if e.failing {
		e.opts.Logger.Info("runs exported over OTLP again", "url", e.opts.URL)
	}
	e.failing = false
}

// spanCount is how many spans a run and its earlier attempts make.
func spanCount(r *probes.Result) int {
	n := 0
	for _, a := range attempts(r) {
		if a.TraceID == "" {
			continue
		}
		n++
		for _, s := range a.Steps {
			if ran(s) {
				n++
			}
		}
	}
	return n
}

// attempts are the earlier attempts of r, then r.
func attempts(r *probes.Result) []*probes.Result {
	return append(append([]*probes.Result{}, r.Retried...), r)
}

// ran reports whether a step ran, and so has a span.
func ran(s probes.StepResult) bool {
	return s.Status != probes.StepNotRun && s.SpanID != ""
}

// build makes the spans of a run and its earlier attempts.
func (e *Exporter) build(r *probes.Result) []sdktrace.ReadOnlySpan {
	e.spans.reset()
	for _, a := range attempts(r) {
		e.buildRun(a)
	}
	return e.spans.take()
}

func (e *Exporter) buildRun(r *probes.Result) {
	traceID, err1 := trace.TraceIDFromHex(r.TraceID)
	rootID, err2 := trace.SpanIDFromHex(r.SpanID)
	if err1 != nil || err2 != nil {
		return
	}
	end := r.Start.Add(r.Duration)
	jattrs := []attribute.KeyValue{
		attribute.String("touchprobe.journey", r.Journey),
		attribute.String("touchprobe.run_id", r.RunID),
		attribute.String("touchprobe.profile", r.Profile),
		attribute.String("touchprobe.location", e.opts.Location),
		attribute.String("touchprobe.result", string(r.Status)),
		attribute.Bool("touchprobe.over_budget", r.OverBudget()),
	}
	if r.Attempt > 0 {
		jattrs = append(jattrs, attribute.Int("touchprobe.attempt", r.Attempt))
	}
	if r.Reason != probes.ReasonNone {
		jattrs = append(jattrs,
			attribute.String("touchprobe.reason", string(r.Reason)),
			attribute.String("touchprobe.failed_step", r.FailedStep),
			attribute.String("touchprobe.message", r.Message))
	}
	ctx := withIDs(context.Background(), traceID, rootID)
	ctx, root := e.tracer.Start(ctx, r.Journey, trace.WithTimestamp(r.Start), trace.WithSpanKind(trace.SpanKindInternal), trace.WithAttributes(jattrs...))
	if r.Status != probes.StatusSuccess && r.Status != probes.StatusFlaky {
		root.SetStatus(codes.Error, string(r.Reason))
	}
	for _, s := range r.Steps {
		if !ran(s) {
			continue
		}
		spanID, err := trace.SpanIDFromHex(s.SpanID)
		if err != nil {
			continue
		}
		start := s.Start
		if start.IsZero() {
			start = r.Start
		}
		_, span := e.tracer.Start(withIDs(ctx, traceID, spanID), s.Name,
			trace.WithTimestamp(start), trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(stepAttributes(r, s, e.opts.Location)...))
		if s.Status == probes.StepFailed {
			span.SetStatus(codes.Error, s.Message)
		}
		span.End(trace.WithTimestamp(start.Add(s.Duration)))
	}
	root.End(trace.WithTimestamp(end))
}

func stepAttributes(r *probes.Result, s probes.StepResult, location string) []attribute.KeyValue {
	a := []attribute.KeyValue{
		attribute.String("touchprobe.journey", r.Journey),
		attribute.String("touchprobe.run_id", r.RunID),
		attribute.String("touchprobe.profile", r.Profile),
		attribute.String("touchprobe.location", location),
		attribute.String("touchprobe.step", s.Name),
		attribute.Int("touchprobe.step_index", s.Index+1),
		attribute.String("touchprobe.touchpoint", s.Touchpoint),
		attribute.String("touchprobe.action", s.Action),
		attribute.String("touchprobe.result", string(s.Status)),
		attribute.Float64("touchprobe.duration_seconds", s.Duration.Seconds()),
		attribute.Float64("touchprobe.budget_seconds", s.Budget.Seconds()),
		attribute.Bool("touchprobe.over_budget", s.OverBudget()),
	}
	if s.Reason != probes.ReasonNone {
		a = append(a, attribute.String("touchprobe.reason", string(s.Reason)))
	}
	if s.Message != "" {
		a = append(a, attribute.String("touchprobe.message", s.Message))
	}
	if p := s.Page; p != nil {
		a = append(a,
			attribute.String("url.full", p.URL),
			attribute.Int("http.response.status_code", p.Status),
			attribute.Int64("touchprobe.page.transfer_bytes", p.TransferBytes),
			attribute.Int("touchprobe.page.requests", p.Requests),
			attribute.Float64("touchprobe.page.cls", p.CLS))
		for _, t := range []struct {
			name string
			d    time.Duration
		}{{"ttfb", p.TTFB}, {"dom_content_loaded", p.DOMContentLoaded}, {"load", p.Load}, {"fcp", p.FCP}, {"lcp", p.LCP}} {
			if t.d > 0 {
				a = append(a, attribute.Float64("touchprobe.page."+t.name+"_seconds", t.d.Seconds()))
			}
		}
	}
	if im := s.Interaction; im != nil {
		a = append(a,
			attribute.Float64("touchprobe.page.inp_seconds", im.INP.Seconds()),
			attribute.Float64("touchprobe.page.tbt_seconds", im.TBT.Seconds()))
	}
	return a
}

// runIDs gives each span the ids the run already chose (withIDs), so
// that the spans are those the site saw in traceparent.
type runIDs struct{}

type idsKey struct{}

type ids struct {
	trace trace.TraceID
	span  trace.SpanID
}

func withIDs(ctx context.Context, t trace.TraceID, s trace.SpanID) context.Context {
	return context.WithValue(ctx, idsKey{}, ids{t, s})
}

func (runIDs) NewIDs(ctx context.Context) (trace.TraceID, trace.SpanID) {
	v, _ := ctx.Value(idsKey{}).(ids)
	return v.trace, v.span
}

func (runIDs) NewSpanID(ctx context.Context, _ trace.TraceID) trace.SpanID {
	v, _ := ctx.Value(idsKey{}).(ids)
	return v.span
}

// collector keeps the spans ended since reset; only the worker uses it.
type collector struct {
	mu    sync.Mutex
	spans []sdktrace.ReadOnlySpan
}

func (c *collector) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.spans = nil
}

func (c *collector) take() []sdktrace.ReadOnlySpan {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.spans
	c.spans = nil
	return out
}

func (c *collector) OnStart(context.Context, sdktrace.ReadWriteSpan) {}

func (c *collector) OnEnd(s sdktrace.ReadOnlySpan) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.spans = append(c.spans, s)
}

func (c *collector) Shutdown(context.Context) error   { return nil }
func (c *collector) ForceFlush(context.Context) error { return nil }
