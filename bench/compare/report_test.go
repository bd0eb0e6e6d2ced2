package main

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/touchprobe/touchprobe/bench/record"
)

// pageSample is a successful journey whose pages had the given first byte
// to DOMContentLoaded and to load times, and whose tree spent cpu in its
// renderers (two of them) and a tenth of a second in the tool.
func pageSample(landingDCL, landingLoad, productDCL float64, renderers time.Duration) sample {
	const firstByte = 120 // the shop's delay, the same for every tool
	return sample{
		usage: Usage{
			CPU: renderers + 150*time.Millisecond,
			Kinds: map[string]KindUsage{
				kindTool:     {CPU: 100 * time.Millisecond, Processes: 1},
				kindRenderer: {CPU: renderers, Processes: 2},
			},
		},
		rec: record.Journey{Pages: []record.Page{
			{Step: "landing", ResponseStartMS: firstByte, DOMContentLoadedMS: firstByte + landingDCL, LoadMS: firstByte + landingLoad},
			{Step: "accept cookies"},
			// load not reported: counts for DOMContentLoaded only
			{Step: "product page", ResponseStartMS: firstByte, DOMContentLoadedMS: firstByte + productDCL},
		}},
	}
}

func TestSummarizePagesAndKinds(t *testing.T) {
	tp := &tool{name: "touchprobe", label: "touchprobe", browser: true}
	pw := &tool{name: "playwright", label: "Playwright", browser: true}
	samples := map[string][]sample{
		"touchprobe": {
			pageSample(190, 230, 198, 2*time.Second),
			pageSample(210, 250, 202, 3*time.Second),
			pageSample(200, 240, 200, 4*time.Second),
			{err: errors.New("a failed run counts in no median"), rec: record.Journey{Pages: []record.Page{{Step: "landing", ResponseStartMS: 1, DOMContentLoadedMS: 9000}}}},
		},
		"playwright": {
			pageSample(100, 140, 92, time.Second),
			pageSample(96, 136, 94, time.Second),
		},
	}
	res := summarize([]*tool{tp, pw}, samples, nil)
	got := res.tool("touchprobe")
	if p := got.Pages["landing"]; p.FirstByteToDCL != 200 || p.FirstByteToLoad != 240 || p.Runs != 3 {
		t.Errorf("landing %+v, want medians 200 and 240 ms over 3 runs", p)
	}
	if p := got.Pages["product page"]; p.FirstByteToDCL != 200 || !math.IsNaN(p.FirstByteToLoad) {
		t.Errorf("product page %+v, want 200 ms and no load time", p)
	}
	if k := got.Kinds[kindRenderer]; k.CPU != 3 || k.Processes != 2 {
		t.Errorf("renderers %+v, want 3 s over 2 processes", k)
	}
	if k := got.Kinds[kindBrowser]; k.CPU != 0 || k.Processes != 0 {
		t.Errorf("browser %+v, want none", k)
	}
	if math.Abs(got.Unsampled-0.05) > 1e-9 {
		t.Errorf("unsampled %v s, want 0.05", got.Unsampled)
	}

	text := res.markdown()
	for _, want := range []string{
		"| touchprobe | 0.10 (1) | – | 3.00 (2) |",
		"| landing | DOMContentLoaded | 200 | 98 | 2.04 (1.90–2.19) missed |",
		"| landing | load | 240 | 138 | 1.74 (1.64–1.84) missed |",
		"| product page | DOMContentLoaded | 200 | 93 | 2.15 (2.11–2.20) missed |",
		"| product page | load | – | – | – |",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("report lacks %q:\n%s", want, text)
		}
	}
}

