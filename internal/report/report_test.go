package report

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/touchprobe/touchprobe/probes"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

var start = time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC)

func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }

// passed: every step within budget; the cookie banner was absent.
func passed() *probes.Result {
	return &probes.Result{Journey: "checkout", RunID: "0a1b2c3d4e5f", TraceID: "4bf92f3577b34da6a3ce929d0e0e4736", SpanID: "00f067aa0ba902b7",
		Start: start, Duration: ms(2500), Status: probes.StatusSuccess,
		Steps: []probes.StepResult{
			{Index: 0, Name: "landing", Touchpoint: "landing", Action: "navigate", SpanID: "53995c3f42cd8ad8", Status: probes.StepOK, Duration: ms(812), Budget: ms(3000),
				Page: &probes.PageMetrics{URL: "https://shop.example/", Status: 200, TTFB: ms(120), DOMContentLoaded: ms(400), Load: ms(700), FCP: ms(300), LCP: ms(650), CLS: 0.02, TransferBytes: 123456, Requests: 17}},
			{Index: 1, Name: "accept cookies", Action: "click", Status: probes.StepSkipped, Duration: ms(5), Budget: ms(3000)},
			{Index: 2, Name: "product page", Touchpoint: "product", Action: "click", Status: probes.StepOK, Duration: ms(1528), Budget: ms(2000),
				Page: &probes.PageMetrics{URL: "https://shop.example/p/1", Status: 200, TTFB: ms(90)},
				Interaction: &probes.InteractionMetrics{Interactions: 1, INP: ms(312), TBT: ms(254), LongFrames: []probes.LongFrame{{Duration: ms(330), Blocking: ms(254),
					Scripts: []probes.FrameScript{{URL: "https://shop.example/app.js", Function: "addToBasket", Invoker: "BUTTON#buy.onclick", Duration: ms(301)}}}}}},
		}}
}

// slow: it passed, but the product page took longer than its budget.
func slow() *probes.Result {
	r := passed()
	r.RunID = "ffeeddccbbaa"
	r.Duration = ms(4100)
	r.Steps[2].Duration = ms(3284)
	r.Evidence = &probes.Evidence{Dir: "/var/lib/touchprobe/checkout-c7761e58/ffeeddccbbaa", Step: 2, Files: []string{"network.har", "screenshot.png"}}
	return r
}

// failed: the basket failed, so checkout never ran.
func failed() *probes.Result {
	return &probes.Result{Journey: "checkout", RunID: "123456abcdef", Start: start, Duration: ms(9876), Status: probes.StatusFailure,
		Reason: probes.ReasonSelector, FailedStep: "add to basket", Message: `element "#add-to-basket" not found`,
		Steps: []probes.StepResult{
			{Index: 0, Name: "landing", Touchpoint: "landing", Action: "navigate", Status: probes.StepOK, Duration: ms(800), Budget: ms(3000)},
			{Index: 1, Name: "add to basket", Touchpoint: "basket", Action: "click", Status: probes.StepFailed, Duration: ms(5000), Budget: ms(3000),
				Reason: probes.ReasonSelector, Message: `element "#add-to-basket" not found`},
			{Index: 2, Name: "checkout", Touchpoint: "checkout", Action: "click", Status: probes.StepNotRun, Budget: ms(3000)},
		},
		Evidence: &probes.Evidence{Dir: "/var/lib/touchprobe/checkout-c7761e58/123456abcdef", Step: 1,
			Files: []string{"console.json", "network.har", "page.html", "screenshot.png"}}}
}

func TestVerdict(t *testing.T) {
	tests := []struct {
		name string
		step probes.StepResult
		want string
	}{
		{"within budget", probes.StepResult{Status: probes.StepOK, Duration: ms(100), Budget: ms(3000)}, "ok"},
		{"exactly its budget", probes.StepResult{Status: probes.StepOK, Duration: ms(3000), Budget: ms(3000)}, "ok"},
		{"over budget", probes.StepResult{Status: probes.StepOK, Duration: ms(3001), Budget: ms(3000)}, "OVER BUDGET"},
		{"no budget", probes.StepResult{Status: probes.StepOK, Duration: ms(9000)}, "ok"},
		{"failed, and slow too", probes.StepResult{Status: probes.StepFailed, Duration: ms(9000), Budget: ms(3000)}, "FAIL"},
		{"not run", probes.StepResult{Status: probes.StepNotRun, Budget: ms(3000)}, "not run"},
		{"skipped", probes.StepResult{Status: probes.StepSkipped, Duration: ms(9000), Budget: ms(3000)}, "skipped"},
	}
	for _, tt := range tests {
		if got := Verdict(tt.step); got != tt.want {
			t.Errorf("%s: Verdict = %q, want %q", tt.name, got, tt.want)
		}
	}
}

