package web

import (
	"strings"
	"testing"
	"time"

	"github.com/touchprobe/touchprobe/config"
	"github.com/touchprobe/touchprobe/internal/metrics"
	"github.com/touchprobe/touchprobe/internal/runs"
	"github.com/touchprobe/touchprobe/probes"
)

// The run page shows the run's trace id and each step's span id, linked
// to the trace when trace_url is set.
func TestRunPageShowsTrace(t *testing.T) {
	const (
		traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
		root    = "00f067aa0ba902b7"
		span1   = "b7ad6b7169203331"
		span2   = "53995c3f42cd8ad8"
	)
	journey := `
[[journey]]
name = "checkout"
[[journey.step]]
name = "landing"
action = "navigate"
url = "http://127.0.0.1:1/"
[[journey.step]]
name = "basket"
action = "click"
selector = "#basket"
`
	for _, tc := range []struct {
		name, agent string
		want        []string
		reject      []string
	}{
		{"linked", "[agent]\ntrace_url = \"https://tempo.example/explore?left=x&trace={trace_id}\"\n",
			[]string{`<a class="trace-id" href="https://tempo.example/explore?left=x&amp;trace=` + traceID + `">` + traceID + `</a>`,
				`<td>1. landing</td><td><a href="https://tempo.example/explore?left=x&amp;trace=` + traceID + `">`, `<code class="span-id">` + span1 + `</code>`, `<code class="span-id">` + span2 + `</code>`, `journey span <code class="span-id">` + root + `</code>`},
			nil},
		{"not linked", "",
			[]string{`<code class="trace-id">` + traceID + `</code>`, `<code class="span-id">` + span1 + `</code>`, `<td>2. basket</td><td><code>` + traceID + `</code></td><td><code class="span-id">` + span2 + `</code>`},
			[]string{"tempo.example"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := config.Parse([]byte(tc.agent+journey), "f.toml")
			if err != nil {
				t.Fatal(err)
			}
			store := runs.New(5)
			store.Add(&probes.Result{Journey: "checkout", Profile: "desktop", RunID: "a1b2c3d4e5f6", TraceID: traceID, SpanID: root, Start: time.Now(), Status: probes.StatusSuccess,
				Steps: []probes.StepResult{
					{Index: 0, Name: "landing", SpanID: span1, Status: probes.StepOK, Duration: time.Second, Budget: 3 * time.Second},
					{Index: 1, Name: "basket", SpanID: span2, Status: probes.StepOK, Duration: time.Second, Budget: 3 * time.Second},
				}})
			h := New(Deps{Metrics: metrics.Handler(metrics.New(), nil), Runs: store, Config: func() *config.Config { return cfg }, Ready: func() bool { return true }, Reload: func() ReloadResult { return ReloadResult{} }})
			resp := get(t, h, "/journeys/checkout/runs/a1b2c3d4e5f6")
			page := body(t, resp)
			if resp.StatusCode != 200 {
				t.Fatalf("status %d\n%s", resp.StatusCode, page)
			}
			for _, w := range tc.want {
				if !strings.Contains(page, w) {
					t.Errorf("page lacks %q", w)
				}
			}
			for _, r := range tc.reject {
				if strings.Contains(page, r) {
					t.Errorf("page shows %q", r)
				}
			}
		})
	}
}