// The page goal is judged from the interval of the ratio over the rounds,
// not from the ratio of medians alone: a verdict that one run of 7 rounds
// gives and the next takes back says nothing.
func TestPageGoalVerdict(t *testing.T) {
	same := func(v float64) []float64 { return []float64{v, v, v, v, v, v, v} }
	for _, tc := range []struct {
		name   string
		tp, pw []float64 // landing DOMContentLoaded of each round
		want   string
	}{
		{"one round each", []float64{104}, []float64{100}, "| landing | DOMContentLoaded | 104 | 100 | 1.04 (1.04–1.04) met |"},
		{"steadily within", []float64{90, 92, 88, 91, 90, 89, 93}, []float64{100, 101, 99, 100, 102, 98, 100}, " met |"},
		{"steadily beyond", []float64{130, 128, 131, 129, 132, 130, 127}, same(100), " missed |"},
		// The medians' ratio alone would say met (1.00).
		{"scattered", []float64{60, 150, 70, 100, 140, 65, 145}, same(100), "| landing | DOMContentLoaded | 100 | 100 | 1.00 (0.65–1.45) not shown |"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var tp, pw []sample
			for _, v := range tc.tp {
				tp = append(tp, pageSample(v, 140, 92, time.Second))
			}
			for _, v := range tc.pw {
				pw = append(pw, pageSample(v, 140, 92, time.Second))
			}
			res := summarize([]*tool{{name: "touchprobe", label: "touchprobe", browser: true}, {name: "playwright", label: "Playwright", browser: true}},
				map[string][]sample{"touchprobe": tp, "playwright": pw}, nil)
			text := res.markdown()
			var row string
			for _, line := range strings.Split(text, "\n") {
				if strings.HasPrefix(line, "| landing | DOMContentLoaded |") {
					row = line
				}
			}
			if !strings.Contains(row, tc.want) {
				t.Errorf("landing DOMContentLoaded row %q lacks %q", row, tc.want)
			}
		})
	}
}

func TestRatioInterval(t *testing.T) {
	lo, hi := ratioInterval([]float64{100, 100, 100}, []float64{50, 50})
	if lo != 2 || hi != 2 {
		t.Errorf("constant runs: interval %v–%v, want 2–2", lo, hi)
	}
	a := []float64{60, 150, 70, 100, 140, 65, 145}
	b := []float64{95, 100, 105, 100, 98, 102, 100}
	lo, hi = ratioInterval(a, b)
	if !(lo < 1 && hi > 1.05) {
		t.Errorf("scattered runs: interval %v–%v should hold both 1 and more than %v", lo, hi, pageGoal)
	}
	if lo2, hi2 := ratioInterval(a, b); lo2 != lo || hi2 != hi {
		t.Errorf("the same runs gave %v–%v, then %v–%v", lo, hi, lo2, hi2)
	}
	if lo, hi := ratioInterval(nil, b); !math.IsNaN(lo) || !math.IsNaN(hi) {
		t.Errorf("no runs: interval %v–%v, want NaN", lo, hi)
	}
}