// The table for people: compared with testdata/<name>.txt (go test
// -update rewrites them; read the diff before committing it).
func TestText(t *testing.T) {
	tempo := func(id string) string { return "https://tempo.example/trace/" + id }
	untraced := passed()
	untraced.TraceID = ""
	tests := []struct {
		name    string
		results []*probes.Result
		trace   TraceLink
	}{
		{"passed", []*probes.Result{passed()}, nil},
		{"over-budget", []*probes.Result{slow()}, nil},
		{"failed", []*probes.Result{failed()}, nil},
		{"two-runs", []*probes.Result{passed(), failed()}, nil},
		{"none", nil, nil},
		// A configuration that traces its runs names each run's trace,
		// with a link where trace_url makes one; a run without a trace
		// id says nothing of it.
		{"traced", []*probes.Result{passed(), untraced}, func(string) string { return "" }},
		{"traced-linked", []*probes.Result{passed()}, tempo},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := Text(&b, tt.results, tt.trace); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", tt.name+".txt")
			if *update {
				if err := os.WriteFile(golden, b.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if b.String() != string(want) {
				t.Errorf("Text:\n%s\nwant (%s):\n%s", b.String(), golden, want)
			}
		})
	}
}

// The JSON for pipelines, read back as a pipeline would.
func TestJSON(t *testing.T) {
	type page struct {
		URL           string  `json:"url"`
		Status        int     `json:"status"`
		TTFB          float64 `json:"ttfb_seconds"`
		LCP           float64 `json:"lcp_seconds"`
		CLS           float64 `json:"cls"`
		TransferBytes int64   `json:"transfer_bytes"`
		Requests      int     `json:"requests"`
	}
	type step struct {
		Name        string  `json:"name"`
		SpanID      string  `json:"span_id"`
		Status      string  `json:"status"`
		Verdict     string  `json:"verdict"`
		Duration    float64 `json:"duration_seconds"`
		Budget      float64 `json:"budget_seconds"`
		OverBudget  bool    `json:"over_budget"`
		Reason      *string `json:"reason"`
		Page        *page   `json:"page"`
		Interaction *struct {
			Interactions int     `json:"interactions"`
			INP          float64 `json:"inp_seconds"`
			TBT          float64 `json:"tbt_seconds"`
			LongFrames   []struct {
				Duration float64 `json:"duration_seconds"`
				Scripts  []struct {
					URL      string  `json:"url"`
					Invoker  string  `json:"invoker"`
					Duration float64 `json:"duration_seconds"`
				} `json:"scripts"`
			} `json:"long_animation_frames"`
		} `json:"interaction"`
	}
	type doc struct {
		Runs []struct {
			Journey    string    `json:"journey"`
			Profile    string    `json:"profile"`
			RunID      string    `json:"run_id"`
			TraceID    *string   `json:"trace_id"`
			Start      time.Time `json:"start"`
			Duration   float64   `json:"duration_seconds"`
			Status     string    `json:"status"`
			OverBudget bool      `json:"over_budget"`
			Reason     string    `json:"reason"`
			FailedStep string    `json:"failed_step"`
			Steps      []step    `json:"steps"`
			Evidence   *struct {
				Dir   string   `json:"dir"`
				Step  string   `json:"step"`
				Files []string `json:"files"`
			} `json:"evidence"`
		} `json:"runs"`
	}
	outOfRange := failed()
	outOfRange.Evidence.Step = 7
	onMobile := passed()
	onMobile.Profile = "mobile-4g"
	var b bytes.Buffer
	if err := JSON(&b, []*probes.Result{onMobile, slow(), failed(), outOfRange}); err != nil {
		t.Fatal(err)
	}
	var d doc
	if err := json.Unmarshal(b.Bytes(), &d); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, b.String())
	}
	if len(d.Runs) != 4 {
		t.Fatalf("%d runs, want 4", len(d.Runs))
	}
	p, s, f := d.Runs[0], d.Runs[1], d.Runs[2]
	if p.Journey != "checkout" || p.Profile != "mobile-4g" || p.RunID != "0a1b2c3d4e5f" || !p.Start.Equal(start) || p.Duration != 2.5 || p.Status != "success" || p.OverBudget || p.Evidence != nil {
		t.Errorf("passed run: %+v", p)
	}
	// The ids the site saw in traceparent, and the trace exported.
	if p.TraceID == nil || *p.TraceID != "4bf92f3577b34da6a3ce929d0e0e4736" || p.Steps[0].SpanID != "53995c3f42cd8ad8" || p.Steps[1].SpanID != "" {
		t.Errorf("passed run's trace: %v, steps' spans %q and %q", p.TraceID, p.Steps[0].SpanID, p.Steps[1].SpanID)
	}
	if f.TraceID != nil {
		t.Errorf("a run without a trace id has one: %q", *f.TraceID)
	}
	if len(p.Steps) != 3 || p.Steps[0].Verdict != "ok" || p.Steps[1].Verdict != "skipped" || p.Steps[1].Status != "skipped" {
		t.Errorf("passed run's steps: %+v", p.Steps)
	}
	if pg := p.Steps[0].Page; pg == nil || pg.URL != "https://shop.example/" || pg.Status != 200 || pg.TTFB != 0.12 || pg.LCP != 0.65 || pg.CLS != 0.02 || pg.TransferBytes != 123456 || pg.Requests != 17 {
		t.Errorf("landing page metrics: %+v", p.Steps[0].Page)
	}
	// The click's INP, blocking time, and the script that blocked.
	if im := p.Steps[2].Interaction; im == nil || im.Interactions != 1 || im.INP != 0.312 || im.TBT != 0.254 || len(im.LongFrames) != 1 ||
		len(im.LongFrames[0].Scripts) != 1 || im.LongFrames[0].Scripts[0].URL != "https://shop.example/app.js" || im.LongFrames[0].Scripts[0].Invoker != "BUTTON#buy.onclick" {
		t.Errorf("product page interaction: %+v", im)
	}
	if p.Steps[0].Interaction != nil {
		t.Errorf("a navigation has interaction metrics: %+v", p.Steps[0].Interaction)
	}
	if p.Steps[1].Page != nil || p.Steps[0].Reason != nil {
		t.Errorf("a step without a page or reason has one: %+v", p.Steps[:2])
	}
	if st := s.Steps[2]; s.Status != "success" || !s.OverBudget || !st.OverBudget || st.Verdict != "OVER BUDGET" || st.Duration != 3.284 || st.Budget != 2 {
		t.Errorf("over-budget run: %+v, step %+v", s, st)
	}
	if s.Evidence == nil || s.Evidence.Step != "product page" || len(s.Evidence.Files) != 2 {
		t.Errorf("over-budget run's evidence: %+v, want the product page's", s.Evidence)
	}
	if f.Status != "failure" || f.Reason != "selector" || f.FailedStep != "add to basket" {
		t.Errorf("failed run: %+v", f)
	}
	if got := f.Steps[1]; got.Verdict != "FAIL" || got.Reason == nil || *got.Reason != "selector" {
		t.Errorf("failed step: %+v", got)
	}
	if got := f.Steps[2]; got.Verdict != "not run" || got.Status != "not_run" || got.Duration != 0 {
		t.Errorf("step after the failure: %+v", got)
	}
	if f.Evidence == nil || f.Evidence.Step != "add to basket" || f.Evidence.Dir != "/var/lib/touchprobe/checkout-c7761e58/123456abcdef" {
		t.Errorf("failed run's evidence: %+v", f.Evidence)
	}
	if e := d.Runs[3].Evidence; e == nil || e.Step != "" {
		t.Errorf("evidence of a step the run does not have: %+v, want no step name", e)
	}
}

