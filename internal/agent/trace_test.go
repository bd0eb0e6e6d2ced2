package agent_test

import (
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/touchprobe/touchprobe/internal/demoshop"
	"github.com/touchprobe/touchprobe/internal/testutil"
)

// One run, end to end: the shop sees the run's trace context, the
// collector gets the run's spans with the same ids, the run page shows and
// links them, and a collector that never answers does not hold the run up.
func TestRunTraceReachesShopCollectorAndRunPage(t *testing.T) {
	t.Parallel()
	var (
		mu          sync.Mutex
		traceparent []string
		spans       []*tracepb.Span
	)
	shop := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		traceparent = append(traceparent, r.Header.Get("traceparent"))
		mu.Unlock()
		fmt.Fprint(w, `<!doctype html><title>shop</title><p id="hello">hello</p>`)
	}))
	t.Cleanup(shop.Close)
	// The collector takes the spans, then never answers.
	release := make(chan struct{})
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var req coltrace.ExportTraceServiceRequest
		if proto.Unmarshal(body, &req) == nil {
			mu.Lock()
			for _, rs := range req.GetResourceSpans() {
				for _, ss := range rs.GetScopeSpans() {
					spans = append(spans, ss.GetSpans()...)
				}
			}
			mu.Unlock()
		}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(collector.Close)

	h := start(t, func(*demoshop.Shop) string {
		return fmt.Sprintf(`
[agent]
trace_origins = [%q]
trace_url = "https://tempo.example/explore?trace={trace_id}"
[otlp]
endpoint = %q
[[journey]]
name = "storefront"
schedule = "@every 1h"
[[journey.step]]
name = "landing"
action = "navigate"
url = %q
wait_for = "#hello"
`, shop.URL, collector.URL, shop.URL+"/")
	})
	// Before the agent stops: its last flush then has an answer.
	t.Cleanup(func() { close(release) })

	// The run completes while the collector holds its export.
	r := h.next("storefront")
	if r.Status != "success" {
		t.Fatalf("run: %s %s %s", r.Status, r.Reason, r.Message)
	}
	want := "00-" + r.TraceID + "-" + r.Steps[0].SpanID + "-01"
	mu.Lock()
	got := append([]string(nil), traceparent...)
	mu.Unlock()
	if len(got) == 0 || got[0] != want {
		t.Errorf("the shop saw traceparent %q, want %q", got, want)
	}

	testutil.WaitFor(t, 30*time.Second, "the collector receives the run's spans", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(spans) >= 2
	})
	mu.Lock()
	ids := map[string]string{}
	for _, s := range spans {
		if hex.EncodeToString(s.GetTraceId()) == r.TraceID {
			ids[s.GetName()] = hex.EncodeToString(s.GetSpanId())
		}
	}
	mu.Unlock()
	if ids["storefront"] != r.SpanID || ids["landing"] != r.Steps[0].SpanID {
		t.Errorf("the collector got spans %v of trace %s, want storefront %s and landing %s", ids, r.TraceID, r.SpanID, r.Steps[0].SpanID)
	}

	_, page := h.get("/journeys/storefront/runs/" + r.RunID)
	for _, w := range []string{`href="https://tempo.example/explore?trace=` + r.TraceID + `"`, r.Steps[0].SpanID} {
		if !strings.Contains(page, w) {
			t.Errorf("the run page lacks %q", w)
		}
	}
	_, metrics := h.get("/metrics")
	if !strings.Contains(metrics, "touchprobe_otlp_spans_dropped_total{") {
		t.Errorf("/metrics lacks touchprobe_otlp_spans_dropped_total")
	}
}