// touchprobe's report gives a step's page in seconds; the record holds the
// same Navigation Timing fields as the peers' scripts, in milliseconds.
func TestParseTouchprobePages(t *testing.T) {
	out := `{"runs":[{"start":"2026-11-23T12:00:00Z","duration_seconds":1.5,"status":"success","steps":[
	  {"name":"landing","status":"ok","duration_seconds":0.25,"page":{"url":"http://127.0.0.1/","ttfb_seconds":0.12,"dom_content_loaded_seconds":0.3,"load_seconds":0.35,"fcp_seconds":0.31}},
	  {"name":"accept cookies","status":"ok","duration_seconds":0.01}]}]}`
	rec, err := parseTouchprobe([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.Pages) != 1 {
		t.Fatalf("pages %+v, want the landing page only", rec.Pages)
	}
	p := rec.Pages[0]
	dcl, ok1 := p.FirstByteToDOMContentLoaded()
	load, ok2 := p.FirstByteToLoad()
	if p.Step != "landing" || !ok1 || !ok2 || math.Abs(dcl-180) > 1e-6 || math.Abs(load-230) > 1e-6 {
		t.Errorf("page %+v: first byte to DOMContentLoaded %v, to load %v; want 180 and 230 ms", p, dcl, load)
	}
}

// Start-up plus shut-down is each run's own process time minus its journey:
// on a loaded machine the median process and the median journey come from
// different runs, and their difference says little.
func TestOutsideTheJourneyIsPerRun(t *testing.T) {
	run := func(journeyMS, processMS float64) sample {
		return sample{rec: record.Journey{JourneyMS: journeyMS}, usage: Usage{Wall: time.Duration(processMS * float64(time.Millisecond))}}
	}
	tp := &tool{name: "touchprobe", label: "touchprobe", browser: true}
	samples := map[string][]sample{"touchprobe": {
		run(5000, 5600), // 600 outside
		run(9000, 9500), // 500
		run(6000, 7000), // 1000
	}}
	got := summarize([]*tool{tp}, samples, nil).tool("touchprobe")
	if got.OutsideMS != 600 {
		t.Errorf("outside the journey %v ms, want the median of 600, 500 and 1000 ms", got.OutsideMS)
	}
	// The medians' difference would say 1000 ms.
	if got.ProcessMS-got.JourneyMS != 1000 {
		t.Fatalf("process %v ms, journey %v ms: the fixture no longer shows the difference", got.ProcessMS, got.JourneyMS)
	}
}

// The agent's CPU per journey is split by kind and set against a journey
// in a process of its own, for each browser tool.
func TestAgentCPUAgainstPerProcess(t *testing.T) {
	sc := &scaleResult{Window: time.Minute, Throughput: []throughput{{
		Concurrency: 1, Runs: 10, Ended: 10, PerMinute: 10, CPUPerJourneyS: 3,
		Kinds: map[string]kindSummary{
			kindTool:     {CPU: 0.2, Processes: 1},
			kindRenderer: {CPU: 1.5, Processes: 25},
		},
		Unsampled: 0.05,
	}}}
	var b strings.Builder
	sc.markdown(func(f string, a ...any) { fmt.Fprintf(&b, f, a...) }, []toolSummary{
		{Name: "k6", Label: "k6 browser", Browser: true, CPU: 6},
		{Name: "playwright", Label: "Playwright", Browser: true, CPU: 5},
		{Name: "blackbox", Label: "blackbox_exporter", CPU: 0.02},
	})
	text := b.String()
	for _, want := range []string{
		"| concurrency 1, 10 runs | 0.20 (1) | – | 1.50 (25) |",
		"| 0.05 | 26 |",
		"costs 0.50 of k6 browser's, 0.60 of Playwright's CPU",
		"Against the cheaper of the two, Playwright: **missed** in this window of 10 runs",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("report lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "blackbox") {
		t.Errorf("report sets the agent against a tool without a browser:\n%s", text)
	}
}

// The daemon's goal is judged against the per-check peer that took the
// least CPU, and only against k6 browser or Playwright: not against
// touchprobe once, the chromedp floor or a tool without a browser.
func TestDaemonVerdictAgainstTheCheaperPeer(t *testing.T) {
	for _, tc := range []struct {
		name       string
		agent      float64
		perProcess []toolSummary
		want       string // "" when no verdict may be given
	}{
		{"met against k6, the cheaper", 2.9, []toolSummary{
			{Name: "touchprobe", Label: "touchprobe", Browser: true, CPU: 4},
			{Name: "floor", Label: "chromedp floor", Browser: true, CPU: 5.7},
			{Name: "k6", Label: "k6 browser", Browser: true, CPU: 5.8},
			{Name: "playwright", Label: "Playwright", Browser: true, CPU: 6.9},
		}, "Against the cheaper of the two, k6 browser: **met**"},
		{"missed against k6 although met against Playwright", 3.3, []toolSummary{
			{Name: "k6", Label: "k6 browser", Browser: true, CPU: 5.88},
			{Name: "playwright", Label: "Playwright", Browser: true, CPU: 6.9},
		}, "Against the cheaper of the two, k6 browser: **missed**"},
		{"exactly half is met", 3, []toolSummary{
			{Name: "playwright", Label: "Playwright", Browser: true, CPU: 6},
		}, "Against the cheaper of the two, Playwright: **met**"},
		{"no peer measured", 1, []toolSummary{
			{Name: "touchprobe", Label: "touchprobe", Browser: true, CPU: 4},
			{Name: "floor", Label: "chromedp floor", Browser: true, CPU: 2.5},
		}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sc := &scaleResult{Window: time.Minute, Throughput: []throughput{{Concurrency: 1, Ended: 8, CPUPerJourneyS: tc.agent}}}
			var b strings.Builder
			sc.markdown(func(f string, a ...any) { fmt.Fprintf(&b, f, a...) }, tc.perProcess)
			text := b.String()
			if tc.want == "" {
				if strings.Contains(text, "Against the cheaper") {
					t.Fatalf("a verdict without a peer to judge against:\n%s", text)
				}
				return
			}
			if !strings.Contains(text, tc.want+" in this window of 8 runs") {
				t.Fatalf("report lacks %q:\n%s", tc.want, text)
			}
		})
	}
}