// Each run names the profile it was made under, in the table's heading
// too; a run made without one says nothing of it.
func TestProfileNamed(t *testing.T) {
	withProfile, without := passed(), passed()
	withProfile.Profile = "mobile-4g"
	var b bytes.Buffer
	if err := Text(&b, []*probes.Result{withProfile, without}, nil); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(b.String(), "\n")
	if !strings.HasPrefix(lines[0], `journey "checkout"  profile "mobile-4g"  run 0a1b2c3d4e5f`) {
		t.Errorf("heading %q does not name the profile", lines[0])
	}
	if strings.Count(b.String(), "profile") != 1 {
		t.Errorf("a run without a profile names one:\n%s", b.String())
	}
	b.Reset()
	if err := JSON(&b, []*probes.Result{without}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), `"profile"`) {
		t.Errorf("a run without a profile has a profile key: %s", b.String())
	}
}

// No results is an empty list, never null: a pipeline can always iterate.
func TestJSONWithoutRuns(t *testing.T) {
	for _, results := range [][]*probes.Result{nil, {}} {
		var b bytes.Buffer
		if err := JSON(&b, results); err != nil {
			t.Fatal(err)
		}
		if got := b.String(); got != "{\n  \"runs\": []\n}\n" {
			t.Errorf("JSON of no runs = %q", got)
		}
	}
	var b bytes.Buffer
	r := passed()
	r.Steps = nil
	if err := JSON(&b, []*probes.Result{r}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b.Bytes(), []byte(`"steps": []`)) {
		t.Errorf("a run without steps:\n%s\nwant \"steps\": []", b.String())
	}
}

// Failed decides touchprobe once's exit status.
func TestFailed(t *testing.T) {
	errored := failed()
	errored.Status = probes.StatusError
	tests := []struct {
		name    string
		results []*probes.Result
		want    bool
	}{
		{"none", nil, false},
		{"all passed", []*probes.Result{passed(), passed()}, false},
		{"one over budget", []*probes.Result{passed(), slow()}, true},
		{"one failed", []*probes.Result{failed(), passed()}, true},
		{"one error", []*probes.Result{errored}, true},
	}
	for _, tt := range tests {
		if got := Failed(tt.results); got != tt.want {
			t.Errorf("%s: Failed = %v, want %v", tt.name, got, tt.want)
		}
	}
}
