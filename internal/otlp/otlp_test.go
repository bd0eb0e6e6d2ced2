package otlp_test

import (
	"context"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/touchprobe/touchprobe/internal/otlp"
	"github.com/touchprobe/touchprobe/internal/testutil"
	"github.com/touchprobe/touchprobe/probes"
)

// receiver is an OTLP/HTTP collector that decodes what it receives.
type receiver struct {
	mu       sync.Mutex
	spans    []*tracepb.Span
	resource []*commonpb.KeyValue
	headers  []http.Header
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil || r.URL.Path != "/v1/traces" || r.Header.Get("Content-Type") != "application/x-protobuf" {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	var req coltrace.ExportTraceServiceRequest
	if err := proto.Unmarshal(body, &req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.headers = append(rc.headers, r.Header.Clone())
	for _, rs := range req.GetResourceSpans() {
		rc.resource = rs.GetResource().GetAttributes()
		for _, ss := range rs.GetScopeSpans() {
			rc.spans = append(rc.spans, ss.GetSpans()...)
		}
	}
	b, _ := proto.Marshal(&coltrace.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.Write(b)
}

func (rc *receiver) count() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return len(rc.spans)
}

func attrs(kvs []*commonpb.KeyValue) map[string]any {
	out := map[string]any{}
	for _, kv := range kvs {
		v := kv.GetValue()
		switch v.Value.(type) {
		case *commonpb.AnyValue_StringValue:
			out[kv.GetKey()] = v.GetStringValue()
		case *commonpb.AnyValue_BoolValue:
			out[kv.GetKey()] = v.GetBoolValue()
		case *commonpb.AnyValue_IntValue:
			out[kv.GetKey()] = v.GetIntValue()
		case *commonpb.AnyValue_DoubleValue:
			out[kv.GetKey()] = v.GetDoubleValue()
		}
	}
	return out
}

func sampleRun() *probes.Result {
	start := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	return &probes.Result{
		Journey: "checkout", Profile: "mobile-4g", RunID: "a1b2c3d4e5f6",
		TraceID: "4bf92f3577b34da6a3ce929d0e0e4736", SpanID: "00f067aa0ba902b7",
		Start: start, Duration: 5 * time.Second, Status: probes.StatusFailure,
		Reason: probes.ReasonHTTPStatus, FailedStep: "pay", Message: "GET /pay answered 500",
		Steps: []probes.StepResult{
			{Index: 0, Name: "landing", Touchpoint: "landing", Action: "navigate", SpanID: "b7ad6b7169203331", Status: probes.StepOK,
				Start: start, Duration: 4 * time.Second, Budget: 3 * time.Second,
				Page: &probes.PageMetrics{URL: "https://shop.example/", Status: 200, TTFB: 120 * time.Millisecond, LCP: 900 * time.Millisecond, Requests: 12}},
			{Index: 1, Name: "pay", Touchpoint: "checkout", Action: "click", SpanID: "53995c3f42cd8ad8", Status: probes.StepFailed,
				Start: start.Add(4 * time.Second), Duration: time.Second, Budget: 3 * time.Second, Reason: probes.ReasonHTTPStatus, Message: "GET /pay answered 500"},
			{Index: 2, Name: "receipt", SpanID: "1111111111111111", Status: probes.StepNotRun, Budget: 3 * time.Second},
		},
	}
}

// The collector gets the journey's span and a child span per step that
// ran, with the run's ids (those of the traceparent headers) and what the
// run measured.
func TestExportsRunAsSpans(t *testing.T) {
	t.Parallel()
	rc := &receiver{}
	srv := httptest.NewServer(rc)
	t.Cleanup(srv.Close)
	var dropped atomic.Int64
	e, err := otlp.New(otlp.Options{URL: srv.URL + "/v1/traces", Headers: map[string]string{"Authorization": "Bearer token"}, Location: "oslo", Version: "1.2.3",
		OnDrop: func(n int) { dropped.Add(int64(n)) }})
	if err != nil {
		t.Fatal(err)
	}
	e.Export(sampleRun())
	e.Close(context.Background())
	if rc.count() != 3 || dropped.Load() != 0 {
		t.Fatalf("received %d spans, dropped %d; want 3 (journey, landing, pay) and none dropped", rc.count(), dropped.Load())
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if got := rc.headers[0].Get("Authorization"); got != "Bearer token" {
		t.Errorf("Authorization %q, want the configured header", got)
	}
	if a := attrs(rc.resource); a["service.name"] != "touchprobe" || a["service.version"] != "1.2.3" {
		t.Errorf("resource %v", a)
	}
	byName := map[string]*tracepb.Span{}
	for _, s := range rc.spans {
		byName[s.GetName()] = s
		if got := hex.EncodeToString(s.GetTraceId()); got != "4bf92f3577b34da6a3ce929d0e0e4736" {
			t.Errorf("span %q: trace id %s, want the run's", s.GetName(), got)
		}
	}
	root, landing, pay := byName["checkout"], byName["landing"], byName["pay"]
	if root == nil || landing == nil || pay == nil {
		t.Fatalf("spans %v, want checkout, landing and pay", byName)
	}
	for _, tc := range []struct {
		span         *tracepb.Span
		id, parent   string
		start, end   time.Duration
		wantAttrs    map[string]any
		errorMessage string
	}{
		{root, "00f067aa0ba902b7", "", 0, 5 * time.Second, map[string]any{
			"touchprobe.journey": "checkout", "touchprobe.run_id": "a1b2c3d4e5f6", "touchprobe.profile": "mobile-4g", "touchprobe.location": "oslo",
			"touchprobe.result": "failure", "touchprobe.reason": "http_status", "touchprobe.failed_step": "pay", "touchprobe.message": "GET /pay answered 500", "touchprobe.over_budget": true,
		}, "http_status"},
		{landing, "b7ad6b7169203331", "00f067aa0ba902b7", 0, 4 * time.Second, map[string]any{
			"touchprobe.step": "landing", "touchprobe.step_index": int64(1), "touchprobe.touchpoint": "landing", "touchprobe.action": "navigate",
			"touchprobe.result": "ok", "touchprobe.budget_seconds": 3.0, "touchprobe.over_budget": true, "touchprobe.profile": "mobile-4g", "touchprobe.location": "oslo",
			"touchprobe.page.ttfb_seconds": 0.12, "touchprobe.page.lcp_seconds": 0.9, "touchprobe.page.requests": int64(12), "http.response.status_code": int64(200), "url.full": "https://shop.example/",
		}, ""},
		{pay, "53995c3f42cd8ad8", "00f067aa0ba902b7", 4 * time.Second, 5 * time.Second, map[string]any{
			"touchprobe.step": "pay", "touchprobe.result": "failed", "touchprobe.reason": "http_status", "touchprobe.message": "GET /pay answered 500", "touchprobe.over_budget": false,
		}, "GET /pay answered 500"},
	} {
		s := tc.span
		if got := hex.EncodeToString(s.GetSpanId()); got != tc.id {
			t.Errorf("%s: span id %s, want %s", s.GetName(), got, tc.id)
		}
		if got := hex.EncodeToString(s.GetParentSpanId()); got != tc.parent {
			t.Errorf("%s: parent %q, want %q", s.GetName(), got, tc.parent)
		}
		start := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
		if s.GetStartTimeUnixNano() != uint64(start.Add(tc.start).UnixNano()) || s.GetEndTimeUnixNano() != uint64(start.Add(tc.end).UnixNano()) {
			t.Errorf("%s: from %d to %d, want the step's own times", s.GetName(), s.GetStartTimeUnixNano(), s.GetEndTimeUnixNano())
		}
		got := attrs(s.GetAttributes())
		for k, want := range tc.wantAttrs {
			if got[k] != want {
				t.Errorf("%s: %s = %v (%T), want %v (%T)", s.GetName(), k, got[k], got[k], want, want)
			}
		}
		if tc.errorMessage != "" && (s.GetStatus().GetCode() != tracepb.Status_STATUS_CODE_ERROR || s.GetStatus().GetMessage() != tc.errorMessage) {
			t.Errorf("%s: status %v, want an error %q", s.GetName(), s.GetStatus(), tc.errorMessage)
		}
		if tc.errorMessage == "" && s.GetStatus().GetCode() == tracepb.Status_STATUS_CODE_ERROR {
			t.Errorf("%s: status %v, want no error", s.GetName(), s.GetStatus())
		}
	}
}

// A collector that never answers holds no run up: Export returns at once
// while the first export hangs, the runs beyond the queue are dropped and
// counted, and Close gives up when its context ends.
func TestHungCollectorDropsAndNeverBlocks(t *testing.T) {
	t.Parallel()
	arrived := make(chan struct{}, 1)
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case arrived <- struct{}{}:
		default:
		}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	var dropped atomic.Int64
	const queue = 4
	e, err := otlp.New(otlp.Options{URL: srv.URL + "/v1/traces", QueueSize: queue, ExportTimeout: time.Minute, RetryTime: time.Minute,
		OnDrop: func(n int) { dropped.Add(int64(n)) }})
	if err != nil {
		t.Fatal(err)
	}
	e.Export(sampleRun())
	<-arrived // the worker is now stuck in an export that never ends
	// The queue takes four more runs; the next three are dropped. Every
	// call returns while the collector still holds the first export.
	for range queue + 3 {
		e.Export(sampleRun())
	}
	if got, want := dropped.Load(), int64(3*3); got != want {
		t.Errorf("dropped %d spans, want %d: three runs of three spans", got, want)
	}
	select {
	case <-release:
		t.Fatal("the collector answered; the test cannot tell that Export did not wait")
	default:
	}
	// Close gives up at once with a context that has ended: the export in
	// flight and the queued runs are dropped and counted.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	e.Close(ctx)
	if got, want := dropped.Load(), int64((queue+3+1)*3); got != want {
		t.Errorf("after Close: dropped %d spans, want all %d", got, want)
	}
	e.Export(sampleRun())
	if got, want := dropped.Load(), int64((queue+3+2)*3); got != want {
		t.Errorf("a run after Close: dropped %d spans, want %d", got, want)
	}
}

// A collector that answers 503 is retried with backoff, within the retry
// time; then the spans are dropped and counted.
func TestUnavailableCollectorIsRetriedThenDropped(t *testing.T) {
	t.Parallel()
	var requests atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		http.Error(w, "unavailable", http.StatusServiceUnavailable)
	}))
	t.Cleanup(srv.Close)
	var dropped atomic.Int64
	e, err := otlp.New(otlp.Options{URL: srv.URL + "/v1/traces", ExportTimeout: 5 * time.Second, RetryTime: 400 * time.Millisecond,
		OnDrop: func(n int) { dropped.Add(int64(n)) }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close(context.Background()) })
	e.Export(sampleRun())
	testutil.WaitFor(t, 30*time.Second, "the run's spans dropped", func() bool { return dropped.Load() == 3 })
	if requests.Load() < 2 {
		t.Errorf("%d requests, want the export retried", requests.Load())
	}
}
