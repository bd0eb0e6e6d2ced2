package agent

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/touchprobe/touchprobe/config"
	"github.com/touchprobe/touchprobe/internal/metrics"
)

// A reload starts, keeps, replaces or stops the OTLP export as [otlp] says,
// and the dropped-spans counter is exposed while it runs.
func TestConfigureOTLPOnReload(t *testing.T) {
	a := &Agent{logger: slog.New(slog.DiscardHandler), metrics: metrics.New()}
	t.Cleanup(a.closeOTLP)
	exposed := func() bool {
		n, err := testutil.GatherAndCount(metrics.NewRegistry(a.metrics), "touchprobe_otlp_spans_dropped_total")
		if err != nil {
			t.Fatal(err)
		}
		return n == 1
	}

	a.configureOTLP(otlpConfig(t, ""))
	if a.tracing.exp != nil || exposed() {
		t.Fatal("without [otlp]: an exporter, or the counter exposed")
	}
	a.configureOTLP(otlpConfig(t, "[otlp]\nendpoint = \"http://127.0.0.1:1\""))
	first := a.tracing.exp
	if first == nil || !exposed() || !strings.HasSuffix(a.tracing.url, "/v1/traces") {
		t.Fatalf("with [otlp]: exporter %v to %q, counter exposed %v", first, a.tracing.url, exposed())
	}
	a.configureOTLP(otlpConfig(t, "[otlp]\nendpoint = \"http://127.0.0.1:1\""))
	if a.tracing.exp != first {
		t.Error("an unchanged [otlp] replaced the exporter")
	}
	a.configureOTLP(otlpConfig(t, "[otlp]\nendpoint = \"http://127.0.0.1:1\"\nheaders = { X-Scope-OrgID = \"shop\" }"))
	if a.tracing.exp == nil || a.tracing.exp == first {
		t.Error("changed headers kept the old exporter")
	}
	a.configureOTLP(otlpConfig(t, ""))
	if a.tracing.exp != nil || exposed() {
		t.Error("[otlp] removed: the export goes on, or the counter is still exposed")
	}
}

// A reload that comes while the agent shuts down, after the export was
// closed, starts no exporter that nobody would close.
func TestNoOTLPExportAfterClose(t *testing.T) {
	a := &Agent{logger: slog.New(slog.DiscardHandler), metrics: metrics.New()}
	a.closeOTLP()
	a.configureOTLP(otlpConfig(t, "[otlp]\nendpoint = \"http://127.0.0.1:1\""))
	if exp := a.tracing.exp; exp != nil {
		exp.Close(t.Context())
		t.Error("a reload after the export was closed started an exporter")
	}
}

// otlpConfig is a configuration of one journey with otlp (an [otlp] table,
// or nothing) before it.
func otlpConfig(t *testing.T, otlp string) *config.Config {
	t.Helper()
	cfg, err := config.Parse([]byte(otlp+`
[[journey]]
name = "storefront"
[[journey.step]]
name = "landing"
action = "navigate"
url = "http://127.0.0.1:1/"
`), "f.toml")
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}
